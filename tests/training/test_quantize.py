"""The int8 recipe (quantize.py): smoothing is exact in fp32, and it cuts the quantisation error where
activations have outlier channels.

On the tiny random encoder the int8 error comes almost all from its embedding table (Gather),
which both recipes quantise alike, and a random encoder has none of the outlier channels a trained
one has; so there the smoothed file is only required to be no worse than plain dynamic int8.
The gain itself is shown on a small graph with such channels.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from spoilerscan.model.engines import PAD_MULTIPLE
from spoilerscan.training.quantize import (
    Feed,
    activation_absmax,
    calibration_feeds,
    calibration_sample,
    hf_tokenize,
    quantize_encoder,
    smooth_matmul_inputs,
)
from tests.conftest import TINY_LABELLED

MAX_LENGTH = 32
PROBES = ["He dies.", "I loved the film and the acting.", "In the end he was dead all along!",
          "a very long sentence " * 20, "Café ending, 10/10 \U0001f47b",
          *(f"Sentence number {i} of a long review, the killer is {i}." for i in range(40))]


@pytest.fixture(scope="module")
def encoder_graph(tiny_base_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The tiny base encoder as an fp32 ONNX graph, and a Tokenize callable for it."""
    from transformers import AutoTokenizer

    from spoilerscan.training.export import export_encoder
    from spoilerscan.training.network import SentenceEncoder

    tokenizer = AutoTokenizer.from_pretrained(tiny_base_dir)
    path = tmp_path_factory.mktemp("quantize") / "encoder-fp32.onnx"
    export_encoder(SentenceEncoder.load(tiny_base_dir).eval(), tokenizer, path)
    return path, hf_tokenize(tokenizer, MAX_LENGTH)


def training_sentences() -> list[str]:
    with TINY_LABELLED.open(newline="", encoding="utf-8") as handle:
        return [row["sentence"] for row in csv.DictReader(handle)]


