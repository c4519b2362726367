"""The numpy metrics adapt uses agree with scikit-learn's (the training extra has it)."""

from __future__ import annotations

import numpy as np
import pytest

from spoilerscan.adapt.metrics import average_precision, bootstrap_difference, roc_auc
from spoilerscan.model.thresholds import best_f_threshold, fail_cut


@pytest.mark.parametrize("seed", range(5))
def test_roc_and_pr_auc_match_scikit_learn(seed: int) -> None:
    sklearn = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    labels = (rng.random(300) < 0.1).astype(int)
    scores = np.round(rng.random(300) + labels * 0.3, 2)  # ties included
    assert roc_auc(labels, scores) == pytest.approx(sklearn.roc_auc_score(labels, scores), abs=1e-12)
    assert average_precision(labels, scores) == pytest.approx(sklearn.average_precision_score(labels, scores),
                                                              abs=1e-12)


def test_cuts() -> None:
    labels = np.array([0, 0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.7, 0.9])
    assert best_f_threshold(labels, scores, beta=2.0) == 0.7  # both spoilers, one clean: F2 0.909
    assert fail_cut(scores[labels == 0], 0.25) == np.nextafter(0.3, 1.0)  # one of four clean may fail
    assert np.isnan(roc_auc(np.zeros(3), np.arange(3.0)))


def test_bootstrap_interval_holds_the_difference() -> None:
    rng = np.random.default_rng(0)
    labels = (rng.random(400) < 0.2).astype(int)
    old = rng.random(400)
    new = old + labels * 0.5
    difference, low, high = bootstrap_difference(labels, new, old, resamples=200)
    assert 0 < low <= difference <= high
