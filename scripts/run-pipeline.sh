#!/usr/bin/env bash
# Fresh machine to exported training mixture: set up, then materialize all five stages once on
# the embedded defaults (SmolLM2-135M teacher, shipped seed sets) into ./dagster_home.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export LITELLM_LOCAL_MODEL_COST_MAP=True
export DAGSTER_HOME=${DAGSTER_HOME:-$PWD/dagster_home}
exec .venv/bin/synth run
