"""Rounds: a recipe with `seeds_from` takes the verified records of an earlier recipe as its
seeds (generate, verify, reuse).

The parents are the earlier recipe's generations planned in the same materialization that
the admission rule admits (verdict_ledger.admitted_generations: verdicts at the current verifier
versions meeting the spec's min_score thresholds, not dropped as duplicates). Verdicts are made by
`verified_subsets`, after `teacher_generations`, so round n+1 has parents from the
materialization after the one that verified round n: a fresh store needs n materializations
for n rounds. Each parent record becomes a seed (`seed_set` = `recipe:<parent recipe>`) linked
to the generation it came from."""

from dataclasses import dataclass

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.records import record_fields
from synth_assets.recipes.seeds import SeedRecord, missing_required_fields
from synth_assets.spec import LoadedSpec
from synth_assets.verdict_ledger import admitted_generations

DERIVED_RELATION = "derived_from"


class RoundError(ValueError):
    pass


@dataclass(frozen=True)
class DerivedSeed:
    seed: SeedRecord
    parent_ids: tuple[str, ...]

    def edges(self) -> list[tuple[str, str, str]]:
        return [(self.seed.seed_id, parent, DERIVED_RELATION) for parent in self.parent_ids]


def derived_seeds(
    store: LineageStore, loaded: LoadedSpec, recipe_name: str,
    parents: list[tuple[str, SeedRecord]],
) -> list[DerivedSeed]:
    """Seeds for `recipe_name` from its round's parents, given as (generation id, seed)."""
    source = loaded.spec.recipes[recipe_name].seeds_from
    seed_of = dict(parents)
    records = store.query_with_ids("generation_records", list(seed_of))
    stored = records[records["fields"].notna()]
    verified = admitted_generations(store, loaded,
                                    stored[["generation_id", "recipe", "seed_payload"]])
    by_id: dict[str, tuple[SeedRecord, list[str]]] = {}
    for row in stored[stored["generation_id"].isin(verified)].itertuples():
        parent_seed = seed_of[row.generation_id]
        kind = source.kind or parent_seed.kind
        payload = record_fields(parent_seed.payload, row.fields)
        missing = missing_required_fields(kind, payload)
        if missing:
            raise RoundError(
                f"recipe {recipe_name!r} reads {source.recipe!r} as {kind} seeds, but record "
                f"{row.generation_id} has no {', '.join(missing)} (it has: "
                f"{', '.join(sorted(payload))}); set seeds_from.kind or add record fields"
            )
        seed_set = f"recipe:{source.recipe}"
        seed = SeedRecord(
            seed_id=content_id("seed", seed_set, kind, payload), seed_set=seed_set, kind=kind,
            payload=payload, source_file=row.generation_id, source_line=0,
        )
        by_id.setdefault(seed.seed_id, (seed, []))[1].append(row.generation_id)
    return [DerivedSeed(seed, tuple(ids)) for seed, ids in by_id.values()]
