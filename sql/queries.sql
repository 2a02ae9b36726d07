-- Named queries over the lineage store. Each block starts with `-- name: NAME`; parameters
-- are DuckDB named parameters ($name); `wanted_ids` is a table of ids the caller registers.

-- name: lineage_chain
-- The record and every record it was made from, following edges to the seeds.
WITH RECURSIVE chain(record_id, depth, relation, child_id) AS (
    SELECT $record_id, 0, NULL::VARCHAR, NULL::VARCHAR
    UNION
    SELECT edges.parent_id, chain.depth + 1, edges.relation, edges.child_id
    FROM edges JOIN chain ON edges.child_id = chain.record_id
    WHERE chain.depth < 32
)
SELECT nodes.record_id, nodes.kind, nodes.stage_rank, nodes.created_at, nodes.details,
       min(chain.depth) AS depth,
       string_agg(DISTINCT chain.relation || ' <- ' || chain.child_id, '; ') AS reached_by
FROM chain JOIN lineage_nodes AS nodes USING (record_id)
GROUP BY ALL
ORDER BY nodes.stage_rank, depth DESC, nodes.record_id;

-- name: stored_call_ids
-- Which of the wanted teacher calls are already cached.
SELECT call_id FROM teacher_calls WHERE call_id IN (SELECT record_id FROM wanted_ids);

-- name: seeds_in_snapshot
SELECT seeds.seed_id, seeds.seed_set, seeds.kind, seeds.payload, seeds.source_file,
       seeds.source_line
FROM snapshot_members JOIN seeds ON seeds.seed_id = snapshot_members.record_id
WHERE snapshot_members.snapshot_id = $snapshot_id
ORDER BY seeds.seed_set, seeds.source_line;

-- name: generations_in_snapshot
-- Generations of one snapshot with the seed they answer.
SELECT generations.generation_id, generations.recipe, generations.sample_index,
       generations.text, generations.seed_id, seeds.kind AS seed_kind, seeds.payload AS seed_payload,
       teacher_calls.model, teacher_calls.prompt_tokens, teacher_calls.completion_tokens,
       teacher_calls.cost_usd, teacher_calls.latency_s, teacher_calls.finish_reason,
       generation_fields.fields, generation_fields.parse_error
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN seeds ON seeds.seed_id = generations.seed_id
JOIN teacher_calls ON teacher_calls.call_id = generations.call_id
LEFT JOIN generation_fields ON generation_fields.generation_id = generations.generation_id
WHERE snapshot_members.snapshot_id = $snapshot_id
ORDER BY generations.recipe, generations.generation_id;

-- name: verdicts_for_generations
-- Stored verdicts of the wanted generations, any verifier and version.
SELECT verdict_id, generation_id, verifier, verifier_version, passed, score, reason, evidence,
       duration_s
FROM verdicts WHERE generation_id IN (SELECT record_id FROM wanted_ids);

-- name: contamination_verdicts_for_generations
SELECT scan_id, generation_id, contaminated, hit_count
FROM contamination_verdicts
WHERE generation_id IN (SELECT record_id FROM wanted_ids)
  AND index_fingerprint = $index_fingerprint;

-- name: contamination_hits_for_generations
SELECT contamination_hits.*
FROM contamination_hits JOIN contamination_verdicts USING (scan_id)
WHERE contamination_hits.generation_id IN (SELECT record_id FROM wanted_ids)
  AND contamination_verdicts.index_fingerprint = $index_fingerprint
ORDER BY contamination_hits.score DESC, contamination_hits.hit_id;

-- name: real_records_of_sources
SELECT real_id, source, domain, instruction, response, license
FROM real_records WHERE source IN (SELECT record_id FROM wanted_ids)
ORDER BY real_id;

-- name: mixture_records_in_snapshot
SELECT mixture_records.*
FROM snapshot_members
JOIN mixture_records ON mixture_records.mixture_record_id = snapshot_members.record_id
WHERE snapshot_members.snapshot_id = $snapshot_id;

-- name: snapshot_member_ids
SELECT record_id FROM snapshot_members WHERE snapshot_id = $snapshot_id ORDER BY record_id;

-- name: table_row_counts
SELECT 'seeds' AS table_name, count(*) AS row_count FROM seeds
UNION ALL SELECT 'prompts', count(*) FROM prompts
UNION ALL SELECT 'prompt_attributes', count(*) FROM prompt_attributes
UNION ALL SELECT 'teacher_calls', count(*) FROM teacher_calls
UNION ALL SELECT 'generations', count(*) FROM generations
UNION ALL SELECT 'generation_fields', count(*) FROM generation_fields
UNION ALL SELECT 'verdicts', count(*) FROM verdicts
UNION ALL SELECT 'contamination_verdicts', count(*) FROM contamination_verdicts
UNION ALL SELECT 'contamination_hits', count(*) FROM contamination_hits
UNION ALL SELECT 'real_records', count(*) FROM real_records
UNION ALL SELECT 'mixture_records', count(*) FROM mixture_records
UNION ALL SELECT 'snapshots', count(*) FROM snapshots
UNION ALL SELECT 'snapshot_members', count(*) FROM snapshot_members
UNION ALL SELECT 'edges', count(*) FROM edges;

-- name: call_responses
-- The cached responses of the wanted teacher calls.
SELECT call_id, response_text FROM teacher_calls WHERE call_id IN (SELECT record_id FROM wanted_ids);

-- name: cleared_generations_in_snapshot
-- Records a contamination snapshot cleared, with the scan that cleared each one.
SELECT contamination_verdicts.scan_id, generations.generation_id, generations.recipe,
       generations.text, seeds.kind AS seed_kind, seeds.payload AS seed_payload,
       generation_fields.fields
FROM snapshot_members
JOIN contamination_verdicts ON contamination_verdicts.scan_id = snapshot_members.record_id
JOIN generations ON generations.generation_id = contamination_verdicts.generation_id
JOIN seeds ON seeds.seed_id = generations.seed_id
LEFT JOIN generation_fields ON generation_fields.generation_id = generations.generation_id
WHERE snapshot_members.snapshot_id = $snapshot_id
ORDER BY generations.generation_id;

-- name: snapshot_generation_counts
-- Generations per recipe in a snapshot of generation ids.
SELECT generations.recipe, count(*) AS generations
FROM snapshot_members JOIN generations ON generations.generation_id = snapshot_members.record_id
WHERE snapshot_members.snapshot_id = $snapshot_id
GROUP BY generations.recipe ORDER BY generations.recipe;

-- name: snapshot_size
SELECT count(*) AS members FROM snapshot_members WHERE snapshot_id = $snapshot_id;

-- name: generation_records
-- The wanted generations with the record each yields (rounds read their parents this way).
SELECT generations.generation_id, generations.recipe, generations.text,
       generation_fields.fields, generation_fields.parse_error
FROM generations
LEFT JOIN generation_fields ON generation_fields.generation_id = generations.generation_id
WHERE generations.generation_id IN (SELECT record_id FROM wanted_ids)
ORDER BY generations.generation_id;
