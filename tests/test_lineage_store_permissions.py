"""The store holds every prompt, response and verdict: only its owner may read it."""

import stat
from pathlib import Path

import pytest

from synth_assets.lineage.location import default_store_location
from synth_assets.lineage.store import LineageStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_and_its_folder_are_readable_by_their_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SYNTH_DB", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    path = Path(default_store_location())
    with LineageStore(path).writer() as writer:
        writer.link([("a", "b", "test")])
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600


def test_an_existing_open_folder_is_left_alone_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tmp_path.chmod(0o755)
    with caplog.at_level("WARNING"):
        with LineageStore(tmp_path / "synth.duckdb").writer() as writer:
            writer.link([("a", "b", "test")])
    assert mode(tmp_path) == 0o755
    assert mode(tmp_path / "synth.duckdb") == 0o600
    assert "accessible to other users" in caplog.text


def test_reopening_keeps_the_owner_only_mode(tmp_path: Path) -> None:
    path = tmp_path / "store" / "synth.duckdb"
    for _ in range(2):
        with LineageStore(path).writer() as writer:
            writer.link([("a", "b", "test")])
    assert mode(path) == 0o600
