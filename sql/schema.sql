-- synth-assets lineage store. Every record is written once and never edited; ids are
-- content-derived (see synth_assets/lineage/ids.py), so re-running a stage inserts nothing new.
-- `edges` links each record to the records it was made from; sql/queries.sql walks them.

CREATE TABLE IF NOT EXISTS seeds (
    seed_id      VARCHAR PRIMARY KEY,
    seed_set     VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,          -- math | code | instruction
    payload      JSON NOT NULL,
    source_file  VARCHAR NOT NULL,
    source_line  INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS prompts (
    prompt_id    VARCHAR PRIMARY KEY,
    recipe       VARCHAR NOT NULL,
    seed_id      VARCHAR NOT NULL,
    messages     JSON NOT NULL,
    created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- One row per completed teacher request; also the response cache, keyed by everything that
-- changes a request (model, messages, parameters, sample index).
CREATE TABLE IF NOT EXISTS teacher_calls (
    call_id            VARCHAR PRIMARY KEY,
    model              VARCHAR NOT NULL,
    params             JSON NOT NULL,
    messages           JSON NOT NULL,
    sample_index       INTEGER NOT NULL,
    response_text      VARCHAR NOT NULL,
    finish_reason      VARCHAR,
    prompt_tokens      INTEGER NOT NULL,
    completion_tokens  INTEGER NOT NULL,
    cost_usd           DOUBLE NOT NULL,
    latency_s          DOUBLE NOT NULL,
    created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- A teacher request that ended without a usable answer after its retries: one row per call
-- and run, never a generation. The call is not cached, so a later run tries it again.
CREATE TABLE IF NOT EXISTS teacher_failures (
    failure_id         VARCHAR PRIMARY KEY,
    call_id            VARCHAR NOT NULL,
    run_id             VARCHAR NOT NULL,
    model              VARCHAR NOT NULL,
    params             JSON NOT NULL,
    messages           JSON NOT NULL,
    sample_index       INTEGER NOT NULL,
    error_kind         VARCHAR NOT NULL,    -- rate_limited | server_error | timeout | connection | invalid_answer | rejected
    error              VARCHAR NOT NULL,
    attempts           INTEGER NOT NULL,
    last_answer        VARCHAR,             -- the unusable answer, when one came back
    finish_reason      VARCHAR,
    prompt_tokens      INTEGER NOT NULL,    -- paid for the unusable answers
    completion_tokens  INTEGER NOT NULL,
    cost_usd           DOUBLE NOT NULL,
    created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS generations (
    generation_id  VARCHAR PRIMARY KEY,
    recipe         VARCHAR NOT NULL,
    prompt_id      VARCHAR NOT NULL,
    call_id        VARCHAR NOT NULL,
    seed_id        VARCHAR NOT NULL,
    sample_index   INTEGER NOT NULL,
    text           VARCHAR NOT NULL,
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- How a prompt was made: its round (1 = from a seed set, n = from round n-1's verified
-- records) and the attributes its recipe sampled for it.
CREATE TABLE IF NOT EXISTS prompt_attributes (
    prompt_id    VARCHAR PRIMARY KEY,
    recipe       VARCHAR NOT NULL,
    round        INTEGER NOT NULL,
    draw         INTEGER NOT NULL,
    attributes   JSON NOT NULL,
    created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- The record a generation yields: its recipe's parser output and rendered record fields
-- (instruction, response, ...); fields is NULL and parse_error says why when it did not parse.
CREATE TABLE IF NOT EXISTS generation_fields (
    generation_id  VARCHAR PRIMARY KEY,
    parser         VARCHAR NOT NULL,
    parse_error    VARCHAR,
    fields         JSON,
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS verdicts (
    verdict_id        VARCHAR PRIMARY KEY,
    generation_id     VARCHAR NOT NULL,
    verifier          VARCHAR NOT NULL,
    verifier_version  VARCHAR NOT NULL,
    passed            BOOLEAN NOT NULL,
    score             DOUBLE NOT NULL,
    reason            VARCHAR NOT NULL,
    evidence          VARCHAR NOT NULL,
    duration_s        DOUBLE NOT NULL,
    created_at        TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- One row per scanned record and benchmark index: the record's contamination verdict. scan_id
-- is unique, kept so by the one statement that writes the table (append_contamination_verdicts)
-- rather than by a primary-key index, whose memory grew with every record scanned (stores made
-- before keep theirs).
CREATE TABLE IF NOT EXISTS contamination_verdicts (
    scan_id             VARCHAR NOT NULL,
    generation_id       VARCHAR NOT NULL,
    index_fingerprint   VARCHAR NOT NULL,
    contaminated        BOOLEAN NOT NULL,
    hit_count           INTEGER NOT NULL,
    created_at          TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS contamination_hits (
    hit_id          VARCHAR PRIMARY KEY,
    scan_id         VARCHAR NOT NULL,
    generation_id   VARCHAR NOT NULL,
    benchmark       VARCHAR NOT NULL,
    item_id         VARCHAR NOT NULL,
    detector        VARCHAR NOT NULL,
    score           DOUBLE NOT NULL,
    evidence        VARCHAR NOT NULL,
    item_excerpt    VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS real_records (
    real_id       VARCHAR PRIMARY KEY,
    source        VARCHAR NOT NULL,
    domain        VARCHAR NOT NULL,
    instruction   VARCHAR NOT NULL,
    response      VARCHAR NOT NULL,
    license       VARCHAR NOT NULL,
    source_file   VARCHAR NOT NULL,
    source_line   INTEGER NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- A record's place in a mixture; which materialization holds it is in snapshot_members.
-- No primary-key index (it made large mixtures slow to store): insert_mixture_records in
-- sql/mixtures.sql keeps mixture_record_id unique. Stores created earlier keep their index.
CREATE TABLE IF NOT EXISTS mixture_records (
    mixture_record_id  VARCHAR NOT NULL,
    mixture            VARCHAR NOT NULL,
    source_kind        VARCHAR NOT NULL,    -- synthetic | real
    source_record_id   VARCHAR NOT NULL,
    domain             VARCHAR NOT NULL,
    instruction        VARCHAR NOT NULL,
    response           VARCHAR NOT NULL,
    created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- A preference pair (synth_assets/mix/preferences.py): the prompt and two answers to it, the
-- chosen one admitted and clean. rejected_id is a generation, or for a revision pair the seed
-- holding the draft. Which materialization holds it is in snapshot_members.
CREATE TABLE IF NOT EXISTS preference_pairs (
    pair_id            VARCHAR PRIMARY KEY,
    preference_set     VARCHAR NOT NULL,
    source             VARCHAR NOT NULL,    -- verifier | score | revision
    prompt_id          VARCHAR NOT NULL,
    chosen_id          VARCHAR NOT NULL,
    rejected_id        VARCHAR NOT NULL,
    prompt             VARCHAR NOT NULL,
    chosen             VARCHAR NOT NULL,
    rejected           VARCHAR NOT NULL,
    chosen_score       DOUBLE,
    rejected_score     DOUBLE,
    rejected_failures  INTEGER,             -- verifiers the rejected answer failed
    created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- What one materialization of a stage produced; the id is derived from its members.
CREATE TABLE IF NOT EXISTS snapshots (
    snapshot_id   VARCHAR PRIMARY KEY,
    stage         VARCHAR NOT NULL,
    label         VARCHAR NOT NULL,         -- recipe, mixture or '*' for the whole stage
    member_count  INTEGER NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS snapshot_members (
    snapshot_id  VARCHAR NOT NULL,
    record_id    VARCHAR NOT NULL,
    PRIMARY KEY (snapshot_id, record_id)
);

-- The snapshot each partition of a partitioned stage holds now: teacher_generations and
-- verified_subsets are partitioned by day and recipe ('*' for a run without a partition).
-- A pointer that each materialization of the partition moves; snapshots are never edited.
CREATE TABLE IF NOT EXISTS partition_heads (
    stage          VARCHAR NOT NULL,
    partition_key  VARCHAR NOT NULL,
    snapshot_id    VARCHAR NOT NULL,
    updated_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (stage, partition_key)
);

CREATE TABLE IF NOT EXISTS edges (
    child_id   VARCHAR NOT NULL,
    parent_id  VARCHAR NOT NULL,
    relation   VARCHAR NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);

-- One materialization of a mixture: what it read, how it was set up, what it picked. The id is
-- derived from all of that (not the run), so an identical rerun adds no row; `synth diff` and
-- `synth why` compare these.
CREATE TABLE IF NOT EXISTS mixture_materializations (
    materialization_id   VARCHAR PRIMARY KEY,
    mixture              VARCHAR NOT NULL,
    mixture_snapshot_id  VARCHAR NOT NULL,   -- the mixture records
    pool_snapshot_id     VARCHAR NOT NULL,   -- every record it could pick from (source ids)
    clean_snapshot_id    VARCHAR NOT NULL,   -- contamination_reports: what this run cleared
    judged_snapshot_id   VARCHAR NOT NULL,   -- teacher_generations: what this run judged
    spec_hash            VARCHAR NOT NULL,
    settings             JSON NOT NULL,      -- mixture, recipes, verifiers (+ versions), benchmarks
    plan                 JSON NOT NULL,      -- per component: unit, requested, available, picked
    first_run_id         VARCHAR NOT NULL,
    created_at           TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Ids removed by `synth forget` (a data-removal request); the seed stage never stores them again.
CREATE TABLE IF NOT EXISTS forgotten_records (
    record_id     VARCHAR PRIMARY KEY,
    forgotten_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Contamination evidence added later: which part of the record matched and an excerpt of it.
-- ALTER ... IF NOT EXISTS also upgrades stores created before these columns existed.
ALTER TABLE contamination_hits ADD COLUMN IF NOT EXISTS segment VARCHAR DEFAULT 'text';
ALTER TABLE contamination_hits ADD COLUMN IF NOT EXISTS record_excerpt VARCHAR DEFAULT '';
-- The verdicts that admitted the scanned generation. A verdict row with this list holds its own
-- lineage edges (see lineage_edges); rows written before it have theirs in edges.
ALTER TABLE contamination_verdicts ADD COLUMN IF NOT EXISTS admitted_by VARCHAR[];

-- Every lineage edge: those stored in edges, plus the ones a contamination verdict holds (the
-- generation it scans, the verdicts that admitted it), which are not copied into edges: one
-- edge row per scanned record made the edges index grow with every record scanned.
CREATE OR REPLACE VIEW lineage_edges AS
    SELECT child_id, parent_id, relation FROM edges
    UNION ALL
    SELECT scan_id, generation_id, 'scans' FROM contamination_verdicts
    WHERE admitted_by IS NOT NULL
    UNION ALL
    SELECT scan_id, unnest(admitted_by), 'after_verdict' FROM contamination_verdicts;

-- A record held back because the seed it derives from (through any chain of edges) matched a
-- benchmark item itself; hit_id is one hit showing that.
CREATE TABLE IF NOT EXISTS contamination_quarantines (
    quarantine_id      VARCHAR PRIMARY KEY,
    generation_id      VARCHAR NOT NULL,
    seed_id            VARCHAR NOT NULL,
    hit_id             VARCHAR NOT NULL,
    index_fingerprint  VARCHAR NOT NULL,
    created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Every record as (record_id, kind, stage_rank, created_at, details) for lineage walks.
CREATE OR REPLACE VIEW lineage_nodes AS
    SELECT seed_id AS record_id, 'seed' AS kind, 1 AS stage_rank, created_at,
           json_object('seed_set', seed_set, 'kind', kind, 'source', source_file || ':' || source_line,
                       'payload', payload) AS details
    FROM seeds
    UNION ALL
    SELECT prompts.prompt_id, 'prompt', 2, prompts.created_at,
           json_object('recipe', prompts.recipe, 'round', prompt_attributes.round,
                       'attributes', prompt_attributes.attributes, 'messages', prompts.messages)
    FROM prompts LEFT JOIN prompt_attributes USING (prompt_id)
    UNION ALL
    SELECT call_id, 'teacher_call', 3, created_at,
           json_object('model', model, 'params', params, 'sample_index', sample_index,
                       'prompt_tokens', prompt_tokens, 'completion_tokens', completion_tokens,
                       'cost_usd', cost_usd, 'latency_s', round(latency_s, 3),
                       'finish_reason', finish_reason)
    FROM teacher_calls
    UNION ALL
    SELECT generations.generation_id, 'generation', 4, generations.created_at,
           json_object('recipe', generations.recipe, 'sample_index', generations.sample_index,
                       'text', generations.text, 'fields', generation_fields.fields,
                       'parse_error', generation_fields.parse_error)
    FROM generations LEFT JOIN generation_fields USING (generation_id)
    UNION ALL
    SELECT verdict_id, 'verdict', 5, created_at,
           json_object('verifier', verifier, 'version', verifier_version, 'passed', passed,
                       'score', score, 'reason', reason, 'evidence', evidence,
                       'duration_s', round(duration_s, 3))
    FROM verdicts
    UNION ALL
    SELECT scan_id, 'contamination_verdict', 6, created_at,
           json_object('contaminated', contaminated, 'hit_count', hit_count,
                       'index_fingerprint', index_fingerprint)
    FROM contamination_verdicts
    UNION ALL
    SELECT hit_id, 'contamination_hit', 7, created_at,
           json_object('benchmark', benchmark, 'item_id', item_id, 'detector', detector,
                       'score', score, 'evidence', evidence)
    FROM contamination_hits
    UNION ALL
    SELECT real_id, 'real_record', 1, created_at,
           json_object('source', source, 'domain', domain, 'license', license,
                       'file', source_file || ':' || source_line, 'instruction', instruction)
    FROM real_records
    UNION ALL
    SELECT mixture_record_id, 'mixture_record', 8, created_at,
           json_object('mixture', mixture, 'source_kind', source_kind, 'domain', domain,
                       'instruction', instruction, 'response', response)
    FROM mixture_records
    UNION ALL
    SELECT quarantine_id, 'contamination_quarantine', 7, created_at,
           json_object('seed_id', seed_id, 'hit_id', hit_id, 'index_fingerprint', index_fingerprint)
    FROM contamination_quarantines
    UNION ALL
    SELECT pair_id, 'preference_pair', 8, created_at,
           json_object('preference_set', preference_set, 'source', source, 'prompt', prompt,
                       'chosen', chosen, 'rejected', rejected, 'chosen_score', chosen_score,
                       'rejected_score', rejected_score)
    FROM preference_pairs;

-- The diversity of one snapshot's records per recipe (recipe '*': all of them together), as
-- synth_assets.metrics.diversity measures it: written once per snapshot, so a rerun reads it
-- back, and a partition's diversity check compares with the recipe's earlier partitions.
CREATE TABLE IF NOT EXISTS diversity_measures (
    snapshot_id               VARCHAR NOT NULL,
    recipe                    VARCHAR NOT NULL,
    records                   INTEGER NOT NULL,
    distinct_1                DOUBLE NOT NULL,   -- mean over fixed-size word samples
    distinct_2                DOUBLE NOT NULL,
    distinct_2_spread         DOUBLE NOT NULL,   -- standard deviation across the samples
    sampled_words             INTEGER NOT NULL,
    compression_ratio         DOUBLE NOT NULL,
    mean_pairwise_similarity  DOUBLE NOT NULL,
    exact_duplicate_share     DOUBLE NOT NULL,
    near_duplicate_share      DOUBLE NOT NULL,
    created_at                TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (snapshot_id, recipe)
);

-- A verified_subsets materialization whose every input is known (stages/verify_reuse.py): the
-- input key hashes the generation snapshot, the verifiers' versions and settings, the dedup
-- settings and the earlier verified records it was deduplicated against. A rerun with the same
-- key reuses the snapshot and summary instead of re-reading and re-deduplicating every record.
CREATE TABLE IF NOT EXISTS verify_runs (
    input_key     VARCHAR PRIMARY KEY,
    snapshot_id   VARCHAR NOT NULL,
    summary       JSON NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- A partition's generation plan, planned once per run (stages/generation_plan.py) and read by
-- the run's budget check, budget gate and teacher step; deleted once the teacher step has
-- answered it, and a partition keeps at most one. `generations` stays NULL until every
-- planned row is written.
CREATE TABLE IF NOT EXISTS generation_plans (
    plan_id        VARCHAR PRIMARY KEY,   -- run, partition, spec hash and seeds
    partition_key  VARCHAR NOT NULL,
    generations    BIGINT,
    derived_seeds  JSON NOT NULL,         -- recipe -> [{seed, parent_ids}] of later rounds
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS planned_generations (
    plan_id        VARCHAR NOT NULL,
    position       BIGINT NOT NULL,       -- order of planning; windows are position ranges
    generation_id  VARCHAR NOT NULL,
    call_id        VARCHAR NOT NULL,
    teacher        VARCHAR NOT NULL,
    prompt_id      VARCHAR NOT NULL,
    sample_index   INTEGER NOT NULL,
    sampling_seed  BIGINT NOT NULL        -- the request's seed parameter
);

-- The prompts of a stored plan whose generations were not stored when it was planned, once
-- per prompt: recipe, seed id, messages, attributes, draw, and the request apart from its seed.
CREATE TABLE IF NOT EXISTS planned_prompts (
    plan_id        VARCHAR NOT NULL,
    prompt_id      VARCHAR NOT NULL,
    body           JSON NOT NULL
);

-- The outcome of a Great Expectations suite on one frame (checks/ge_adapter.py), keyed by the
-- frame's exact values, the expectations and the GX version: a check that validates the same
-- frame again (a rerun that changed nothing) reads it back instead of running GX.
CREATE TABLE IF NOT EXISTS ge_results (
    result_key  VARCHAR PRIMARY KEY,
    suite       VARCHAR NOT NULL,
    rows        JSON NOT NULL,        -- per expectation: description, type, kwargs, success, observed
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);
