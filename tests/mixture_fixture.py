"""A lineage store filled directly in DuckDB with verified, clean synthetic records (no teacher,
no verifiers), plus a spec whose mixtures read them: for mixture tests and the mixture
benchmark, at any size."""

from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import yaml

from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec, load_spec
from synth_assets.spec.default_filters import FILTERS_BY_DOMAIN

JUDGED = "snap_fixture_judged"
CLEAN = "snap_fixture_clean"
FINGERPRINT = "fixture-index"

# Every third record answers an instruction (domain general), the rest a math question.
FILL_SQL = """
CREATE TEMP TABLE fixture AS
SELECT i,
       CASE WHEN i % 3 = 0 THEN 'chat' ELSE 'math_cot' END AS recipe,
       CASE WHEN i % 3 = 0 THEN 'instruction' ELSE 'math' END AS kind,
       'seed_' || left(md5('seed' || i || $tag), 20) AS seed_id,
       'gen_' || left(md5('gen' || i || $tag), 20) AS generation_id,
       'scan_' || left(md5('scan' || i || $tag), 20) AS scan_id
FROM range($start, $start + $count) AS r(i);
INSERT INTO seeds BY NAME
SELECT seed_id, recipe AS seed_set, kind,
       CASE WHEN kind = 'math'
            THEN json_object('question', 'How much is ' || i || ' plus ' || (i % 97) || '?',
                             'answer', (i + i % 97)::VARCHAR)
            ELSE json_object('instruction', 'Write a sentence about the number ' || i || '.')
       END AS payload,
       'fixture.jsonl' AS source_file, i::INTEGER AS source_line
FROM fixture;
INSERT INTO generations BY NAME
SELECT generation_id, recipe, 'prm_' || seed_id AS prompt_id, 'call_' || seed_id AS call_id,
       seed_id, 0 AS sample_index,
       'The answer: ' || repeat('step ', 3 + i % 40) || (i + i % 97)::VARCHAR || '.' AS text
FROM fixture;
INSERT INTO contamination_verdicts BY NAME
SELECT scan_id, generation_id, $fingerprint AS index_fingerprint, false AS contaminated,
       0 AS hit_count
FROM fixture;
INSERT OR IGNORE INTO snapshots VALUES
    ($judged, 'teacher_generations', '*', 0, current_timestamp),
    ($clean, 'contamination_reports', '*', 0, current_timestamp);
INSERT INTO snapshot_members SELECT $judged, generation_id FROM fixture;
INSERT INTO snapshot_members SELECT $clean, scan_id FROM fixture;
DROP TABLE fixture;
"""


def fill_statements(count: int, start: int = 0, tag: str = "", judged: str = JUDGED,
                    clean: str = CLEAN) -> list[tuple[str, dict[str, Any]]]:
    """FILL_SQL's statements, each with its parameters: plain data, so that the benchmark can
    fill a store of an earlier version of this package with the same records."""
    params = {"start": start, "count": count, "tag": tag, "fingerprint": FINGERPRINT,
              "judged": judged, "clean": clean}
    return [(sql, {k: v for k, v in params.items() if f"${k}" in sql})
            for sql in filter(str.strip, FILL_SQL.split(";"))]


def fill_verified_records(store: LineageStore, count: int, start: int = 0, tag: str = "",
                          judged: str = JUDGED, clean: str = CLEAN) -> None:
    """`count` verified, clean generations (ids start..start+count) in the judged and clean
    snapshots named."""
    with store.connection() as connection:
        for sql, params in fill_statements(count, start, tag, judged, clean):
            connection.execute(sql, params)


def write_real_parquet(path: Path, count: int) -> Path:
    """`count` human-written records, a third of each domain."""
    domains = ["math", "code", "general"]
    path.parent.mkdir(parents=True, exist_ok=True)
    relation = duckdb.sql(
        "SELECT 'Real question ' || i || '?' AS instruction, "
        "'A human answer ' || repeat('word ', 2 + i % 30) || i AS response, "
        f"{domains!r}[1 + i % 3] AS domain, 'CC0-1.0' AS license FROM range({count}) r(i)"
    )
    pq.write_table(relation.to_arrow_table(), path)
    return path


def write_mixture_spec(folder: Path, mixtures: dict[str, Any], real_count: int = 60) -> LoadedSpec:
    write_real_parquet(folder / "real.parquet", real_count)
    spec = {
        "version": 1,
        "seed_sets": {"math_cot": {"path": "seeds.jsonl", "kind": "math"},
                      "chat": {"path": "seeds.jsonl", "kind": "instruction"}},
        "teachers": {"t": {"model": "openai/fixture"}},
        "recipes": {
            # no verifiers: the fixture's records are verified by fiat
            "math_cot": {"seed_set": "math_cot", "teacher": "t", "template": "{{ question }}",
                         "domain": "math", "skip_filters": FILTERS_BY_DOMAIN["math"]},
            "chat": {"seed_set": "chat", "teacher": "t", "template": "{{ instruction }}",
                     "domain": "general", "skip_filters": FILTERS_BY_DOMAIN["general"]},
        },
        "real_sources": {"human": {"path": "real.parquet"}},
        "mixtures": mixtures,
    }
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return load_spec(path)
