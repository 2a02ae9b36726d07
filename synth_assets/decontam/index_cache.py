"""Item-side detector data that is costly to compute (embeddings, MinHash signatures), stored as
.npy files named by the benchmark fingerprint and the detector's parameters, so it is built once
and reused until the benchmark or the parameters change."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np


class ArrayCache:
    """A folder of arrays keyed by name; folder None keeps nothing (always builds)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.reused: dict[str, bool] = {}  # key -> whether this process loaded it from disk

    def get(self, key: str, build: Callable[[], np.ndarray]) -> np.ndarray:
        path = self.folder / f"{key}.npy" if self.folder is not None else None
        if path is not None and path.is_file():
            self.reused[key] = True
            return np.load(path)
        array = build()
        self.reused[key] = False
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a crash never leaves a half-written array under the final name.
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
            with os.fdopen(handle, "wb") as stream:
                np.save(stream, array)
            os.chmod(temporary, 0o644)  # mkstemp makes it private; the cache is not secret
            os.replace(temporary, path)
        return array
