"""Adapter files: round trip, applied by the detector, refused on another model or when malformed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from spoilerscan.errors import ModelError
from spoilerscan.model.adapter import Adapter, model_fingerprint
from spoilerscan.model.detect import Detector
from spoilerscan.model.features import SentenceInput


def adapter_for(model: Path, bias: float = 0.0, weight: float = 0.0, threshold: float = 0.5,
                fail_threshold: float = 0.7) -> Adapter:
    width = Detector.load(model, threads=1).model.embedding_size
    weights = np.zeros(width)
    weights[0] = weight
    return Adapter(1.0, weights, bias, threshold, fail_threshold, model_fingerprint(model), {"note": "test"})


def test_round_trip(tiny_model_dir: Path, tmp_path: Path) -> None:
    adapter = adapter_for(tiny_model_dir, bias=0.25, weight=1.5)
    adapter.save(tmp_path / "site.json")
    loaded = Adapter.load(tmp_path / "site.json")
    assert loaded.as_json() == adapter.as_json()
    assert (tmp_path / "site.json").stat().st_size < 16_000  # kilobytes


def test_the_detector_applies_it_and_takes_its_thresholds(tiny_model_dir: Path, tmp_path: Path) -> None:
    plain = Detector.load(tiny_model_dir, threads=1)
    adapter = adapter_for(tiny_model_dir, bias=0.8, weight=2.0, threshold=0.4, fail_threshold=0.6)
    adapter.save(tmp_path / "site.json")
    adapted = Detector.load(tiny_model_dir, threads=1, adapter=tmp_path / "site.json")
    assert (adapted.threshold, adapted.fail_threshold) == (0.4, 0.6)
    sentences = ["He dies at the end.", "A fine film.", "The twist is great."]
    embeddings = plain.embed(sentences)
    review = [SentenceInput(s) for s in sentences]
    logits = plain.head_logits([review], embeddings)[0]
    expected = 1 / (1 + np.exp(-(logits + 2.0 * embeddings[:, 0] + 0.8)))
    assert [s.probability for s in adapted.score_reviews([review])[0]] == pytest.approx(expected.tolist(), abs=1e-6)


def test_another_models_adapter_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    raw = adapter_for(tiny_model_dir).as_json() | {"base_model": "0123456789abcdef"}
    (tmp_path / "other.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ModelError, match=r"fitted on another model .*fit it again with spoilerscan adapt"):
        Detector.load(tiny_model_dir, adapter=tmp_path / "other.json")


@pytest.mark.parametrize(("content", "message"), [
    (None, "adapter not found"),
    ("not json", "not an adapter file"),
    ('{"kind": "something else"}', "not an adapter file"),
    ('{"kind": "spoilerscan-adapter", "format": 99}', "format 99 is not 1"),
    ('{"kind": "spoilerscan-adapter", "format": 1, "weights": [1, 2]}', "malformed"),
    ('{"kind": "spoilerscan-adapter", "format": 1, "weights": ["x"], "base_model": "a", "base_scale": 1, '
     '"bias": 0, "threshold": 0.5, "fail_threshold": 0.5}', "malformed"),
])
def test_a_bad_file_is_one_clear_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "adapter.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelError, match=message):
        Adapter.load(path)
