-- Named statements of the preference_sets stage (synth_assets/mix/preferences.py). Pairing runs
-- inside DuckDB: the samples, the pairs of every source and the seeded picks are temp tables, and
-- only texts to scan, the few that hit a benchmark and export batches cross into Python.
-- Tables the caller registers:
--   preference_recipes(recipe, revises_draft, rl_verifiers)  the set's recipes: whether one revises
--                                         its seed's draft, the verifiers JSON its RL prompts carry
--                                         (NULL: no RL prompts, its parser is not `text`)
--   recipe_verifiers(recipe, verifier, version, min_score)  current verifiers of those recipes
--   task_fields(kind, field)              the seed field that is the task, per seed kind
--   pair_sources(source, pair_count)      the set's sources; pair_count NULL: every pair
--   contaminated_texts(text)              (before preference_picks) rejected answers that hit
--   contaminated_prompts(text)            (before drop_contaminated_rl_prompts) uncleared tasks
--                                         that hit

-- name: create_preference_macros
-- Python's str.strip(): every character str.isspace() knows, not only the spaces trim() takes.
CREATE OR REPLACE TEMP MACRO stripped(text) AS regexp_replace(
    text, '^[\s\x{0b}\x{1c}-\x{1f}\x{85}\pZ]+|[\s\x{0b}\x{1c}-\x{1f}\x{85}\pZ]+$', '', 'g');

-- name: create_preference_training_pairs
-- The training pair of each generation of the set's recipes: the record's fields, else the
-- seed's task and the raw answer (the user turn the mixtures export too). A view: the samples
-- read only a key of each answer, and the texts are joined to the pairs alone.
CREATE OR REPLACE TEMP VIEW preference_training_pairs AS
SELECT generations.generation_id,
       user_turn(generation_fields.fields, seeds.payload, task_fields.field) AS prompt,
       record_response(generation_fields.fields, generations.text) AS answer
FROM generations
JOIN seeds ON seeds.seed_id = generations.seed_id
JOIN task_fields ON task_fields.kind = seeds.kind
LEFT JOIN generation_fields ON generation_fields.generation_id = generations.generation_id
WHERE generations.recipe IN (SELECT recipe FROM preference_recipes);

