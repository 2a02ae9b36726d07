"""The code location for Kubernetes: the same assets, checks, job, schedule and sensors as
synth_assets.definitions, with every step run as its own Kubernetes Job (dagster-k8s's
k8s_job_executor). Serve it with `dagster api grpc -m synth_assets.definitions_k8s` in the
Dagster Helm chart's user deployment (deploy/kubernetes/values.yaml; docs/deployment.md).

The lineage store is PostgreSQL (the chart's, or an external one: SYNTH_DB), which takes every
step's writes at once, so no step waits for another's and no volume holds the store; its
password comes from the secret `synth-lineage-store` (PGPASSWORD), never from the URL. Every
step pod mounts the `synth-data` claim for the exports and the benchmark index cache.
"""

import dagster as dg
from dagster_k8s import k8s_job_executor

# The module, not its `defs`: a code location holds exactly one Definitions at module scope.
from synth_assets import definitions as local_location

DATA_CLAIM = "synth-data"
DATA_MOUNT = "/data"

# The chart's PostgreSQL service (release `dagster`), database `synth` (docs/deployment.md)
LINEAGE_STORE_URL = "postgresql+psycopg://test@dagster-postgresql:5432/synth"
LINEAGE_STORE_SECRET = "synth-lineage-store"

STEP_POD_CONFIG = {
    "env_vars": [
        f"SYNTH_DB={LINEAGE_STORE_URL}",
        f"SYNTH_EXPORT_DIR={DATA_MOUNT}/exports",
        f"SYNTH_INDEX_DIR={DATA_MOUNT}/benchmark_indexes",
        "LITELLM_LOCAL_MODEL_COST_MAP=True",
    ],
    "env_secrets": [LINEAGE_STORE_SECRET],
    "volumes": [{"name": DATA_CLAIM, "persistent_volume_claim": {"claim_name": DATA_CLAIM}}],
    "volume_mounts": [{"name": DATA_CLAIM, "mount_path": DATA_MOUNT}],
}

step_pods = k8s_job_executor.configured(STEP_POD_CONFIG, name="synth_k8s_steps")

defs = dg.Definitions.merge(local_location.defs, dg.Definitions(executor=step_pods))
