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
       teacher_calls.cost_usd, teacher_calls.latency_s, teacher_calls.finish_reason
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN seeds ON seeds.seed_id = generations.seed_id
JOIN teacher_calls ON teacher_calls.call_id = generations.call_id
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
UNION ALL SELECT 'teacher_calls', count(*) FROM teacher_calls
UNION ALL SELECT 'generations', count(*) FROM generations
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
       generations.text, seeds.kind AS seed_kind, seeds.payload AS seed_payload
FROM snapshot_members
JOIN contamination_verdicts ON contamination_verdicts.scan_id = snapshot_members.record_id
JOIN generations ON generations.generation_id = contamination_verdicts.generation_id
JOIN seeds ON seeds.seed_id = generations.seed_id
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

-- name: generations_to_scan
-- The generations of a snapshot with their seed's kind and payload, in storage order (no sort,
-- so a caller can stream them without the result being materialized first).
SELECT generations.generation_id, generations.recipe, generations.text, generations.seed_id,
       seeds.kind AS seed_kind, seeds.payload AS seed_payload
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN seeds ON seeds.seed_id = generations.seed_id
WHERE snapshot_members.snapshot_id = $snapshot_id;

-- name: contaminated_seeds_in_snapshot
-- Seeds of a snapshot's generations whose own text (the task segment) hit a benchmark item
-- under the given index, with one such hit each.
SELECT generations.seed_id, min(contamination_hits.hit_id) AS hit_id
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN contamination_hits ON contamination_hits.generation_id = generations.generation_id
JOIN contamination_verdicts ON contamination_verdicts.scan_id = contamination_hits.scan_id
WHERE snapshot_members.snapshot_id = $snapshot_id
  AND contamination_verdicts.index_fingerprint = $index_fingerprint
  AND contamination_hits.segment = 'task'
GROUP BY generations.seed_id;

-- name: snapshot_generations_derived_from
-- Generations of a snapshot made, through any chain of edges, from the wanted records, with
-- the wanted record each one derives from.
WITH RECURSIVE down(origin_id, record_id, depth) AS (
    SELECT record_id, record_id, 0 FROM wanted_ids
    UNION
    SELECT down.origin_id, edges.child_id, down.depth + 1
    FROM edges JOIN down ON edges.parent_id = down.record_id
    WHERE down.depth < 32
)
SELECT DISTINCT down.origin_id, down.record_id AS generation_id
FROM down
JOIN snapshot_members ON snapshot_members.record_id = down.record_id
JOIN generations ON generations.generation_id = down.record_id
WHERE snapshot_members.snapshot_id = $snapshot_id AND down.depth > 0;

-- name: contamination_by_benchmark
-- Per benchmark, over a snapshot's generations scanned with the given index: items and records
-- hit (own hits or quarantine through a contaminated seed) and the detectors that fired.
WITH scanned AS (
    SELECT contamination_verdicts.scan_id, contamination_verdicts.generation_id
    FROM snapshot_members
    JOIN contamination_verdicts
      ON contamination_verdicts.generation_id = snapshot_members.record_id
    WHERE snapshot_members.snapshot_id = $snapshot_id
      AND contamination_verdicts.index_fingerprint = $index_fingerprint
),
own AS (
    SELECT hits.benchmark, hits.item_id, hits.generation_id, hits.detector
    FROM contamination_hits AS hits JOIN scanned USING (scan_id)
),
quarantined AS (
    SELECT hits.benchmark, hits.item_id, quarantines.generation_id, 'seed_quarantine' AS detector
    FROM contamination_quarantines AS quarantines
    JOIN contamination_hits AS hits ON hits.hit_id = quarantines.hit_id
    WHERE quarantines.index_fingerprint = $index_fingerprint
      AND quarantines.generation_id IN (SELECT generation_id FROM scanned)
)
SELECT benchmark, count(DISTINCT item_id) AS items_hit,
       count(DISTINCT generation_id) AS records_hit,
       string_agg(DISTINCT detector, ', ' ORDER BY detector) AS detectors_fired
FROM (SELECT * FROM own UNION ALL SELECT * FROM quarantined)
GROUP BY benchmark ORDER BY benchmark;

-- name: worst_contamination_hits
-- The record/item pairs most detectors agree on, strongest first, with both texts' excerpts.
SELECT hits.generation_id, hits.benchmark, hits.item_id,
       count(DISTINCT hits.detector) AS detectors,
       string_agg(DISTINCT hits.detector, ', ' ORDER BY hits.detector) AS detectors_fired,
       max(hits.score) AS max_score,
       arg_max(hits.evidence, hits.score) AS evidence,
       arg_max(hits.segment, hits.score) AS segment,
       arg_max(hits.record_excerpt, hits.score) AS record_excerpt,
       any_value(hits.item_excerpt) AS item_excerpt
FROM snapshot_members
JOIN contamination_verdicts
  ON contamination_verdicts.generation_id = snapshot_members.record_id
JOIN contamination_hits AS hits ON hits.scan_id = contamination_verdicts.scan_id
WHERE snapshot_members.snapshot_id = $snapshot_id
  AND contamination_verdicts.index_fingerprint = $index_fingerprint
GROUP BY hits.generation_id, hits.benchmark, hits.item_id
ORDER BY detectors DESC, max_score DESC, hits.generation_id, hits.item_id
LIMIT $limit;

-- name: snapshot_label
SELECT label FROM snapshots WHERE snapshot_id = $snapshot_id;