def run(model: object, feeds: list[Feed]) -> list[np.ndarray]:
    """Every output of an ONNX model (a path or a ModelProto) on each feed, concatenated over the feeds."""
    import onnxruntime

    source = str(model) if isinstance(model, Path) else model.SerializeToString()  # type: ignore[attr-defined]
    session = onnxruntime.InferenceSession(source, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    outputs = [session.run(None, {k: v for k, v in feed.items() if k in names}) for feed in feeds]
    return [np.concatenate([o[i] for o in outputs]) for i in range(len(outputs[0]))]


def test_calibration_sample_is_a_fixed_draw_of_distinct_sentences() -> None:
    texts = [f"sentence {i}" for i in range(1000)] * 2 + ["  "]
    sample = calibration_sample(texts, 256)
    assert len(sample) == len(set(sample)) == 256 and "  " not in sample
    assert sample == calibration_sample(list(texts), 256)
    assert sample != calibration_sample(texts, 256, seed=1)
    assert calibration_sample(["b", "a", "b"], 256) == ["b", "a"]  # fewer than asked: all of them


def test_calibration_feeds_are_batched_as_the_run_time_batches(encoder_graph: tuple[Path, object]) -> None:
    _, tokenize = encoder_graph
    feeds = calibration_feeds(tokenize, PROBES, batch_size=8)  # type: ignore[arg-type]
    assert [len(f["input_ids"]) for f in feeds] == [8] * 5 + [5]
    lengths = [int(n) for f in feeds for n in f["attention_mask"].sum(axis=1)]
    assert lengths == sorted(lengths)
    for feed in feeds:
        width = feed["input_ids"].shape[1]
        assert width == MAX_LENGTH or width % PAD_MULTIPLE == 0
        assert width >= feed["attention_mask"].sum(axis=1).max()
        assert {k: v.dtype for k, v in feed.items()} == dict.fromkeys(feed, np.dtype(np.int64))


def test_smoothing_is_exact_in_fp32(encoder_graph: tuple[Path, object]) -> None:
    import onnx
    from onnx import numpy_helper

    path, tokenize = encoder_graph
    calibration = calibration_feeds(tokenize, training_sentences())  # type: ignore[arg-type]
    original = onnx.load(str(path))
    smoothed = onnx.load(str(path))
    smooth_matmul_inputs(smoothed, activation_absmax(smoothed, calibration))
    weights = {t.name: numpy_helper.to_array(t) for t in original.graph.initializer}
    changed = [t.name for t in smoothed.graph.initializer
               if t.name in weights and not np.array_equal(numpy_helper.to_array(t), weights[t.name])]
    assert len(changed) == 6 * 2  # every weight MatMul of both layers was rescaled: not a no-op
    probes = calibration_feeds(tokenize, PROBES)  # type: ignore[arg-type]
    (before,), (after,) = run(original, probes), run(smoothed, probes)
    assert np.abs(after - before).max() < 1e-5


def test_on_the_tiny_model_smoothed_int8_is_no_worse_than_plain(encoder_graph: tuple[Path, object],
                                                                tmp_path: Path) -> None:
    path, tokenize = encoder_graph
    quantize_encoder(path, tmp_path / "smoothed.onnx", calibration_feeds(tokenize, training_sentences()))  # type: ignore[arg-type]
    quantize_encoder(path, tmp_path / "plain.onnx", None, per_channel=False)  # earlier models' recipe
    probes = calibration_feeds(tokenize, PROBES)  # type: ignore[arg-type]
    (reference,) = run(path, probes)

    def error(name: str) -> float:
        (embeddings,) = run(tmp_path / name, probes)
        return float((1 - (embeddings * reference).sum(axis=1)).mean())

    assert 0 < error("smoothed.onnx") <= 1.05 * error("plain.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.onnx", "smoothed.onnx"]  # no scratch file left


def outlier_graph(path: Path) -> None:
    """LayerNorm whose gain makes 3 of 64 channels 30x the others (as in trained encoders), read by two MatMuls."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    gain = np.ones(64, np.float32)
    gain[:3] = 30
    initializers = [numpy_helper.from_array(gain, "gain"), numpy_helper.from_array(np.zeros(64, np.float32), "bias"),
                    numpy_helper.from_array(rng.normal(0, 0.1, (64, 64)).astype(np.float32), "w1"),
                    numpy_helper.from_array(rng.normal(0, 0.1, (64, 16)).astype(np.float32), "w2")]
    nodes = [helper.make_node("LayerNormalization", ["x", "gain", "bias"], ["h"], axis=-1),
             helper.make_node("MatMul", ["h", "w1"], ["a"]), helper.make_node("MatMul", ["h", "w2"], ["b"])]
    value = lambda name, width: helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", "tokens", width])  # noqa: E731
    graph = helper.make_graph(nodes, "outliers", [value("x", 64)], [value("a", 64), value("b", 16)], initializers)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def test_smoothing_cuts_the_error_that_outlier_channels_cause(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    outlier_graph(tmp_path / "fp32.onnx")
    calibration = [{"x": rng.normal(0, 1, (4, 16, 64)).astype(np.float32)} for _ in range(4)]
    quantize_encoder(tmp_path / "fp32.onnx", tmp_path / "smoothed.onnx", calibration)
    quantize_encoder(tmp_path / "fp32.onnx", tmp_path / "per-channel.onnx", None)
    quantize_encoder(tmp_path / "fp32.onnx", tmp_path / "plain.onnx", None, per_channel=False)
    probes = [{"x": rng.normal(0, 1, (8, 16, 64)).astype(np.float32)}]
    reference = run(tmp_path / "fp32.onnx", probes)

    def error(name: str) -> float:
        return max(float(np.abs(o - r).mean() / np.abs(r).mean())
                   for o, r in zip(run(tmp_path / name, probes), reference, strict=True))

    assert error("smoothed.onnx") < 0.5 * min(error("plain.onnx"), error("per-channel.onnx"))
