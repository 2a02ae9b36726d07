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
CREATE TABLE IF NOT EXISTS verify_runs (
    input_key     VARCHAR PRIMARY KEY,
    snapshot_id   VARCHAR NOT NULL,
    summary       JSON NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);
