-- Named write statements, PostgreSQL dialect of the ones in sql/writes.sql that differ, and the
-- staging the PostgreSQL store does by COPY where DuckDB reads a registered Arrow table.
-- {table}, {name}, {columns} and {key} are filled only with names declared in the schema or
-- in the code. Many writers may run these at once: a row another transaction stored (or is
-- storing) first is skipped.

-- name: drop_temp_table
DROP TABLE IF EXISTS pg_temp.{name};

-- name: stage_rows_like
-- Rows to insert into {table} arrive by COPY into this temporary table, shaped like it.
CREATE TEMP TABLE {name} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP;

-- name: stage_text_table
-- A table of text columns the named statements read (DuckDB: a registered Arrow table).
CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP;

-- name: copy_rows
COPY {name} ({columns}) FROM STDIN;

-- name: analyze_temp_table
-- Temporary tables have no statistics until analyzed: the planner needs the row count.
ANALYZE pg_temp.{name};

-- name: insert_new_rows
-- Insert staged rows whose primary key is not stored yet; stored records are never changed.
-- In key order, so two writers storing the same rows wait on each other, never deadlock.
INSERT INTO {table} ({columns}) SELECT {columns} FROM staged_rows ORDER BY {key}
ON CONFLICT DO NOTHING;

-- name: upsert_rows
-- Insert staged rows, each replacing the stored row of its primary key: the rows an analytic
-- stage added or replaced in its DuckDB working copy (lineage/copy.py). In key order, as
-- insert_new_rows; of two runs replacing the same row at once, the last to commit holds it.
INSERT INTO {table} ({columns}) SELECT {columns} FROM staged_rows ORDER BY {key}
ON CONFLICT ({key}) DO UPDATE SET {updates};

-- name: stage_snapshot_ids
CREATE TEMP TABLE staged_snapshot_ids ON COMMIT DROP AS {select};

-- name: staged_snapshot_ids_in_order
SELECT to_json(record_id)::TEXT AS quoted
FROM (SELECT DISTINCT record_id FROM staged_snapshot_ids) AS ids
ORDER BY record_id COLLATE "C";

-- name: insert_staged_snapshot_ids
INSERT INTO snapshot_members
SELECT $snapshot_id, record_id FROM (SELECT DISTINCT record_id FROM staged_snapshot_ids) AS ids
ORDER BY record_id COLLATE "C"
ON CONFLICT DO NOTHING;

-- name: set_partition_head
-- Point a partition of a stage at the snapshot its latest materialization produced; of two
-- runs of one partition at once, the last to commit holds it.
INSERT INTO partition_heads (stage, partition_key, snapshot_id, updated_at)
VALUES ($stage, $partition_key, $snapshot_id, LOCALTIMESTAMP)
ON CONFLICT (stage, partition_key)
DO UPDATE SET snapshot_id = excluded.snapshot_id, updated_at = excluded.updated_at;

-- name: append_contamination_verdicts
-- contamination_verdicts has a primary key here: the plain insert-if-absent.
INSERT INTO contamination_verdicts ({columns}) SELECT {columns} FROM staged_rows
ORDER BY scan_id ON CONFLICT DO NOTHING;

-- name: primary_keys
-- The primary-key columns of every table of the store, in key order.
SELECT index_table.relname AS table_name, attribute.attname AS column_name
FROM pg_index
JOIN pg_class AS index_table ON index_table.oid = pg_index.indrelid
JOIN pg_namespace ON pg_namespace.oid = index_table.relnamespace
JOIN LATERAL unnest(pg_index.indkey) WITH ORDINALITY AS keys(attnum, position) ON TRUE
JOIN pg_attribute AS attribute
  ON attribute.attrelid = index_table.oid AND attribute.attnum = keys.attnum
WHERE pg_index.indisprimary AND pg_namespace.nspname = current_schema()
ORDER BY index_table.relname, keys.position;

-- name: take_schema_lock
-- One process at a time creates or upgrades the schema (concurrent CREATE ... IF NOT EXISTS
-- can collide in PostgreSQL's catalogs); held until the transaction ends.
SELECT pg_advisory_xact_lock(hashtext('synth_assets lineage schema'));

-- name: append_planned_generations
-- A window of a generation plan being stored (no key: the plan is new, its positions unique).
INSERT INTO planned_generations ({columns}) SELECT {columns} FROM staged_rows;

-- name: append_planned_prompts
-- The prompts first met in that window (stages/generation_plan.py writes each once).
INSERT INTO planned_prompts ({columns}) SELECT {columns} FROM staged_rows;
