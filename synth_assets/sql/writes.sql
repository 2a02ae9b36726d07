-- Named write statements. {table} is filled only with a table name declared in schema.sql.

-- name: insert_new_rows
-- Insert staged rows whose primary key is not stored yet; stored records are never changed.
INSERT OR IGNORE INTO {table} BY NAME SELECT * FROM staged_rows;

-- name: insert_new_rows_by_id
-- The same for a table kept without a primary-key index (contamination_verdicts,
-- mixture_records): rows whose id column holds an id not stored yet.
INSERT INTO {table} BY NAME
SELECT * FROM staged_rows ANTI JOIN {table} USING ({id_column});

-- name: delete_records
-- Remove records by id from one table (data-removal requests only).
DELETE FROM {table} WHERE {id_column} IN (SELECT record_id FROM staged_rows);

-- name: stage_snapshot_ids
-- The ids a named statement selects, staged to be hashed into a snapshot id and stored.
CREATE OR REPLACE TEMP TABLE staged_snapshot_ids AS {select};

-- name: staged_snapshot_ids_in_order
-- Each id as a JSON string, in order: the pieces of the snapshot id's canonical JSON.
SELECT to_json(record_id) AS quoted FROM (SELECT DISTINCT record_id FROM staged_snapshot_ids)
ORDER BY record_id;

-- name: insert_staged_snapshot_ids
-- In key order: appending sorted keys keeps the primary-key index insert linear.
INSERT OR IGNORE INTO snapshot_members
SELECT $snapshot_id, record_id FROM (SELECT DISTINCT record_id FROM staged_snapshot_ids)
ORDER BY record_id;

-- name: set_partition_head
-- Point a partition of a stage at the snapshot its latest materialization produced.
INSERT OR REPLACE INTO partition_heads (stage, partition_key, snapshot_id, updated_at)
VALUES ($stage, $partition_key, $snapshot_id, current_timestamp);

-- name: delete_edges_touching
-- Remove every edge into or out of the staged ids (data-removal requests only).
DELETE FROM edges
WHERE child_id IN (SELECT record_id FROM staged_rows)
   OR parent_id IN (SELECT record_id FROM staged_rows);

-- name: append_contamination_verdicts
-- Staged verdict rows whose scan is not stored yet: how contamination_verdicts keeps scan_id
-- unique without a primary-key index.
INSERT INTO contamination_verdicts BY NAME
SELECT * FROM staged_rows ANTI JOIN contamination_verdicts USING (scan_id);

-- name: delete_partition_planned_generations
-- The rows of every stored generation plan of a partition (a partition keeps one plan at most:
-- stages/generation_plan.py deletes them, then the plans, before storing a new one).
DELETE FROM planned_generations WHERE plan_id IN
    (SELECT plan_id FROM generation_plans WHERE partition_key = $partition_key);

-- name: delete_partition_planned_prompts
DELETE FROM planned_prompts WHERE plan_id IN
    (SELECT plan_id FROM generation_plans WHERE partition_key = $partition_key);

-- name: delete_partition_plans
DELETE FROM generation_plans WHERE partition_key = $partition_key;

-- name: complete_generation_plan
UPDATE generation_plans SET generations = $generations WHERE plan_id = $plan_id;

-- name: delete_planned_generations
DELETE FROM planned_generations WHERE plan_id = $plan_id;

-- name: delete_planned_prompts
DELETE FROM planned_prompts WHERE plan_id = $plan_id;

-- name: delete_generation_plan
DELETE FROM generation_plans WHERE plan_id = $plan_id;

-- name: delete_every_generation_plan
-- Every stored generation plan: they hold rendered prompts, so a data-removal request ends them.
DELETE FROM planned_generations;
DELETE FROM planned_prompts;
DELETE FROM generation_plans;

-- name: delete_every_ge_result
-- Every stored GE outcome (they may quote unexpected values): a data-removal request ends them.
DELETE FROM ge_results;

-- name: append_planned_generations
-- A window of a generation plan being stored (no key: the plan is new, its positions unique).
INSERT INTO planned_generations BY NAME SELECT * FROM staged_rows;

-- name: append_planned_prompts
-- The prompts first met in that window (stages/generation_plan.py writes each once).
INSERT INTO planned_prompts BY NAME SELECT * FROM staged_rows;

-- name: table_rows
-- Every row of one table, as stored (moving a store: `synth store copy`).
SELECT * FROM {table};

-- name: rows_appended_since
-- The rows appended to a table after its first `first_row` rows (DuckDB numbers a table's rows
-- in insertion order): what a stage added to a working copy of a store.
SELECT * EXCLUDE (rowid) FROM (SELECT rowid, * FROM {table}) WHERE rowid >= $first_row;

-- name: rows_left_of_first
-- How many of a table's first `first_row` rows are left. A row replaced or updated in place
-- keeps its rowid; fewer means a stage deleted rows of a working copy, which no write-back
-- carries to the store.
SELECT count(*) AS rows_left FROM {table} WHERE rowid < $first_row;

-- name: rows_not_copied
-- The rows of a table that are not among `copied_rows` (its rows as copied into a working
-- copy): those a stage added, and those it replaced or updated in place, which DuckDB keeps
-- under their rowid (rows_appended_since misses them).
SELECT * FROM {table} EXCEPT SELECT * FROM copied_rows;
