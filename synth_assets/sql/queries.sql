-- Named queries over the lineage store. Each block starts with `-- name: NAME`; parameters
-- are DuckDB named parameters ($name); `wanted_ids` is a table of ids the caller registers.

-- name: lineage_chain
-- The record and every record it was made from, following edges to the seeds.
WITH RECURSIVE chain(record_id, depth, relation, child_id) AS (
    SELECT $record_id, 0, NULL::VARCHAR, NULL::VARCHAR
    UNION
    SELECT edges.parent_id, chain.depth + 1, edges.relation, edges.child_id
    FROM lineage_edges AS edges JOIN chain ON edges.child_id = chain.record_id
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
       duration_s, created_at
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

-- name: snapshot_generation_counts
-- Generations per recipe in a snapshot of generation ids.
SELECT generations.recipe, count(*) AS generations
FROM snapshot_members JOIN generations ON generations.generation_id = snapshot_members.record_id
WHERE snapshot_members.snapshot_id = $snapshot_id
GROUP BY generations.recipe ORDER BY generations.recipe;

-- name: partition_head_members
-- Every record the current snapshot of some partition of a stage holds: what the stages after
-- a partitioned one read (all days and recipes together).
SELECT DISTINCT snapshot_members.record_id
FROM partition_heads JOIN snapshot_members USING (snapshot_id)
WHERE partition_heads.stage = $partitioned_stage;

-- name: partition_heads_of_stage
-- Each partition of a stage with the snapshot it holds now and its size.
SELECT partition_heads.partition_key, partition_heads.snapshot_id, snapshots.member_count,
       partition_heads.updated_at
FROM partition_heads JOIN snapshots USING (snapshot_id)
WHERE partition_heads.stage = $stage
ORDER BY partition_heads.partition_key;

-- name: snapshot_size
SELECT count(*) AS members FROM snapshot_members WHERE snapshot_id = $snapshot_id;

-- name: mixture_materialization_of_snapshot
-- The latest materialization that produced a mixture snapshot.
SELECT * FROM mixture_materializations WHERE mixture_snapshot_id = $snapshot_id
ORDER BY created_at DESC LIMIT 1;

-- name: mixture_snapshot_summary
-- Per source (recipe or real source) of a mixture snapshot: records, tokens (chars / 4), the
-- largest record, and what must never be there: empty texts, ids or sources taken twice,
-- records contaminated against the given benchmark indexes.
WITH records AS (
    SELECT mixture_records.*,
           coalesce(generations.recipe, real_records.source) AS source_name,
           (length(mixture_records.instruction) + length(mixture_records.response) + 3) // 4
               AS tokens,
           EXISTS (SELECT 1 FROM contamination_verdicts AS scans
                   WHERE scans.generation_id = mixture_records.source_record_id
                     AND scans.contaminated
                     AND list_contains($index_fingerprints, scans.index_fingerprint))
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
FROM records GROUP BY ALL ORDER BY ALL;

-- name: mixture_materializations_of
-- Every materialization of a mixture, oldest first.
SELECT * FROM mixture_materializations WHERE mixture = $mixture
ORDER BY created_at, materialization_id;

-- name: mixture_materialization
-- One materialization, by its id or by its mixture snapshot id.
SELECT * FROM mixture_materializations
WHERE materialization_id = $id OR mixture_snapshot_id = $id
ORDER BY created_at DESC LIMIT 1;

-- name: mixture_snapshot_changes
-- Mixture records one snapshot holds and the other does not, with the record each samples
-- (NULL when the mixture record was deleted by `synth forget`).
SELECT changed.change, changed.record_id AS mixture_record_id,
       mixture_records.source_record_id
FROM (
    SELECT 'removed' AS change, record_id FROM snapshot_members WHERE snapshot_id = $from_snapshot
    EXCEPT SELECT 'removed', record_id FROM snapshot_members WHERE snapshot_id = $to_snapshot
    UNION ALL
    (SELECT 'added', record_id FROM snapshot_members WHERE snapshot_id = $to_snapshot
     EXCEPT SELECT 'added', record_id FROM snapshot_members WHERE snapshot_id = $from_snapshot)
) AS changed
LEFT JOIN mixture_records ON mixture_records.mixture_record_id = changed.record_id
ORDER BY changed.change, changed.record_id;

-- name: source_status
-- Where each wanted source record (generation or real record) stands in one mixture
-- materialization: judged by its run, in its pool, in the mixture, contamination hits against
-- its benchmark index, verdicts that did not admit it at its verifier versions and
-- thresholds (the admission rule, sql/admission.sql), and the earlier record it duplicates.
-- Registered: wanted_ids(record_id), verifier_versions(verifier, version, min_score).
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
          AND list_contains($index_fingerprints, scans.index_fingerprint)) AS contamination_hits,
       (SELECT string_agg(verdicts.verifier || ' ' || verdicts.verifier_version || ': '
                          || verdicts.reason || ' (score ' || round(verdicts.score, 3)
                          || coalesce(', min_score ' || verifier_versions.min_score, '') || ')',
                          '; ' ORDER BY verdicts.verifier)
        FROM verdicts JOIN verifier_versions
          ON verifier_versions.verifier = verdicts.verifier
         AND verifier_versions.version = verdicts.verifier_version
        WHERE verdicts.generation_id = wanted.record_id
          AND NOT verdict_admits(verdicts.passed, verdicts.score, verifier_versions.min_score))
           AS failed_verdicts,
       (SELECT list(DISTINCT verdicts.verifier)
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

-- name: pool_rank
-- A record's place in the seeded pick order among the pool records of its component (and
-- domain, when stratified): the pick takes ranks 1..quota.
SELECT count(*) + 1 AS rank
FROM snapshot_members AS pool
LEFT JOIN generations ON generations.generation_id = pool.record_id
LEFT JOIN real_records ON real_records.real_id = pool.record_id
WHERE pool.snapshot_id = $pool_snapshot_id
  AND (list_contains($recipes, generations.recipe)
       OR (list_contains($real_sources, real_records.source)
           AND ($domain = '*' OR real_records.domain = $domain)))
  AND md5($seed || ':' || pool.record_id) < md5($seed || ':' || $source_id);

-- name: generations_of_seed
SELECT generation_id FROM generations WHERE seed_id = $seed_id ORDER BY generation_id;

-- name: mixture_record
SELECT * FROM mixture_records WHERE mixture_record_id = $record_id;

-- name: descendants
-- A record and every record made from it, following edges from parent to child.
WITH RECURSIVE down(record_id) AS (
    SELECT $record_id
    UNION
    SELECT edges.child_id FROM lineage_edges AS edges JOIN down ON edges.parent_id = down.record_id
)
SELECT nodes.record_id, nodes.kind
FROM down JOIN lineage_nodes AS nodes USING (record_id)
ORDER BY nodes.stage_rank, nodes.record_id;

-- name: orphaned_teacher_calls
-- Teacher calls (they hold the prompt text) answered only by the wanted generations.
SELECT DISTINCT generations.call_id AS record_id
FROM generations
WHERE generations.generation_id IN (SELECT record_id FROM wanted_ids)
  AND NOT EXISTS (SELECT 1 FROM generations AS others
                  WHERE others.call_id = generations.call_id
                    AND others.generation_id NOT IN (SELECT record_id FROM wanted_ids));

-- name: forgotten_among
SELECT record_id FROM forgotten_records WHERE record_id IN (SELECT record_id FROM wanted_ids);

-- name: all_mixture_materializations
SELECT * FROM mixture_materializations ORDER BY mixture, created_at;

-- name: snapshots_holding_any
-- Which of the given snapshots hold any of the wanted ids.
SELECT DISTINCT snapshot_id FROM snapshot_members
WHERE list_contains($snapshot_ids, snapshot_id)
  AND record_id IN (SELECT record_id FROM wanted_ids);

-- name: forgotten_ids
SELECT record_id FROM forgotten_records ORDER BY record_id;

-- name: wanted_ids_as_records
SELECT record_id FROM wanted_ids;

-- name: generation_records
-- The wanted generations with the record each yields (rounds read their parents this way).
SELECT generations.generation_id, generations.recipe, generations.text,
       seeds.payload AS seed_payload, generation_fields.fields, generation_fields.parse_error
FROM generations
JOIN seeds ON seeds.seed_id = generations.seed_id
LEFT JOIN generation_fields ON generation_fields.generation_id = generations.generation_id
WHERE generations.generation_id IN (SELECT record_id FROM wanted_ids)
ORDER BY generations.generation_id;

-- name: teacher_failures_of_run
-- The teacher calls of one run that ended without a usable answer.
SELECT failure_id, call_id, model, sample_index, error_kind, error, attempts, last_answer,
       finish_reason, prompt_tokens, completion_tokens, cost_usd
FROM teacher_failures WHERE run_id = $run_id
ORDER BY error_kind, call_id;

-- name: generations_to_verify
-- Generations of one snapshot with what verifiers and dedup read: the seed, the prompt
-- messages the teacher answered and the attributes they were rendered with, and when the
-- generation was stored.
SELECT generations.generation_id, generations.recipe, generations.seed_id,
       generations.sample_index, generations.text, generations.created_at,
       seeds.payload AS seed_payload, prompts.messages AS prompt_messages,
       prompt_attributes.attributes AS prompt_attributes,
       generation_fields.fields, generation_fields.parse_error
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN seeds ON seeds.seed_id = generations.seed_id
JOIN prompts ON prompts.prompt_id = generations.prompt_id
LEFT JOIN prompt_attributes ON prompt_attributes.prompt_id = generations.prompt_id
LEFT JOIN generation_fields ON generation_fields.generation_id = generations.generation_id
WHERE snapshot_members.snapshot_id = $snapshot_id
ORDER BY generations.recipe, generations.seed_id, generations.sample_index,
         generations.generation_id;

-- name: previously_verified_generations
-- Every generation some earlier verified_subsets materialization admitted: the records new
-- ones are deduplicated against.
SELECT DISTINCT generations.generation_id, generations.sample_index, generations.text,
       generations.created_at, prompts.messages AS prompt_messages
FROM snapshots
JOIN snapshot_members USING (snapshot_id)
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN prompts ON prompts.prompt_id = generations.prompt_id
WHERE snapshots.stage = $verified_stage;

-- name: duplicates_among
-- Which of the wanted generations verified_subsets dropped as duplicates, and of which
-- earlier record.
SELECT child_id AS generation_id, min(parent_id) AS kept_id FROM edges
WHERE relation = 'duplicate_of' AND child_id IN (SELECT record_id FROM wanted_ids)
GROUP BY child_id;

-- name: judge_responses
-- The cached answers (and latency) of the wanted LLM-judge calls.
SELECT call_id, response_text, latency_s
FROM teacher_calls WHERE call_id IN (SELECT record_id FROM wanted_ids);

-- name: generations_to_scan
-- The generations of a snapshot with their seed's kind and payload and the scans already stored
-- of each against the given index (stored_scans, and stored_clean_scans of those the clean
-- ones; NULL when none), in storage order: no sort, so a caller can stream them without the
-- result being materialized first.
WITH stored AS (
    SELECT generation_id, list(scan_id) AS stored_scans,
           list(scan_id) FILTER (WHERE NOT contaminated) AS stored_clean_scans
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

-- name: spilled_clean_generations
-- The wanted generations listed in a clean-scan file: the Parquet file of (generation_id, scan_id)
-- the contamination stage writes while streaming, instead of keeping them in memory.
SELECT generation_id FROM read_parquet($clean_file)
WHERE generation_id IN (SELECT record_id FROM wanted_ids);

-- name: spilled_clean_scans
-- The scans of a clean-scan file, except the generations in `quarantined_now(generation_id)`: the
-- members of the contamination stage's clean snapshot.
SELECT scan_id AS record_id FROM read_parquet($clean_file)
WHERE generation_id NOT IN (SELECT generation_id FROM quarantined_now);

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

-- name: recipe_texts_in_snapshot
-- The recipe and text of each generation of a snapshot (what diversity is measured on).
SELECT generations.recipe, generations.text
FROM snapshot_members JOIN generations ON generations.generation_id = snapshot_members.record_id
WHERE snapshot_members.snapshot_id = $snapshot_id
ORDER BY generations.generation_id;

-- name: diversity_of_snapshot
SELECT * EXCLUDE (snapshot_id, created_at) FROM diversity_measures
WHERE snapshot_id = $snapshot_id ORDER BY recipe;

-- name: partitions_distinct_2
-- distinct-2 of one recipe in the snapshot each partition of the stage holds now (the caller
-- reads the day out of the key: stages/partitions.py is the one place that knows its format).
SELECT partition_heads.partition_key, diversity_measures.distinct_2
FROM partition_heads
JOIN diversity_measures ON diversity_measures.snapshot_id = partition_heads.snapshot_id
WHERE partition_heads.stage = $stage AND diversity_measures.recipe = $recipe;

-- name: snapshot_stage_and_label
SELECT stage, label FROM snapshots WHERE snapshot_id = $snapshot_id;

-- name: stored_generation_ids
-- Which of the wanted generations are already stored (with their prompt, fields and edges).
SELECT generation_id FROM generations WHERE generation_id IN (SELECT record_id FROM wanted_ids);

-- name: snapshot_generation_totals
-- Per recipe of a snapshot of generations: how many, their tokens, cost and mean latency.
SELECT generations.recipe, count(*) AS generations,
       sum(teacher_calls.prompt_tokens) AS prompt_tokens,
       sum(teacher_calls.completion_tokens) AS completion_tokens,
       sum(teacher_calls.cost_usd) AS cost_usd, avg(teacher_calls.latency_s) AS mean_latency_s
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN teacher_calls ON teacher_calls.call_id = generations.call_id
WHERE snapshot_members.snapshot_id = $snapshot_id
GROUP BY generations.recipe ORDER BY generations.recipe;

-- name: snapshot_generation_preview
-- The first few generations of a snapshot, in the order generations_in_snapshot lists them.
SELECT generations.generation_id, generations.recipe, teacher_calls.cost_usd, generations.text
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN teacher_calls ON teacher_calls.call_id = generations.call_id
WHERE snapshot_members.snapshot_id = $snapshot_id
ORDER BY generations.recipe, generations.generation_id
LIMIT $rows;

-- name: snapshot_generation_aggregates
-- What the teacher_generations GE suite checks, per recipe over every generation of a
-- snapshot: counts, missing and repeated ids, the shortest text and the smallest numbers.
SELECT generations.recipe, count(*) AS generations,
       sum(count(*)) OVER () AS snapshot_generations,
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

-- name: verified_before_snapshot
-- Fingerprint of the records verified_subsets admitted earlier that a snapshot's generations
-- are deduplicated against: those outside the snapshot created no later than its newest one.
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
SELECT count(*) AS records, coalesce(bit_xor(hash(generation_id)), 0)::VARCHAR AS ids_hash
FROM earlier;

-- name: verify_run
SELECT snapshot_id, summary FROM verify_runs WHERE input_key = $input_key;

-- name: teacher_run
SELECT snapshot_id, planned FROM teacher_runs WHERE input_key = $input_key;

-- name: snapshot_missing_generations
-- Members of a snapshot of generations that are no longer stored (`synth forget`).
SELECT count(*) AS missing
FROM snapshot_members
WHERE snapshot_id = $snapshot_id
  AND record_id NOT IN (SELECT generation_id FROM generations);

-- name: table_columns
-- A table's columns as the store declares them: the column schema the catalog shows.
SELECT column_name, data_type FROM information_schema.columns
WHERE table_name = $table_name ORDER BY ordinal_position;

-- name: batch_states
-- Every batch (of one partition, or all when $partition_key is NULL) with what its events say:
-- input file, provider batch, latest state and counts, when it was submitted and ingested.
WITH summary AS (
    SELECT batch_key,
           any_value(file_id) FILTER (WHERE event = 'uploaded') AS file_id,
           any_value(batch_id) FILTER (WHERE event = 'created') AS batch_id,
           min(created_at) FILTER (WHERE event = 'created') AS submitted_at,
           arg_max(status, created_at) FILTER (WHERE event = 'status') AS status,
           arg_max(completed, created_at) FILTER (WHERE event = 'status') AS completed,
           arg_max(failed, created_at) FILTER (WHERE event = 'status') AS failed,
           arg_max(output_file_id, created_at) FILTER (WHERE event = 'status') AS output_file_id,
           arg_max(error_file_id, created_at) FILTER (WHERE event = 'status') AS error_file_id,
           max(created_at) FILTER (WHERE event = 'status') AS polled_at,
           max(created_at) FILTER (WHERE event = 'ingested') AS ingested_at
    FROM teacher_batch_events
    GROUP BY batch_key
)
SELECT teacher_batches.batch_key, partition_key, teacher, model, api_base, request_count,
       teacher_batches.created_at, file_id, batch_id, submitted_at,
       coalesce(status, CASE WHEN batch_id IS NULL THEN 'preparing' ELSE 'submitted' END) AS status,
       coalesce(completed, 0) AS completed, coalesce(failed, 0) AS failed,
       output_file_id, error_file_id, polled_at, ingested_at
FROM teacher_batches LEFT JOIN summary USING (batch_key)
WHERE $partition_key IS NULL OR partition_key = $partition_key
ORDER BY teacher_batches.created_at, teacher_batches.batch_key;

-- name: batch_requests
-- The requests one batch holds, with the columns teacher_calls and teacher_failures need.
SELECT call_id, model, params, messages, sample_index
FROM teacher_batch_requests WHERE batch_key = $batch_key ORDER BY call_id;

-- name: pending_batch_call_ids
-- Requests of a partition held by a batch whose answers are not stored yet: not to be sent again.
SELECT DISTINCT requests.call_id
FROM teacher_batch_requests AS requests
JOIN teacher_batches USING (batch_key)
WHERE teacher_batches.partition_key = $partition_key
  AND NOT EXISTS (SELECT 1 FROM teacher_batch_events AS events
                  WHERE events.batch_key = requests.batch_key AND events.event = 'ingested');

-- name: ended_batch_count
-- Batches of a partition whose answers are stored: part of a new batch's key, so that the same
-- requests sent again after an expired batch make a new batch.
SELECT count(DISTINCT batch_key) AS ended
FROM teacher_batch_events JOIN teacher_batches USING (batch_key)
WHERE partition_key = $partition_key AND event = 'ingested';

-- name: generation_plan
SELECT generations, derived_seeds FROM generation_plans WHERE plan_id = $plan_id;

-- name: plan_window_generations
-- One window of a stored generation plan, in order: each generation's ids, and its prompt's
-- body unless the generation is stored already (a rerun decodes nothing; a generation stored
-- when the plan was made has no prompt written).
SELECT planned.generation_id, planned.call_id, planned.teacher, planned.prompt_id,
       planned.sample_index, planned.sampling_seed,
       CASE WHEN generations.generation_id IS NULL THEN prompts.body END AS prompt
FROM planned_generations AS planned
LEFT JOIN generations ON generations.generation_id = planned.generation_id
LEFT JOIN planned_prompts AS prompts
       ON prompts.plan_id = planned.plan_id AND prompts.prompt_id = planned.prompt_id
WHERE planned.plan_id = $plan_id AND planned.position >= $first
  AND planned.position < $first + $size
ORDER BY planned.position;

-- name: plan_window_calls
-- One window of a stored generation plan, in order: each teacher call's id, and its prompt's
-- body unless the call is cached (a generation stored when the plan was made, whose call is
-- cached, has no prompt written).
SELECT planned.generation_id, planned.call_id, planned.teacher, planned.prompt_id,
       planned.sample_index, planned.sampling_seed,
       CASE WHEN teacher_calls.call_id IS NULL THEN prompts.body END AS prompt
FROM planned_generations AS planned
LEFT JOIN teacher_calls ON teacher_calls.call_id = planned.call_id
LEFT JOIN planned_prompts AS prompts
       ON prompts.plan_id = planned.plan_id AND prompts.prompt_id = planned.prompt_id
WHERE planned.plan_id = $plan_id AND planned.position >= $first
  AND planned.position < $first + $size
ORDER BY planned.position;

-- name: ge_result
SELECT rows FROM ge_results WHERE result_key = $result_key;
