"""Every named statement in synth_assets/sql/ is documented in docs/lineage-queries.md."""

from pathlib import Path

import pytest

from synth_assets.lineage.sql_files import named_statements

DOC = (Path(__file__).resolve().parents[1] / "docs" / "lineage-queries.md").read_text()


@pytest.mark.parametrize("file_name", ["queries.sql", "mixtures.sql", "writes.sql"])
def test_every_named_statement_is_documented(file_name: str) -> None:
    missing = [name for name in named_statements(file_name) if f"`{name}`" not in DOC]
    assert not missing, f"document these {file_name} statements in docs/lineage-queries.md"
