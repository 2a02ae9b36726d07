"""Where benchmarks keep what they build once (stores, indexes), and the references they compare
against, each installed on first use in a virtual environment of its own (their pins would clash
with ours): CACHE, or SYNTH_BENCH_CACHE when set."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

CACHE = Path(os.environ.get("SYNTH_BENCH_CACHE", Path.home() / ".cache" / "synth-assets-bench"))


def peer_python(name: str, probe: str, installs: Sequence[Sequence[str]]) -> Path:
    """The Python of the venv CACHE/name, created if missing. When `probe` (Python source, its
    imports) fails there, each of `installs` (the arguments of one `pip install`) runs in order."""
    folder = CACHE / name
    python = folder / "bin" / "python"
    if not python.exists():
        print(f"creating {folder} (first run only)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    if subprocess.run([str(python), "-c", probe], capture_output=True).returncode != 0:
        for arguments in installs:
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", *arguments],
                           check=True)
    return python
