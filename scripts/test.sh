#!/usr/bin/env bash
# Set up, then run the whole test suite (real DuckDB, Dagster, GE, litellm over HTTP to a local
# stub server, and the real embedded model). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-chromium.sh
export LITELLM_LOCAL_MODEL_COST_MAP=True
.venv/bin/ruff check synth_assets tests benchmarks
exec .venv/bin/python -m pytest "$@"
