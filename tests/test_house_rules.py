"""Rules of the house that no single feature test guards: imports point one way (no package
imports another that imports it back), and the PostgreSQL schema declares the same tables and
columns as the DuckDB one (a table added to one file only would fail on the other engine)."""

import ast
import re
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "synth_assets"
SQL = PACKAGE / "sql"


def _package_imports() -> dict[str, set[str]]:
    """Top-level module or package of synth_assets -> those it imports (anywhere in its code)."""
    imports: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        source = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("synth_assets."):
                target = node.module.split(".")[1]
                if target != source:
                    imports[source].add(target)
    return imports


def _reaches(imports: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current == goal:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(imports.get(current, ()))
    return False


def test_no_package_imports_a_package_that_imports_it_back() -> None:
    imports = _package_imports()
    cycles = sorted((source, target) for source, targets in imports.items()
                    for target in targets if _reaches(imports, target, source))
    assert cycles == []


def test_a_package_cycle_is_found() -> None:
    # the check above would pass vacuously if the walk found no edge
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _reaches(imports, "b", "a") and not _reaches(imports, "a", "d")
    assert "verify" in _package_imports()["spec"]


def _tables(schema: Path) -> dict[str, list[str]]:
    """Table -> its column names, from the CREATE TABLE statements at a line's start."""
    tables = {}
    for name, body in re.findall(r"^CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);",
                                 schema.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL):
        columns = [line.split()[0] for line in body.splitlines()
                   if line.strip() and not line.strip().startswith(("--", "PRIMARY KEY"))]
        tables[name] = columns
    return tables


def test_postgresql_schema_has_every_table_and_column_of_duckdb() -> None:
    duckdb, postgres = _tables(SQL / "schema.sql"), _tables(SQL / "postgres" / "schema.sql")
    assert len(duckdb) > 20
    assert postgres == duckdb
