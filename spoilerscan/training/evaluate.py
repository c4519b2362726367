"""Held-out metrics for a spoiler model, computed with scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spoilerscan.model.review_gate import ReviewGate
    from spoilerscan.training.data import Split


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


# Review lengths (scored sentences) that the gate's consistency is reported by: [low, high).
LENGTH_BINS = ((1, 8, "<8"), (8, 15, "8-15"), (15, 25, "15-25"), (25, 10**9, "25+"))


@dataclass(frozen=True, slots=True)
class ReviewMetrics:
    """Review-level results: a review's score is its highest sentence probability.

    ``false_fail_rate`` and ``caught`` are the decision ``check`` makes: the model's review gate
    (a cut that rises with the review's length) where it has one, else the flat fail threshold;
    ``by_length`` gives both rules' counts per length bin, ``flat`` the flat rule's overall rates.
    """

    dataset: str
    reviews: int
    spoiler_reviews: int
    roc_auc: float | None
    false_fail_rate: float  # clean reviews that fail
    caught: float  # spoiler reviews that fail
    fail_threshold: float
    rule: str = "flat"  # "gate": the length-aware review gate decided
    flat: dict[str, float] | None = None  # the flat rule's rates, where the gate decided
    by_length: list[dict[str, object]] | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _rates(labels: Sequence[int], failed: Sequence[bool]) -> tuple[float, float]:
    clean = [f for f, label in zip(failed, labels, strict=True) if not label]
    spoiling = [f for f, label in zip(failed, labels, strict=True) if label]
    return (sum(clean) / len(clean) if clean else 0.0), (sum(spoiling) / len(spoiling) if spoiling else 0.0)


def review_metrics(dataset: str, labels: Sequence[int], probabilities: Sequence[Sequence[float]],
                   fail_threshold: float, gate: ReviewGate | None = None) -> ReviewMetrics:
    """ROC-AUC of review scores (highest sentence) against review labels, and ``check``'s error rates:
    at the gate's length-aware cut where there is one, else at ``fail_threshold``; per length bin, both."""
    from sklearn.metrics import roc_auc_score

    scores = [max(p, default=0.0) for p in probabilities]
    flat = [bool(p) and max(p) >= fail_threshold for p in probabilities]
    gated = [gate.fails(list(p)) for p in probabilities] if gate is not None else flat
    rules = (("flat", flat), ("gate", gated)) if gate is not None else (("flat", flat),)
    bins: list[dict[str, object]] = []
    for low, high, name in LENGTH_BINS:
        chosen = [i for i, p in enumerate(probabilities) if low <= len(p) < high]
        row: dict[str, object] = {"bin": name, "clean": sum(1 for i in chosen if not labels[i]),
                                  "spoilers": sum(1 for i in chosen if labels[i])}
        for rule, failed in rules:
            row[f"{rule}_clean_failed"] = sum(1 for i in chosen if failed[i] and not labels[i])
            row[f"{rule}_caught"] = sum(1 for i in chosen if failed[i] and labels[i])
        bins.append(row)
    false_fail, caught = _rates(labels, gated)
    flat_false_fail, flat_caught = _rates(labels, flat)
    return ReviewMetrics(
        dataset=dataset, reviews=len(labels), spoiler_reviews=sum(labels),
        roc_auc=float(roc_auc_score(labels, scores)) if len(set(labels)) == 2 else None,
        false_fail_rate=false_fail, caught=caught, fail_threshold=fail_threshold,
        rule="gate" if gate is not None else "flat",
        flat={"false_fail_rate": flat_false_fail, "caught": flat_caught} if gate is not None else None,
        by_length=bins,
    )


@dataclass(frozen=True, slots=True)
class AucDifference:
    """One model's sentence ROC-AUC against a baseline's on the same sentences, with a 95 % interval."""

    dataset: str
    reviews: int
    roc_auc: float
    baseline_roc_auc: float
    difference: float  # roc_auc - baseline_roc_auc
    low: float
    high: float
    resamples: int
    units: int = 0  # what the ROC-AUC ranks: sentences, or whole reviews where level is "reviews"
    level: str = "sentences"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def paired_auc_difference(dataset: str, labels: Sequence[Sequence[int]], scores: Sequence[Sequence[float]],
                          baseline: Sequence[Sequence[float]], resamples: int = 1000,
                          seed: int = 0, level: str = "sentences") -> AucDifference | None:
    """Sentence ROC-AUC of ``scores`` minus that of ``baseline``, with a paired bootstrap 95 % interval.

    Each argument holds one list per review. The bootstrap resamples whole reviews, because the
    sentences of one review are not independent, and scores both models on each resample, so the
    interval is of the difference itself: two models' own intervals overlap far more than their
    difference varies. Resamples with one class only are skipped. None when the labels have one class.
    """
    import numpy as np
    from sklearn.metrics import roc_auc_score

    label_arrays = [np.asarray(review, dtype=int) for review in labels]
    score_arrays = [np.asarray(review, dtype=float) for review in scores]
    baseline_arrays = [np.asarray(review, dtype=float) for review in baseline]

    def aucs(chosen: Sequence[int]) -> tuple[float, float] | None:
        y = np.concatenate([label_arrays[i] for i in chosen])
        if y.min() == y.max():
            return None
        return (float(roc_auc_score(y, np.concatenate([score_arrays[i] for i in chosen]))),
                float(roc_auc_score(y, np.concatenate([baseline_arrays[i] for i in chosen]))))

    whole = aucs(range(len(labels)))
    if whole is None:
        return None
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(resamples):
        resampled = aucs(rng.integers(0, len(labels), len(labels)).tolist())
        if resampled is not None:
            differences.append(resampled[0] - resampled[1])
    low, high = np.percentile(differences, [2.5, 97.5]) if differences else (float("nan"), float("nan"))
    return AucDifference(dataset=dataset, reviews=len(labels), roc_auc=whole[0], baseline_roc_auc=whole[1],
                         difference=whole[0] - whole[1], low=float(low), high=float(high),
                         resamples=len(differences), units=sum(len(r) for r in label_arrays), level=level)


def probabilities(scorer: Any, reviews: Sequence[Any]) -> list[list[float]]:
    """Each labelled review's sentence probabilities, as ``scorer`` reads the review."""
    return [[s.probability for s in review] for review in scorer([r.sentences for r in reviews])]


def evaluate_files(scorer: Any, sets: Sequence[tuple[Path, Split | None]], baseline: Any | None = None,
                   scores_out: dict[str, tuple[list[int], list[float]]] | None = None
                   ) -> dict[str, list[dict[str, Any]]]:
    """Metrics of a detector on labelled files (``part``: None for the whole file, "test" for its held-out part).

    ``scorer`` is a Detector (a Scorer with ``threshold`` and ``fail_threshold``). With a
    ``baseline`` Scorer, "differences" holds each dataset's ROC-AUC difference to it (sentence
    ROC-AUC, or review ROC-AUC for files labelled by whole review only), and "pooled_difference" the
    one of all labelled sentences of every file pooled (each file read once, not entry by entry).
    ``scores_out``, where given, receives each sentence dataset's labels and probabilities (for the
    card's figures), by the dataset's name in the results.
    """
    from spoilerscan.training.data import LabelledReview, has_entries, load_reviews

    results: dict[str, list[dict[str, Any]]] = {"sentences": [], "reviews": [], "challenge": []}
    pooled_labels: list[Sequence[int]] = []
    pooled_scores: list[list[float]] = []
    pooled_baseline: list[list[float]] = []
    if baseline is not None:
        results["differences"] = []
    read: list[LabelledReview] = []
    for path, part in sets:
        suffix = " (held-out test part)" if part else ""
        whole = load_reviews(path, part)  # first: a missing or unreadable file is reported in one line
        groupings = [(False, "")] + ([(True, ", entry context")] if has_entries(path) else [])
        for per_entry, how in groupings:
            reviews = load_reviews(path, part, per_entry=True) if per_entry else whole
            scores = probabilities(scorer, reviews)
            compared = probabilities(baseline, reviews) if baseline is not None else None
            name = reviews[0].source + suffix + how
            labelled = [i for i, r in enumerate(reviews) if r.sentence_labels]
            labels = [label for i in labelled for label in reviews[i].labels]
            flat = [p for i in labelled for p in scores[i]]
            if labelled:  # files labelled by whole review only have review results alone
                results["sentences"].append(compute_metrics(name, labels, flat, scorer.threshold).as_dict())
            if scores_out is not None and labelled:
                scores_out[name] = (labels, flat)
            if compared is not None and labelled:
                difference = paired_auc_difference(name, [reviews[i].labels for i in labelled],
                                                   [scores[i] for i in labelled], [compared[i] for i in labelled])
                if difference is not None:
                    results["differences"].append(difference.as_dict())
                if not per_entry:
                    pooled_labels += [reviews[i].labels for i in labelled]
                    pooled_scores += [scores[i] for i in labelled]
                    pooled_baseline += [compared[i] for i in labelled]
            if per_entry:
                continue
            read += reviews
            if any(len(r.labels) > 1 or r.label is not None for r in reviews):
                results["reviews"].append(review_metrics(name, [r.review_label for r in reviews], scores,
                                                         scorer.fail_threshold,
                                                         getattr(scorer, "review_gate", None)).as_dict())
                if compared is not None and not labelled:  # judged on whole reviews: their highest sentence
                    difference = paired_auc_difference(
                        name, [[r.review_label] for r in reviews], [[max(s, default=0.0)] for s in scores],
                        [[max(s, default=0.0)] for s in compared], level="reviews")
                    if difference is not None:
                        results["differences"].append(difference.as_dict())
                if baseline is not None and compared is not None:
                    results.setdefault("reviews_baseline", []).append(review_metrics(
                        name, [r.review_label for r in reviews], compared,
                        baseline.fail_threshold, getattr(baseline, "review_gate", None)).as_dict())
            categories = sorted({r.category for r in reviews if r.category})
            for category in categories:
                chosen = [(r, s) for r, s in zip(reviews, scores, strict=True) if r.category == category]
                flagged = sum(any(p >= scorer.threshold for p in s) for _, s in chosen)
                results["challenge"].append({"category": category, "sentences": len(chosen),
                                             "spoiler": any(r.review_label for r, _ in chosen),
                                             "flagged": flagged / len(chosen)})
    if baseline is not None and pooled_labels:
        difference = paired_auc_difference("all held-out sentences, pooled", pooled_labels, pooled_scores,
                                           pooled_baseline)
        results["pooled_difference"] = [difference.as_dict()] if difference is not None else []
    from spoilerscan.training.composed import composed_results

    results["composed"] = composed_results(scorer, read)
    if baseline is not None:
        results["composed_baseline"] = composed_results(baseline, read)
    return results
