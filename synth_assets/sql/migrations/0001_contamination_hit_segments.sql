-- A contamination hit names the part of the record that matched (task | response) and holds an
-- excerpt of it. Stores made before 2026-11-22 scanned a record as one text and have neither
-- column; stores made after got both by ALTER, after created_at and nullable. The table is
-- rebuilt in the shape of schema.sql; hits stored before keep segment 'text' and no excerpt.
ALTER TABLE contamination_hits ADD COLUMN IF NOT EXISTS segment VARCHAR DEFAULT 'text';
ALTER TABLE contamination_hits ADD COLUMN IF NOT EXISTS record_excerpt VARCHAR DEFAULT '';

CREATE TABLE contamination_hits_migrated (
    hit_id          VARCHAR PRIMARY KEY,
    scan_id         VARCHAR NOT NULL,
    generation_id   VARCHAR NOT NULL,
    benchmark       VARCHAR NOT NULL,
    item_id         VARCHAR NOT NULL,
    detector        VARCHAR NOT NULL,
    score           DOUBLE NOT NULL,
    evidence        VARCHAR NOT NULL,
    item_excerpt    VARCHAR NOT NULL,
    segment         VARCHAR NOT NULL,
    record_excerpt  VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);
INSERT INTO contamination_hits_migrated BY NAME
SELECT * REPLACE (coalesce(segment, 'text') AS segment, coalesce(record_excerpt, '') AS record_excerpt)
FROM contamination_hits;
DROP TABLE contamination_hits;
ALTER TABLE contamination_hits_migrated RENAME TO contamination_hits;
