-- Named queries, PostgreSQL dialect of the ones in sql/queries.sql that DuckDB writes its own
-- way (read their comments there); every other query is shared. Lists arrive as arrays
-- (`= ANY($list)` for DuckDB's list_contains).

-- name: lineage_chain
WITH RECURSIVE chain(record_id, depth, relation, child_id) AS (
    SELECT $record_id::TEXT COLLATE "C", 0, NULL::TEXT COLLATE "C", NULL::TEXT COLLATE "C"
    UNION
    SELECT edges.parent_id, chain.depth + 1, edges.relation, edges.child_id
    FROM lineage_edges AS edges JOIN chain ON edges.child_id = chain.record_id
    WHERE chain.depth < 32
)
SELECT nodes.record_id, nodes.kind, nodes.stage_rank, nodes.created_at, nodes.details::TEXT,
       min(chain.depth) AS depth,
       string_agg(DISTINCT chain.relation || ' <- ' || chain.child_id, '; ') AS reached_by
FROM chain JOIN lineage_nodes AS nodes USING (record_id)
GROUP BY nodes.record_id, nodes.kind, nodes.stage_rank, nodes.created_at, nodes.details::TEXT
ORDER BY nodes.stage_rank, depth DESC, nodes.record_id;

-- name: descendants
WITH RECURSIVE down(record_id) AS (
    SELECT $record_id::TEXT COLLATE "C"
    UNION
    SELECT edges.child_id FROM lineage_edges AS edges JOIN down ON edges.parent_id = down.record_id
)
SELECT nodes.record_id, nodes.kind
FROM down JOIN lineage_nodes AS nodes USING (record_id)
ORDER BY nodes.stage_rank, nodes.record_id;

-- name: mixture_snapshot_summary
WITH records AS (
    SELECT mixture_records.*,
           coalesce(generations.recipe, real_records.source) AS source_name,
           (length(mixture_records.instruction) + length(mixture_records.response) + 3) / 4
               AS tokens,
           EXISTS (SELECT 1 FROM contamination_verdicts AS scans
                   WHERE scans.generation_id = mixture_records.source_record_id
                     AND scans.contaminated
                     AND scans.index_fingerprint = ANY($index_fingerprints))
               AS contaminated
    FROM snapshot_members
    JOIN mixture_records ON mixture_records.mixture_record_id = snapshot_members.record_id
    LEFT JOIN generations ON mixture_records.source_kind = 'synthetic'
                         AND generations.generation_id = mixture_records.source_record_id
    LEFT JOIN real_records ON mixture_records.source_kind = 'real'
                          AND real_records.real_id = mixture_records.source_record_id
    WHERE snapshot_members.snapshot_id = $snapshot_id
)
SELECT source_kind, source_name, count(*) AS records, sum(tokens)::BIGINT AS tokens,
       max(tokens) AS max_record_tokens,
       count(*) FILTER (WHERE trim(instruction) = '' OR trim(response) = '') AS empty_texts,
       count(*) - count(DISTINCT mixture_record_id) AS duplicate_ids,
       count(*) - count(DISTINCT source_record_id) AS duplicate_sources,
       count(*) FILTER (WHERE contaminated) AS contaminated_records
FROM records GROUP BY source_kind, source_name ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

-- name: pool_rank
SELECT count(*) + 1 AS rank
FROM snapshot_members AS pool
LEFT JOIN generations ON generations.generation_id = pool.record_id
LEFT JOIN real_records ON real_records.real_id = pool.record_id
WHERE pool.snapshot_id = $pool_snapshot_id
  AND (generations.recipe = ANY($recipes)
       OR (real_records.source = ANY($real_sources)
           AND ($domain = '*' OR real_records.domain = $domain)))
  AND md5($seed || ':' || pool.record_id) COLLATE "C" < md5($seed || ':' || $source_id);

-- name: snapshots_holding_any
SELECT DISTINCT snapshot_id FROM snapshot_members
WHERE snapshot_id = ANY($snapshot_ids)
  AND record_id IN (SELECT record_id FROM wanted_ids);

-- name: generations_to_scan
WITH stored AS (
    SELECT generation_id, array_agg(scan_id) AS stored_scans,
           array_agg(scan_id) FILTER (WHERE NOT contaminated) AS stored_clean_scans
    FROM contamination_verdicts
    WHERE index_fingerprint = $index_fingerprint
    GROUP BY generation_id
)
SELECT generations.generation_id, generations.recipe, generations.text, generations.seed_id,
       seeds.kind AS seed_kind, seeds.payload AS seed_payload,
       stored.stored_scans, stored.stored_clean_scans
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN seeds ON seeds.seed_id = generations.seed_id
LEFT JOIN stored ON stored.generation_id = generations.generation_id
WHERE snapshot_members.snapshot_id = $snapshot_id;

-- name: contamination_by_benchmark
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
    SELECT hits.benchmark, hits.item_id, quarantines.generation_id,
           'seed_quarantine' COLLATE "C" AS detector
    FROM contamination_quarantines AS quarantines
    JOIN contamination_hits AS hits ON hits.hit_id = quarantines.hit_id
    WHERE quarantines.index_fingerprint = $index_fingerprint
      AND quarantines.generation_id IN (SELECT generation_id FROM scanned)
)
SELECT benchmark, count(DISTINCT item_id) AS items_hit,
       count(DISTINCT generation_id) AS records_hit,
       string_agg(DISTINCT detector, ', ' ORDER BY detector) AS detectors_fired
