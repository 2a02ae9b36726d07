-- mixture_records has no primary-key index since 2026-11-22 (it made large mixtures slow to
-- store; insert_mixture_records in mixtures.sql keeps mixture_record_id unique). Stores made
-- before still have it: the table is rebuilt without it.
CREATE TABLE mixture_records_migrated (
    mixture_record_id  VARCHAR NOT NULL,
    mixture            VARCHAR NOT NULL,
    source_kind        VARCHAR NOT NULL,
    source_record_id   VARCHAR NOT NULL,
    domain             VARCHAR NOT NULL,
    instruction        VARCHAR NOT NULL,
    response           VARCHAR NOT NULL,
    created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp
);
INSERT INTO mixture_records_migrated BY NAME SELECT * FROM mixture_records;
DROP TABLE mixture_records;
ALTER TABLE mixture_records_migrated RENAME TO mixture_records;
