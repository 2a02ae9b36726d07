"""Content hashes of the files a spec reads, so a change is seen in the bytes, not the mtime."""

from synth_assets.file_hashes import file_sha256
from synth_assets.jsonl import InputFileError
from synth_assets.spec.load import LoadedSpec


def seed_file_hashes(loaded: LoadedSpec) -> dict[str, str]:
    """Seed set name -> SHA-256 of its file's bytes."""
    hashes = {}
    for name, seed_set in loaded.spec.seed_sets.items():
        path = loaded.resolve(seed_set.path)
        try:
            hashes[name] = file_sha256(path)
        except OSError as error:
            raise InputFileError(
                path, None, f"seed set {name!r}: cannot read file: {error.strerror}"
            ) from error
    return hashes