FROM (SELECT * FROM own UNION ALL SELECT * FROM quarantined) AS hits
GROUP BY benchmark ORDER BY benchmark;

-- name: worst_contamination_hits
-- arg_max(x, score): the x of the highest score, ties to the first in (score, x) order as
-- DuckDB's arg_max keeps the first row it saw; any_value: min.
SELECT hits.generation_id, hits.benchmark, hits.item_id,
       count(DISTINCT hits.detector) AS detectors,
       string_agg(DISTINCT hits.detector, ', ' ORDER BY hits.detector) AS detectors_fired,
       max(hits.score) AS max_score,
       (array_agg(hits.evidence ORDER BY hits.score DESC, hits.hit_id))[1] AS evidence,
       (array_agg(hits.segment ORDER BY hits.score DESC, hits.hit_id))[1] AS segment,
       (array_agg(hits.record_excerpt ORDER BY hits.score DESC, hits.hit_id))[1]
           AS record_excerpt,
       min(hits.item_excerpt) AS item_excerpt
FROM snapshot_members
JOIN contamination_verdicts
  ON contamination_verdicts.generation_id = snapshot_members.record_id
JOIN contamination_hits AS hits ON hits.scan_id = contamination_verdicts.scan_id
WHERE snapshot_members.snapshot_id = $snapshot_id
  AND contamination_verdicts.index_fingerprint = $index_fingerprint
GROUP BY hits.generation_id, hits.benchmark, hits.item_id
ORDER BY detectors DESC, max_score DESC, hits.generation_id, hits.item_id
LIMIT $limit;

-- name: diversity_of_snapshot
SELECT recipe, records, distinct_1, distinct_2, distinct_2_spread, sampled_words,
       compression_ratio, mean_pairwise_similarity, exact_duplicate_share, near_duplicate_share
FROM diversity_measures
WHERE snapshot_id = $snapshot_id ORDER BY recipe;

-- name: verified_before_snapshot
-- ids_hash: an XOR of 64 bits of each id's MD5 (DuckDB: of its hash()); only ever compared
-- with hashes of the same store.
WITH snapshot_generations AS (
    SELECT generations.generation_id, generations.created_at
    FROM snapshot_members
    JOIN generations ON generations.generation_id = snapshot_members.record_id
    WHERE snapshot_members.snapshot_id = $snapshot_id
), earlier AS (
    SELECT DISTINCT generations.generation_id
    FROM snapshots
    JOIN snapshot_members USING (snapshot_id)
    JOIN generations ON generations.generation_id = snapshot_members.record_id
    WHERE snapshots.stage = $verified_stage
      AND generations.created_at <= (SELECT max(created_at) FROM snapshot_generations)
      AND generations.generation_id NOT IN (SELECT generation_id FROM snapshot_generations)
)
SELECT count(*) AS records,
       coalesce(bit_xor(('x' || left(md5(generation_id), 16))::BIT(64)::BIGINT), 0)::TEXT
           AS ids_hash
