"""A head retrained over a model directory's own encoder: the encoder files are kept byte for byte, the new
directory runs, its gate fails no more clean dev reviews than the old model, and the embeddings are cached."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from rich.console import Console

from spoilerscan.model.detect import Detector
from spoilerscan.model.features import SentenceInput
from spoilerscan.training.embeddings import EmbeddingStore, stored_scorer
from spoilerscan.training.headonly import train_head
from spoilerscan.training.train import TrainConfig, gather_data
from tests.conftest import TINY_LABELLED

SETTINGS = {"epochs": 1, "max_steps": 4, "seed": 3, "batch_sentences": 16, "head_learning_rate": 3e-2, "hidden": 16,
            "device": "cpu"}


def _train(encoder: Path, out: Path, cache: Path | None, **overrides: object) -> dict[str, object]:
    data = gather_data([TINY_LABELLED], [], [TINY_LABELLED], composed=12, seed=3)
    config = TrainConfig(base=encoder, out=out, **(SETTINGS | overrides))  # type: ignore[arg-type]
    return train_head(config, encoder, data, Console(file=io.StringIO()), {}, cache)


def test_a_new_head_over_the_same_encoder(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "new"
    meta = _train(tiny_model_dir, out, tmp_path / "cache", contrast=True)
    assert (out / "encoder.onnx").read_bytes() == (tiny_model_dir / "encoder.onnx").read_bytes()
    assert (out / "head.onnx").read_bytes() != (tiny_model_dir / "head.onnx").read_bytes()
    assert "frozen" in str(meta["recipe"]["encoder"])  # type: ignore[index]
    new = Detector.load(out, precision="fp32")
    assert new.review_gate is not None
    review = [SentenceInput("The acting is superb."), SentenceInput("The butler did it.")]
    scores = new.score_reviews([review])[0]
    assert all(0.0 <= s.probability <= 1.0 for s in scores)
    rule = str(meta["review_gate_rule"])
    assert "no set of real reviews fails more clean reviews than the encoder's own model" in rule


def test_the_contrast_head_reads_the_review_mean(tiny_model_dir: Path, tmp_path: Path) -> None:
    """With contrast, a sentence's score depends on its company even through the projection alone, and the
    exported graph computes what torch does (the run-time path feeds it the usual rows)."""
    out = tmp_path / "contrast"
    _train(tiny_model_dir, out, None, contrast=True)
    detector = Detector.load(out, precision="fp32")
    alone = detector.score_reviews([[SentenceInput("The butler did it.")]])[0][0].probability
    among = detector.score_reviews([[SentenceInput("I loved it."), SentenceInput("The butler did it.")]])[0][1]
    assert alone != among.probability


def test_embeddings_are_cached_on_disk(tiny_model_dir: Path, tmp_path: Path) -> None:
    store = EmbeddingStore(tiny_model_dir, tmp_path)
    assert store.ensure(["A first sentence.", "A second one, with ünïcode."]) == 2
    again = EmbeddingStore(tiny_model_dir, tmp_path)
    assert len(again) == 2 and again.ensure(["A first sentence."]) == 0
    direct = Detector.load(tiny_model_dir, precision="fp32").embed(["A second one, with ünïcode."])
    assert np.allclose(again.matrix(["A second one, with ünïcode."]), direct, atol=1e-6)


def test_a_stored_scorer_scores_as_the_detector_does(tiny_model_dir: Path, tmp_path: Path) -> None:
    detector = Detector.load(tiny_model_dir, precision="fp32")
    reviews = [[SentenceInput("The acting is superb."), SentenceInput("He was dead all along.")]]
    stored = stored_scorer(detector, tmp_path)
    assert [s.probability for s in stored(reviews)[0]] == \
        [s.probability for s in detector.score_reviews(reviews)[0]]
    assert stored.threshold == detector.threshold


def test_a_head_read_back_from_onnx_computes_what_the_graph_does(tiny_model_dir: Path) -> None:
    import torch

    from spoilerscan.model.engines import OnnxModel
    from spoilerscan.training.onnxhead import load_onnx_head

    head = load_onnx_head(tiny_model_dir / "head.onnx").eval()
    rows = np.random.default_rng(0).normal(size=(5, head.dim + 7)).astype(np.float32)
    graph = OnnxModel.load(tiny_model_dir).logits(rows)
    with torch.no_grad():
        assert np.allclose(head(torch.from_numpy(rows)[None])[0].numpy(), graph, atol=1e-5)


def test_from_head_continues_the_old_head(tiny_model_dir: Path, tmp_path: Path) -> None:
    data = gather_data([TINY_LABELLED], [], [TINY_LABELLED], composed=12, seed=3)
    settings = SETTINGS | {"head_learning_rate": 0.0}
    config = TrainConfig(base=tiny_model_dir, out=tmp_path / "next", **settings)  # type: ignore[arg-type]
    meta = train_head(config, tiny_model_dir, data, Console(file=io.StringIO()), {}, None, from_head=True)
    assert "own head" in str(meta["recipe"]["head"])  # type: ignore[index]
    review = [[SentenceInput("The acting is superb."), SentenceInput("The butler did it.")]]
    old = Detector.load(tiny_model_dir, precision="fp32")
    new = Detector.load(tmp_path / "next", precision="fp32")
    # not trained (lr 0): the same ranking as the old head, recalibrated
    old_logits, new_logits = old.head_logits(review[0:1], old.embed([s.text for s in review[0]]))[0], \
        new.head_logits(review[0:1], new.embed([s.text for s in review[0]]))[0]
    assert np.argsort(old_logits).tolist() == np.argsort(new_logits).tolist()


def test_an_anchored_head_stays_closer_to_the_head_it_started_from(tiny_model_dir: Path, tmp_path: Path) -> None:
    data = gather_data([TINY_LABELLED], [], [TINY_LABELLED], composed=12, seed=3)
    review = [SentenceInput("The acting is superb."), SentenceInput("The butler did it."),
              SentenceInput("It was all a dream.")]
    old = Detector.load(tiny_model_dir, precision="fp32")
    embedded = old.embed([s.text for s in review])
    drift = {}
    for anchor in (0.0, 50.0):
        out = tmp_path / f"anchor-{anchor:g}"
        settings = SETTINGS | {"max_steps": 8, "head_learning_rate": 3e-2}
        config = TrainConfig(base=tiny_model_dir, out=out, anchor=anchor, **settings)  # type: ignore[arg-type]
        meta = train_head(config, tiny_model_dir, data, Console(file=io.StringIO()), {}, None, from_head=True)
        new = Detector.load(out, precision="fp32")
        # the new head's Platt scaling is folded over the old (already calibrated) head's output: undo it
        scale, bias = meta["calibration"]["scale"], meta["calibration"]["bias"]  # type: ignore[index]
        trained = (new.head_logits([review], embedded)[0] - bias) / scale
        drift[anchor] = float(np.abs(trained - old.head_logits([review], embedded)[0]).mean())
    assert drift[50.0] < drift[0.0]


def test_anchor_needs_the_head_it_starts_from(tiny_model_dir: Path, tmp_path: Path) -> None:
    import pytest

    from spoilerscan.errors import ModelError

    with pytest.raises(ModelError, match="--from-head"):
        _train(tiny_model_dir, tmp_path / "new", None, anchor=1.0)


def test_a_gate_only_refit_keeps_every_score_and_changes_only_the_gate(tiny_model_dir: Path, tmp_path: Path) -> None:
    from spoilerscan.training.headonly import refit_gate
    from spoilerscan.training.modeldir import read_metadata

    data = gather_data([TINY_LABELLED], [], [TINY_LABELLED], seed=3)
    out = tmp_path / "gate"
    meta = refit_gate(out, tiny_model_dir, data, Console(file=io.StringIO()), {}, tmp_path / "cache", seed=3)
    for name in ("encoder.onnx", "head.onnx", "tokenizer.json"):
        assert (out / name).read_bytes() == (tiny_model_dir / name).read_bytes()
    old, new = read_metadata(tiny_model_dir), read_metadata(out)
    assert {k: v for k, v in new.items() if not k.startswith("review_gate")} == \
        {k: v for k, v in old.items() if not k.startswith("review_gate")}
    assert new["review_gate"] == meta["review_gate"] and "contrast margins" in new["review_gate_rule"]
    review = [SentenceInput("The acting is superb."), SentenceInput("The butler did it.")]
    before = Detector.load(tiny_model_dir, precision="fp32").score_reviews([review])[0]
    after = Detector.load(out, precision="fp32").score_reviews([review])[0]
    assert [s.probability for s in before] == [s.probability for s in after]
    assert Detector.load(out).review_gate is not None
