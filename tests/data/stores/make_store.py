"""Builds a lineage store with the code of an earlier commit of this repository, for the
migration tests (tests/test_migrations.py): the commit's own stub-teacher pipeline
(tests/pipeline_fixture.py and tests/openai_stub.py of that commit) run into a DuckDB file.

    python tests/data/stores/make_store.py COMMIT OUTPUT.duckdb

The commit is extracted with `git archive` into a temporary folder and run there with this
environment's packages. It reads nothing outside this repository: commits older than the GSM8K
slices in tests/data looked for them in a `shared/data/gsm8k` folder beside their tree, so the
temporary folder holds one, a link to this repository's tests/data/gsm8k. Run from a clone of
the repository alone.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

DRIVER = """
import os, sys
from pathlib import Path
import dagster as dg
from tests.openai_stub import OpenAIStub
from tests import pipeline_fixture

with OpenAIStub(pipeline_fixture.stub_answer) as stub:
    os.environ["SYNTH_SPEC"] = str(pipeline_fixture.write_pipeline_spec(
        Path(os.environ["DAGSTER_HOME"]).parent / "spec", stub.base_url))
    with dg.DagsterInstance.get() as instance:
        if hasattr(pipeline_fixture, "run_pipeline"):      # partitioned by day and recipe
            success = pipeline_fixture.run_pipeline(instance).success
        else:                                               # one job over every stage
            from synth_assets.definitions import defs
            job = defs.resolve_job_def("full_pipeline")
            success = job.execute_in_process(instance=instance, raise_on_error=False).success
sys.exit(0 if success else 1)
"""


def make_store(commit: str, output: Path) -> None:
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        tree = work / "repo"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        # Where older commits look for the GSM8K slices: this repository's own copy.
        (work / "shared" / "data").mkdir(parents=True)
        (work / "shared" / "data" / "gsm8k").symlink_to(REPO / "tests" / "data" / "gsm8k")
        home = work / "dagster_home"
        home.mkdir()
        shutil.copy(tree / "dagster_home" / "dagster.yaml", home)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(PYTHONPATH=str(tree), DAGSTER_HOME=str(home),
                   SYNTH_DB=str(home / "synth.duckdb"), SYNTH_EXPORT_DIR=str(home / "exports"),
                   SYNTH_INDEX_DIR=str(work / "indexes"), STUB_TEACHER_KEY="sk-test-not-a-secret",
                   LITELLM_LOCAL_MODEL_COST_MAP="True")
        subprocess.run([sys.executable, "-c", DRIVER], cwd=tree, env=env, check=True)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(home / "synth.duckdb", output)


if __name__ == "__main__":
    make_store(sys.argv[1], Path(sys.argv[2]))
