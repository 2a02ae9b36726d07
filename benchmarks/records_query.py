"""The SQL the decontamination benchmarks' peers read a snapshot's records with (each record's
task, the seed's question, and the teacher's response), so every side reads the same texts from
the same DuckDB file. Plain text: the peers import it inside their own venvs."""

RECORDS_QUERY = """
SELECT json_extract_string(seeds.payload, '$.question') AS task, generations.text
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN seeds ON seeds.seed_id = generations.seed_id
WHERE snapshot_members.snapshot_id = ?
"""
