"""final_mixtures: blend verified, clean synthetic records with real ones as each mixture of the
spec asks, record every pick in lineage and export the result."""

from collections.abc import Callable, Sequence
from pathlib import Path

from synth_assets.lineage.store import LineageStore
from synth_assets.mix.materialize import MixtureInputs, MixtureResult, materialize_mixture
from synth_assets.mix.real_sources import load_real_source
from synth_assets.spec import LoadedSpec

STAGE = "final_mixtures"


def load_real_records(store: LineageStore, loaded: LoadedSpec, sources: Sequence[str]
                      ) -> list[str]:
    """Read and store the named real sources (every file is validated before anything is
    written); returns the ids of their records."""
    rows = [row for name in sources
            for row in load_real_source(name, loaded.spec.real_sources[name], loaded.resolve)]
    with store.writer() as writer:
        writer.insert_new("real_records", rows)
    return [row["real_id"] for row in rows]


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
