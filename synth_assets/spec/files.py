"""Content hashes of the files a spec reads, so a change is seen in the bytes, not the mtime."""

import hashlib
from pathlib import Path

from synth_assets.jsonl import InputFileError
from synth_assets.spec.load import LoadedSpec


def seed_file_hashes(loaded: LoadedSpec) -> dict[str, str]:
    """Seed set name -> SHA-256 of its file's bytes."""
    hashes = {}
    for name, seed_set in loaded.spec.seed_sets.items():
        path = loaded.resolve(seed_set.path)
        try:
            hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as error:
            raise InputFileError(
                path, None, f"seed set {name!r}: cannot read file: {error.strerror}"
            ) from error
    return hashes


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes; '' when it cannot be read (whoever reads it says why)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
