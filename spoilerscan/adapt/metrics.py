"""Ranking metrics and cuts in numpy, for ``adapt`` (the run time has no scikit-learn).

They match scikit-learn's ``roc_auc_score`` and ``average_precision_score`` (tests compare them)
and the cuts come from :mod:`spoilerscan.model.thresholds`, as the model's, so an adapter is judged as
the model was.
"""

from __future__ import annotations

import numpy as np

from spoilerscan.model.thresholds import by_cut


def _average_ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(scores, kind="mergesort")
    ordered = scores[order]
    distinct = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    group = np.cumsum(distinct) - 1
    starts = np.flatnonzero(distinct)
    counts = np.diff(np.append(starts, len(scores)))
    ranks = np.empty(len(scores))
    ranks[order] = (starts + (counts + 1) / 2.0)[group]  # 1-based average rank of each tie group
    return ranks


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC with ties counted half (Mann-Whitney); nan with one class only."""
    positive = np.asarray(labels).astype(bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(np.asarray(scores, dtype=float))
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """PR-AUC as scikit-learn's average precision: the sum over cuts of (R_k - R_k-1) P_k."""
    positives = float(np.asarray(labels, dtype=float).sum())
    if positives == 0:
        return float("nan")
    _, true_positives, flagged = by_cut(labels, scores)
    recall = true_positives / positives
    return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * true_positives / flagged))


def bootstrap_difference(labels: np.ndarray, new: np.ndarray, old: np.ndarray, metric: str = "roc_auc",
                         resamples: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """(new - old, 2.5 %, 97.5 %) of a metric, the interval from resampling the units with replacement."""
    score = roc_auc if metric == "roc_auc" else average_precision
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(resamples):
        pick = rng.integers(0, len(labels), len(labels))
        if labels[pick].min() != labels[pick].max():
            differences.append(score(labels[pick], new[pick]) - score(labels[pick], old[pick]))
    low, high = np.percentile(differences, [2.5, 97.5]) if differences else (float("nan"), float("nan"))
    return score(labels, new) - score(labels, old), float(low), float(high)
