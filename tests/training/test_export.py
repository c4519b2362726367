"""Export (export.py): the ONNX graphs score reviews as the torch review model does.

The reference is :class:`spoilerscan.training.train.ReviewModel`, the torch model as training drives it
(reviews padded into batches, the GRU packed); the exported graphs run one review at a time on
ONNX Runtime with the ``tokenizers`` library. ``encoder.onnx`` stores its large weights as fp16,
so the reference gets the same rounding; int8 is a different model, only close (its recipe is
tested in test_quantize.py).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from spoilerscan.model.detect import Detector
from spoilerscan.model.engines import ENCODER_FILES, HEAD_FILE
from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.document import BlockKind
from spoilerscan.training.data import LabelledReview
from tests.conftest import TINY_LABELLED

MAX_LENGTH = 32
REVIEWS = [
    [SentenceInput("He dies.")],
    [SentenceInput("The Sixth Sense", BlockKind.heading), SentenceInput("I loved the film and the acting."),
     SentenceInput("the score", BlockKind.list_item), SentenceInput("In the end he was dead all along!"),
     SentenceInput("I see dead people.", BlockKind.quote)],
    [SentenceInput("a very long sentence " * 20), SentenceInput(""), SentenceInput("Café ending, 10/10 \U0001f47b")],
    [SentenceInput(f"Sentence number {i} of a long review, the killer is {i}.") for i in range(40)],
]


@pytest.fixture(scope="module")
def exported(tiny_base_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """A random review model exported into a model directory, and the torch model it came from."""
    import torch
    from transformers import AutoTokenizer

    from spoilerscan.training.calibration import fold_calibration
    from spoilerscan.training.network import ReviewHead, SentenceEncoder
    from spoilerscan.training.train import ReviewModel

    torch.manual_seed(3)
    tokenizer = AutoTokenizer.from_pretrained(tiny_base_dir)
    encoder = SentenceEncoder.load(tiny_base_dir).eval()
    head = ReviewHead(encoder.dim, 16).eval()
    model = ReviewModel(encoder, head, tokenizer, MAX_LENGTH)
    raw = np.concatenate(model.predict(labelled()))
    fold_calibration(head, 2 / raw.std(), -2 * raw.mean() / raw.std())  # logits spread as a calibrated head's
    directory = tmp_path_factory.mktemp("exported")
    export(model, directory)
    tokenizer.save_pretrained(directory)
    (directory / "spoilerscan.json").write_text(json.dumps({"threshold": 0.5, "max_length": MAX_LENGTH}))
    with torch.no_grad():  # the weights as encoder.onnx stores them
        for tensor in encoder.state_dict().values():
            if tensor.dtype == torch.float32 and tensor.numel() >= 1024:
                tensor.copy_(tensor.half().float())
    return directory, model


def export(model: object, directory: Path) -> None:
    """export_model as training calls it, with the fixture's training sentences as calibration."""
    from spoilerscan.training.export import export_model
    from spoilerscan.training.quantize import hf_tokenize

    tokenizer = model.tokenizer  # type: ignore[attr-defined]
    export_model(model.encoder, model.head, tokenizer, directory,  # type: ignore[attr-defined]
                 training_sentences(), hf_tokenize(tokenizer, MAX_LENGTH))


def training_sentences() -> list[str]:
    with TINY_LABELLED.open(newline="", encoding="utf-8") as handle:
        return [row["sentence"] for row in csv.DictReader(handle)]


def labelled() -> list[LabelledReview]:
    return [LabelledReview(tuple(review), (0,) * len(review), "test") for review in REVIEWS]


def torch_probabilities(model: object) -> list[np.ndarray]:
    return [1 / (1 + np.exp(-logits)) for logits in model.predict(labelled(), budget=16)]  # type: ignore[attr-defined]


def onnx_probabilities(directory: Path, precision: str) -> list[np.ndarray]:
    scored = Detector.load(directory, precision=precision).score_reviews(REVIEWS)
    return [np.array([s.probability for s in review]) for review in scored]