FROM earlier;

-- name: snapshot_generation_aggregates
SELECT generations.recipe, count(*) AS generations,
       (sum(count(*)) OVER ())::BIGINT AS snapshot_generations,
       count(*) - count(generations.generation_id) AS missing_ids,
       count(generations.generation_id) - count(DISTINCT generations.generation_id)
           AS repeated_ids,
       min(length(trim(generations.text))) AS min_text_chars,
       min(teacher_calls.prompt_tokens) AS min_prompt_tokens,
       min(teacher_calls.completion_tokens) AS min_completion_tokens,
       min(teacher_calls.cost_usd) AS min_cost_usd, min(teacher_calls.latency_s) AS min_latency_s
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN teacher_calls ON teacher_calls.call_id = generations.call_id
WHERE snapshot_members.snapshot_id = $snapshot_id
GROUP BY generations.recipe ORDER BY generations.recipe;

-- name: source_status
-- Registered: wanted_ids(record_id), verifier_versions(verifier, version, min_score), as text.
SELECT wanted.record_id AS source_id,
       coalesce(generations.recipe, real_records.source) AS source_name,
       CASE WHEN generations.generation_id IS NOT NULL THEN 'synthetic'
            WHEN real_records.real_id IS NOT NULL THEN 'real' END AS source_kind,
       coalesce(generations.created_at, real_records.created_at) AS created_at,
       generations.seed_id, real_records.domain AS real_domain,
       wanted.record_id IN (SELECT record_id FROM snapshot_members
                            WHERE snapshot_id = $judged_snapshot_id) AS judged,
       wanted.record_id IN (SELECT record_id FROM snapshot_members
                            WHERE snapshot_id = $pool_snapshot_id) AS in_pool,
       (SELECT min(mixture_records.mixture_record_id)
        FROM mixture_records JOIN snapshot_members
          ON snapshot_members.record_id = mixture_records.mixture_record_id
         AND snapshot_members.snapshot_id = $mixture_snapshot_id
        WHERE mixture_records.source_record_id = wanted.record_id) AS mixture_record_id,
       (SELECT string_agg(DISTINCT hits.benchmark || ' item ' || hits.item_id || ' ('
                          || hits.evidence || ')', '; ')
        FROM contamination_hits AS hits JOIN contamination_verdicts AS scans USING (scan_id)
        WHERE hits.generation_id = wanted.record_id
          AND scans.index_fingerprint = ANY($index_fingerprints)) AS contamination_hits,
       (SELECT string_agg(verdicts.verifier || ' ' || verdicts.verifier_version || ': '
                          || verdicts.reason || ' (score '
                          || round(verdicts.score::NUMERIC, 3)::DOUBLE PRECISION
                          || coalesce(', min_score ' || verifier_versions.min_score, '') || ')',
                          '; ' ORDER BY verdicts.verifier)
        FROM verdicts JOIN verifier_versions
          ON verifier_versions.verifier = verdicts.verifier
         AND verifier_versions.version = verdicts.verifier_version
        WHERE verdicts.generation_id = wanted.record_id
          AND NOT verdict_admits(verdicts.passed, verdicts.score, verifier_versions.min_score))
           AS failed_verdicts,
       (SELECT array_agg(DISTINCT verdicts.verifier)
        FROM verdicts JOIN verifier_versions
          ON verifier_versions.verifier = verdicts.verifier
         AND verifier_versions.version = verdicts.verifier_version
        WHERE verdicts.generation_id = wanted.record_id
          AND NOT verdict_admits(verdicts.passed, verdicts.score, verifier_versions.min_score))
           AS failed_verifiers,
       (SELECT min(edges.parent_id) FROM edges
        WHERE edges.child_id = wanted.record_id AND edges.relation = 'duplicate_of')
           AS duplicate_of
FROM wanted_ids AS wanted
LEFT JOIN generations ON generations.generation_id = wanted.record_id
LEFT JOIN real_records ON real_records.real_id = wanted.record_id
ORDER BY wanted.record_id;
