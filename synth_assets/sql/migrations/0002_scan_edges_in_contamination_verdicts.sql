-- A contamination verdict holds its own lineage edges: to the generation it scans
-- (generation_id) and to the verdicts that admitted it (admitted_by); see lineage_edges in
-- views.sql. Rows stored before 2026-11-22 had those edges in `edges` ('scans' and
-- 'after_verdict') and no admitted_by: their verdict edges move into admitted_by and both kinds
-- leave `edges`, so every row has the same shape and lineage_edges reads one place. The table
-- is also rebuilt without the primary-key index on scan_id that stores made before 2026-11-22
-- have (its memory grew with every record scanned; append_contamination_verdicts in writes.sql
-- keeps scan_id unique).
ALTER TABLE contamination_verdicts ADD COLUMN IF NOT EXISTS admitted_by VARCHAR[];

CREATE TABLE contamination_verdicts_migrated (
    scan_id             VARCHAR NOT NULL,
    generation_id       VARCHAR NOT NULL,
    index_fingerprint   VARCHAR NOT NULL,
    contaminated        BOOLEAN NOT NULL,
    hit_count           INTEGER NOT NULL,
    admitted_by         VARCHAR[] NOT NULL DEFAULT [],
    created_at          TIMESTAMP NOT NULL DEFAULT current_timestamp
);
INSERT INTO contamination_verdicts_migrated BY NAME
SELECT scanned.* REPLACE (coalesce(scanned.admitted_by, moved.verdict_ids, []) AS admitted_by)
FROM contamination_verdicts AS scanned
LEFT JOIN (SELECT child_id AS scan_id, list(parent_id ORDER BY parent_id) AS verdict_ids
           FROM edges WHERE relation = 'after_verdict' GROUP BY child_id) AS moved
       USING (scan_id);
DELETE FROM edges
WHERE relation IN ('scans', 'after_verdict')
  AND child_id IN (SELECT scan_id FROM contamination_verdicts_migrated);
DROP TABLE contamination_verdicts;
ALTER TABLE contamination_verdicts_migrated RENAME TO contamination_verdicts;
