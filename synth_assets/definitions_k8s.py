"""The code location for Kubernetes: the same assets, checks, job, schedule and sensors as
synth_assets.definitions, with every step run as its own Kubernetes Job (dagster-k8s's
k8s_job_executor). Serve it with `dagster api grpc -m synth_assets.definitions_k8s` in the
Dagster Helm chart's user deployment (deploy/kubernetes/values.yaml; docs/deployment.md).

Every step pod mounts the `synth-data` claim (ReadWriteMany) holding the DuckDB lineage store and
the exports; the `synth_duckdb` pool (limit 1, instance-wide) keeps it to one writing step at a
time across the cluster.
"""

import dagster as dg
from dagster_k8s import k8s_job_executor

# The module, not its `defs`: a code location holds exactly one Definitions at module scope.
from synth_assets import definitions as local_location

DATA_CLAIM = "synth-data"
DATA_MOUNT = "/data"

STEP_POD_CONFIG = {
    "env_vars": [
        f"SYNTH_DB={DATA_MOUNT}/db/synth.duckdb",
        f"SYNTH_EXPORT_DIR={DATA_MOUNT}/exports",
        "LITELLM_LOCAL_MODEL_COST_MAP=True",
    ],
    "volumes": [{"name": DATA_CLAIM, "persistent_volume_claim": {"claim_name": DATA_CLAIM}}],
    "volume_mounts": [{"name": DATA_CLAIM, "mount_path": DATA_MOUNT}],
}

step_pods = k8s_job_executor.configured(STEP_POD_CONFIG, name="synth_k8s_steps")

defs = dg.Definitions.merge(local_location.defs, dg.Definitions(executor=step_pods))
