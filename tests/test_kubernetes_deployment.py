"""The Kubernetes code location: the definitions load with dagster-k8s's step executor, its
configuration validates against that executor's schema, and the Kubernetes Job it builds for a
step mounts the lineage store's volume. No cluster is contacted."""

from pathlib import Path

import kubernetes
import sqlalchemy
import yaml
from dagster._core.workspace.autodiscovery import loadable_targets_from_loaded_module
from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import DagsterK8sJobConfig, construct_dagster_k8s_job

from synth_assets import definitions_k8s
from synth_assets.definitions_k8s import (
    DATA_CLAIM,
    DATA_MOUNT,
    LINEAGE_STORE_SECRET,
    defs,
    step_pods,
)

REPO = Path(__file__).resolve().parents[1]
STAGES = {"seed_sets", "teacher_generations", "verified_subsets", "contamination_reports",
          "final_mixtures", "preference_sets"}


def test_module_loads_as_one_code_location() -> None:
    # what `dagster api grpc -m synth_assets.definitions_k8s` finds at module scope
    (target,) = loadable_targets_from_loaded_module(definitions_k8s)
    assert target.target_definition is defs


def test_every_job_runs_its_steps_as_kubernetes_jobs() -> None:
    job = defs.resolve_job_def("full_pipeline")
    assert job.executor_def.name == "synth_k8s_steps"
    assert {key.path[-1] for key in job.asset_layer.executable_asset_keys} == STAGES
    assert defs.resolve_implicit_global_asset_job_def().executor_def.name == "synth_k8s_steps"
    repository = defs.get_repository_def()
    assert {s.name for s in repository.sensor_defs} == {"seed_file_sensor", "next_round_sensor",
                                                        "stage_automation", "batch_sensor"}


def resolved_executor_config() -> dict:
    resolved = step_pods.apply_config_mapping({})  # validated against k8s_job_executor's schema
    assert resolved.success, [error.message for error in resolved.errors]
    return resolved.value["config"]


def test_step_job_mounts_the_lineage_store() -> None:
    config = resolved_executor_config()
    context = K8sContainerContext(env_vars=config["env_vars"], env_secrets=config["env_secrets"],
                                  volumes=config["volumes"],
                                  volume_mounts=config["volume_mounts"], namespace="dagster")
    job_config = DagsterK8sJobConfig(job_image="registry.example.com/synth-assets:0.1.0",
                                     dagster_home="/opt/dagster/dagster_home",
                                     instance_config_map="dagster-instance")
    manifest = kubernetes.client.ApiClient().sanitize_for_serialization(construct_dagster_k8s_job(
        job_config, args=["dagster", "api", "execute_step"], job_name="dagster-step-teacher",
        component="step_worker", user_defined_k8s_config=context.run_k8s_config))
    pod = manifest["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["volumes"] == [{"name": DATA_CLAIM,
                               "persistentVolumeClaim": {"claimName": DATA_CLAIM}}]
    assert container["volumeMounts"] == [{"name": DATA_CLAIM, "mountPath": DATA_MOUNT}]
    env = {item["name"]: item.get("value") for item in container["env"]}
    store = sqlalchemy.make_url(env["SYNTH_DB"])  # PostgreSQL: no volume, no password in it
    assert store.get_backend_name() == "postgresql" and store.password is None
    assert {"secretRef": {"name": LINEAGE_STORE_SECRET}} in container["envFrom"]
    assert env["SYNTH_EXPORT_DIR"].startswith(DATA_MOUNT + "/")
    assert env["DAGSTER_HOME"] == "/opt/dagster/dagster_home"
    assert container["image"] == "registry.example.com/synth-assets:0.1.0"


def test_helm_values_serve_the_kubernetes_location_on_the_same_claim() -> None:
    values = yaml.safe_load((REPO / "deploy" / "kubernetes" / "values.yaml").read_text())
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "synth_assets.definitions_k8s"]
    assert deployment["volumes"][0]["persistentVolumeClaim"]["claimName"] == DATA_CLAIM
    assert deployment["volumeMounts"][0]["mountPath"] == DATA_MOUNT
    deployment_env = {item["name"]: item["value"] for item in deployment["env"]}
    step_env = dict(item.split("=", 1) for item in resolved_executor_config()["env_vars"])
    assert deployment_env == step_env  # code server, run pods and step pods see one store
    assert {"name": LINEAGE_STORE_SECRET} in deployment["envSecrets"]
    assert resolved_executor_config()["env_secrets"] == [LINEAGE_STORE_SECRET]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    claim = yaml.safe_load((REPO / "deploy" / "kubernetes" / "pvc.yaml").read_text())
    assert claim["metadata"]["name"] == DATA_CLAIM
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
