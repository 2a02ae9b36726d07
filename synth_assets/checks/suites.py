"""The Great Expectations suite of each stage: which frame it validates and what it expects.
Thresholds come from the spec's `quality`, `contamination` and `mixtures` sections."""

import pandas as pd

from synth_assets.checks.ge_adapter import Expectation
from synth_assets.decontam.report import contamination_rates
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.seeds import REQUIRED_FIELDS
from synth_assets.spec import LoadedSpec


def _unique_ids(column: str) -> list[Expectation]:
    return [
        Expectation("ExpectColumnValuesToNotBeNull", {"column": column},
                    f"every record has a {column}"),
        Expectation("ExpectColumnValuesToBeUnique", {"column": column},
                    f"no {column} appears twice"),
    ]


def seed_sets_suite(store: LineageStore, loaded: LoadedSpec, snapshot_id: str
                    ) -> tuple[pd.DataFrame, list[Expectation]]:
    seeds = store.query_frame("seeds_in_snapshot", snapshot_id=snapshot_id)
    counts = seeds.groupby("seed_set").size()
    frame = seeds[["seed_id", "seed_set", "kind"]].assign(
        seeds_in_set=seeds["seed_set"].map(counts).fillna(0).astype(int)
    )
    minimum = loaded.spec.quality.min_seeds_per_set
    return frame, [
        Expectation("ExpectTableRowCountToBeBetween", {"min_value": max(minimum, 1)},
                    "the seed sets are not empty"),
        *_unique_ids("seed_id"),
        Expectation("ExpectColumnValuesToBeInSet",
                    {"column": "seed_set", "value_set": sorted(loaded.spec.seed_sets)},
                    "every seed belongs to a seed set of the spec"),
        Expectation("ExpectColumnValuesToBeInSet",
                    {"column": "kind", "value_set": sorted(REQUIRED_FIELDS)},
                    "every seed has a known kind"),
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "seeds_in_set", "min_value": minimum},
                    f"every seed set has at least {minimum} seeds (quality.min_seeds_per_set)"),
    ]


def _rows_required(loaded: LoadedSpec) -> int:
    """Whether a recipe-day's snapshot must hold any row: not when quality.min_generations is
    0 (a later round whose source round admitted nothing that day has nothing to answer)."""
    return 1 if loaded.spec.quality.min_generations else 0


def teacher_generations_suite(store: LineageStore, loaded: LoadedSpec, snapshot_id: str
                              ) -> tuple[pd.DataFrame, list[Expectation]]:
    """Validates per-recipe aggregates DuckDB computes over every generation of the snapshot
    (snapshot_generation_aggregates): each rule still covers every row, and the check costs
    the same at 500 or 500,000 generations."""
    frame = store.query_frame("snapshot_generation_aggregates", snapshot_id=snapshot_id)
    minimum = loaded.spec.quality.min_generations
    return frame, [
        Expectation("ExpectTableRowCountToBeBetween", {"min_value": _rows_required(loaded)},
                    "the snapshot holds generations"),
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "snapshot_generations", "min_value": minimum},
                    f"at least {minimum} generations (quality.min_generations)"),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "missing_ids", "max_value": 0},
                    "every record has a generation_id"),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "repeated_ids", "max_value": 0},
                    "no generation_id appears twice"),
        Expectation("ExpectColumnValuesToBeInSet",
                    {"column": "recipe", "value_set": sorted(loaded.spec.recipes)},
                    "every generation comes from a recipe of the spec"),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "min_text_chars", "min_value": 1},
                    "no generation is empty"),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "min_cost_usd", "min_value": 0},
                    "costs are not negative"),
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "min_completion_tokens", "min_value": 0},
                    "token counts are not negative"),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "min_latency_s", "min_value": 0},
                    "latencies are not negative"),
    ]


def verified_subsets_suite(store: LineageStore, loaded: LoadedSpec, snapshot_id: str,
                           generations_snapshot_id: str) -> tuple[pd.DataFrame, list[Expectation]]:
    judged = store.query_frame("snapshot_generation_counts", snapshot_id=generations_snapshot_id)
    passed = store.query_frame("snapshot_generation_counts", snapshot_id=snapshot_id)
    frame = judged.merge(passed, on="recipe", how="left", suffixes=("_judged", "_passed"))
    frame = frame.fillna({"generations_passed": 0})
    total_judged = frame["generations_judged"].sum()
    overall = frame["generations_passed"].sum() / total_judged if total_judged else 0.0
    frame = frame.assign(overall_pass_rate=overall)
    floor = loaded.spec.quality.min_pass_rate
    return frame, [
        Expectation("ExpectTableRowCountToBeBetween", {"min_value": _rows_required(loaded)},
                    "some generations were judged"),
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "overall_pass_rate", "min_value": floor, "max_value": 1.0},
                    f"the pass rate over all recipes is at least {floor} (quality.min_pass_rate)"),
    ]


def contamination_reports_suite(store: LineageStore, loaded: LoadedSpec, snapshot_id: str,
                                verified_snapshot_id: str
                                ) -> tuple[pd.DataFrame, list[Expectation]]:
    """One row for all benchmarks together and one per benchmark, each with its ceiling: the
    benchmark's max_contaminated_rate, else contamination.max_contaminated_rate."""
    scanned = int(store.query("snapshot_size", snapshot_id=verified_snapshot_id)[0]["members"])
    clean = int(store.query("snapshot_size", snapshot_id=snapshot_id)[0]["members"])
    ceiling = loaded.spec.contamination.max_contaminated_rate
    rows = [{"benchmark": "(all)", "records_scanned": scanned, "records_clean": clean,
             "contaminated_rate": (scanned - clean) / scanned if scanned else 0.0,
             "ceiling": ceiling}]
    fingerprint = store.query("snapshot_label", snapshot_id=snapshot_id)[0]["label"]
    benchmarks = loaded.spec.benchmarks
    for rate in contamination_rates(store, benchmarks, verified_snapshot_id,
                                    fingerprint).itertuples():
        own_ceiling = benchmarks[rate.benchmark].max_contaminated_rate
        rows.append({"benchmark": rate.benchmark, "records_scanned": rate.records_scanned,
                     "records_clean": rate.records_scanned - rate.records_hit,
                     "contaminated_rate": rate.contaminated_rate,
                     "ceiling": own_ceiling if own_ceiling is not None else ceiling})
    return pd.DataFrame(rows), [
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "contaminated_rate", "min_value": 0.0, "max_value": ceiling},
                    f"at most {ceiling:.0%} of verified records overlap a benchmark "
                    "(contamination.max_contaminated_rate)"),
        Expectation("ExpectColumnPairValuesAToBeGreaterThanB",
                    {"column_A": "ceiling", "column_B": "contaminated_rate", "or_equal": True},
                    "each benchmark's contaminated share is within its ceiling "
                    "(benchmarks.<name>.max_contaminated_rate)"),
    ]
