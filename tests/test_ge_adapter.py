"""validate_frame runs real Great Expectations and blocks downstream assets on failure."""

import subprocess
import sys

import dagster as dg
import pandas as pd
import pytest

from synth_assets.defs.ge_adapter import Expectation, validate_frame

SEED_EXPECTATIONS = [
    Expectation("ExpectColumnValuesToNotBeNull", {"column": "seed_id"}, "every seed has an id"),
    Expectation("ExpectColumnValuesToBeUnique", {"column": "seed_id"}, "seed ids are unique"),
    Expectation(
        "ExpectColumnValuesToBeBetween",
        {"column": "difficulty", "min_value": 1, "max_value": 5},
        "difficulty is between 1 and 5",
    ),
    Expectation("ExpectTableRowCountToBeBetween", {"min_value": 3}, "at least 3 seeds"),
]


def good_frame() -> pd.DataFrame:
    return pd.DataFrame({"seed_id": ["a", "b", "c", "d"], "difficulty": [1, 2, 5, 3]})


def test_passing_frame_passes() -> None:
    result = validate_frame(good_frame(), SEED_EXPECTATIONS, "seeds")

    assert result.passed
    assert result.metadata["evaluated"].value == 4
    assert result.metadata["failed"].value == 0
    assert result.metadata["failed_expectations"].value == "none"
    table = result.metadata["expectations"].value
    assert table.count("| pass |") == 4
    assert "every seed has an id" in table


@pytest.mark.parametrize(
    ("frame", "failing", "shown_in_table"),
    [
        (
            pd.DataFrame({"seed_id": ["a", None, "c"], "difficulty": [1, 2, 3]}),
            "every seed has an id",
            "1 unexpected of 3",
        ),
        (
            pd.DataFrame({"seed_id": ["a", "b", "b"], "difficulty": [1, 2, 3]}),
            "seed ids are unique",
            "'b' x2",
        ),
        (
            pd.DataFrame({"seed_id": ["a", "b", "c"], "difficulty": [1, 9, 3]}),
            "difficulty is between 1 and 5",
            "9 x1",
        ),
        (
            pd.DataFrame({"seed_id": ["a", "b"], "difficulty": [1, 2]}),
            "at least 3 seeds",
            "observed 2",
        ),
    ],
    ids=["null_id", "duplicate_ids", "out_of_range", "too_few_rows"],
)
def test_bad_frame_fails_naming_the_expectation(
    frame: pd.DataFrame, failing: str, shown_in_table: str
) -> None:
    result = validate_frame(frame, SEED_EXPECTATIONS, "seeds")

    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert result.metadata["evaluated"].value == 4
    assert result.metadata["failed"].value == 1
    assert failing in result.metadata["failed_expectations"].value
    assert failing in (result.description or "")
    failed_rows = [
        line for line in result.metadata["expectations"].value.splitlines() if "**FAIL**" in line
    ]
    assert len(failed_rows) == 1
    assert failing in failed_rows[0]
    assert shown_in_table in failed_rows[0]


def test_missing_column_fails_with_the_error_shown() -> None:
    expectations = [Expectation("ExpectColumnValuesToNotBeNull", {"column": "nope"}, "has nope")]

    result = validate_frame(good_frame(), expectations, "seeds")

    assert not result.passed
    assert 'The column "nope"' in result.metadata["expectations"].value


def test_no_progress_bars_are_printed(capfd: pytest.CaptureFixture[str]) -> None:
    validate_frame(good_frame(), SEED_EXPECTATIONS, "seeds")

    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err


def test_importing_the_adapter_does_not_import_great_expectations() -> None:
    code = (
        "import sys, synth_assets.defs.ge_adapter; "
        "assert 'great_expectations' not in sys.modules, 'imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_expectation_type_raises_naming_it() -> None:
    expectations = [Expectation("ExpectColumnValuesToBeNotNull", {"column": "seed_id"}, "ids")]

    with pytest.raises(ValueError, match="ExpectColumnValuesToBeNotNull") as err:
        validate_frame(good_frame(), expectations, "seeds")
    assert "ExpectColumnValuesToNotBeNull" in str(err.value)  # the close-match hint


def test_invalid_arguments_raise_value_error() -> None:
    expectations = [Expectation("ExpectColumnValuesToNotBeNull", {"colum": "seed_id"}, "ids")]

    with pytest.raises(ValueError, match="invalid arguments"):
        validate_frame(good_frame(), expectations, "seeds")


def _materialize(frame: pd.DataFrame) -> dg.ExecuteInProcessResult:
    @dg.asset
    def upstream() -> None:
        pass

    @dg.asset(deps=[upstream])
    def downstream() -> None:
        pass

    @dg.asset_check(asset=upstream, blocking=True)
    def upstream_is_valid() -> dg.AssetCheckResult:
        return validate_frame(frame, SEED_EXPECTATIONS, "seeds")

    with dg.DagsterInstance.ephemeral() as instance:
        return dg.materialize(
            [upstream, downstream, upstream_is_valid], raise_on_error=False, instance=instance
        )


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def test_failing_blocking_check_stops_downstream() -> None:
    bad = pd.DataFrame({"seed_id": ["a", "a", "c"], "difficulty": [1, 2, 3]})

    result = _materialize(bad)

    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert "seed ids are unique" in evaluation.metadata["failed_expectations"].value
    assert _materialized(result) == {"upstream"}
    assert not result.success


def test_passing_blocking_check_lets_downstream_run() -> None:
    result = _materialize(good_frame())

    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed
    assert _materialized(result) == {"upstream", "downstream"}
    assert result.success


def test_a_stored_outcome_is_reused_only_for_the_same_frame_and_suite(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from synth_assets.defs import ge_adapter
    from synth_assets.lineage.store import LineageStore

    store = LineageStore(tmp_path / "synth.duckdb")
    first = validate_frame(good_frame(), SEED_EXPECTATIONS, "seeds", store)
    validated = []
    real = ge_adapter._validated_rows

    def counted(*args):
        validated.append(args[2])
        return real(*args)

    monkeypatch.setattr(ge_adapter, "_validated_rows", counted)
    again = validate_frame(good_frame(), SEED_EXPECTATIONS, "seeds", store)
    assert validated == []  # read back: GX did not run
    assert (again.passed, again.description) == (first.passed, first.description)
    assert {k: v.value for k, v in again.metadata.items()} == \
        {k: v.value for k, v in first.metadata.items()}

    # Whatever differs is validated again, and judged on its own: one value out of range, a
    # float a hair above the ceiling, an integer column turned float, another expectation.
    out_of_range = good_frame().assign(difficulty=[1, 2, 6, 3])
    assert not validate_frame(out_of_range, SEED_EXPECTATIONS, "seeds", store).passed
    ceiling = [Expectation("ExpectColumnValuesToBeBetween",
                           {"column": "rate", "max_value": 0.1}, "rate at most 0.1")]
    at = pd.DataFrame({"rate": [0.1]})
    above = pd.DataFrame({"rate": [0.1 + 2 ** -56]})
    assert validate_frame(at, ceiling, "rates", store).passed
    assert not validate_frame(above, ceiling, "rates", store).passed
    as_float = good_frame().astype({"difficulty": float})
    assert validate_frame(as_float, SEED_EXPECTATIONS, "seeds", store).passed
    stricter = [*SEED_EXPECTATIONS[:3], Expectation("ExpectTableRowCountToBeBetween",
                                                    {"min_value": 5}, "at least 5 seeds")]
    assert not validate_frame(good_frame(), stricter, "seeds", store).passed
    assert validated == ["seeds", "rates", "rates", "seeds", "seeds"]
