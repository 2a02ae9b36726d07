-- The views of the lineage store, PostgreSQL dialect of sql/views.sql (read its comments there):
-- json_build_object for DuckDB's json_object, the JSON text columns cast to json so they nest.

-- Every lineage edge: those stored in edges, plus the ones a contamination verdict holds (the
-- generation it scans, the verdicts that admitted it), which are not copied into edges: one
-- edge row per scanned record made the edges index grow with every record scanned.
CREATE OR REPLACE VIEW lineage_edges AS
    SELECT child_id, parent_id, relation FROM edges
    UNION ALL
    SELECT scan_id, generation_id, 'scans' FROM contamination_verdicts
    UNION ALL
    SELECT scan_id, unnest(admitted_by), 'after_verdict' FROM contamination_verdicts;

-- Every record as (record_id, kind, stage_rank, created_at, details) for lineage walks.
CREATE OR REPLACE VIEW lineage_nodes AS
    SELECT seed_id AS record_id, 'seed' AS kind, 1 AS stage_rank, created_at,
           json_build_object('seed_set', seed_set, 'kind', kind, 'source', source_file || ':' || source_line,
                       'payload', payload::json) AS details
    FROM seeds
    UNION ALL
    SELECT prompts.prompt_id, 'prompt', 2, prompts.created_at,
           json_build_object('recipe', prompts.recipe, 'round', prompt_attributes.round,
                       'attributes', prompt_attributes.attributes::json, 'messages', prompts.messages::json)
    FROM prompts LEFT JOIN prompt_attributes USING (prompt_id)
    UNION ALL
    SELECT call_id, 'teacher_call', 3, created_at,
           json_build_object('model', model, 'params', params::json, 'sample_index', sample_index,
                       'prompt_tokens', prompt_tokens, 'completion_tokens', completion_tokens,
                       'cost_usd', cost_usd, 'latency_s', round(latency_s::numeric, 3),
                       'finish_reason', finish_reason)
    FROM teacher_calls
    UNION ALL
    SELECT generations.generation_id, 'generation', 4, generations.created_at,
           json_build_object('recipe', generations.recipe, 'sample_index', generations.sample_index,
                       'text', generations.text, 'fields', generation_fields.fields::json,
                       'parse_error', generation_fields.parse_error)
    FROM generations LEFT JOIN generation_fields USING (generation_id)
    UNION ALL
    SELECT verdict_id, 'verdict', 5, created_at,
           json_build_object('verifier', verifier, 'version', verifier_version, 'passed', passed,
                       'score', score, 'reason', reason, 'evidence', evidence,
                       'duration_s', round(duration_s::numeric, 3))
    FROM verdicts
    UNION ALL
    SELECT scan_id, 'contamination_verdict', 6, created_at,
           json_build_object('contaminated', contaminated, 'hit_count', hit_count,
                       'index_fingerprint', index_fingerprint)
    FROM contamination_verdicts
    UNION ALL
    SELECT hit_id, 'contamination_hit', 7, created_at,
           json_build_object('benchmark', benchmark, 'item_id', item_id, 'detector', detector,
                       'score', score, 'evidence', evidence)
    FROM contamination_hits
    UNION ALL
    SELECT real_id, 'real_record', 1, created_at,
           json_build_object('source', source, 'domain', domain, 'license', license,
                       'file', source_file || ':' || source_line, 'instruction', instruction)
    FROM real_records
    UNION ALL
    SELECT mixture_record_id, 'mixture_record', 8, created_at,
           json_build_object('mixture', mixture, 'source_kind', source_kind, 'domain', domain,
                       'instruction', instruction, 'response', response)
    FROM mixture_records
    UNION ALL
    SELECT quarantine_id, 'contamination_quarantine', 7, created_at,
           json_build_object('seed_id', seed_id, 'hit_id', hit_id, 'index_fingerprint', index_fingerprint)
    FROM contamination_quarantines
    UNION ALL
    SELECT pair_id, 'preference_pair', 8, created_at,
           json_build_object('preference_set', preference_set, 'source', source, 'prompt', prompt,
                       'chosen', chosen, 'rejected', rejected, 'chosen_score', chosen_score,
                       'rejected_score', rejected_score)
    FROM preference_pairs;
