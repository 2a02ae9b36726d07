"""SHA-256 of a file's bytes and of a set of files under a folder, read in blocks: what the
exports' manifests record, and how a stored result sees that an input or its output changed."""

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

_BLOCK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for block in _blocks(path):
        digest.update(block)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """file_sha256, or '' when the file cannot be read (whoever reads it says why)."""
    try:
        return file_sha256(path)
    except OSError:
        return ""


def tree_sha256(root: Path, files: Iterable[Path], prefix: bytes = b"") -> str:
    """Over `prefix`, then each file's path relative to `root` and its bytes, in path order:
    any file changed, added, removed or renamed changes it."""
    digest = hashlib.sha256(prefix)
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        for block in _blocks(path):
            digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from iter(lambda: handle.read(_BLOCK), b"")
