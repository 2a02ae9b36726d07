"""Ask an LLM judge about generations through the teacher path: the same litellm client and
the same teacher_calls cache, so a judge question asked twice is paid for once."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec
from synth_assets.teacher.cached import TeacherJob, run_through_cache
from synth_assets.teacher.requests import build_request
from synth_assets.verify import Candidate
from synth_assets.verify.llm_judge import LlmJudgeVerifier


@dataclass(frozen=True)
class JudgeAnswer:
    call_id: str
    text: str | None  # the judge's raw answer; None when the call failed
    latency_s: float
    error: str | None


def ask_judge(
    store: LineageStore,
    loaded: LoadedSpec,
    judge: LlmJudgeVerifier,
    candidates: Sequence[Candidate],
    log: Callable[[str], None] = print,
) -> list[JudgeAnswer]:
    """One answer per candidate, in order; calls only the questions not cached yet."""
    # Grading is deterministic: temperature 0, whatever the teacher uses for generating.
    teacher = loaded.spec.teachers[judge.teacher].model_copy(
        update={"temperature": 0.0, "top_p": 1.0, "max_tokens": judge.max_tokens}
    )
    requests = [build_request(teacher, judge.messages(c), sample_index=0) for c in candidates]
    calls = run_through_cache(store, [TeacherJob(f"judge {judge.teacher}", teacher, requests)],
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
