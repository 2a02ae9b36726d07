"""The package as a user installs it: a wheel built from this repository, installed (not
editable) into a fresh virtual environment, runs `synth check-spec` and a stub-teacher pipeline
with no access to the source tree (its SQL, default spec, builtin recipes and instance settings
come from the wheel) and no DAGSTER_HOME set (the home is ./dagster_home where it runs).

To stay fast, the fresh environment borrows the already installed dependencies through a .pth
file naming this interpreter's site-packages, instead of installing dagster, Great Expectations,
litellm and llama.cpp again: .pth lines only append folders, so the wheel's own synth_assets,
in the fresh site-packages, comes first, and the editable install's finder (a .pth in the
borrowed folder, which is not processed there) never loads."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import duckdb
import pytest

from synth_assets.runs.home import INSTANCE_YAML
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import EXPECTED, TEST_DAY, stub_answer, write_pipeline_spec

REPO = Path(__file__).resolve().parents[1]


def build_wheel(work: Path) -> Path:
    """A wheel of a copy of the package (the build writes egg-info beside its sources, so it
    does not run in the repository itself)."""
    source = work / "source"
    source.mkdir()
    shutil.copy(REPO / "pyproject.toml", source)
    shutil.copytree(REPO / "synth_assets", source / "synth_assets",
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(work / "dist"), str(source)], check=True)
    (wheel,) = (work / "dist").glob("synth_assets-*.whl")
    return wheel


def fresh_environment(work: Path, wheel: Path) -> Path:
    """A new virtual environment holding the wheel; returns its bin folder."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip()
    (Path(site_packages) / "borrowed_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--no-deps", "--no-index", "-q", str(wheel)], check=True)
    return venv / "bin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    return fresh_environment(work, build_wheel(work))


def run_installed(bin_folder: Path, args: list[str], cwd: Path, env: dict[str, str]
                  ) -> subprocess.CompletedProcess[str]:
    """Run a command of the installed environment from outside the repository, with nothing of
    the source tree on its path, and no Dagster home, store or export folder chosen for it."""
    chosen = ("PYTHONPATH", "DAGSTER_HOME", "SYNTH_DB", "SYNTH_EXPORT_DIR")
    clean = {k: v for k, v in os.environ.items() if k not in chosen}
    return subprocess.run([str(bin_folder / args[0]), *args[1:]], cwd=cwd, env={**clean, **env},
                          capture_output=True, text=True, timeout=600)


def test_the_wheel_holds_the_sql_and_imports_from_itself(installed: Path, tmp_path: Path
                                                         ) -> None:
    shown = run_installed(installed, ["python", "-c", (
        "import synth_assets; from synth_assets.lineage.sql_files import SQL_DIR; "
        "print(synth_assets.__file__); print(sorted(p.name for p in SQL_DIR.rglob('*.sql')))")],
        tmp_path, {})
    assert shown.returncode == 0, shown.stderr
    package_file, sql_files = shown.stdout.splitlines()
    assert Path(package_file).is_relative_to(installed.parent)
    assert "schema.sql" in sql_files and "queries.sql" in sql_files
    assert "0001_contamination_hit_segments.sql" in sql_files     # migrations/


def test_check_spec_and_a_stub_teacher_pipeline_run_from_the_wheel(installed: Path,
                                                                   tmp_path: Path) -> None:
    work = tmp_path / "work"   # where the user runs synth
    work.mkdir()
    home = work / "dagster_home"
    with OpenAIStub(stub_answer) as stub:
        spec = write_pipeline_spec(tmp_path / "spec", stub.base_url)
        env = {"SYNTH_SPEC": str(spec), "STUB_TEACHER_KEY": "sk-test-not-a-secret",
               "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        checked = run_installed(installed, ["synth", "check-spec", str(spec)], work, env)
        assert checked.returncode == 0, checked.stderr
        assert ": ok (3 seed sets, 3 recipes, 1 mixtures" in checked.stdout
        ran = run_installed(installed, ["synth", "run", "--first-day", TEST_DAY], work, env)
        assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"Dagster home: {home}" in ran.stdout
    # a new home gets the shipped instance settings: the DuckDB pool, one step at a time
    assert (home / "dagster.yaml").read_text() == INSTANCE_YAML.read_text()
    with duckdb.connect(str(home / "synth.duckdb"), read_only=True) as store:
        mixture = store.execute("SELECT source_kind, count(*) FROM mixture_records "
                            "GROUP BY ALL ORDER BY 1").fetchall()
        some_record = store.execute("SELECT min(mixture_record_id) FROM mixture_records").fetchone()
    assert mixture == [("real", EXPECTED["mixture_real"]),
                       ("synthetic", EXPECTED["mixture_synthetic"])]
    shown = run_installed(installed, ["synth", "lineage", some_record[0]], work, env)
    assert shown.returncode == 0, shown.stderr
    assert some_record[0] in shown.stdout
    exported = list((home / "exports").rglob("data.jsonl"))
    assert exported and json.loads(exported[0].read_text().splitlines()[0])
