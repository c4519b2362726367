"""Held-out metrics for a spoiler model, computed with scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Metrics:
    dataset: str
    sentences: int
    spoilers: int
    roc_auc: float | None
    pr_auc: float | None
    precision: float
    recall: float
    f1: float
    threshold: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def compute_metrics(dataset: str, labels: Sequence[int], scores: Sequence[float], threshold: float) -> Metrics:
    """ROC-AUC, PR-AUC (average precision) and P/R/F1 at ``threshold``.

    The AUCs are None when only one class is present, where they are undefined.
    """
    from sklearn.metrics import (
        average_precision_score,
        precision_recall_fscore_support,
        roc_auc_score,
    )

    both_classes = len(set(labels)) == 2
    predictions = [int(s >= threshold) for s in scores]
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predictions, average="binary", zero_division=0
    )
    return Metrics(
        dataset=dataset,
        sentences=len(labels),
        spoilers=int(sum(labels)),
        roc_auc=float(roc_auc_score(labels, scores)) if both_classes else None,
        pr_auc=float(average_precision_score(labels, scores)) if both_classes else None,
        precision=float(precision),
        recall=float(recall),
        f1=float(f1),
        threshold=threshold,
    )


def best_f1_threshold(labels: Sequence[int], scores: Sequence[float]) -> float:
    """The score threshold with the highest F1 on these labels (for dev data only)."""
    import numpy as np
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(labels, scores)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))])
