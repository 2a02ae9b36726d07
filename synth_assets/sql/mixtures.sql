-- Named statements that build one mixture inside DuckDB: the pool of candidates, the seeded
-- pick per component and domain, the stored records and edges, and the export rows. Sampling
-- and export never load the pool into Python. Tables the caller registers:
--   component_sources(component, source_kind, name)  recipe or real source -> component
--   recipe_domains(recipe, domain), task_fields(kind, field)
--   current_real_ids(record_id)                      real records loaded by this run
--   quotas(component, stratum, unit, amount)         from synth_assets/mix/plan.py
--   recipe_verifiers(recipe, verifier, version, min_score)  current verifiers per recipe

-- name: create_mixture_pool
-- Every record the mixture may pick: records this run cleared (members of the contamination
-- snapshot), plus, when accumulating, the previous pool's records that this run did not judge
-- again, that passed the current verifier versions and that a scan against the current
-- benchmark index cleared; plus the real records loaded now.
-- rank_key orders the pick (seeded); tokens is the chars / 4 estimate token budgets count in.
CREATE OR REPLACE TEMP TABLE mixture_pool AS
WITH cleared_now AS (
    SELECT scans.generation_id, scans.scan_id, scans.index_fingerprint
    FROM snapshot_members
    JOIN contamination_verdicts AS scans ON scans.scan_id = snapshot_members.record_id
    WHERE snapshot_members.snapshot_id = $clean_snapshot_id
),
carried AS (
    SELECT record_id AS generation_id FROM snapshot_members
    WHERE $accumulate AND snapshot_id = $previous_pool_snapshot_id
    EXCEPT SELECT record_id FROM snapshot_members WHERE snapshot_id = $judged_snapshot_id
    EXCEPT SELECT generation_id FROM cleared_now
),
carried_verified AS (
    -- admitted by every verifier of its recipe at the current versions (recipe_verifiers),
    -- under the admission rule (sql/admission.sql), and, when deduplication is on, not
    -- dropped as a duplicate by verified_subsets
    SELECT carried.generation_id
    FROM carried JOIN generations USING (generation_id)
    WHERE NOT ($dedup AND EXISTS (SELECT 1 FROM edges
                                  WHERE edges.child_id = carried.generation_id
                                    AND edges.relation = 'duplicate_of'))
      AND NOT EXISTS (
        SELECT 1 FROM recipe_verifiers
        WHERE recipe_verifiers.recipe = generations.recipe
          AND NOT EXISTS (SELECT 1 FROM verdicts
                          WHERE verdicts.generation_id = carried.generation_id
                            AND verdicts.verifier = recipe_verifiers.verifier
                            AND verdicts.verifier_version = recipe_verifiers.version
                            AND verdict_admits(verdicts.passed, verdicts.score,
                                               recipe_verifiers.min_score)))
),
carried_scans AS (
    SELECT scans.generation_id, max(scans.scan_id) AS scan_id
    FROM contamination_verdicts AS scans JOIN carried_verified USING (generation_id)
    WHERE scans.index_fingerprint IN (SELECT index_fingerprint FROM cleared_now)
    GROUP BY scans.generation_id
    HAVING NOT bool_or(scans.contaminated)
),
cleared AS (
    SELECT generation_id, scan_id FROM cleared_now
    UNION ALL
    SELECT generation_id, scan_id FROM carried_scans
),
candidates AS (
    -- the training pair (user_turn and record_response in records.sql)
    SELECT sources.component, 'synthetic' AS source_kind, generations.generation_id AS source_id,
           cleared.scan_id, recipe_domains.domain,
           user_turn(generation_fields.fields, seeds.payload, task_fields.field) AS instruction,
           record_response(generation_fields.fields, generations.text) AS response
    FROM cleared
    JOIN generations USING (generation_id)
    LEFT JOIN generation_fields USING (generation_id)
    JOIN component_sources AS sources
      ON sources.source_kind = 'synthetic' AND sources.name = generations.recipe
    JOIN recipe_domains ON recipe_domains.recipe = generations.recipe
    JOIN seeds ON seeds.seed_id = generations.seed_id
    JOIN task_fields ON task_fields.kind = seeds.kind
    UNION ALL
    SELECT sources.component, 'real', real_records.real_id, NULL, real_records.domain,
           real_records.instruction, real_records.response
    FROM (SELECT DISTINCT record_id FROM current_real_ids) AS loaded   -- a row repeated in a file
    JOIN real_records ON real_records.real_id = loaded.record_id
    JOIN component_sources AS sources
      ON sources.source_kind = 'real' AND sources.name = real_records.source
)
SELECT candidates.*,
       CASE WHEN $stratify THEN domain ELSE '*' END AS stratum,
       (length(instruction) + length(response) + 3) // 4 AS tokens,
       md5($seed || ':' || source_id) AS rank_key
