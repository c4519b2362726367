"""The cuts a model and a site adapter are given, in numpy: chosen the same way for both.

``train`` (its calibration) and ``adapt`` pick their reporting threshold with
:func:`best_f_threshold` and their fail threshold with :func:`fail_cut`, so an adapter's cuts mean
what the model's mean. Here, below both, so the run time needs no scikit-learn for them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Probabilities from logits, clipped so that no logit overflows: the one map from the model's calibrated
    logits to the scores a user sees, shared by the detector, training and adapters."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60))))


def by_cut(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cut, true positives, flagged) at each distinct score, highest first (flagged: score >= cut)."""
    order = np.argsort(-np.asarray(scores, dtype=float), kind="mergesort")
    ordered = np.asarray(scores, dtype=float)[order]
    true_positives = np.cumsum(np.asarray(labels, dtype=float)[order])
    last = np.append(ordered[1:] != ordered[:-1], True)  # the last index of each tie group
    return ordered[last], true_positives[last], np.arange(1, len(ordered) + 1)[last]


def best_f_threshold(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray,
                     beta: float = 1.0) -> float:
    """The score cut with the highest F-beta on these labels (for dev data only); among equal ones the
    lowest cut, as scikit-learn's ``precision_recall_curve`` orders them.

    ``beta`` > 1 weighs recall above precision (2: a missed spoiler counts twice a hidden opinion).
    """
    cuts, true_positives, flagged = by_cut(labels, scores)
    precision = true_positives / flagged
    recall = true_positives / max(float(np.asarray(labels, dtype=float).sum()), 1.0)
    weight = beta * beta
    f = (1 + weight) * precision * recall / np.maximum(weight * precision + recall, 1e-12)
    return float(cuts[int(np.flatnonzero(f == f.max())[-1])])


def fail_cut(clean_scores: Sequence[float] | np.ndarray, max_share: float = 0.05) -> float:
    """The lowest cut at which at most ``max_share`` of these clean reviews' scores reach it."""
    ordered = np.sort(np.asarray(clean_scores, dtype=float))[::-1]
    if not len(ordered):
        return 0.5
    allowed = int(max_share * len(ordered))
    if allowed >= len(ordered):
        return 0.0
    return float(np.nextafter(ordered[allowed], 1.0))