-- name: create_preference_samples
-- The judged generations of the set's recipes as sides of pairs, without their texts: a key
-- of the stripped answer (NULL when blank), whether the admission rule admits it now (every
-- verifier of its recipe has a current verdict that admits it, sql/admission.sql, and, with
-- dedup on, verified_subsets did not drop it as a duplicate), the scan that cleared it in the
-- clean snapshot, how many verifiers' verdicts reject it (a missing verdict, a failed judge
-- call, is no evidence of a wrong answer, and a duplicate did not fail), its current verdicts,
-- the score of $score_verifier, and its key in the seeded order.
-- A current verdict is the one at the verifier's current version; of several (verifiers that
-- compare samples store one per sample set), the newest.
CREATE OR REPLACE TEMP TABLE preference_samples AS
WITH judged AS (
    SELECT generations.generation_id, generations.recipe, generations.prompt_id,
           generations.seed_id
    FROM snapshot_members
    JOIN generations ON generations.generation_id = snapshot_members.record_id
    WHERE snapshot_members.snapshot_id = $judged_snapshot_id
      AND generations.recipe IN (SELECT recipe FROM preference_recipes)
),
cleared AS (
    SELECT scans.generation_id, min(scans.scan_id) AS scan_id
    FROM snapshot_members
    JOIN contamination_verdicts AS scans ON scans.scan_id = snapshot_members.record_id
    WHERE snapshot_members.snapshot_id = $clean_snapshot_id
    GROUP BY scans.generation_id
),
current_verdicts AS (
    SELECT judged.generation_id, recipe_verifiers.verifier, verdicts.verdict_id, verdicts.score,
           verdict_admits(verdicts.passed, verdicts.score, recipe_verifiers.min_score) AS admits
    FROM judged
    JOIN recipe_verifiers ON recipe_verifiers.recipe = judged.recipe
    LEFT JOIN verdicts ON verdicts.generation_id = judged.generation_id
                      AND verdicts.verifier = recipe_verifiers.verifier
                      AND verdicts.verifier_version = recipe_verifiers.version
    QUALIFY row_number() OVER (PARTITION BY judged.generation_id, recipe_verifiers.verifier
                               ORDER BY verdicts.created_at DESC, verdicts.verdict_id DESC) = 1
),
judgement AS (
    SELECT generation_id,
           count(*) FILTER (WHERE admits IS NOT TRUE) = 0 AS verdicts_admit,
           count(*) FILTER (WHERE NOT admits) AS failed,
           list(verdict_id ORDER BY verdict_id) FILTER (WHERE verdict_id IS NOT NULL)
               AS verdict_ids,
           max(score) FILTER (WHERE verifier = $score_verifier) AS score
    FROM current_verdicts
    GROUP BY generation_id
)
SELECT judged.generation_id, judged.recipe, judged.prompt_id, judged.seed_id,
       nullif(md5(stripped(texts.answer)), md5('')) AS answer_key,
       coalesce(judgement.verdicts_admit, true)
           AND NOT ($dedup AND EXISTS (SELECT 1 FROM edges
                                       WHERE edges.child_id = judged.generation_id
                                         AND edges.relation = 'duplicate_of')) AS admitted,
       cleared.scan_id,
       coalesce(judgement.failed, 0) AS failed,
       coalesce(judgement.verdict_ids, []::VARCHAR[]) AS verdict_ids,
       judgement.score,
       md5($seed || ':' || judged.generation_id) AS rank_key
FROM judged
JOIN preference_training_pairs AS texts ON texts.generation_id = judged.generation_id
LEFT JOIN judgement ON judgement.generation_id = judged.generation_id
LEFT JOIN cleared ON cleared.generation_id = judged.generation_id;

