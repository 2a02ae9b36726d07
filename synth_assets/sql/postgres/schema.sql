-- synth-assets lineage store, PostgreSQL dialect: the tables of synth_assets/sql/schema.sql
-- (read its comments there), with PostgreSQL's types. Every record is written once and never
-- edited; ids are content-derived, so writers running at once need no coordination: a row
-- another writer stored first is skipped (INSERT ... ON CONFLICT DO NOTHING on the primary key).
-- Text is COLLATE "C" (byte order, as in DuckDB and Python's sorted()): snapshot ids hash ids
-- in that order, and exports list records in it, whatever the database's default collation.
-- JSON columns are json_text: the text as written (jsonb would reorder keys and respace it, so
-- it would read back different from DuckDB's), checked to be JSON, and comparable (DISTINCT
-- and GROUP BY work on text, not on json).
-- Views and functions are in views.sql and admission.sql. A new PostgreSQL store is made from
-- this file, stamped with the latest migration's number (synth_assets/lineage/migrations.py).
DO $$ BEGIN
    CREATE DOMAIN json_text AS TEXT CHECK (VALUE::json IS NOT NULL OR VALUE IS NULL);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    applied_at  TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS seeds (
    seed_id      TEXT COLLATE "C" PRIMARY KEY,
    seed_set     TEXT COLLATE "C" NOT NULL,
    kind         TEXT COLLATE "C" NOT NULL,          -- math | code | instruction
    payload      json_text NOT NULL,
    source_file  TEXT COLLATE "C" NOT NULL,
    source_line  INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS prompts (
    prompt_id    TEXT COLLATE "C" PRIMARY KEY,
    recipe       TEXT COLLATE "C" NOT NULL,
    seed_id      TEXT COLLATE "C" NOT NULL,
    messages     json_text NOT NULL,
    created_at   TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- One row per completed teacher request; also the response cache, keyed by everything that
-- changes a request (model, messages, parameters, sample index).
CREATE TABLE IF NOT EXISTS teacher_calls (
    call_id            TEXT COLLATE "C" PRIMARY KEY,
    model              TEXT COLLATE "C" NOT NULL,
    params             json_text NOT NULL,
    messages           json_text NOT NULL,
    sample_index       INTEGER NOT NULL,
    response_text      TEXT COLLATE "C" NOT NULL,
    finish_reason      TEXT COLLATE "C",
    prompt_tokens      INTEGER NOT NULL,
    completion_tokens  INTEGER NOT NULL,
    cost_usd           DOUBLE PRECISION NOT NULL,
    latency_s          DOUBLE PRECISION NOT NULL,
    created_at         TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- A teacher request that ended without a usable answer after its retries: one row per call
-- and run, never a generation. The call is not cached, so a later run tries it again.
CREATE TABLE IF NOT EXISTS teacher_failures (
    failure_id         TEXT COLLATE "C" PRIMARY KEY,
    call_id            TEXT COLLATE "C" NOT NULL,
    run_id             TEXT COLLATE "C" NOT NULL,
    model              TEXT COLLATE "C" NOT NULL,
    params             json_text NOT NULL,
    messages           json_text NOT NULL,
    sample_index       INTEGER NOT NULL,
    error_kind         TEXT COLLATE "C" NOT NULL,    -- rate_limited | server_error | timeout | connection | invalid_answer | rejected
    error              TEXT COLLATE "C" NOT NULL,
    attempts           INTEGER NOT NULL,
    last_answer        TEXT COLLATE "C",             -- the unusable answer, when one came back
    finish_reason      TEXT COLLATE "C",
    prompt_tokens      INTEGER NOT NULL,    -- paid for the unusable answers
    completion_tokens  INTEGER NOT NULL,
    cost_usd           DOUBLE PRECISION NOT NULL,
    created_at         TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS generations (
    generation_id  TEXT COLLATE "C" PRIMARY KEY,
    recipe         TEXT COLLATE "C" NOT NULL,
    prompt_id      TEXT COLLATE "C" NOT NULL,
    call_id        TEXT COLLATE "C" NOT NULL,
    seed_id        TEXT COLLATE "C" NOT NULL,
    sample_index   INTEGER NOT NULL,
    text           TEXT COLLATE "C" NOT NULL,
    created_at     TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- How a prompt was made: its round (1 = from a seed set, n = from round n-1's verified
-- records) and the attributes its recipe sampled for it.
CREATE TABLE IF NOT EXISTS prompt_attributes (
    prompt_id    TEXT COLLATE "C" PRIMARY KEY,
    recipe       TEXT COLLATE "C" NOT NULL,
    round        INTEGER NOT NULL,
    draw         INTEGER NOT NULL,
    attributes   json_text NOT NULL,
    created_at   TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- The record a generation yields: its recipe's parser output and rendered record fields
-- (instruction, response, ...); fields is NULL and parse_error says why when it did not parse.
CREATE TABLE IF NOT EXISTS generation_fields (
    generation_id  TEXT COLLATE "C" PRIMARY KEY,
    parser         TEXT COLLATE "C" NOT NULL,
    parse_error    TEXT COLLATE "C",
    fields         json_text,
    created_at     TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS verdicts (
    verdict_id        TEXT COLLATE "C" PRIMARY KEY,
    generation_id     TEXT COLLATE "C" NOT NULL,
    verifier          TEXT COLLATE "C" NOT NULL,
    verifier_version  TEXT COLLATE "C" NOT NULL,
    passed            BOOLEAN NOT NULL,
    score             DOUBLE PRECISION NOT NULL,
    reason            TEXT COLLATE "C" NOT NULL,
    evidence          TEXT COLLATE "C" NOT NULL,
    duration_s        DOUBLE PRECISION NOT NULL,
    created_at        TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- One row per scanned record and benchmark index: the record's contamination verdict.
-- admitted_by: the verdicts that admitted the scanned generation (its lineage edges).
CREATE TABLE IF NOT EXISTS contamination_verdicts (
    scan_id             TEXT COLLATE "C" PRIMARY KEY,
    generation_id       TEXT COLLATE "C" NOT NULL,
    index_fingerprint   TEXT COLLATE "C" NOT NULL,
    contaminated        BOOLEAN NOT NULL,
    hit_count           INTEGER NOT NULL,
    admitted_by         TEXT[] COLLATE "C" NOT NULL DEFAULT '{}',
    created_at          TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS contamination_hits (
    hit_id          TEXT COLLATE "C" PRIMARY KEY,
    scan_id         TEXT COLLATE "C" NOT NULL,
    generation_id   TEXT COLLATE "C" NOT NULL,
    benchmark       TEXT COLLATE "C" NOT NULL,
    item_id         TEXT COLLATE "C" NOT NULL,
    detector        TEXT COLLATE "C" NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    evidence        TEXT COLLATE "C" NOT NULL,
    item_excerpt    TEXT COLLATE "C" NOT NULL,
    segment         TEXT COLLATE "C" NOT NULL,    -- the part of the record that matched
    record_excerpt  TEXT COLLATE "C" NOT NULL,    -- an excerpt of that part
    created_at      TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS real_records (
    real_id       TEXT COLLATE "C" PRIMARY KEY,
    source        TEXT COLLATE "C" NOT NULL,
    domain        TEXT COLLATE "C" NOT NULL,
    instruction   TEXT COLLATE "C" NOT NULL,
    response      TEXT COLLATE "C" NOT NULL,
    license       TEXT COLLATE "C" NOT NULL,
    source_file   TEXT COLLATE "C" NOT NULL,
    source_line   INTEGER NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- A record's place in a mixture; which materialization holds it is in snapshot_members.
CREATE TABLE IF NOT EXISTS mixture_records (
    mixture_record_id  TEXT COLLATE "C" PRIMARY KEY,
    mixture            TEXT COLLATE "C" NOT NULL,
    source_kind        TEXT COLLATE "C" NOT NULL,    -- synthetic | real
    source_record_id   TEXT COLLATE "C" NOT NULL,
    domain             TEXT COLLATE "C" NOT NULL,
    instruction        TEXT COLLATE "C" NOT NULL,
    response           TEXT COLLATE "C" NOT NULL,
    created_at         TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- A preference pair (synth_assets/mix/preferences.py): the prompt and two answers to it, the
-- chosen one admitted and clean. rejected_id is a generation, or for a revision pair the seed
-- holding the draft. Which materialization holds it is in snapshot_members.
CREATE TABLE IF NOT EXISTS preference_pairs (
    pair_id            TEXT COLLATE "C" PRIMARY KEY,
    preference_set     TEXT COLLATE "C" NOT NULL,
    source             TEXT COLLATE "C" NOT NULL,    -- verifier | score | revision
    prompt_id          TEXT COLLATE "C" NOT NULL,
    chosen_id          TEXT COLLATE "C" NOT NULL,
    rejected_id        TEXT COLLATE "C" NOT NULL,
    prompt             TEXT COLLATE "C" NOT NULL,
    chosen             TEXT COLLATE "C" NOT NULL,
    rejected           TEXT COLLATE "C" NOT NULL,
    chosen_score       DOUBLE PRECISION,
    rejected_score     DOUBLE PRECISION,
    rejected_failures  INTEGER,             -- verifiers the rejected answer failed
    created_at         TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- What one materialization of a stage produced; the id is derived from its members.
CREATE TABLE IF NOT EXISTS snapshots (
    snapshot_id   TEXT COLLATE "C" PRIMARY KEY,
    stage         TEXT COLLATE "C" NOT NULL,
    label         TEXT COLLATE "C" NOT NULL,         -- recipe, mixture or '*' for the whole stage
    member_count  INTEGER NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS snapshot_members (
    snapshot_id  TEXT COLLATE "C" NOT NULL,
    record_id    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (snapshot_id, record_id)
);

-- The snapshot each partition of a partitioned stage holds now: teacher_generations and
-- verified_subsets are partitioned by day and recipe ('*' for a run without a partition).
-- A pointer that each materialization of the partition moves; snapshots are never edited.
CREATE TABLE IF NOT EXISTS partition_heads (
    stage          TEXT COLLATE "C" NOT NULL,
    partition_key  TEXT COLLATE "C" NOT NULL,
    snapshot_id    TEXT COLLATE "C" NOT NULL,
    updated_at     TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP,
    PRIMARY KEY (stage, partition_key)
);

CREATE TABLE IF NOT EXISTS edges (
    child_id   TEXT COLLATE "C" NOT NULL,
    parent_id  TEXT COLLATE "C" NOT NULL,
    relation   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);

-- One materialization of a mixture: what it read, how it was set up, what it picked. The id is
-- derived from all of that (not the run), so an identical rerun adds no row; `synth diff` and
-- `synth why` compare these.
CREATE TABLE IF NOT EXISTS mixture_materializations (
    materialization_id   TEXT COLLATE "C" PRIMARY KEY,
    mixture              TEXT COLLATE "C" NOT NULL,
    mixture_snapshot_id  TEXT COLLATE "C" NOT NULL,   -- the mixture records
    pool_snapshot_id     TEXT COLLATE "C" NOT NULL,   -- every record it could pick from (source ids)
    clean_snapshot_id    TEXT COLLATE "C" NOT NULL,   -- contamination_reports: what this run cleared
    judged_snapshot_id   TEXT COLLATE "C" NOT NULL,   -- teacher_generations: what this run judged
    spec_hash            TEXT COLLATE "C" NOT NULL,
    settings             json_text NOT NULL,      -- mixture, recipes, verifiers (+ versions), benchmarks
    plan                 json_text NOT NULL,      -- per component: unit, requested, available, picked
    first_run_id         TEXT COLLATE "C" NOT NULL,
    created_at           TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- Ids removed by `synth forget` (a data-removal request); the seed stage never stores them again.
CREATE TABLE IF NOT EXISTS forgotten_records (
    record_id     TEXT COLLATE "C" PRIMARY KEY,
    forgotten_at  TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- A record held back because the seed it derives from (through any chain of edges) matched a
-- benchmark item itself; hit_id is one hit showing that.
CREATE TABLE IF NOT EXISTS contamination_quarantines (
    quarantine_id      TEXT COLLATE "C" PRIMARY KEY,
    generation_id      TEXT COLLATE "C" NOT NULL,
    seed_id            TEXT COLLATE "C" NOT NULL,
    hit_id             TEXT COLLATE "C" NOT NULL,
    index_fingerprint  TEXT COLLATE "C" NOT NULL,
    created_at         TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- The diversity of one snapshot's records per recipe (recipe '*': all of them together), as
-- synth_assets.metrics.diversity measures it: written once per snapshot, so a rerun reads it
-- back, and a partition's diversity check compares with the recipe's earlier partitions.
CREATE TABLE IF NOT EXISTS diversity_measures (
    snapshot_id               TEXT COLLATE "C" NOT NULL,
    recipe                    TEXT COLLATE "C" NOT NULL,
    records                   INTEGER NOT NULL,
    distinct_1                DOUBLE PRECISION NOT NULL,   -- mean over fixed-size word samples
    distinct_2                DOUBLE PRECISION NOT NULL,
    distinct_2_spread         DOUBLE PRECISION NOT NULL,   -- standard deviation across the samples
    sampled_words             INTEGER NOT NULL,
    compression_ratio         DOUBLE PRECISION NOT NULL,
    mean_pairwise_similarity  DOUBLE PRECISION NOT NULL,
    exact_duplicate_share     DOUBLE PRECISION NOT NULL,
    near_duplicate_share      DOUBLE PRECISION NOT NULL,
    created_at                TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP,
    PRIMARY KEY (snapshot_id, recipe)
);

-- A verified_subsets materialization whose every input is known (stages/verify_reuse.py): the
-- input key hashes the generation snapshot, the verifiers' versions and settings, the dedup
-- settings and the earlier verified records it was deduplicated against. A rerun with the same
-- key reuses the snapshot and summary instead of re-reading and re-deduplicating every record.
CREATE TABLE IF NOT EXISTS verify_runs (
    input_key     TEXT COLLATE "C" PRIMARY KEY,
    snapshot_id   TEXT COLLATE "C" NOT NULL,
    summary       json_text NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

-- A partition's teacher_generations run whose every planned generation was stored
-- (stages/teacher_reuse.py): a later run with the same key takes the snapshot.
CREATE TABLE IF NOT EXISTS teacher_runs (
    input_key     TEXT COLLATE "C" PRIMARY KEY,
    snapshot_id   TEXT COLLATE "C" NOT NULL,
    planned       BIGINT NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS generation_plans (
    plan_id        TEXT COLLATE "C" PRIMARY KEY,   -- run, partition, spec hash and seeds
    partition_key  TEXT COLLATE "C" NOT NULL,
    generations    BIGINT,
    derived_seeds  json_text NOT NULL,         -- recipe -> [{seed, parent_ids}] of later rounds
    created_at     TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS planned_generations (
    plan_id        TEXT COLLATE "C" NOT NULL,
    position       BIGINT NOT NULL,       -- order of planning; windows are position ranges
    generation_id  TEXT COLLATE "C" NOT NULL,
    call_id        TEXT COLLATE "C" NOT NULL,
    teacher        TEXT COLLATE "C" NOT NULL,
    prompt_id      TEXT COLLATE "C" NOT NULL,
    sample_index   INTEGER NOT NULL,
    sampling_seed  BIGINT NOT NULL        -- the request's seed parameter
);

CREATE TABLE IF NOT EXISTS planned_prompts (
    plan_id        TEXT COLLATE "C" NOT NULL,
    prompt_id      TEXT COLLATE "C" NOT NULL,
    body           json_text NOT NULL
);

CREATE TABLE IF NOT EXISTS ge_results (
    result_key  TEXT COLLATE "C" PRIMARY KEY,
    suite       TEXT COLLATE "C" NOT NULL,
    rows        json_text NOT NULL,        -- per expectation: description, type, kwargs, success, observed
    created_at  TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS preference_materializations (
    materialization_id        TEXT COLLATE "C" PRIMARY KEY,
    preference_set            TEXT COLLATE "C" NOT NULL,
    pairs_snapshot_id         TEXT COLLATE "C" NOT NULL,
    candidates_snapshot_id    TEXT COLLATE "C" NOT NULL,
    contaminated_snapshot_id  TEXT COLLATE "C" NOT NULL,
    clean_snapshot_id         TEXT COLLATE "C" NOT NULL,
    judged_snapshot_id        TEXT COLLATE "C" NOT NULL,
    spec_hash                 TEXT COLLATE "C" NOT NULL,
    settings                  json_text NOT NULL,    -- the set, its recipes' verifiers (+ versions)
    counts                    json_text NOT NULL,    -- pairs per source
    first_run_id              TEXT COLLATE "C" NOT NULL,
    created_at                TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS teacher_batches (
    batch_key      TEXT COLLATE "C" PRIMARY KEY,     -- our id; the provider-side metadata tag and file name
    partition_key  TEXT COLLATE "C" NOT NULL,
    teacher        TEXT COLLATE "C" NOT NULL,
    model          TEXT COLLATE "C" NOT NULL,
    api_base       TEXT COLLATE "C",
    request_count  INTEGER NOT NULL,
    created_at     TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS teacher_batch_requests (
    batch_key     TEXT COLLATE "C" NOT NULL,
    call_id       TEXT COLLATE "C" NOT NULL,
    model         TEXT COLLATE "C" NOT NULL,
    params        json_text NOT NULL,
    messages      json_text NOT NULL,
    sample_index  INTEGER NOT NULL,
    PRIMARY KEY (batch_key, call_id)
);

CREATE TABLE IF NOT EXISTS teacher_batch_events (
    event_id        TEXT COLLATE "C" PRIMARY KEY,
    batch_key       TEXT COLLATE "C" NOT NULL,
    event           TEXT COLLATE "C" NOT NULL,       -- uploaded | created | status | ingested | cancel_requested
    file_id         TEXT COLLATE "C",
    batch_id        TEXT COLLATE "C",
    status          TEXT COLLATE "C",                -- the provider's: validating | in_progress | finalizing | completed | failed | expired | cancelling | cancelled
    completed       INTEGER,
    failed          INTEGER,
    total           INTEGER,
    output_file_id  TEXT COLLATE "C",
    error_file_id   TEXT COLLATE "C",
    created_at      TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS preference_runs (
    input_key            TEXT COLLATE "C" PRIMARY KEY,
    preference_set       TEXT COLLATE "C" NOT NULL,
    materialization_id   TEXT COLLATE "C" NOT NULL,
    pairs_snapshot_id    TEXT COLLATE "C" NOT NULL,
    counts               json_text NOT NULL,       -- pairs per source
    rl_prompts           INTEGER NOT NULL,
    export_digest        TEXT COLLATE "C" NOT NULL,    -- sha256 over the export folder's files
    created_at           TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE TABLE IF NOT EXISTS preference_pair_scans (
    pairs_snapshot_id    TEXT COLLATE "C" NOT NULL,
    scan_fingerprint     TEXT COLLATE "C" NOT NULL,
    hits                 json_text NOT NULL,       -- source -> pairs with a hit
    PRIMARY KEY (pairs_snapshot_id, scan_fingerprint)
);
