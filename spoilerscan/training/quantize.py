"""The int8 sentence encoder: SmoothQuant-style pre-scaling, then per-channel dynamic quantisation.

Plain dynamic int8 (one scale per weight tensor and per activation tensor) moved the shipped
encoder's sentence embeddings by a mean 1 - cosine of 0.041 from fp32, and cost up to 0.0075
held-out ROC-AUC. Two things cause it. The weights need one scale per output column, not one per
tensor. The LayerNorm outputs that feed the matrix products have outlier channels (max |x| up to
28 against a median of 2), and dynamic quantisation gives each activation tensor a single scale.
So, before quantising, each weight MatMul's input X is divided per channel by s and the weight's
rows are multiplied by s: ``X @ W == (X / s) @ (s W)``. That is exact in fp32, and it moves the
outliers' range into the weights, which have a scale per column (SmoothQuant, Xiao et al. 2023).
s is measured on training sentences, never on dev or test ones. On the shipped model's dev sets
this cut 1 - cosine to 0.0023 at the same size and speed (alpha 0.8; the search is in the card's notes).

Build time needs onnx and onnxruntime (training extra). The file runs on plain onnxruntime:
standard ONNX ops only (MatMulInteger, DynamicQuantizeLinear, DequantizeLinear, Mul).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from spoilerscan.model.engines import PAD_MULTIPLE

SMOOTH_ALPHA = 0.8  # how much of the activations' range moves into the weights (0: none, 1: all)
CALIBRATION_SENTENCES = 256
CALIBRATION_BATCH = 32
_SCALE_RANGE = (1e-2, 1e2)  # keeps a dead channel or a zero weight row from an extreme scale

Feed = dict[str, np.ndarray]
Tokenize = Callable[[list[str]], Feed]


def calibration_sample(texts: Sequence[str], count: int = CALIBRATION_SENTENCES, seed: int = 0) -> list[str]:
    """A fixed draw of ``count`` distinct sentences (the same texts give the same draw, so builds repeat)."""
    distinct = list(dict.fromkeys(t for t in texts if t.strip()))
    if len(distinct) <= count:
        return distinct
    chosen = np.random.default_rng(seed).choice(len(distinct), size=count, replace=False)
    return [distinct[i] for i in sorted(chosen.tolist())]


def hf_tokenize(tokenizer: Any, max_length: int) -> Tokenize:
    """A Tokenize callable from a transformers tokenizer, truncating as training and the run time do."""

    def tokenize(texts: list[str]) -> Feed:
        tokens = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="np")
        return {name: np.asarray(values, dtype=np.int64) for name, values in tokens.items()}

    return tokenize


def calibration_feeds(tokenize: Tokenize, sentences: Sequence[str], batch_size: int = CALIBRATION_BATCH) -> list[Feed]:
    """Encoder inputs batched as the run time batches them (sorted by length, cut to the longest
    member rounded up to PAD_MULTIPLE), so that the ranges measured are those the encoder will see."""
    tokens = tokenize(list(sentences))
    lengths = tokens["attention_mask"].sum(axis=1)
    order = np.argsort(lengths, kind="stable")
    feeds = []
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = min(tokens["input_ids"].shape[1], int(-(-lengths[rows].max() // PAD_MULTIPLE) * PAD_MULTIPLE))
        feeds.append({name: np.ascontiguousarray(values[rows, :width]) for name, values in tokens.items()})
    return feeds


def _weight_matmuls(model: Any) -> list[Any]:
    """The MatMuls whose second input is a weight (the attention-score MatMuls multiply two activations)."""
    weights = {initializer.name for initializer in model.graph.initializer}
    return [node for node in model.graph.node if node.op_type == "MatMul" and node.input[1] in weights]


def activation_absmax(model: Any, feeds: Sequence[Feed]) -> dict[str, np.ndarray]:
    """Per-channel max |x| of every weight MatMul's input over the feeds, from an fp32 run of ``model``."""
    import onnx
    import onnxruntime
    from onnx import helper

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    names = sorted({node.input[0] for node in _weight_matmuls(probe)})
    del probe.graph.output[:]
    probe.graph.output.extend(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None) for name in names)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # one thread: the same sums in the same order, so the same scales
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    wanted = {entry.name for entry in session.get_inputs()}
    absmax: dict[str, np.ndarray] = {}
    for feed in feeds:
        outputs = session.run(names, {name: values for name, values in feed.items() if name in wanted})
        for name, value in zip(names, outputs, strict=True):
            peak = np.abs(value).reshape(-1, value.shape[-1]).max(axis=0)
            absmax[name] = np.maximum(absmax[name], peak) if name in absmax else peak
    return absmax


