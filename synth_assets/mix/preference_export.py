"""A preference set's exports in the formats trainers read, each a folder that
`datasets.load_dataset(folder)` loads (JSONL, Parquet, a dataset card, manifest.json), written by
the mixtures' exporter (synth_assets/mix/export.py):

- dpo/: TRL's conversational preference format, `prompt`, `chosen`, `rejected` as message lists
  (DPOTrainer, ORPOTrainer, CPOTrainer, RewardTrainer);
- kto/: TRL's unpaired preference format, `prompt`, `completion`, `label` (KTOTrainer): each
  pair gives its chosen answer labelled true and its rejected one labelled false;
- rl_prompts/: prompts with what their verifier reward needs (`verifiers`, `seed`), for
  GRPOTrainer with the reward functions of synth_assets.rewards.
"""

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from synth_assets.mix.card import card_front_matter, markdown_table
from synth_assets.mix.export import FILE_NAMES, StagedExport, stage_export

HOW_PAIRS_ARE_FORMED = {
    "verifier": "a sample every verifier of its recipe admits (chosen) against a sample of the "
                "same prompt that failed at least one (rejected); of several failed samples, the "
                "one that failed the fewest verifiers (a hard negative), then seeded hash order",
    "score": "the highest-scored admitted sample (chosen) against the lowest-scored sample of "
             "the same prompt (rejected) by one verifier, when the scores differ by at least "
             "the set's min_margin (UltraFeedback binarization)",
    "revision": "a constitutional revision that passes its verifiers (chosen) against the draft "
                "it revises (rejected)",
}

# Fixed column types, so an empty export has its columns and every batch the same schema.
MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
DPO_SCHEMA = pa.schema([("id", pa.string()), ("source", pa.string()), ("prompt", MESSAGES),
                        ("chosen", MESSAGES), ("rejected", MESSAGES),
                        ("chosen_id", pa.string()), ("rejected_id", pa.string())])
KTO_SCHEMA = pa.schema([("id", pa.string()), ("source", pa.string()), ("prompt", MESSAGES),
                        ("completion", MESSAGES), ("label", pa.bool_()),
                        ("completion_id", pa.string())])
RL_SCHEMA = pa.schema([("id", pa.string()), ("recipe", pa.string()), ("prompt", MESSAGES),
                       ("verifiers", pa.string()), ("seed", pa.string())])


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def dpo_rows(pairs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": p["pair_id"], "source": p["source"], "prompt": _user(p["prompt"]),
             "chosen": _assistant(p["chosen"]), "rejected": _assistant(p["rejected"]),
             "chosen_id": p["chosen_id"], "rejected_id": p["rejected_id"]} for p in pairs]


def kto_rows(pairs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": p["pair_id"], "source": p["source"], "prompt": _user(p["prompt"]),
             "completion": _assistant(p[side]), "label": side == "chosen",
             "completion_id": p[f"{side}_id"]}
            for p in pairs for side in ("chosen", "rejected")]


def rl_rows(prompts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": p["id"], "recipe": p["recipe"], "prompt": _user(p["prompt"]),
             "verifiers": p["verifiers"], "seed": p["seed"]} for p in prompts]


def stage_folder(batches: Iterable[pa.RecordBatch],
                 rows_of: Callable[[Sequence[dict[str, Any]]], list[dict[str, Any]]],
                 schema: pa.Schema, folder: Path, formats: Sequence[str], title: str,
                 body: list[str], manifest: dict[str, Any]) -> StagedExport:
    """One export folder, staged (publish() swaps it in): each batch of query rows becomes
    export rows (`rows_of`) as it streams, with each row's JSON line."""
    def export_batches() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = rows_of(batch.to_pylist())
            lines = [json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows]
            table = pa.Table.from_pylist(rows, schema=schema)
            yield from table.append_column("json_line", pa.array(lines, pa.string())).to_batches()

    data_file = FILE_NAMES["parquet" if "parquet" in formats else "jsonl"]
    card = card_front_matter(title, data_file) + "\n\n".join([f"# {title}", *body]) + "\n"
    return stage_export(
        pa.RecordBatchReader.from_batches(schema.append(pa.field("json_line", pa.string())),
                                          export_batches()),
        folder, formats, card, manifest)


def pairs_card_body(name: str, kind: str, counts: dict[str, int], seed: int,
                    snapshot_id: str, benchmarks: list[str]) -> list[str]:
    """What the dpo/ and kto/ cards say: how pairs were formed and how many came from each
    source."""
    return [
        f"Preference pairs of the set `{name}` built by synth-assets from verified synthetic "
        f"data, in TRL's {kind} format. Every pair id resolves to both answers, their prompt, "
        "seed, teacher call and verdicts with `synth lineage ID`.",
        "## How pairs were formed",
        markdown_table(["source", "pairs", "how"], [
            [source, count, HOW_PAIRS_ARE_FORMED[source]] for source, count in counts.items()]),
        "## Contamination",
        "Checked against: " + (", ".join(benchmarks) or "no benchmark") + ". The chosen answer "
        "passed contamination_reports' scan (not contaminated, its seed not quarantined); the "
        "rejected answer was scanned by the same detectors. A pair with a contaminated side is "
        "left out.",
        "## Reproduce",
        f"Seed {seed}; preference snapshot `{snapshot_id}`. The same inputs and seed give the "
        "same pairs; `manifest.json` lists the files' sha256.",
    ]


def rl_card_body(name: str, recipes: list[str], count: int) -> list[str]:
    return [
        f"{count} prompts of the recipes {', '.join(recipes)} (preference set `{name}`) with "
        "what their verifiable reward needs: `verifiers` (JSON: name, type, options, min_score "
        "of each verifier the pipeline judged them with) and `seed` (JSON: the gold answer, "
        "tests, entry point). `synth_assets.rewards.verifier_reward` computes the reward with "
        "the same verifiers, sandbox included, in TRL's reward-function convention.",
    ]
