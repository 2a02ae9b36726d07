"""Numeric libraries run the thread count synth_assets.threads decides, whatever was imported
first, and SYNTH_NUM_THREADS overrides it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BLAS_THREADS = ("from threadpoolctl import threadpool_info; "
                "print(max(i['num_threads'] for i in threadpool_info() "
                "if i['user_api'] == 'blas'))")


def blas_threads(imports: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.endswith("_NUM_THREADS") and k != "VECLIB_MAXIMUM_THREADS"}
    return subprocess.run([sys.executable, "-c", f"{imports}; {BLAS_THREADS}"],
                          env={**clean, "PYTHONPATH": str(REPO), **env},
                          capture_output=True, text=True)


@pytest.mark.parametrize("imports", ["import synth_assets, numpy",
                                     "import numpy, synth_assets"])
def test_one_blas_thread_by_default_whichever_loads_first(imports: str) -> None:
    assert blas_threads(imports).stdout.strip() == "1"


def test_synth_num_threads_overrides_the_default() -> None:
    assert blas_threads("import numpy, synth_assets", SYNTH_NUM_THREADS="2").stdout.strip() == "2"


def test_a_bad_thread_count_is_named() -> None:
    failed = blas_threads("import synth_assets", SYNTH_NUM_THREADS="two")
    assert failed.returncode != 0
    assert "SYNTH_NUM_THREADS='two'" in failed.stderr
