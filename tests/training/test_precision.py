"""The int8 rule (precision.py): a set vetoes int8 only when its whole interval is below the margin; the pool counts."""

from __future__ import annotations

import numpy as np
import pytest

from spoilerscan.model.detect import SentenceScore
from spoilerscan.training.precision import DRIFT_TOLERANCE, MARGIN, batch_drift, decide, describe


def difference(name: str, value: float, low: float, high: float) -> dict[str, object]:
    return {"dataset": name, "reviews": 5, "roc_auc": 0.8 + value, "baseline_roc_auc": 0.8, "difference": value,
            "low": low, "high": high, "resamples": 1000}


def test_a_set_vetoes_int8_only_with_its_whole_interval_below_the_margin() -> None:
    pooled = difference("pooled", -0.001, -0.003, 0.001)
    noisy = decide([difference("small", -0.0075, -0.02, 0.004)], pooled, drift=0.0)
    assert noisy["precision"] == "int8" and noisy["vetoes"] == []
    clear = decide([difference("small", -0.0075, -0.02, -0.0051), difference("big", 0.0, -0.001, 0.001)], pooled,
                   drift=0.0)
    assert clear["precision"] == "fp32" and clear["vetoes"] == ["small"]
    # touching -MARGIN is not wholly below it
    edge = decide([difference("small", -0.01, -0.02, -MARGIN)], pooled, drift=0.0)
    assert edge["precision"] == "int8"


def test_the_pooled_loss_must_stay_within_the_margin() -> None:
    sets = [difference("a", -0.004, -0.006, -0.002)]
    assert decide(sets, difference("pooled", -0.0051, -0.007, -0.003), drift=0.0)["precision"] == "fp32"
    assert decide(sets, difference("pooled", -0.0049, -0.007, -0.003), drift=0.0)["precision"] == "int8"
    assert decide(sets, None)["precision"] == "fp32"  # nothing pooled, nothing shown
    assert decide([], difference("pooled", 0.0, 0.0, 0.0))["precision"] == "fp32"


def test_the_card_states_the_rule_each_interval_and_the_sizes() -> None:
    decision = decide([difference("goodreads/reviews", -0.0050, -0.0098, 0.0074)],
                      difference("all held-out sentences, pooled", -0.0002, -0.0010, 0.0006),
                      {"fp32": 45.1, "int8": 22.9}, drift=2e-7)
    text = describe(decision)
    assert "| goodreads/reviews | sentences | 5 | 0.8000 | 0.7950 | -0.0050 | [-0.0098, +0.0074] |" in text
    assert "all held-out sentences, pooled" in text and "**int8 is the default**" in text
    assert "fp32 45.1 MB, int8 22.9 MB" in text and "pooled loss +0.0002" in text


def test_scores_that_depend_on_their_batch_keep_fp32_whatever_the_intervals() -> None:
    sets = [difference("a", 0.001, -0.002, 0.004)]
    pooled = difference("pooled", 0.001, -0.001, 0.003)
    assert decide(sets, pooled, drift=DRIFT_TOLERANCE)["precision"] == "int8"
    moved = decide(sets, pooled, drift=0.12)
    assert moved["precision"] == "fp32" and moved["batch_drift"] == 0.12
    assert "batch drift 0.12" in describe(moved) and "**fp32 stays the default**" in describe(moved)
    assert decide(sets, pooled)["precision"] == "fp32"  # not measured: not passed


class BatchedScaleDetector:
    """Scores that depend on the batch, as dynamic int8 does: each embedding is scaled by the batch's size."""

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.full((len(texts), 1), float(len(texts)), dtype=np.float32)

    def score_embedded(self, reviews: list[list[object]], embeddings: np.ndarray) -> list[list[SentenceScore]]:
        return [[SentenceScore(float(row[0]) / 100)] for row in embeddings]


def test_batch_drift_compares_a_sentence_alone_with_it_in_a_batch() -> None:
    assert batch_drift(BatchedScaleDetector(), ["a", "b", "c", "d"]) == pytest.approx(0.03)
    assert batch_drift(BatchedScaleDetector(), ["only"]) == 0.0