FROM candidates;

-- name: mixture_pool_strata
SELECT component, stratum, count(*) AS records, sum(tokens)::BIGINT AS tokens
FROM mixture_pool GROUP BY ALL ORDER BY ALL;

-- name: mixture_pool_ids
SELECT source_id AS record_id FROM mixture_pool;

-- name: create_mixture_picks
-- Per component and stratum, the pool in seeded hash order up to the quota: the first
-- `amount` records, or the longest run of records whose tokens fit the budget. The ranking
-- sorts ids and numbers only; the texts join the picked ids afterwards.
-- mixture_record_id is content_id('mix', mixture, source_id) (synth_assets/lineage/ids.py).
CREATE OR REPLACE TEMP TABLE mixture_picks AS
WITH ranked AS (
    SELECT component, stratum, source_id, tokens,
           row_number() OVER (PARTITION BY component, stratum ORDER BY rank_key, source_id)
               AS stratum_rank,
           sum(tokens) OVER (PARTITION BY component, stratum ORDER BY rank_key, source_id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative_tokens
    FROM mixture_pool
),
picked AS (
    SELECT component, source_id, stratum_rank,
           'mix_' || left(sha256('[' || $mixture_json || ',"' || source_id || '"]'), 20)
               AS mixture_record_id
    FROM ranked JOIN quotas USING (component, stratum)
    WHERE CASE quotas.unit WHEN 'records' THEN ranked.stratum_rank <= quotas.amount
                           ELSE ranked.cumulative_tokens <= quotas.amount END
)
SELECT pool.*, picked.stratum_rank, picked.mixture_record_id
FROM picked JOIN mixture_pool AS pool USING (component, source_id)
-- Stored in the export's seeded shuffled order: reading the table back keeps it (DuckDB's
-- preserve_insertion_order), so the export streams without sorting the texts again.
ORDER BY md5($seed || ':' || mixture_record_id), mixture_record_id;

-- name: mixture_pick_ids
SELECT mixture_record_id AS record_id FROM mixture_picks;

-- name: mixture_pick_counts
SELECT component, stratum, source_kind, count(*) AS records, sum(tokens)::BIGINT AS tokens
FROM mixture_picks GROUP BY ALL ORDER BY ALL;

-- name: insert_mixture_records
-- The picks not stored yet, found by an anti-join on the id instead of a primary-key index
-- (whose inserts slow down as the table grows; see docs/mixtures.md). Ids are unique within
-- mixture_picks (a source belongs to one component, and source ids are unique), and the
-- store admits one writing transaction at a time, so this keeps mixture_record_id unique.
INSERT INTO mixture_records BY NAME
SELECT mixture_record_id, $mixture AS mixture, source_kind, source_id AS source_record_id,
       domain, instruction, response
FROM mixture_picks ANTI JOIN mixture_records USING (mixture_record_id);

-- name: insert_mixture_edges
-- A synthetic record links to the scan that cleared it and the generation it samples; a real
-- record to the real record it samples. Only edges not stored yet, appended in key order:
-- the edges primary-key index takes sorted keys much faster than random ones.
INSERT INTO edges BY NAME
SELECT * FROM (
    SELECT mixture_record_id AS child_id, scan_id AS parent_id, 'cleared_by' AS relation
    FROM mixture_picks WHERE scan_id IS NOT NULL
    UNION ALL
    SELECT mixture_record_id, source_id, 'samples' FROM mixture_picks
) AS new_edges
ANTI JOIN edges USING (child_id, parent_id)
ORDER BY child_id, parent_id;

