"""The cuts model training and site adapters share: best F-beta as scikit-learn's curve picks it."""

from __future__ import annotations

import numpy as np
import pytest

from spoilerscan.model.thresholds import best_f_threshold


def sklearn_best_f(labels: np.ndarray, scores: np.ndarray, beta: float) -> float:
    """What training computed before the cut moved here: precision_recall_curve, first maximum."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(labels, scores)
    weight = beta * beta
    f = (1 + weight) * precision * recall / np.maximum(weight * precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f[:-1]))])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_best_f_threshold_is_scikit_learns_choice(seed: int, beta: float) -> None:
    pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    labels = (rng.random(400) < 0.2).astype(int)
    scores = np.round(rng.random(400) * 0.7 + labels * 0.3, 2)  # ties included
    assert best_f_threshold(labels, scores, beta) == sklearn_best_f(labels, scores, beta)
