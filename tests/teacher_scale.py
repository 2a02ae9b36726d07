"""A child process for tests/test_teacher_memory.py: one partition of CALLS teacher calls (200
seeds x CALLS / 200 samples) answered by a fast in-process stub model through litellm, then
this process's peak RSS. Run as: python -m tests.teacher_scale CALLS FOLDER"""

import json
import os
import sys
from pathlib import Path
from typing import Any

import litellm
import yaml
from litellm import CustomLLM, ModelResponse

from benchmarks.process_memory import peak_mb, rss_mb
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.stages.partitions import GenerationPartition
from synth_assets.stages.seed_stage import run_seed_stage
from synth_assets.stages.teacher_stage import run_teacher_stage
from tests.conftest import write_jsonl

SEEDS = 200


class EchoModel(CustomLLM):
    """Answers at once with text that varies by prompt and sample seed; usage is reported."""

    async def acompletion(self, model: str, messages: list, model_response: ModelResponse,
                          optional_params: dict, **kwargs: Any) -> ModelResponse:
        model_response.choices[0].message.content = (
            f"Sample {optional_params.get('seed')} of: {messages[-1]['content']}")
        model_response.choices[0].finish_reason = "stop"
        model_response.usage = litellm.Usage(prompt_tokens=20, completion_tokens=12,
                                             total_tokens=32)
        return model_response


def main(calls: int, folder: Path) -> None:
    litellm.custom_provider_map.append({"provider": "echo", "custom_handler": EchoModel()})
    write_jsonl(folder / "seeds.jsonl", [{"instruction": f"Tell me about topic {i}."}
                                         for i in range(SEEDS)])
    spec = {"version": 1,
            "seed_sets": {"topics": {"path": "seeds.jsonl", "kind": "instruction"}},
            "teachers": {"echo": {"model": "echo/model", "concurrency": 64,
                                  "input_cost_per_token": 0.0, "output_cost_per_token": 0.0}},
            "recipes": {"chat": {"seed_set": "topics", "teacher": "echo", "domain": "general",
                                 "samples_per_seed": calls // SEEDS,
                                 "template": "{{ instruction }}"}}}
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    loaded = load_spec(folder / "pipeline.yaml")
    store = LineageStore(folder / "synth.duckdb")
    seeds = run_seed_stage(store, loaded).seeds
    before = rss_mb()
    result = run_teacher_stage(store, loaded, seeds, log=lambda _: None,
                               partition=GenerationPartition("2026-11-20", "chat"))
    print(json.dumps({"answered": result.calls.answered, "stored": result.new_generations,
                      "before_mb": before, "peak_mb": peak_mb()}))


if __name__ == "__main__":
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    main(int(sys.argv[1]), Path(sys.argv[2]))
