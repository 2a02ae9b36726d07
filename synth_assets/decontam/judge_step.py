"""The contamination stage's judge step: of the scans with no hit, the ones whose closest
semantic item came within `llm_judge.min_similarity` are candidates; the `max_pairs` closest
are shown to the LLM judge (decontam/judge.py: prompt and reading of the answer) through the
one judge call (teacher/judge.py, temperature 0), and a True adds an llm_judge hit."""

import heapq
import itertools
from collections.abc import Callable

from synth_assets.decontam.items import Hit, excerpt
from synth_assets.decontam.judge import DETECTOR, judge_messages, parse_judgement
from synth_assets.decontam.scan import RecordScan
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import LlmJudgeSpec
from synth_assets.teacher.judge import ask_judge


class JudgeCandidates:
    """The closest candidates seen so far, at most max_pairs (a min-heap on similarity)."""

    def __init__(self, judge: LlmJudgeSpec) -> None:
        self._judge = judge
        self._heap: list[tuple[float, int, RecordScan]] = []
        self._order = itertools.count()

    def offer(self, scan: RecordScan) -> RecordScan | None:
        """Keep the scan if it is among the closest candidates. Returns the scan that will not
        be judged, to be stored as it is: the one offered, or the candidate it displaced, or
        None."""
        if (scan.hits or not self._judge.enabled or scan.candidate is None
                or scan.candidate[2].score < self._judge.min_similarity):
            return scan
        heapq.heappush(self._heap, (scan.candidate[2].score, next(self._order), scan))
        if len(self._heap) > self._judge.max_pairs:
            return heapq.heappop(self._heap)[2]
        return None

    def scans(self) -> list[RecordScan]:
        return [scan for _, _, scan in self._heap]


def judge_scans(store: LineageStore, loaded: LoadedSpec, scans: list[RecordScan],
                log: Callable[[str], None]) -> None:
    """Ask the judge about each scan's closest item; a True adds an llm_judge hit."""
    if not scans:
        return
    judge = loaded.spec.contamination.llm_judge
    teacher = loaded.spec.teachers[judge.teacher]
    answers = ask_judge(store, loaded, judge.teacher,
                        [judge_messages(c.item.text, c.window)
                         for _, _, c in (scan.candidate for scan in scans)], log=log)
    for scan, answer in zip(scans, answers, strict=True):
        segment, text, candidate = scan.candidate
        if answer.text is None:
            log(f"judge call {answer.call_id} failed, pair left unjudged: {answer.error}")
            continue
        if not parse_judgement(answer.text):
            continue
        item = candidate.item
        hit = Hit(item.benchmark, item.item_id, DETECTOR, candidate.score,
                  f"{teacher.model} judged it the same problem (call {answer.call_id}; "
                  f"semantic cosine {candidate.score:.3f})")
        scan.hits += ((segment, hit, excerpt(text)),)