-- name: mixture_export_rows
-- The exported examples in the order mixture_picks was stored in (seeded shuffle), each also
-- as a JSON line and as an OpenAI chat fine-tuning line.
SELECT *,
       to_json(struct_pack(id, component, source_kind, source_record_id, domain, instruction,
                           response, messages)) AS json_line,
       to_json(struct_pack(messages)) AS chat_line
FROM (
    SELECT mixture_record_id AS id, component, source_kind, source_id AS source_record_id,
           domain, instruction, response,
           [struct_pack(role := 'user', content := instruction),
            struct_pack(role := 'assistant', content := response)] AS messages
    FROM mixture_picks
);

-- name: mixture_preview
SELECT mixture_record_id, component, source_kind, domain, instruction, response
FROM mixture_picks LIMIT $limit;

-- name: mixture_teacher_models
-- Which teacher models wrote the synthetic records of the mixture.
SELECT generations.recipe, teacher_calls.model, count(*) AS records
FROM mixture_picks
JOIN generations ON generations.generation_id = mixture_picks.source_id
JOIN teacher_calls ON teacher_calls.call_id = generations.call_id
GROUP BY ALL ORDER BY ALL;

-- name: mixture_real_licenses
SELECT real_records.source, real_records.license, count(*) AS records
FROM mixture_picks JOIN real_records ON real_records.real_id = mixture_picks.source_id
GROUP BY ALL ORDER BY ALL;

-- name: clean_snapshot_index_fingerprints
-- The benchmark index(es) the contamination snapshot's scans were made against.
SELECT DISTINCT scans.index_fingerprint
FROM snapshot_members
JOIN contamination_verdicts AS scans ON scans.scan_id = snapshot_members.record_id
WHERE snapshot_members.snapshot_id = $clean_snapshot_id
ORDER BY 1;

-- name: verifier_pass_rates
-- Pass rates of the current verifier versions over the generations this run judged, for the
-- recipes of the mixture. Registered: recipe_verifiers(recipe, verifier, version, min_score).
SELECT verdicts.verifier, verdicts.verifier_version, count(*) AS judged,
       count(*) FILTER (WHERE verdict_admits(verdicts.passed, verdicts.score,
                                             recipe_verifiers.min_score)) AS passed
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN recipe_verifiers ON recipe_verifiers.recipe = generations.recipe
JOIN verdicts ON verdicts.generation_id = generations.generation_id
             AND verdicts.verifier = recipe_verifiers.verifier
             AND verdicts.verifier_version = recipe_verifiers.version
WHERE snapshot_members.snapshot_id = $judged_snapshot_id
GROUP BY ALL ORDER BY ALL;

-- name: contamination_summary
-- Of the generations this run judged for the mixture's recipes, how many were scanned against
-- the current benchmark index, and per benchmark how many records and items a hit links.
WITH scans AS (
    SELECT scans.*
    FROM snapshot_members
    JOIN generations ON generations.generation_id = snapshot_members.record_id
    JOIN component_sources AS sources
      ON sources.source_kind = 'synthetic' AND sources.name = generations.recipe
    JOIN contamination_verdicts AS scans ON scans.generation_id = generations.generation_id
    WHERE snapshot_members.snapshot_id = $judged_snapshot_id
      AND scans.index_fingerprint IN (SELECT index_fingerprint FROM current_index)
)
SELECT 'all benchmarks' AS benchmark, count(DISTINCT generation_id) AS records,
       count(DISTINCT generation_id) FILTER (WHERE contaminated) AS records_hit,
       NULL::BIGINT AS items_hit
FROM scans
UNION ALL
SELECT hits.benchmark, NULL, count(DISTINCT hits.generation_id), count(DISTINCT hits.item_id)
FROM scans JOIN contamination_hits AS hits USING (scan_id)
GROUP BY hits.benchmark
ORDER BY benchmark;

-- name: latest_mixture_materialization
SELECT * FROM mixture_materializations WHERE mixture = $mixture
ORDER BY created_at DESC, materialization_id LIMIT 1;
