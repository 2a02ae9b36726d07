"""The teacher stage streams: answering 100,000 calls in one partition takes no more memory
than 10,000 (within 100 MB), because it plans, answers and stores a window at a time. Each run
is a fresh process (tests/teacher_scale.py) so its peak RSS is its own. Slow: about 3 minutes of
CPU, nearly all of it litellm's per-call work."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def answer_calls(calls: int, folder: Path) -> dict:
    folder.mkdir()
    completed = subprocess.run(
        [sys.executable, "-m", "tests.teacher_scale", str(calls), str(folder)],
        cwd=REPO, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.splitlines()[-1])


def test_peak_memory_of_100k_calls_is_within_100_mb_of_10k(tmp_path: Path) -> None:
    small = answer_calls(10_000, tmp_path / "small")
    large = answer_calls(100_000, tmp_path / "large")
    assert (small["answered"], small["stored"]) == (10_000, 10_000)
    assert (large["answered"], large["stored"]) == (100_000, 100_000)
    assert large["peak_mb"] - small["peak_mb"] <= 100, (small, large)
