"""The dataset card (README.md) of an exported mixture: where its records come from, which
teachers wrote them, how they were verified and checked for benchmark contamination, and the
licenses of its real data. Its YAML header points `datasets.load_dataset` at the data file."""

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class CardFacts:
    mixture: str
    data_file: str
    settings: dict[str, Any]            # as stored with the materialization
    plan: dict[str, dict[str, Any]]     # per component
    teacher_models: list[dict[str, Any]]
    pass_rates: list[dict[str, Any]]
    contamination: list[dict[str, Any]]
    licenses: list[dict[str, Any]]
    spec_hash: str
    mixture_snapshot_id: str
    input_snapshot_id: str


def card_front_matter(pretty_name: str, data_file: str) -> str:
    """The card's YAML header: it points `datasets.load_dataset(folder)` at the data file."""
    header = {
        "pretty_name": pretty_name,
        "license": "other",
        "tags": ["synthetic", "synth-assets"],
        "configs": [{"config_name": "default",
                     "data_files": [{"split": "train", "path": data_file}]}],
    }
    return f"---\n{yaml.safe_dump(header, sort_keys=False, allow_unicode=True)}---\n\n"


def dataset_card(facts: CardFacts) -> str:
    mixture = facts.settings["mixture"]
    sections = [
        f"# {facts.mixture}",
        "Verified synthetic records mixed with human-written data by synth-assets. Every record "
        "id resolves to its full history with `synth lineage ID`; `synth why ID` says why it is "
        "in the mixture.",
        "## Composition",
        markdown_table(["component", "kind", "sources", "asked", "records", "tokens"], [
            [name, part["kind"], ", ".join(part["sources"]), f"{part['requested']} {part['unit']}",
             part["picked_records"], part["picked_tokens"]]
            for name, part in facts.plan.items()
        ]),
        f"Real-data floor: {mixture['min_real_fraction']:g}"
        + (f" (waived: {mixture['real_floor_waiver']})" if mixture["real_floor_waiver"] else "")
        + f". Seed {mixture['seed']}; domains stratified: "
        + ("yes" if mixture["stratify_by_domain"] else "no")
        + "; earlier clean records kept: " + ("yes" if mixture["accumulate"] else "no") + ".",
        "## Sources and teacher models",
        markdown_table(["recipe", "seed set", "domain", "teacher in spec", "records by model"], [
            [name, recipe["seed_set"], recipe["domain"],
             facts.settings["teachers"][recipe["teacher"]]["model"],
             ", ".join(f"{row['model']} ({row['records']})" for row in facts.teacher_models
                       if row["recipe"] == name) or "none"]
            for name, recipe in facts.settings["recipes"].items()
        ]),
        "## Verifiers and pass rates",
        "Over the generations of these recipes judged in the run that made this export.",
        markdown_table(["verifier", "version", "judged", "passed", "pass rate"], [
            [row["verifier"], row["verifier_version"], row["judged"], row["passed"],
             f"{row['passed'] / row['judged']:.1%}" if row["judged"] else "n/a"]
            for row in facts.pass_rates
        ]),
        "## Benchmark contamination",
        "Benchmarks checked: " + (", ".join(sorted(facts.settings["benchmarks"])) or "none")
        + f" ({facts.settings['contamination']['ngram_n']}-gram overlap). Contaminated records "
        "are never exported.",
        markdown_table(["benchmark", "records scanned", "records hit", "items hit"], [
            [row["benchmark"], "" if row["records"] is None else row["records"],
             row["records_hit"], "" if row["items_hit"] is None else row["items_hit"]]
            for row in facts.contamination
        ]),
        "## Real data and licenses",
        markdown_table(["real source", "license", "records"],
               [[row["source"], row["license"], row["records"]] for row in facts.licenses]),
        "## Reproduce",
        f"Spec sha256 `{facts.spec_hash}`, input snapshot `{facts.input_snapshot_id}`, "
        f"mixture snapshot `{facts.mixture_snapshot_id}`. The same spec and inputs give "
        "byte-identical files; `manifest.json` lists their sha256 and the run id.",
    ]
    return card_front_matter(facts.mixture, facts.data_file) + "\n\n".join(sections) + "\n"


def markdown_table(columns: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "_none_"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |"
              for row in rows]
    return "\n".join(lines)