def smooth_matmul_inputs(model: Any, absmax: dict[str, np.ndarray], alpha: float = SMOOTH_ALPHA) -> None:
    """Rewrite ``model`` in place so that each weight MatMul reads (X / s) @ (s W): the same product in fp32.

    ``s_j = absmax(X_j)^alpha / absmax(W_j,:)^(1 - alpha)``. MatMuls that share an input (query,
    key and value) share one s, taken over all their weights, and one inserted Mul.
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {initializer.name: initializer for initializer in graph.initializer}
    readers: dict[str, list[Any]] = {}
    for node in _weight_matmuls(model):
        readers.setdefault(node.input[0], []).append(node)
    inserted: list[tuple[Any, Any]] = []
    for source, matmuls in readers.items():
        weights = [numpy_helper.to_array(initializers[matmul.input[1]]) for matmul in matmuls]
        weight_max = np.max([np.abs(w).max(axis=1) for w in weights], axis=0)
        scale = np.clip(np.maximum(absmax[source], 1e-5) ** alpha / np.maximum(weight_max, 1e-5) ** (1 - alpha),
                        *_SCALE_RANGE).astype(np.float32)
        inverse = numpy_helper.from_array((1.0 / scale).astype(np.float32), f"{source}.smooth_inverse")
        graph.initializer.append(inverse)
        smoothed = f"{source}.smoothed"
        inserted.append((matmuls[0], helper.make_node("Mul", [source, inverse.name], [smoothed],
                                                      name=f"{source}.smooth")))
        for matmul, weight in zip(matmuls, weights, strict=True):
            initializer = initializers[matmul.input[1]]
            initializer.CopyFrom(numpy_helper.from_array((weight * scale[:, None]).astype(np.float32),
                                                         initializer.name))
            matmul.input[0] = smoothed
    nodes = list(graph.node)
    for first_reader, mul in inserted:  # each Mul just before its first reader keeps the graph in topological order
        nodes.insert(nodes.index(first_reader), mul)
    del graph.node[:]
    graph.node.extend(nodes)


def quantize_encoder(fp32_path: Path, out_path: Path, calibration: Sequence[Feed] | None, *,
                     alpha: float = SMOOTH_ALPHA, per_channel: bool = True) -> None:
    """Write the int8 encoder of an fp32 encoder graph (not the fp16-stored one: it quantises the weights).

    With ``calibration`` (:func:`calibration_feeds` of training sentences) the graph is smoothed
    first; with None it is quantised as it is. ``per_channel=False`` is the plain per-tensor
    recipe that earlier models shipped, kept for comparison.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = fp32_path
    smoothed = out_path.with_name(f"encoder-smoothed.{os.getpid()}.onnx")
    root = logging.getLogger()
    level = root.level
    try:
        if calibration is not None:
            model = onnx.load(str(fp32_path))
            smooth_matmul_inputs(model, activation_absmax(model, calibration), alpha)
            onnx.checker.check_model(model)
            onnx.save(model, str(smoothed))
            source = smoothed
        root.setLevel(logging.ERROR)  # its advice to pre-process the graph goes to the root logger
        quantize_dynamic(str(source), str(out_path), op_types_to_quantize=["MatMul", "Gather"],
                         per_channel=per_channel, reduce_range=False, weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
        smoothed.unlink(missing_ok=True)
