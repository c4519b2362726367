"""A site's labelled reviews as the units an adapter is fitted and judged on, scored by the frozen model.

Where the site marked sentences, each sentence is a unit with its own label; where it labelled a
review as a whole, the review is one unit. Either way every sentence is embedded once and the
model's own logit is taken with the review around it, as at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from spoilerscan.adapt.fit import AdaptReport, Units, adapt, fit, median_penalty, too_little
from spoilerscan.adapt.labels import SiteReview
from spoilerscan.model.adapter import Adapter, model_fingerprint
from spoilerscan.model.detect import Detector


def site_units(reviews: Sequence[SiteReview], detector: Detector,
               on_batch: Callable[[int], None] | None = None) -> Units:
    """Embed and score the reviews' sentences with the model (no adapter), grouped into units."""
    sentences = [review.sentences for review in reviews]
    embeddings = detector.embed([s.text for review in sentences for s in review], on_batch=on_batch)
    base = np.concatenate(detector.head_logits(sentences, embeddings)) if embeddings.size else np.zeros(0)
    unit: list[int] = []
    labels: list[int] = []
    keys: list[str] = []
    for review in reviews:
        if review.labels is None:
            unit += [len(labels)] * len(review.sentences)
            labels.append(review.label)
            keys.append(review.key)
        else:
            for label in review.labels:
                unit.append(len(labels))
                labels.append(label)
                keys.append(review.key)
    return Units(embeddings, base, np.asarray(unit, dtype=np.int64), np.asarray(labels, dtype=np.int64), tuple(keys))


def site_adapter(units: Units, detector: Detector, folds: int = 5, force: bool = False,
                 summary: dict[str, Any] | None = None) -> tuple[AdaptReport, Adapter | None]:
    """Fit an adapter on ``units`` and judge it out of fold: the adapter where the report says to write it
    (``force``: wherever there is enough material, refitted at the folds' median penalty), else None."""
    report, fitted = adapt(units, folds)
    if fitted is None and force and too_little(report) is None:
        fitted = fit(units, median_penalty(report.penalties))
    if fitted is None:
        return report, None
    assert detector.path is not None
    recorded = {**report.as_dict(), **(summary or {}), "precision": detector.precision, "forced": not report.write}
    return report, Adapter(1.0, fitted.weights, fitted.bias, report.thresholds["threshold"],
                           report.thresholds["fail_threshold"], model_fingerprint(detector.path), recorded)