def test_fp32_graphs_score_like_the_torch_model(exported: tuple[Path, object]) -> None:
    directory, model = exported
    reference = torch_probabilities(model)
    assert np.concatenate(reference).std() > 0.2  # a model whose scores differ, so that parity means something
    for ours, theirs in zip(onnx_probabilities(directory, "fp32"), reference, strict=True):
        assert ours == pytest.approx(theirs, abs=1e-4)


def test_int8_graph_loads_and_stays_close(exported: tuple[Path, object]) -> None:
    directory, _ = exported
    fp32 = np.concatenate(onnx_probabilities(directory, "fp32"))
    int8 = np.concatenate(onnx_probabilities(directory, "int8"))
    assert np.abs(int8 - fp32).max() < 0.1
    assert not np.array_equal(int8, fp32)  # a different encoder indeed


def test_the_int8_encoder_is_smoothed_and_runs_on_plain_onnxruntime(exported: tuple[Path, object]) -> None:
    import onnx
    import onnxruntime

    directory, _ = exported
    path = directory / ENCODER_FILES["int8"]
    nodes = onnx.load(str(path)).graph.node
    assert {n.domain for n in nodes} <= {"", "ai.onnx"}  # standard ONNX ops only: any onnxruntime runs it
    assert {"MatMulInteger", "DynamicQuantizeLinear"} <= {n.op_type for n in nodes}
    # one smoothing Mul per distinct weight-MatMul input; per layer: query/key/value (one input),
    # attention output, FFN in, FFN out
    layers = 2
    assert sum(n.op_type == "Mul" and n.name.endswith(".smooth") for n in nodes) == 4 * layers
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    tokens = Detector.load(directory, precision="int8").model.tokenizer.encode_batch(["He dies.", "Café, 10/10."])
    feed = {"input_ids": np.array([t.ids for t in tokens], np.int64),
            "attention_mask": np.array([t.attention_mask for t in tokens], np.int64),
            "token_type_ids": np.array([t.type_ids for t in tokens], np.int64)}
    (embeddings,) = session.run(None, {i.name: feed[i.name] for i in session.get_inputs()})
    assert embeddings.shape[0] == 2 and np.linalg.norm(embeddings, axis=1) == pytest.approx(1, abs=1e-3)


def test_two_exports_of_one_model_are_byte_identical(exported: tuple[Path, object], tmp_path: Path) -> None:
    _, model = exported
    for build in ("first", "second"):
        (tmp_path / build).mkdir()
        export(model, tmp_path / build)
    for name in [*ENCODER_FILES.values(), HEAD_FILE]:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name


def test_encoder_weights_are_stored_as_fp16_and_int8(exported: tuple[Path, object]) -> None:
    import onnx
    from onnx import TensorProto, numpy_helper

    directory, _ = exported

    def large_types(name: str) -> set[int]:
        graph = onnx.load(str(directory / name)).graph
        return {t.data_type for t in graph.initializer if numpy_helper.to_array(t).size >= 1024}

    assert large_types(ENCODER_FILES["fp32"]) == {TensorProto.FLOAT16}
    assert TensorProto.INT8 in large_types(ENCODER_FILES["int8"])
    assert sorted(p.name for p in directory.glob("*.onnx")) == sorted([*ENCODER_FILES.values(), HEAD_FILE])
    assert not list(directory.glob("*.partial")) and not list(directory.glob("encoder-fp32.*"))


def test_the_head_graph_reads_reviews_of_any_length(exported: tuple[Path, object]) -> None:
    directory, _ = exported
    detector = Detector.load(directory, precision="fp32")
    dim = detector.embed(["x"]).shape[1]
    from spoilerscan.model.features import FEATURES

    for sentences in (1, 2, 3, 97):
        assert detector.model.logits(np.zeros((sentences, dim + len(FEATURES)), np.float32)).shape == (sentences,)
