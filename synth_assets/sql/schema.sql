-- synth-assets lineage store: its tables as they are now. Every record is written once and never
-- edited; ids are content-derived (see synth_assets/lineage/ids.py), so re-running a stage
-- inserts nothing new. `edges` links each record to the records it was made from (lineage_edges
-- in views.sql adds the edges a contamination verdict holds); queries.sql walks them.
--
-- A new store is made from this file and stamped with the latest migration's number. A store
-- made earlier is brought here by the numbered files in migrations/, each applied once, in
-- order (synth_assets/lineage/migrations.py). To change a table, add a migration and make the
-- same change here; a new table needs only its CREATE TABLE IF NOT EXISTS here, which creates
-- it in every store. Views and macros (views.sql, admission.sql) are replaced at each open.

-- The migrations this store has been through (migrations/NNNN_name.sql); a store made from
-- this file has one row, the latest number, since it already has their shape.
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    name        VARCHAR NOT NULL,
    applied_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

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
    error_kind         VARCHAR NOT NULL,    -- rate_limited | server_error | timeout | connection | invalid_answer | rejected | batch_expired | batch_cancelled | batch_failed
    error              VARCHAR NOT NULL,
    attempts           INTEGER NOT NULL,
    last_answer        VARCHAR,             -- the unusable answer, when one came back
    finish_reason      VARCHAR,
    prompt_tokens      INTEGER NOT NULL,    -- paid for the unusable answers
    completion_tokens  INTEGER NOT NULL,
    cost_usd           DOUBLE NOT NULL,
    created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- A provider batch of teacher requests (teachers with mode: batch). The row is written before
-- its input file is uploaded, so a run killed at any point finds it again; what happens to it
-- since (upload, creation, states seen, ingestion) is appended to teacher_batch_events.
CREATE TABLE IF NOT EXISTS teacher_batches (
    batch_key      VARCHAR PRIMARY KEY,     -- our id; the provider-side metadata tag and file name
    partition_key  VARCHAR NOT NULL,
    teacher        VARCHAR NOT NULL,
    model          VARCHAR NOT NULL,
    api_base       VARCHAR,
    request_count  INTEGER NOT NULL,
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- The requests a batch holds (custom_id = call_id), with what teacher_calls needs of them.
CREATE TABLE IF NOT EXISTS teacher_batch_requests (
    batch_key     VARCHAR NOT NULL,
    call_id       VARCHAR NOT NULL,
    model         VARCHAR NOT NULL,
    params        JSON NOT NULL,
    messages      JSON NOT NULL,
    sample_index  INTEGER NOT NULL,
    PRIMARY KEY (batch_key, call_id)
);

-- What happened to a batch, appended: uploaded (file_id), created (provider batch_id), status
-- (a state or count change seen by a poll), ingested (its answers and failures are stored),
-- cancel_requested. The latest status row is the batch's state.
CREATE TABLE IF NOT EXISTS teacher_batch_events (
    event_id        VARCHAR PRIMARY KEY,
    batch_key       VARCHAR NOT NULL,
    event           VARCHAR NOT NULL,       -- uploaded | created | status | ingested | cancel_requested
    file_id         VARCHAR,
    batch_id        VARCHAR,
    status          VARCHAR,                -- the provider's: validating | in_progress | finalizing | completed | failed | expired | cancelling | cancelled
    completed       INTEGER,
    failed          INTEGER,
    total           INTEGER,
    output_file_id  VARCHAR,
    error_file_id   VARCHAR,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
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
-- rather than by a primary-key index, whose memory grew with every record scanned. The row holds
-- its lineage edges (to the generation it scans and the verdicts that admitted it; see
-- lineage_edges in views.sql) instead of one edges row each.
CREATE TABLE IF NOT EXISTS contamination_verdicts (
    scan_id             VARCHAR NOT NULL,
    generation_id       VARCHAR NOT NULL,
    index_fingerprint   VARCHAR NOT NULL,
    contaminated        BOOLEAN NOT NULL,
    hit_count           INTEGER NOT NULL,
    admitted_by         VARCHAR[] NOT NULL DEFAULT [],  -- the verdicts that admitted it
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
    segment         VARCHAR NOT NULL,    -- the part of the record that matched: task | response
    record_excerpt  VARCHAR NOT NULL,    -- an excerpt of that part
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
-- mixtures.sql keeps mixture_record_id unique.
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

-- One materialization of a preference set: what it read, how it was set up, which pairs it
-- could form (candidates), which of those it left out because the rejected answer hit a
-- benchmark, and which it kept. The id is derived from all of that, so an identical rerun adds
-- no row; `synth diff` compares these.
CREATE TABLE IF NOT EXISTS preference_materializations (
    materialization_id        VARCHAR PRIMARY KEY,
    preference_set            VARCHAR NOT NULL,
    pairs_snapshot_id         VARCHAR NOT NULL,
    candidates_snapshot_id    VARCHAR NOT NULL,
    contaminated_snapshot_id  VARCHAR NOT NULL,
    clean_snapshot_id         VARCHAR NOT NULL,
    judged_snapshot_id        VARCHAR NOT NULL,
    spec_hash                 VARCHAR NOT NULL,
    settings                  JSON NOT NULL,    -- the set, its recipes' verifiers (+ versions)
    counts                    JSON NOT NULL,    -- pairs per source
    first_run_id              VARCHAR NOT NULL,
    created_at                TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Ids removed by `synth forget` (a data-removal request); the seed stage never stores them again.
CREATE TABLE IF NOT EXISTS forgotten_records (
    record_id     VARCHAR PRIMARY KEY,
    forgotten_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

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
-- A preference set built from inputs that a rerun with the same input key (the set's settings,
-- snapshots and detector fingerprint) reuses instead of rebuilding, while its export folder
-- still has the digest stored here (stages/preference_stage.py). A cache: `synth forget` ends
-- every row.
CREATE TABLE IF NOT EXISTS preference_runs (
    input_key            VARCHAR PRIMARY KEY,
    preference_set       VARCHAR NOT NULL,
    materialization_id   VARCHAR NOT NULL,
    pairs_snapshot_id    VARCHAR NOT NULL,
    counts               JSON NOT NULL,       -- pairs per source
    rl_prompts           INTEGER NOT NULL,
    export_digest        VARCHAR NOT NULL,    -- sha256 over the export folder's files
    created_at           TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Pairs per source with a text the detectors hit, from the GE suite's scan of a pairs snapshot
-- under a detector fingerprint: a rerun checking the same snapshot with the same detectors
-- reads it instead of rescanning. A cache: `synth forget` ends every row.
CREATE TABLE IF NOT EXISTS preference_pair_scans (
    pairs_snapshot_id    VARCHAR NOT NULL,
    scan_fingerprint     VARCHAR NOT NULL,
    hits                 JSON NOT NULL,       -- source -> pairs with a hit
    PRIMARY KEY (pairs_snapshot_id, scan_fingerprint)
);

CREATE TABLE IF NOT EXISTS verify_runs (
    input_key     VARCHAR PRIMARY KEY,
    snapshot_id   VARCHAR NOT NULL,
    summary       JSON NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- A partition's teacher_generations run whose every planned generation was stored, under a key of
-- what its plan depends on (stages/teacher_reuse.py): a later run with the same key takes the
-- snapshot instead of planning again.
CREATE TABLE IF NOT EXISTS teacher_runs (
    input_key     VARCHAR PRIMARY KEY,   -- partition, spec hash, seeds, attribute files, code
    snapshot_id   VARCHAR NOT NULL,
    planned       BIGINT NOT NULL,
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
