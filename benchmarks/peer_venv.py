"""Where benchmarks keep what they build once (stores, indexes) and the references they compare
against: CACHE, or SYNTH_BENCH_CACHE when set. Another project is installed on first use in a
virtual environment of its own (its pins would clash with ours); an earlier commit of this
repository is extracted there once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
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


def reference_tree(commit: str) -> Path:
    """This repository at `commit`, extracted once into CACHE."""
    tree = CACHE / f"synth-assets-{commit}"
    if not (tree / "synth_assets").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree
