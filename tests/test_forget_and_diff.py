"""`synth diff`, `synth why` and `synth forget` on a real pipeline run (Dagster, litellm to the
local stub teacher): a raised verifier threshold is named as the reason a record left the
mixture, and forgetting a seed removes exactly it and what was derived from it."""

import os
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from synth_assets.cli import main
from synth_assets.lineage.forget import EXTENSIONS_OF_KIND, TABLE_OF_KIND
from tests.pipeline_fixture import run_pipeline
from tests.test_pipeline_end_to_end import row_counts, stub_pipeline  # noqa: F401

SKY = "%sky looks blue%"


def ids_by_table(db: Path) -> dict[str, set[str]]:
    keyed = [*TABLE_OF_KIND.values(), *(t for ts in EXTENSIONS_OF_KIND.values() for t in ts)]
    with duckdb.connect(str(db), read_only=True) as connection:
        tables = {table: connection.execute(f"SELECT {column} FROM {table}").fetchall()
                  for table, column in keyed}
        tables["edges"] = connection.execute("SELECT child_id, parent_id FROM edges").fetchall()
    return {table: {row if table == "edges" else row[0] for row in rows}
            for table, rows in tables.items()}


def one(db: Path, sql: str, *params: str) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return [row[0] for row in connection.execute(sql, list(params)).fetchall()]


def test_diff_explains_a_raised_verifier_threshold(stub_pipeline, capsys,  # noqa: F811
                                                   dagster_home: Path) -> None:
    _, instance, _ = stub_pipeline
    db = dagster_home / "synth.duckdb"
    assert run_pipeline(instance).success
    sky = one(db, "SELECT g.generation_id FROM generations g JOIN seeds s USING (seed_id) "
                  "WHERE s.payload LIKE ?", SKY)[0]
    sky_mix = one(db, "SELECT mixture_record_id FROM mixture_records "
                      "WHERE source_record_id = ?", sky)[0]

    spec_path = Path(os.environ["SYNTH_SPEC"])
    spec = yaml.safe_load(spec_path.read_text())
    spec["verifiers"]["length"]["options"]["min_chars"] = 200     # the sky answer has ~117
    spec["quality"]["min_pass_rate"] = 0.0    # chat's partition now passes nothing
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert run_pipeline(instance).success

    capsys.readouterr()
    assert main(["diff", "mix"]) == 0
    out = capsys.readouterr().out
    assert "removed (threshold changed): 1" in out
    line = next(text for text in out.splitlines() if sky_mix in text)
    assert sky in line and '"min_chars": 20' in line and '"min_chars": 200' in line
    assert "now fails: length" in line

    assert main(["why", sky]) == 0
    why = capsys.readouterr().out
    assert f"{sky} is NOT in the mixture" in why and "failed verification: length" in why
    assert "shorter than 200 characters" in why   # the verifier's reason, under both views
    assert f"{sky} (chat) is rejected by verification under the current spec:" in why
    assert main(["why", "no_such_record"]) == 2


def test_forget_removes_every_descendant_and_nothing_else(stub_pipeline, capsys,  # noqa: F811
                                                          dagster_home: Path) -> None:
    stub, instance, store = stub_pipeline
    db = dagster_home / "synth.duckdb"
    assert run_pipeline(instance).success
    seed = one(db, "SELECT seed_id FROM seeds WHERE payload LIKE '%Tom had 10 apples%'")[0]
    generations = set(one(db, "SELECT generation_id FROM generations WHERE seed_id = ?", seed))
    in_list = ",".join(f"'{g}'" for g in sorted(generations))
    derived = {
        "seeds": {seed},
        "prompts": set(one(db, "SELECT prompt_id FROM prompts WHERE seed_id = ?", seed)),
        "generations": generations,
        "teacher_calls": set(one(db, f"SELECT call_id FROM generations "
                                     f"WHERE generation_id IN ({in_list})")),
        "verdicts": set(one(db, f"SELECT verdict_id FROM verdicts "
                                f"WHERE generation_id IN ({in_list})")),
        "contamination_verdicts": set(one(db, f"SELECT scan_id FROM contamination_verdicts "
                                              f"WHERE generation_id IN ({in_list})")),
        "mixture_records": set(one(db, f"SELECT mixture_record_id FROM mixture_records "
                                       f"WHERE source_record_id IN ({in_list})")),
    }
    derived["generation_fields"] = generations
    derived["prompt_attributes"] = derived["prompts"]
    assert len(generations) == 2 and len(derived["mixture_records"]) == 1
    before = ids_by_table(db)

    capsys.readouterr()
    assert main(["forget", seed]) == 0
    out = capsys.readouterr().out
    (gone_mix,) = derived["mixture_records"]
    assert f"{gone_mix}: record deleted by a data-removal request" in out
    assert "seeds/math.jsonl:3" in out

    after = ids_by_table(db)
    removed_ids = set().union(*derived.values())
    for table, ids in before.items():
        if table == "edges":
            assert after[table] == {e for e in ids if not set(e) & removed_ids}
        elif table == "mixture_records":    # the republished mixture only drops records
            assert after[table] <= ids - derived[table]
        else:
            assert after[table] == ids - derived.get(table, set()), table

    # The publish job ran through the Dagster instance: its blocking checks passed and its
    # materializations are the catalog's latest.
    [run] = instance.get_run_records(dg.RunsFilter(tags={"synth/trigger": "forget"}))
    assert (run.dagster_run.job_name, run.dagster_run.status) == ("publish",
                                                                  dg.DagsterRunStatus.SUCCESS)
    assert run.dagster_run.tags["synth/forgotten"] == seed
    evaluations = [entry.dagster_event.asset_check_evaluation_data
                   for entry in instance.all_logs(
                       run.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
    checks = {evaluation.check_name: evaluation.passed for evaluation in evaluations}
    assert checks == {"contamination_reports_expectations": True,
                      "final_mixtures_expectations": True, "preference_sets_expectations": True}
    for asset in ["contamination_reports", "final_mixtures", "preference_sets"]:
        latest = instance.get_latest_materialization_event(dg.AssetKey(asset))
        assert latest.run_id == run.dagster_run.run_id, asset

    # The republished export no longer holds it, and a new run does not bring it back.
    assert gone_mix not in (dagster_home / "exports" / "mix" / "data.jsonl").read_text()
    calls = len(stub.requests)
    assert run_pipeline(instance).success
    assert len(stub.requests) == calls
    assert seed not in ids_by_table(db)["seeds"]
    assert row_counts(store)["seeds"] == 6
