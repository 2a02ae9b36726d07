"""Quarantine and the clean snapshot: a record with no hit of its own is still held back when
the seed it derives from (through lineage, over any number of rounds) is itself contaminated;
the clean snapshot is the run's clean scans less those."""

from synth_assets.decontam.throughput import CleanScans
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.stages import CONTAMINATION_REPORTS
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec

STAGE = CONTAMINATION_REPORTS


def quarantine(store: LineageStore, loaded: LoadedSpec, snapshot_id: str, fingerprint: str,
               clean: CleanScans) -> list[str]:
    """Hold back the clean records derived from a contaminated seed; returns their ids."""
    if not loaded.spec.contamination.quarantine_seed_descendants:
        return []
    seeds = store.query_frame("contaminated_seeds_in_snapshot", snapshot_id=snapshot_id,
                              index_fingerprint=fingerprint)
    if seeds.empty:
        return []
    hit_of_seed = dict(zip(seeds["seed_id"], seeds["hit_id"], strict=True))
    derived = store.query_with_ids("snapshot_generations_derived_from", list(hit_of_seed),
                                   snapshot_id=snapshot_id)
    cleared = store.query_with_ids("spilled_clean_generations", derived["generation_id"].unique(),
                                   clean_file=str(clean.path))
    derived = derived[derived["generation_id"].isin(set(cleared["generation_id"]))]
    rows, edges = [], []
    for seed_id, generation_id in zip(derived["origin_id"], derived["generation_id"],
                                      strict=True):
        quarantine_id = content_id("qrn", generation_id, seed_id, fingerprint)
        rows.append({"quarantine_id": quarantine_id, "generation_id": generation_id,
                     "seed_id": seed_id, "hit_id": hit_of_seed[seed_id],
                     "index_fingerprint": fingerprint})
        edges += [(quarantine_id, generation_id, "quarantines"),
                  (quarantine_id, hit_of_seed[seed_id], "because_of")]
    with store.writer() as writer:
        writer.insert_new("contamination_quarantines", rows)
        writer.link(edges)
    return sorted(set(derived["generation_id"]))


def record_clean_snapshot(store: LineageStore, fingerprint: str, clean: CleanScans,
                          quarantined: list[str]) -> str:
    """The snapshot of the clean scans less the quarantined records, labelled with the index
    fingerprint so checks can find this run's hits; returns its id."""
    with store.writer() as writer:
        writer.register("quarantined_now", [{"generation_id": gid} for gid in quarantined],
                        ["generation_id"])
        return writer.record_snapshot_of(STAGE, fingerprint, "queries.sql",
                                         "spilled_clean_scans", clean_file=str(clean.path))
