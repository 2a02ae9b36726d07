"""final_mixtures: blend verified, clean synthetic records with real ones as each mixture of the
spec asks, record every pick in lineage and export the result."""

from collections.abc import Callable, Sequence
from itertools import islice
from pathlib import Path

from synth_assets.lineage.stages import FINAL_MIXTURES
from synth_assets.lineage.store import LineageStore
from synth_assets.mix.materialize import MixtureInputs, MixtureResult, materialize_mixture
from synth_assets.mix.real_sources import load_real_source
from synth_assets.spec import LoadedSpec

STAGE = FINAL_MIXTURES
REAL_BATCH_ROWS = 20_000


def load_real_records(store: LineageStore, loaded: LoadedSpec, sources: Sequence[str]
                      ) -> list[str]:
    """Read and store the named real sources in one transaction (a bad row anywhere stores
    nothing), streaming them in batches; returns the ids of their records. Records removed by
    `synth forget` stay removed."""
    forgotten = {row["record_id"] for row in store.query_rows("forgotten_ids")}
    ids: list[str] = []
    with store.writer() as writer:
        for name in sources:
            rows = (row for row in load_real_source(name, loaded.spec.real_sources[name],
                                                    loaded.resolve)
                    if row["real_id"] not in forgotten)
            while batch := list(islice(rows, REAL_BATCH_ROWS)):
                writer.insert_new("real_records", batch)
                ids += [row["real_id"] for row in batch]
    return ids


def run_mixture_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    clean_snapshot_id: str,
    judged_snapshot_id: str,
    export_root: Path,
    run_id: str,
    log: Callable[[str], None] = print,
    mixtures: Sequence[str] | None = None,
) -> list[MixtureResult]:
    """Materialize the named mixtures (default: all of the spec's)."""
    names = list(loaded.spec.mixtures) if mixtures is None else list(mixtures)
    sources = sorted({s for name in names for s in loaded.spec.mixtures[name].real_sources})
    inputs = MixtureInputs(clean_snapshot_id, judged_snapshot_id,
                           load_real_records(store, loaded, sources))
    return [materialize_mixture(store, loaded, name, inputs, export_root / name, run_id, log)
            for name in names]