-- name: create_preference_candidates
-- Per prompt and source, the pair the documented choice makes (docs/preferences.md), before the
-- rejected answers are scanned and the counts cut. The chosen side is admitted, cleared by
-- contamination_reports and not blank; the rejected text is not blank and not the chosen text
-- (compared by the keys of the stripped texts). Ties always fall to the seeded order
-- (rank_key, then the id).
-- - verifier: the first chosen sample against the sample that failed the fewest verifiers;
-- - score: the highest-scored chosen sample against the lowest-scored sample, kept when the
--   scores differ by at least $min_margin (the float tolerance keeps 0.9 - 0.7 >= 0.2);
-- - revision: the first chosen sample of a revising recipe against the draft its seed holds.
-- pair_id is content_id('pair', set, source, chosen_id, rejected_id) (synth_assets/lineage/ids.py).
CREATE OR REPLACE TEMP TABLE preference_candidates AS
WITH chosen_ok AS (
    SELECT * FROM preference_samples
    WHERE admitted AND scan_id IS NOT NULL AND answer_key IS NOT NULL
),
first_chosen AS (
    SELECT * FROM chosen_ok
    QUALIFY row_number() OVER (PARTITION BY prompt_id ORDER BY rank_key, generation_id) = 1
),
verifier_pairs AS (
    SELECT 'verifier' AS source, chosen.prompt_id, chosen.generation_id AS chosen_id,
           chosen.scan_id AS chosen_scan_id, chosen.verdict_ids AS chosen_verdict_ids,
           rejected.generation_id AS rejected_id, rejected.verdict_ids AS rejected_verdict_ids,
           NULL::DOUBLE AS chosen_score, NULL::DOUBLE AS rejected_score,
           rejected.failed AS rejected_failures
    FROM first_chosen AS chosen
    JOIN preference_samples AS rejected ON rejected.prompt_id = chosen.prompt_id
    WHERE 'verifier' IN (SELECT source FROM pair_sources)
      AND rejected.failed > 0
      AND rejected.answer_key <> chosen.answer_key
    QUALIFY row_number() OVER (PARTITION BY chosen.prompt_id
                               ORDER BY rejected.failed, rejected.rank_key,
                                        rejected.generation_id) = 1
),
best_scored AS (
    SELECT * FROM chosen_ok
    WHERE score IS NOT NULL AND 'score' IN (SELECT source FROM pair_sources)
    QUALIFY row_number() OVER (PARTITION BY prompt_id
                               ORDER BY score DESC, rank_key, generation_id) = 1
),
lowest_scored AS (
    SELECT chosen.*, rejected.generation_id AS rejected_id,
           rejected.verdict_ids AS rejected_verdict_ids, rejected.score AS rejected_score,
           rejected.failed AS rejected_failures
    FROM best_scored AS chosen
    JOIN preference_samples AS rejected ON rejected.prompt_id = chosen.prompt_id
    WHERE rejected.score IS NOT NULL AND rejected.answer_key <> chosen.answer_key
    QUALIFY row_number() OVER (PARTITION BY chosen.prompt_id
                               ORDER BY rejected.score, rejected.rank_key,
                                        rejected.generation_id) = 1
),
score_pairs AS (
    SELECT 'score' AS source, prompt_id, generation_id AS chosen_id, scan_id AS chosen_scan_id,
           verdict_ids AS chosen_verdict_ids, rejected_id, rejected_verdict_ids,
           score AS chosen_score, rejected_score, rejected_failures
    FROM lowest_scored
    WHERE score - rejected_score >= $min_margin - 1e-12
),
revision_pairs AS (
    SELECT 'revision' AS source, chosen.prompt_id, chosen.generation_id AS chosen_id,
           chosen.scan_id AS chosen_scan_id, chosen.verdict_ids AS chosen_verdict_ids,
           chosen.seed_id AS rejected_id, []::VARCHAR[] AS rejected_verdict_ids,
           NULL::DOUBLE AS chosen_score, NULL::DOUBLE AS rejected_score,
           NULL::BIGINT AS rejected_failures
    FROM first_chosen AS chosen
    JOIN preference_recipes ON preference_recipes.recipe = chosen.recipe
    JOIN seeds ON seeds.seed_id = chosen.seed_id
    WHERE 'revision' IN (SELECT source FROM pair_sources)
      AND preference_recipes.revises_draft
      AND json_type(seeds.payload, '$.response') = 'VARCHAR'
      AND nullif(md5(stripped(json_extract_string(seeds.payload, '$.response'))), md5(''))
          <> chosen.answer_key
),
pairs AS (
    SELECT * FROM verifier_pairs
    UNION ALL SELECT * FROM score_pairs
    UNION ALL SELECT * FROM revision_pairs
)
-- the texts: the chosen side's training pair, and the rejected answer or the seed's draft
SELECT 'pair_' || left(sha256('[' || $preference_set_json || ',"' || pairs.source || '","'
                              || pairs.chosen_id || '","' || pairs.rejected_id || '"]'), 20)
           AS pair_id,
       pairs.source, pairs.prompt_id, chosen.prompt, pairs.chosen_id, chosen.answer AS chosen,
       pairs.chosen_scan_id, pairs.chosen_verdict_ids, pairs.rejected_id,
       coalesce(rejected.answer, json_extract_string(drafts.payload, '$.response'))
           AS rejected,
       pairs.rejected_verdict_ids, pairs.chosen_score, pairs.rejected_score,
       pairs.rejected_failures
FROM pairs
JOIN preference_training_pairs AS chosen ON chosen.generation_id = pairs.chosen_id
LEFT JOIN preference_training_pairs AS rejected
       ON rejected.generation_id = pairs.rejected_id AND pairs.source <> 'revision'
