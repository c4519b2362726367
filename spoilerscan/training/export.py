"""Export a trained review model to the ONNX files that run it (training extra only).

Three files: the sentence encoder in fp32 arithmetic with its weights stored as fp16 (half the
size; ONNX Runtime folds the casts back to fp32 when it loads the file, so scores equal the fp16
weights' own to float precision), the same encoder in int8 (smoothed on training sentences, then
per-channel dynamic quantisation of its matrix products and embedding tables: :mod:`.quantize`),
and the review head.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spoilerscan.errors import ModelError
from spoilerscan.model.engines import ENCODER_FILES, HEAD_FILE
from spoilerscan.model.features import FEATURES
from spoilerscan.training.network import ReviewHead, SentenceEncoder
from spoilerscan.training.quantize import Tokenize, calibration_feeds, quantize_encoder

ONNX_OPSET = 17
# Weight tensors smaller than this stay fp32 (biases, layer norms): nothing to gain.
_HALF_MIN_ELEMENTS = 1024


def _export(module: Any, inputs: tuple[Any, ...], names: list[str], output: str, dynamic: dict[str, dict[int, str]],
            target: Path) -> None:
    import torch

    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about Python control flow; parity is tested instead
            torch.onnx.export(module, inputs, str(partial), dynamo=False, input_names=names, output_names=[output],
                              dynamic_axes=dynamic, opset_version=ONNX_OPSET)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def export_encoder(encoder: SentenceEncoder, tokenizer: Any, target: Path) -> None:
    """The encoder as an fp32 ONNX graph: token ids in, unit-length sentence embeddings out."""
    import torch

    sample = tokenizer(["A sentence to trace.", "And a second, longer sentence to trace."], padding=True,
                       return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]
    encoder.eval()

    class Positional(torch.nn.Module):  # the tracer passes inputs by position
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *tensors: Any) -> Any:
            return self.encoder(**dict(zip(names, tensors, strict=True)))

    _export(Positional(), tuple(sample[n] for n in names), names, "embedding",
            {**{n: {0: "batch", 1: "tokens"} for n in names}, "embedding": {0: "batch"}}, target)


def export_head(head: ReviewHead, target: Path) -> None:
    """The review head as an ONNX graph for one review: (1, sentences, dim + features) in, logits out."""
    import torch

    head.eval()
    sample = torch.zeros(1, 3, head.dim + len(FEATURES))
    _export(head, (sample,), ["features"], "logits", {"features": {1: "sentences"}, "logits": {1: "sentences"}},
            target)


def store_half(source: Path, target: Path) -> None:
    """Rewrite an fp32 graph with its large weights stored as fp16, each cast back to fp32 on load."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    casts = []
    for initializer in list(graph.initializer):
        if initializer.data_type != TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(initializer)
        if values.size < _HALF_MIN_ELEMENTS:
            continue
        name = initializer.name
        half = numpy_helper.from_array(values.astype(np.float16), f"{name}.fp16")
        graph.initializer.remove(initializer)
        graph.initializer.append(half)
        casts.append(helper.make_node("Cast", [half.name], [name], to=TensorProto.FLOAT, name=f"{name}.cast"))
    for position, node in enumerate(casts):
        graph.node.insert(position, node)
    onnx.save(model, str(target))


def export_model(encoder: SentenceEncoder, head: ReviewHead, tokenizer: Any, directory: Path,
                 calibration_sentences: Sequence[str], tokenize: Tokenize) -> None:
    """Write encoder.onnx (fp32, fp16-stored), encoder-int8.onnx and head.onnx into ``directory``.

    ``calibration_sentences`` (a few hundred training sentences, never dev or test ones) and
    ``tokenize`` (as the model will tokenize them) set the int8 encoder's smoothing scales.
    """
    if not calibration_sentences:
        raise ModelError("no calibration sentences for the int8 encoder")
    full = directory / f"encoder-fp32.{os.getpid()}.onnx"
    try:
        export_encoder(encoder, tokenizer, full)
        store_half(full, directory / ENCODER_FILES["fp32"])
        quantize_encoder(full, directory / ENCODER_FILES["int8"], calibration_feeds(tokenize, calibration_sentences))
    finally:
        full.unlink(missing_ok=True)
    export_head(head, directory / HEAD_FILE)
