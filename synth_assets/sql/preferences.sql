-- Named statements of the preference_sets stage (synth_assets/mix/preferences.py).

-- name: preference_candidates
-- The generations of the judged snapshot of the given recipes, with their seed, record fields,
-- prompt and the scan that cleared them in the clean snapshot (NULL: not cleared).
WITH cleared AS (
    SELECT scans.generation_id, min(scans.scan_id) AS scan_id
    FROM snapshot_members
    JOIN contamination_verdicts AS scans ON scans.scan_id = snapshot_members.record_id
    WHERE snapshot_members.snapshot_id = $clean_snapshot_id
    GROUP BY scans.generation_id
)
SELECT generations.generation_id, generations.recipe, generations.prompt_id,
       generations.seed_id, generations.sample_index, generations.text,
       seeds.kind AS seed_kind, seeds.payload AS seed_payload,
       generation_fields.fields, generation_fields.parse_error, cleared.scan_id
FROM snapshot_members
JOIN generations ON generations.generation_id = snapshot_members.record_id
JOIN seeds ON seeds.seed_id = generations.seed_id
LEFT JOIN generation_fields ON generation_fields.generation_id = generations.generation_id
LEFT JOIN cleared ON cleared.generation_id = generations.generation_id
WHERE snapshot_members.snapshot_id = $judged_snapshot_id
  AND list_contains($recipes, generations.recipe)
ORDER BY generations.generation_id;

-- name: preference_pairs_in_snapshot
SELECT preference_pairs.*
FROM snapshot_members JOIN preference_pairs ON pair_id = snapshot_members.record_id
WHERE snapshot_members.snapshot_id = $snapshot_id
ORDER BY md5($seed || ':' || pair_id), pair_id;

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
       count(*) FILTER (WHERE trim(chosen) = trim(rejected)) AS identical_sides,
       count(*) FILTER (WHERE trim(prompt) = '' OR trim(chosen) = ''
                              OR trim(rejected) = '') AS empty_sides,
       count(*) FILTER (WHERE chosen_id IN (SELECT record_id FROM tainted)
                              OR rejected_id IN (SELECT record_id FROM tainted))
           AS contaminated_sides
FROM pairs GROUP BY source ORDER BY source;