LEFT JOIN seeds AS drafts ON drafts.seed_id = pairs.rejected_id AND pairs.source = 'revision';

-- name: rejected_texts
-- Each rejected text once: contamination_reports never scanned them (they were not admitted).
SELECT DISTINCT rejected AS text FROM preference_candidates;

-- name: candidate_pair_ids
SELECT pair_id AS record_id FROM preference_candidates;

-- name: contaminated_pair_ids
SELECT pair_id AS record_id FROM preference_candidates
WHERE rejected IN (SELECT text FROM contaminated_texts);

-- name: create_preference_picks
-- Per source, the clean pairs in seeded hash order of their ids up to the source's count,
-- stored in that order (across sources) so the export streams without sorting again.
CREATE OR REPLACE TEMP TABLE preference_picks AS
SELECT candidates.* EXCLUDE (source_rank)
FROM (
    SELECT *, md5($seed || ':' || pair_id) AS rank_key,
           row_number() OVER (PARTITION BY source ORDER BY md5($seed || ':' || pair_id), pair_id)
               AS source_rank
    FROM preference_candidates
    WHERE rejected NOT IN (SELECT text FROM contaminated_texts)
) AS candidates
JOIN pair_sources USING (source)
WHERE pair_sources.pair_count IS NULL
   OR candidates.source_rank <= TRY_CAST(pair_sources.pair_count AS BIGINT)
ORDER BY rank_key, pair_id;

-- name: preference_pick_ids
SELECT pair_id AS record_id FROM preference_picks;

-- name: preference_pick_counts
SELECT source, count(*) AS pairs FROM preference_picks GROUP BY source ORDER BY source;

-- name: insert_preference_pairs
-- The picks not stored yet, in key order (the primary-key index takes sorted keys fastest).
INSERT INTO preference_pairs BY NAME
SELECT pair_id, $preference_set AS preference_set, source, prompt_id, chosen_id, rejected_id,
       prompt, chosen, rejected, chosen_score, rejected_score, rejected_failures
FROM preference_picks ANTI JOIN preference_pairs USING (pair_id)
ORDER BY pair_id;

-- name: insert_preference_edges
-- A pair links to both sides, the scan that cleared the chosen one and both sides' verdicts.
INSERT INTO edges BY NAME
SELECT * FROM (
    SELECT pair_id AS child_id, chosen_id AS parent_id, 'chosen' AS relation
    FROM preference_picks
    UNION ALL SELECT pair_id, rejected_id, 'rejected' FROM preference_picks
    UNION ALL SELECT pair_id, chosen_scan_id, 'cleared_by' FROM preference_picks
    UNION ALL SELECT pair_id, unnest(chosen_verdict_ids), 'chosen_verdict' FROM preference_picks
    UNION ALL SELECT pair_id, unnest(rejected_verdict_ids), 'rejected_verdict'
    FROM preference_picks
) AS new_edges
ANTI JOIN edges USING (child_id, parent_id)
ORDER BY child_id, parent_id;

-- name: preference_export_rows
-- The picked pairs in their stored (seeded) order, for the dpo/ and kto/ exports.
SELECT pair_id, source, prompt, chosen, rejected, chosen_id, rejected_id
FROM preference_picks;

-- name: create_preference_rl_prompts
-- One prompt per prompt id of the recipes that export RL prompts, read from its first sample
-- (by id); cleared when contamination_reports cleared any of its samples (both answer the same
-- task), else its task still has to be scanned (uncleared_prompts).
CREATE OR REPLACE TEMP TABLE preference_rl_prompts AS
WITH firsts AS (
    SELECT samples.prompt_id, min(samples.generation_id) AS generation_id,
           bool_or(samples.scan_id IS NOT NULL) AS cleared
    FROM preference_samples AS samples
    JOIN preference_recipes ON preference_recipes.recipe = samples.recipe
    WHERE preference_recipes.rl_verifiers IS NOT NULL
    GROUP BY samples.prompt_id
)
SELECT firsts.prompt_id, generations.recipe, texts.prompt, generations.seed_id, firsts.cleared
FROM firsts
JOIN generations ON generations.generation_id = firsts.generation_id
JOIN preference_training_pairs AS texts ON texts.generation_id = firsts.generation_id;

