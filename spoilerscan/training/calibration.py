"""Calibration and thresholds, chosen on dev data once the best epoch is known.

The head's output is Platt-scaled on the pooled dev sentences (and the scale folded into its last
layer, so the exported model emits calibrated logits); ``threshold`` is the best-F2 cut on the dev
set nearest the real spoiler rate, ``fail_threshold`` the lowest cut at which at most
:data:`MAX_FALSE_FAIL` of the clean dev reviews would fail ``check``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

from spoilerscan.model.review_gate import CONTRAST_SENTENCES, contrast, logit
from spoilerscan.model.thresholds import best_f_threshold, fail_cut
from spoilerscan.training.data import LabelledReview
from spoilerscan.training.evaluate import compute_metrics

# check's default fail cut lets at most this share of clean dev reviews fail.
MAX_FALSE_FAIL = 0.05
# The spoiler threshold (redaction, highlights, warnings) maximises F-beta with this beta.
REPORT_BETA = 2.0


def threshold_source(dev: dict[str, list[LabelledReview]]) -> str:
    """The dev set with the lowest spoiler share: closest to the rate in real reviews."""
    def share(name: str) -> float:
        labels = [label for r in dev[name] for label in r.labels]
        return sum(labels) / max(len(labels), 1)

    return min(dev, key=share)


def calibrate(logits: np.ndarray, labels: Sequence[int]) -> tuple[float, float]:
    """Platt scaling: (scale, bias) so that sigmoid(scale * logit + bias) is a calibrated probability.

    Fitted on standardised logits (the solver then starts well-conditioned). A fit that would not
    keep the order of the scores (scale <= 0: the logits carry no signal on dev) is not used.
    """
    from sklearn.linear_model import LogisticRegression

    spread = float(np.std(logits))
    if len(set(labels)) < 2 or spread == 0.0:
        return 1.0, 0.0
    centre = float(np.mean(logits))
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(((logits - centre) / spread).reshape(-1, 1), list(labels))
    scale = float(fit.coef_[0][0]) / spread
    if scale <= 0:
        return 1.0, 0.0
    return scale, float(fit.intercept_[0]) - scale * centre


def choose_thresholds(probabilities: dict[str, list[np.ndarray]], dev: dict[str, list[LabelledReview]]
                      ) -> tuple[float, float, dict[str, str], list[dict[str, Any]]]:
    """(threshold, fail_threshold, the rules that chose them, dev metrics at the threshold)."""
    chosen_on = threshold_source(dev)
    labels = {name: [label for r in dev[name] for label in r.labels] for name in dev}
    flat = {name: np.concatenate(probabilities[name]).tolist() for name in dev}
    threshold = best_f_threshold(labels[chosen_on], flat[chosen_on], beta=REPORT_BETA)
    stated = {name: reviews for name, reviews in dev.items() if any(r.label is not None for r in reviews)}
    review_sets = stated or dev
    clean_maxima = [float(p.max()) for name in review_sets for r, p in zip(dev[name], probabilities[name], strict=True)
                    if r.review_label == 0 and len(p)]
    fail = max(threshold, fail_cut(clean_maxima, MAX_FALSE_FAIL))
    rules = {
        "threshold": f"best F{REPORT_BETA:g} (recall weighed {REPORT_BETA:g}x precision: a missed spoiler costs a "
                     f"reader more than a hidden opinion) on the dev part of {chosen_on}, the dev set closest to "
                     "the real spoiler rate",
        "fail_threshold": f"the lowest cut at which at most {MAX_FALSE_FAIL:.0%} of the clean dev reviews of "
                          f"{', '.join(review_sets)} ({len(clean_maxima)} reviews) have a sentence at or above it"
                          + (", raised to the threshold" if fail == threshold else ""),
    }
    metrics = [compute_metrics(name, labels[name], flat[name], threshold).as_dict() for name in dev]
    return threshold, fail, rules, metrics


def fold_calibration(head: Any, scale: float, bias: float) -> None:
    """Make the head's output layer emit calibrated logits (scale * logit + bias)."""
    import torch

    layer = head.out[-1]
    with torch.no_grad():
        layer.weight.mul_(scale)
        layer.bias.mul_(scale).add_(bias)


