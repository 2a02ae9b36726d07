"""final_mixtures: blend verified, clean synthetic records with real ones at the spec's ratio,
record every pick in lineage and export the result."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.mix.export import export_row, write_export
from synth_assets.mix.real_sources import load_real_source
from synth_assets.mix.sample import plan_counts, rank_key, sample_ids
from synth_assets.recipes.records import training_pair
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import MixtureSpec

STAGE = "final_mixtures"


@dataclass(frozen=True)
class MixtureResult:
    mixture: str
    snapshot_id: str
    export_dir: Path
    manifest: dict[str, Any]
    records: pd.DataFrame


def run_mixture_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    clean_snapshot_id: str,
    export_root: Path,
    run_id: str,
    log: Callable[[str], None] = print,
) -> list[MixtureResult]:
    spec = loaded.spec
    real_rows = [
        row
        for name, source in spec.real_sources.items()
        for row in load_real_source(name, loaded.resolve(source.path))
    ]
    with store.writer() as writer:
        writer.insert_new("real_records", real_rows)
    cleared = store.query_frame("cleared_generations_in_snapshot", snapshot_id=clean_snapshot_id)
    return [
        _mix_one(store, loaded, name, mixture, cleared, clean_snapshot_id,
                 export_root / name, run_id, log)
        for name, mixture in spec.mixtures.items()
    ]


def _mix_one(
    store: LineageStore,
    loaded: LoadedSpec,
    name: str,
    mixture: MixtureSpec,
    cleared: pd.DataFrame,
    clean_snapshot_id: str,
    export_dir: Path,
    run_id: str,
    log: Callable[[str], None],
) -> MixtureResult:
    synthetic = cleared[cleared["recipe"].isin(mixture.recipes)]
    real = store.query_with_ids("real_records_of_sources", mixture.real_sources)
    n_synthetic, n_real = plan_counts(len(synthetic), len(real), mixture.real_fraction,
                                      mixture.size)
    log(f"mixture {name}: {n_synthetic} synthetic of {len(synthetic)} cleared, "
        f"{n_real} real of {len(real)} available")
    picked_synthetic = synthetic.set_index("generation_id").loc[
        sample_ids(synthetic["generation_id"].tolist(), n_synthetic, mixture.seed)
    ].reset_index()
    picked_real = real.set_index("real_id").loc[
        sample_ids(real["real_id"].tolist(), n_real, mixture.seed)
    ].reset_index()

    records, edges = [], []
    for row in picked_synthetic.itertuples():
        record_id = content_id("mix", name, row.generation_id)
        instruction, response = training_pair(row.seed_kind, row.seed_payload, row.fields,
                                              row.text)
        records.append({
            "mixture_record_id": record_id, "mixture": name, "source_kind": "synthetic",
            "source_record_id": row.generation_id,
            "domain": loaded.spec.recipes[row.recipe].domain,
            "instruction": instruction,
            "response": response,
        })
        edges += [(record_id, row.scan_id, "cleared_by"), (record_id, row.generation_id, "samples")]
    for row in picked_real.itertuples():
        record_id = content_id("mix", name, row.real_id)
        records.append({
            "mixture_record_id": record_id, "mixture": name, "source_kind": "real",
            "source_record_id": row.real_id, "domain": row.domain,
            "instruction": row.instruction, "response": row.response,
        })
        edges.append((record_id, row.real_id, "samples"))
    records.sort(key=lambda record: rank_key(record["mixture_record_id"], mixture.seed))
    with store.writer() as writer:
        writer.insert_new("mixture_records", records)
        writer.link(edges)
        snapshot_id = writer.record_snapshot(STAGE, name, [r["mixture_record_id"] for r in records])

    manifest = write_export(
        [export_row({**r, "id": r["mixture_record_id"]}) for r in records],
        export_dir,
        mixture.formats,
        {
            "mixture": name,
            "spec_hash": loaded.spec_hash,
            "spec_path": str(loaded.path),
            "run_id": run_id,
            "input_snapshot": clean_snapshot_id,
            "mixture_snapshot": snapshot_id,
            "seed": mixture.seed,
            "real_fraction_requested": mixture.real_fraction,
            "counts": {"synthetic": n_synthetic, "real": n_real, "total": len(records)},
            "counts_by_domain": dict(sorted(Counter(r["domain"] for r in records).items())),
        },
    )
    return MixtureResult(name, snapshot_id, export_dir, manifest, pd.DataFrame(records))