-- name: uncleared_prompts
SELECT DISTINCT prompt AS text FROM preference_rl_prompts WHERE NOT cleared;

-- name: drop_contaminated_rl_prompts
DELETE FROM preference_rl_prompts
WHERE NOT cleared AND prompt IN (SELECT text FROM contaminated_prompts);

-- name: preference_rl_prompt_count
SELECT count(*) AS prompts FROM preference_rl_prompts;

-- name: preference_rl_export_rows
-- The RL prompts by prompt id, with their seed and verifiers.
SELECT rl.prompt_id AS id, rl.recipe, rl.prompt, preference_recipes.rl_verifiers AS verifiers,
       seeds.payload::VARCHAR AS seed
FROM preference_rl_prompts AS rl
JOIN preference_recipes ON preference_recipes.recipe = rl.recipe
JOIN seeds ON seeds.seed_id = rl.seed_id
ORDER BY rl.prompt_id;

-- name: insert_preference_materialization
INSERT INTO preference_materializations BY NAME
SELECT * FROM (SELECT $materialization_id AS materialization_id,
                      $preference_set AS preference_set, $pairs_snapshot_id AS pairs_snapshot_id,
                      $candidates_snapshot_id AS candidates_snapshot_id,
                      $contaminated_snapshot_id AS contaminated_snapshot_id,
                      $clean_snapshot_id AS clean_snapshot_id,
                      $judged_snapshot_id AS judged_snapshot_id, $spec_hash AS spec_hash,
                      $settings AS settings, $counts AS counts, $run_id AS first_run_id)
ANTI JOIN preference_materializations USING (materialization_id);

-- name: preference_materializations_of
SELECT * FROM preference_materializations WHERE preference_set = $preference_set
ORDER BY created_at, materialization_id;

-- name: preference_materialization
SELECT * FROM preference_materializations
WHERE materialization_id = $id OR pairs_snapshot_id = $id
ORDER BY created_at DESC LIMIT 1;

-- name: preference_snapshot_changes
-- Pairs one snapshot holds and the other does not, with the stored pair (NULL columns when
-- `synth forget` deleted it).
SELECT changed.change, changed.record_id AS pair_id, pairs.source, pairs.prompt_id,
       pairs.chosen_id, pairs.rejected_id
FROM (
    SELECT 'removed' AS change, record_id FROM snapshot_members WHERE snapshot_id = $from_snapshot
    EXCEPT SELECT 'removed', record_id FROM snapshot_members WHERE snapshot_id = $to_snapshot
    UNION ALL
    (SELECT 'added', record_id FROM snapshot_members WHERE snapshot_id = $to_snapshot
     EXCEPT SELECT 'added', record_id FROM snapshot_members WHERE snapshot_id = $from_snapshot)
) AS changed
LEFT JOIN preference_pairs AS pairs ON pairs.pair_id = changed.record_id
ORDER BY changed.change, changed.record_id;

-- name: snapshot_holds
-- Which of the wanted ids a snapshot holds.
SELECT record_id FROM snapshot_members
WHERE snapshot_id = $snapshot_id AND record_id IN (SELECT record_id FROM wanted_ids);

-- name: pairs_of_prompts
-- A snapshot's pairs of the wanted_prompts(record_id).
SELECT pairs.pair_id, pairs.source, pairs.prompt_id, pairs.chosen_id, pairs.rejected_id
FROM snapshot_members JOIN preference_pairs AS pairs ON pairs.pair_id = snapshot_members.record_id
WHERE snapshot_members.snapshot_id = $snapshot_id
  AND pairs.prompt_id IN (SELECT record_id FROM wanted_prompts)
