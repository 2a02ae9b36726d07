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
from collections.abc import Sequence
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
    return [{"id": p["prompt_id"], "recipe": p["recipe"], "prompt": _user(p["prompt"]),
             "verifiers": p["verifiers"], "seed": p["seed"]} for p in prompts]


def stage_folder(rows: list[dict[str, Any]], folder: Path, formats: Sequence[str], title: str,
                 body: list[str], manifest: dict[str, Any]) -> StagedExport:
    """One export folder of the rows, staged (publish() swaps it in)."""
    table = pa.Table.from_pylist(rows) if rows else pa.table({"id": pa.array([], pa.string())})
    lines = [json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows]
    table = table.append_column("json_line", pa.array(lines, pa.string()))
    data_file = FILE_NAMES["parquet" if "parquet" in formats else "jsonl"]
    card = card_front_matter(title, data_file) + "\n\n".join([f"# {title}", *body]) + "\n"
    return stage_export(pa.RecordBatchReader.from_batches(table.schema, table.to_batches()),
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
