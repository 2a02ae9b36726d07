-- Named write statements. {table} is filled only with a table name declared in schema.sql.

-- name: insert_new_rows
-- Insert staged rows whose primary key is not stored yet; stored records are never changed.
INSERT OR IGNORE INTO {table} BY NAME SELECT * FROM staged_rows;

-- name: delete_records
-- Remove records by id from one table (data-removal requests only).
DELETE FROM {table} WHERE {id_column} IN (SELECT record_id FROM staged_rows);