# Slopes of the review gate's rising cut tried by fit_gate (0: a flat cut).
GATE_SLOPES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
# Contrast margins tried by fit_gate (logits of the top sentence over the median of the review's others; None:
# no contrast rule), from the strictest down: on a tie the stricter rule wins.
GATE_MARGINS: tuple[float | None, ...] = (None, *(round(6.0 - 0.1 * i, 1) for i in range(51)))


def fit_gate(sets: Mapping[str, tuple[Sequence[int], Sequence[Sequence[float]]]], allowed: Mapping[str, int],
             floor: float, slopes: Sequence[float] = GATE_SLOPES, max_sentences: int = 100,
             margins: Sequence[float | None] = (None,), binding: Collection[str] | None = None,
             contrast_sentences: tuple[int, int] = CONTRAST_SENTENCES, long_cuts_from: Any = None) -> Any:
    """The review gate that catches the largest share of spoiler reviews, averaged over the sets of ``sets``, while
    failing at most ``allowed[name]`` clean reviews of each set named in ``binding`` (default: every set; ``sets``:
    name -> (review labels, each review's sentence probabilities)).

    Why the average of shares: each set is a kind of text (short composed reviews, Reddit comments, long IMDB
    reviews), so a set of 600 composed reviews must not outvote a set of 40 long reviews. For each slope and
    contrast margin (``margins``; None: no contrast rule) the intercept is the lowest one within every binding
    set's allowance, counting the clean reviews the contrast rule already fails; the pair with the highest average
    share wins (on a tie the smaller slope, then the stricter margin). A review fails by length when it is flagged
    (its top sentence reaches ``floor``) and max logit - slope * log(min(n, cap)) reaches the intercept, so a set's
    allowance fixes the intercept just above its (allowed + 1)-th highest such clean value (by 1e-6). With
    ``long_cuts_from`` (a gate), no review longer than the contrast rule's longest gets a lower length cut than that
    gate gives it: long reviews are judged no more harshly than before.
    """
    from spoilerscan.model.review_gate import ReviewGate

    bound = set(sets if binding is None else binding)
    columns = {name: _gate_columns(probabilities) for name, (_, probabilities) in sets.items()}
    floor_logit = logit(floor) if floor > 0 else -np.inf
    shortest, longest = max(contrast_sentences[0], 2), contrast_sentences[1]
    best: tuple[float, Any] | None = None
    for slope in slopes:
        for margin in margins:
            intercept, feasible = -np.inf, True
            outstanding: dict[str, np.ndarray] = {}
            for name, (labels, _) in sets.items():
                top, lengths, gap = columns[name]
                flagged = top >= floor_logit
                outstanding[name] = flagged & (lengths >= shortest) & (lengths <= longest) & (gap >= margin) \
                    if margin is not None else np.zeros(len(top), dtype=bool)
                if name not in bound:
                    continue
                clean = np.asarray(labels) == 0
                spare = allowed[name] - int((outstanding[name] & clean).sum())
                if spare < 0:
                    feasible = False
                    break
                rest = clean & flagged & ~outstanding[name]
                values = np.sort(top[rest] - slope * np.log(np.minimum(lengths[rest], max_sentences)))[::-1]
                if len(values) > spare:
                    intercept = max(intercept, float(values[spare]) + 1e-6)  # just above it, rounding included
            if not feasible:
                continue
            if long_cuts_from is not None:  # its cut at every length past the contrast rule's, at least
                intercept = max(intercept, *(logit(long_cuts_from.fail_cut(n)) - slope * math.log(n)
                                             for n in (longest + 1, max_sentences)))
            gate = ReviewGate(slope, float(intercept) if np.isfinite(intercept) else -10.0, max_sentences, floor,
                              margin, contrast_sentences)
            shares = [sum(gate.fails(list(p)) for p, y in zip(probabilities, labels, strict=True) if y) / sum(labels)
                      for labels, probabilities in sets.values() if sum(labels)]
            caught = sum(shares) / len(shares) if shares else 0.0
            if best is None or caught > best[0] + 1e-12:
                best = (caught, gate)
    assert best is not None, "no margin keeps every set within its allowance (margins should include None)"
    return best[1]


def _gate_columns(probabilities: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per review: its top logit, its length, and how far its top sentence stands out (the contrast rule's measure)."""
    top = np.array([logit(max(p)) if p else -np.inf for p in probabilities], dtype=float)
    lengths = np.array([max(len(p), 1) for p in probabilities])
    return top, lengths, np.array([contrast(p) for p in probabilities], dtype=float)
