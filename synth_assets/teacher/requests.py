"""A teacher request and its cache key: a hash of everything that changes the answer."""

from dataclasses import dataclass
from typing import Any

from synth_assets.lineage.ids import content_id
from synth_assets.spec.model import TeacherSpec


@dataclass(frozen=True)
class TeacherRequest:
    call_id: str
    model: str
    api_base: str | None
    messages: list[dict[str, str]]
    params: dict[str, Any]
    sample_index: int

    @property
    def wants_json(self) -> bool:
        return "response_format" in self.params


def sampling_seed(sample_index: int, day: str | None = None) -> int:
    """The model's seed for one sample: n samples of a prompt differ yet stay reproducible, and
    a day (the partition of a daily run) draws new samples of the same prompt."""
    if day is None:
        return sample_index
    return int(content_id("sample", day, sample_index)[-8:], 16)


def build_request(
    teacher: TeacherSpec,
    messages: list[dict[str, str]],
    sample_index: int,
    response_format: str = "text",
    day: str | None = None,
) -> TeacherRequest:
    params: dict[str, Any] = {
        "temperature": teacher.temperature,
        "top_p": teacher.top_p,
        "max_tokens": teacher.max_tokens,
        "seed": sampling_seed(sample_index, day),
    }
    if response_format == "json":
        params["response_format"] = {"type": "json_object"}
    call_id = content_id("call", teacher.model, teacher.api_base, messages, params, sample_index)
    return TeacherRequest(
        call_id=call_id,
        model=teacher.model,
        api_base=teacher.api_base,
        messages=messages,
        params=params,
        sample_index=sample_index,
    )