ORDER BY pairs.pair_id;

-- name: cleared_sides
-- Which of the wanted_sides(record_id) a scan of the clean snapshot cleared.
SELECT DISTINCT scans.generation_id
FROM snapshot_members
JOIN contamination_verdicts AS scans ON scans.scan_id = snapshot_members.record_id
WHERE snapshot_members.snapshot_id = $clean_snapshot_id
  AND scans.generation_id IN (SELECT record_id FROM wanted_sides);

-- name: preference_set_summary
-- Per source of a preference set's snapshot: pairs, and pairs breaking a rule of the GE suite
-- (identical or empty sides; a side that a stored scan found contaminated or that was
-- quarantined through its seed).
WITH pairs AS (
    SELECT preference_pairs.*
    FROM snapshot_members JOIN preference_pairs ON pair_id = snapshot_members.record_id
    WHERE snapshot_members.snapshot_id = $snapshot_id
),
tainted AS (
    SELECT generation_id AS record_id FROM contamination_verdicts WHERE contaminated
    UNION SELECT generation_id FROM contamination_quarantines
    UNION SELECT seed_id FROM contamination_quarantines
)
SELECT source, count(*) AS pairs,
       count(*) FILTER (WHERE stripped(chosen) = stripped(rejected)) AS identical_sides,
       count(*) FILTER (WHERE stripped(prompt) = '' OR stripped(chosen) = ''
                              OR stripped(rejected) = '') AS empty_sides,
       count(*) FILTER (WHERE chosen_id IN (SELECT record_id FROM tainted)
                              OR rejected_id IN (SELECT record_id FROM tainted))
           AS contaminated_sides
FROM pairs GROUP BY source ORDER BY source;

-- name: preference_pair_texts
-- Every distinct text of a snapshot's pairs (prompt and both sides), for the GE suite's scan.
SELECT DISTINCT text FROM (
    SELECT unnest([prompt, chosen, rejected]) AS text
    FROM snapshot_members JOIN preference_pairs ON pair_id = snapshot_members.record_id
    WHERE snapshot_members.snapshot_id = $snapshot_id
);

-- name: preference_pairs_with_texts
-- Pairs per source of a snapshot that have a side among the registered hit_texts(text).
SELECT source, count(*) AS pairs
FROM snapshot_members JOIN preference_pairs ON pair_id = snapshot_members.record_id
WHERE snapshot_members.snapshot_id = $snapshot_id
  AND (prompt IN (SELECT text FROM hit_texts) OR chosen IN (SELECT text FROM hit_texts)
       OR rejected IN (SELECT text FROM hit_texts))
GROUP BY source;

-- name: preference_run
-- The stored result of a build of a preference set with these inputs (stages/preference_stage.py).
SELECT materialization_id, pairs_snapshot_id, counts, rl_prompts, export_digest
FROM preference_runs WHERE input_key = $input_key;

-- name: store_preference_run
-- A build's result under its input key, replacing an earlier build of the same inputs (whose
-- export folder has since changed).
INSERT OR REPLACE INTO preference_runs BY NAME SELECT * FROM staged_rows;

-- name: preference_pair_scan
-- Pairs per source with a text the detectors hit, from an earlier GE suite scan of the snapshot.
SELECT hits FROM preference_pair_scans
WHERE pairs_snapshot_id = $snapshot_id AND scan_fingerprint = $scan_fingerprint;

-- name: delete_every_preference_run
-- Every stored preference set build: a data-removal request ends them (the next run rebuilds).
DELETE FROM preference_runs;

-- name: delete_every_preference_pair_scan
-- Every stored GE suite scan of pair texts: a data-removal request ends them.
DELETE FROM preference_pair_scans;
