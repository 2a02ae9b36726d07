"""The one way an LLM judge is asked, by the verifier's `llm_judge` and by the contamination
stage's judge alike: through the teacher path (litellm, the `teacher_calls` cache), so a
question asked twice is paid for once, and at temperature 0 and top_p 1 whatever the teacher
uses for generating, so a judgement does not depend on a sampling draw.

The request, and so its cache key (call_id), is the teacher's with those settings and the
judge's own `max_tokens` where it sets one (the teacher's otherwise)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import TeacherSpec
from synth_assets.teacher.cached import TeacherJob, run_through_cache
from synth_assets.teacher.requests import build_request

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class JudgeAnswer:
    call_id: str
    text: str | None  # the judge's raw answer; None when the call failed
    latency_s: float
    error: str | None  # why there is no answer


def as_judge(teacher: TeacherSpec, max_tokens: int | None = None) -> TeacherSpec:
    """The teacher's settings for judging: greedy decoding, the judge's answer length."""
    return teacher.model_copy(update={"temperature": 0.0, "top_p": 1.0,
                                      "max_tokens": max_tokens or teacher.max_tokens})


def ask_judge(
    store: LineageStore,
    loaded: LoadedSpec,
    teacher_name: str,
    questions: Sequence[Messages],
    max_tokens: int | None = None,
    log: Callable[[str], None] = print,
) -> list[JudgeAnswer]:
    """One answer per question (a chat message list), in order, from the spec teacher
    `teacher_name` as a judge; calls only the questions not cached yet."""
    judge = as_judge(loaded.spec.teachers[teacher_name], max_tokens)
    requests = [build_request(judge, messages, sample_index=0) for messages in questions]
    calls = run_through_cache(store, [TeacherJob(f"judge {teacher_name}", judge, requests)],
                              log=log)
    errors = {failure.request.call_id: failure.error for failure in calls.failures}
    frame = store.query_with_ids("judge_responses", [r.call_id for r in requests])
    stored = {row.call_id: (row.response_text, row.latency_s) for row in frame.itertuples()}
    return [
        JudgeAnswer(request.call_id, *stored[request.call_id], error=None)
        if request.call_id in stored
        else JudgeAnswer(request.call_id, None, 0.0, errors.get(request.call_id, "no answer"))
        for request in requests
    ]
