"""The MiniLM encoder as an ONNX graph run by onnxruntime, built in memory from the same
weights as minilm.py's NumPy forward pass (no export tool, no download): the same BERT layers
written as standard ONNX operators. onnxruntime fuses them (attention, LayerNorm, GELU) and runs
them on its own thread pool, several times faster than NumPy on the same cores
(benchmarks/bench_decontam.py measures both).

The graph returns the last hidden states; pooling and normalization stay in minilm.py, shared
with the NumPy path."""

import math

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from synth_assets.threads import numeric_threads

_OPSET = 17  # LayerNormalization
_HEADS = 12
_LAYERS = 6
_EPSILON = 1e-12


def build_session(weights: dict[str, np.ndarray]) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    # onnxruntime sizes its own pool (one thread per core) and ignores the BLAS variables.
    options.intra_op_num_threads = numeric_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    model = _graph(weights)
    return onnxruntime.InferenceSession(model.SerializeToString(), options,
                                        providers=["CPUExecutionProvider"])


def _graph(w: dict[str, np.ndarray]) -> onnx.ModelProto:
    nodes: list[onnx.NodeProto] = []
    initializers: list[onnx.TensorProto] = []
    names = iter(range(1_000_000))

    def constant(array: np.ndarray, name: str | None = None) -> str:
        name = name or f"const_{next(names)}"
        initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(kind: str, *inputs: str, **attributes) -> str:
        output = f"{kind.lower()}_{next(names)}"
        nodes.append(helper.make_node(kind, list(inputs), [output], **attributes))
        return output

    def linear(x: str, name: str) -> str:
        weight = constant(np.ascontiguousarray(w[f"{name}.weight"].T), f"{name}.weight_t")
        return op("Add", op("MatMul", x, weight), constant(w[f"{name}.bias"], f"{name}.bias"))

    def layer_norm(x: str, name: str) -> str:
        return op("LayerNormalization", x, constant(w[f"{name}.weight"], f"{name}.weight"),
                  constant(w[f"{name}.bias"], f"{name}.bias"), axis=-1, epsilon=_EPSILON)

    hidden_size = w["embeddings.word_embeddings.weight"].shape[1]
    head_size = hidden_size // _HEADS
    width = op("Slice", op("Shape", "input_ids"), constant(np.array([1])),
               constant(np.array([2])))
    positions = op("Slice", constant(w["embeddings.position_embeddings.weight"], "positions"),
                   constant(np.array([0])), width, constant(np.array([0])))
    hidden = op("Add", op("Add", op("Gather", constant(w["embeddings.word_embeddings.weight"],
                                                       "words"), "input_ids"), positions),
                constant(w["embeddings.token_type_embeddings.weight"][0], "token_type"))
    hidden = layer_norm(hidden, "embeddings.LayerNorm")
    # 0 for real tokens, -1e9 for padding, broadcast over heads and query positions.
    bias = op("Mul", op("Sub", constant(np.float32(1.0)), "attention_mask"),
              constant(np.float32(-1e9)))
    bias = op("Unsqueeze", bias, constant(np.array([1, 2])))
    split_heads = constant(np.array([0, 0, _HEADS, head_size]))
    merge_heads = constant(np.array([0, 0, hidden_size]))
    scale = constant(np.float32(1 / math.sqrt(head_size)))
    for layer in range(_LAYERS):
        prefix = f"encoder.layer.{layer}."

        def heads(name: str, perm: list[int], prefix: str = prefix, x: str = hidden) -> str:
            projected = linear(x, f"{prefix}attention.self.{name}")
            return op("Transpose", op("Reshape", projected, split_heads), perm=perm)

        scores = op("MatMul", heads("query", [0, 2, 1, 3]), heads("key", [0, 2, 3, 1]))
        probabilities = op("Softmax", op("Add", op("Mul", scores, scale), bias), axis=-1)
        context = op("MatMul", probabilities, heads("value", [0, 2, 1, 3]))
        context = op("Reshape", op("Transpose", context, perm=[0, 2, 1, 3]), merge_heads)
        attended = linear(context, f"{prefix}attention.output.dense")
        hidden = layer_norm(op("Add", hidden, attended), f"{prefix}attention.output.LayerNorm")
        inner = linear(hidden, f"{prefix}intermediate.dense")
        gelu = op("Mul", op("Mul", inner, constant(np.float32(0.5))),
                  op("Add", constant(np.float32(1.0)),
                     op("Erf", op("Div", inner, constant(np.float32(math.sqrt(2.0)))))))
        hidden = layer_norm(op("Add", hidden, linear(gelu, f"{prefix}output.dense")),
                            f"{prefix}output.LayerNorm")
    nodes.append(helper.make_node("Identity", [hidden], ["last_hidden_state"]))
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "width"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, ["batch", "width"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                       ["batch", "width", hidden_size])],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)])
