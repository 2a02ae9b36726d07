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

-- One row per scanned record and benchmark index: the record's contamination verdict.
CREATE TABLE IF NOT EXISTS contamination_verdicts (
    scan_id             VARCHAR PRIMARY KEY,
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
CREATE TABLE IF NOT EXISTS mixture_records (
    mixture_record_id  VARCHAR PRIMARY KEY,
    mixture            VARCHAR NOT NULL,
    source_kind        VARCHAR NOT NULL,    -- synthetic | real
    source_record_id   VARCHAR NOT NULL,
    domain             VARCHAR NOT NULL,
    instruction        VARCHAR NOT NULL,
    response           VARCHAR NOT NULL,
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

CREATE TABLE IF NOT EXISTS edges (
    child_id   VARCHAR NOT NULL,
    parent_id  VARCHAR NOT NULL,
    relation   VARCHAR NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);

-- Contamination evidence added later: which part of the record matched and an excerpt of it.
-- ALTER ... IF NOT EXISTS also upgrades stores created before these columns existed.
ALTER TABLE contamination_hits ADD COLUMN IF NOT EXISTS segment VARCHAR DEFAULT 'text';
ALTER TABLE contamination_hits ADD COLUMN IF NOT EXISTS record_excerpt VARCHAR DEFAULT '';

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
    SELECT prompt_id, 'prompt', 2, created_at,
           json_object('recipe', recipe, 'messages', messages)
    FROM prompts
    UNION ALL
    SELECT call_id, 'teacher_call', 3, created_at,
           json_object('model', model, 'params', params, 'sample_index', sample_index,
                       'prompt_tokens', prompt_tokens, 'completion_tokens', completion_tokens,
                       'cost_usd', cost_usd, 'latency_s', round(latency_s, 3),
                       'finish_reason', finish_reason)
    FROM teacher_calls
    UNION ALL
    SELECT generation_id, 'generation', 4, created_at,
           json_object('recipe', recipe, 'sample_index', sample_index, 'text', text)
    FROM generations
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
    FROM contamination_quarantines;
