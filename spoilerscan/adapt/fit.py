"""Fit a site adapter, measure it on data it did not see, and decide whether it may be written.

The adapter's logit for a sentence is ``base logit + weights . embedding + bias`` (the model's own
logit kept as an offset, only the embedding weights penalised), fitted by L2-regularised logistic
regression with Newton's method. As the penalty grows it falls back to the model itself, so it
cannot rank much worse than the model. Where only a review's label is known (an export row of a
tweet, say), its sentences share the one positive of a spoiler review by the softmax of their
current logits (soft multiple-instance learning), refitted a few rounds; a review's score is its
highest sentence's, as in ``check``.

Everything ``adapt`` reports is out of fold: the material is cut into ``folds`` parts by a stable
hash of each review (reposts with another link land together); each part is scored by an adapter
fitted on the others, its penalty chosen by an inner cross-validation of those. The written
adapter is then fitted on everything, with thresholds chosen on the out-of-fold scores.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spoilerscan.adapt.metrics import average_precision, bootstrap_difference, roc_auc
from spoilerscan.model.thresholds import best_f_threshold, fail_cut, sigmoid

PENALTIES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)  # C, the inverse penalty: larger fits the site's data more
MIN_SPOILERS = 20
MIN_CLEAN = 100
MAX_LOSS = 0.005  # in-domain, an adapter may not cost more ROC-AUC than this (the interval's low end)
FAIL_SHARE = 0.05  # the fail threshold lets at most this share of the site's clean units fail
MIL_ROUNDS = 4


@dataclass(frozen=True)
class Units:
    """What is fitted and judged: units (a review, or a marked sentence) with labels, and their sentences.

    ``embeddings`` and ``base`` are per sentence (the model's embedding and own logit); ``unit`` says
    which unit each sentence belongs to; ``labels`` and ``keys`` are per unit, ``keys`` naming the
    review a unit comes from (the folds keep a review's units together).
    """

    embeddings: np.ndarray
    base: np.ndarray
    unit: np.ndarray
    labels: np.ndarray
    keys: tuple[str, ...]

    def subset(self, chosen: np.ndarray) -> Units:
        """These units (indices), their sentences renumbered."""
        renumber = np.full(len(self.labels), -1)
        renumber[chosen] = np.arange(len(chosen))
        mask = renumber[self.unit] >= 0
        return Units(self.embeddings[mask], self.base[mask], renumber[self.unit[mask]], self.labels[chosen],
                     tuple(self.keys[i] for i in chosen))

    def unit_max(self, sentence_logits: np.ndarray) -> np.ndarray:
        """Each unit's score: its highest sentence logit."""
        top = np.full(len(self.labels), -np.inf)
        np.maximum.at(top, self.unit, sentence_logits)
        return top


# --------------------------------------------------------------------------- the fit


def fit_logistic(features: np.ndarray, targets: np.ndarray, weights: np.ndarray, penalty_c: float,
                 offset: np.ndarray, start: np.ndarray | None = None, iterations: int = 100) -> np.ndarray:
    """argmin 0.5 |w|^2 + C * sum_i weights_i * logloss(targets_i, features_i . beta + offset_i).

    The last column (the bias) is not penalised. ``targets`` may be soft. Damped Newton steps with
    backtracking: a handful of steps on thousands of rows of 385 columns.
    """
    dim = features.shape[1]
    ridge = np.ones(dim)
    ridge[-1] = 1e-8  # the bias: a tiny ridge only keeps a separable fit finite
    beta = np.zeros(dim) if start is None else start.copy()

    def objective(b: np.ndarray) -> float:
        z = features @ b + offset
        return float(0.5 * np.sum(ridge * b * b) + penalty_c * np.sum(weights * (np.logaddexp(0.0, z) - targets * z)))

    value = objective(beta)
    single = features.astype(np.float32)
    for _ in range(iterations):
        p = sigmoid(features @ beta + offset)
        gradient = ridge * beta + penalty_c * (features.T @ (weights * (p - targets)))
        curvature = (penalty_c * weights * p * (1 - p)).astype(np.float32)
        hessian = ((single * curvature[:, None]).T @ single).astype(float)
        hessian[np.diag_indices(dim)] += ridge
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0] if not np.all(np.isfinite(hessian)) \
            else np.linalg.solve(hessian, gradient)
        decrement = float(gradient @ step)
        if decrement < 1e-9 * max(1.0, abs(value)):
            break
        size = 1.0
        while True:
            candidate = beta - size * step
            candidate_value = objective(candidate)
            if candidate_value <= value - 1e-4 * size * decrement or size < 1e-8:
                break
            size *= 0.5
        beta, value = candidate, candidate_value
    return beta


@dataclass(frozen=True)
class Fit:
    """Fitted weights: adapted logit = base + weights . embedding + bias."""

    weights: np.ndarray
    bias: float
    penalty_c: float

    def logits(self, embeddings: np.ndarray, base: np.ndarray) -> np.ndarray:
        return np.asarray(base + embeddings.astype(float) @ self.weights + self.bias)


def _unit_softmax(logits: np.ndarray, units: Units) -> np.ndarray:
    top = units.unit_max(logits)
    e = np.exp(logits - top[units.unit])
    return np.asarray(e / np.bincount(units.unit, weights=e, minlength=len(units.labels))[units.unit])


def fit(units: Units, penalty_c: float) -> Fit:
    """One adapter fitted on all these units: a spoiler unit's sentences share its one positive."""
    features = np.hstack([units.embeddings.astype(float), np.ones((len(units.unit), 1))])
    positive = units.labels[units.unit].astype(bool)
    targets = positive.astype(float)
    logits = units.base.astype(float)
    beta: np.ndarray | None = None
    single_sentence_units = bool(np.all(np.bincount(units.unit, minlength=len(units.labels)) <= 1))
    for _ in range(1 if single_sentence_units else MIL_ROUNDS):
        weights = np.where(positive, _unit_softmax(logits, units), 1.0)
        pos, neg = weights[positive].sum(), weights[~positive].sum()
        total = pos + neg
        weights = np.where(positive, weights * total / (2 * max(pos, 1e-12)), weights * total / (2 * max(neg, 1e-12)))
        beta = fit_logistic(features, targets, weights, penalty_c, units.base.astype(float), beta)
        logits = features @ beta + units.base
    assert beta is not None
    return Fit(beta[:-1].copy(), float(beta[-1]), penalty_c)


# --------------------------------------------------------------------------- folds


_LINK = re.compile(r"https?://\S+|www\.\S+|pic\.twitter\.com/\S+|[@#]\w+")
_NON_WORD = re.compile(r"[\W_]+")


def fold_key(text: str) -> str:
    """A review's words without links, @names, #tags, case and punctuation: a repost with another link
    or tag is the same review and must land in the same fold."""
    return " ".join(_NON_WORD.sub(" ", _LINK.sub(" ", text.lower())).split()) or text.strip()


def _hash(text: str, salt: str = "") -> int:
    return int.from_bytes(hashlib.blake2b((salt + text).encode(), digest_size=8).digest(), "big")


def stable_folds(keys: Sequence[str], labels: np.ndarray, folds: int, salt: str = "") -> np.ndarray:
    """A fold per unit, stratified by label and stable across runs; a review's units share one."""
    groups: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(fold_key(key), []).append(index)
    fold = np.empty(len(keys), dtype=np.int64)
    for label in (1, 0):
        members = sorted((g for g, idx in groups.items() if max(int(labels[i]) for i in idx) == label),
                         key=lambda g: _hash(g, salt))
        for rank, group in enumerate(members):
            fold[groups[group]] = rank % folds
    return fold


def cross_fit(units: Units, fold: np.ndarray, penalty_c: float | None,
              inner_folds: int = 3) -> tuple[np.ndarray, list[float]]:
    """Out-of-fold adapted sentence logits, and the penalty each fold chose (inner cross-validation when
    ``penalty_c`` is None)."""
    out = np.empty(len(units.unit))
    chosen: list[float] = []
    for k in np.unique(fold):
        train, test = units.subset(np.flatnonzero(fold != k)), np.flatnonzero(fold == k)
        c = penalty_c if penalty_c is not None else choose_penalty(train, inner_folds, salt=str(k))
        chosen.append(c)
        mask = np.isin(units.unit, test)
        out[mask] = fit(train, c).logits(units.embeddings[mask], units.base[mask])
    return out, chosen


def choose_penalty(units: Units, folds: int = 3, salt: str = "") -> float:
    """The penalty of :data:`PENALTIES` with the best out-of-fold unit ROC-AUC (ties: the smaller C)."""
    fold = stable_folds(units.keys, units.labels, folds, salt=f"inner{salt}")
    best, best_auc = PENALTIES[0], -1.0
    for c in PENALTIES:
        logits, _ = cross_fit(units, fold, c)
        auc = roc_auc(units.labels, units.unit_max(logits))
        if auc > best_auc + 1e-9:
            best, best_auc = c, auc
    return best


# --------------------------------------------------------------------------- the report and the decision


@dataclass
class AdaptReport:
    """What ``adapt`` prints and stores in the adapter: out-of-fold before/after, thresholds, the decision."""

    units: int
    spoilers: int
    sentences: int
    folds: int
    base: dict[str, float] = field(default_factory=dict)
    adapted: dict[str, float] = field(default_factory=dict)
    difference: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    rates: dict[str, dict[str, float]] = field(default_factory=dict)
    base_rates: dict[str, dict[str, float]] = field(default_factory=dict)
    penalties: list[float] = field(default_factory=list)
    write: bool = False
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items()}


def _rates(labels: np.ndarray, probabilities: np.ndarray, cut: float) -> dict[str, float]:
    flagged = probabilities >= cut
    return {"clean_flagged": float(flagged[labels == 0].mean()), "spoilers_caught": float(flagged[labels == 1].mean())}


def thresholds_from(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """``threshold``: best F2 over the units; ``fail_threshold``: the lowest cut at which at most
    :data:`FAIL_SHARE` of the clean units fail, never below ``threshold``."""
    threshold = best_f_threshold(labels, probabilities, beta=2.0)
    return {"threshold": threshold, "fail_threshold": max(fail_cut(probabilities[labels == 0], FAIL_SHARE), threshold)}


def too_little(report: AdaptReport) -> str | None:
    """Why the material is too little to fit and judge an adapter on, if it is."""
    clean = report.units - report.spoilers
    if report.spoilers < MIN_SPOILERS or clean < MIN_CLEAN:
        return (f"too little labelled material: {report.spoilers} spoiler and {clean} clean units, at least "
                f"{MIN_SPOILERS} and {MIN_CLEAN} are needed")
    return None


def decide(report: AdaptReport) -> tuple[bool, str]:
    """Write only where the adapter ranks better out of fold than the model, with a 95 % interval whose
    low end loses at most :data:`MAX_LOSS`."""
    difference, low, high = report.difference["roc_auc"]
    if difference <= 0:
        return False, f"the adapter does not beat the model on data it did not see ({difference:+.4f} ROC-AUC)"
    if low < -MAX_LOSS:
        return False, (f"the gain ({difference:+.4f} ROC-AUC) is not sure enough: its 95% interval reaches "
                       f"{low:+.4f}, a loss of more than {MAX_LOSS}")
    return True, (f"the adapter beats the model on data it did not see: {difference:+.4f} ROC-AUC "
                  f"[{low:+.4f}, {high:+.4f}]")


def adapt(units: Units, folds: int = 5, penalty_c: float | None = None, resamples: int = 1000,
          on_fold: Callable[[], None] = lambda: None) -> tuple[AdaptReport, Fit | None]:
    """Measure an adapter out of fold, decide, and (when it may be written) fit it on everything."""
    report = AdaptReport(len(units.labels), int(units.labels.sum()), len(units.unit), folds)
    problem = too_little(report)
    if problem is not None:
        report.reason = problem
        return report, None
    fold = stable_folds(units.keys, units.labels, folds)
    logits, report.penalties = cross_fit(units, fold, penalty_c)
    on_fold()
    new, old = sigmoid(units.unit_max(logits)), sigmoid(units.unit_max(units.base))
    for name, probabilities in (("base", old), ("adapted", new)):
        getattr(report, name).update(roc_auc=roc_auc(units.labels, probabilities),
                                     pr_auc=average_precision(units.labels, probabilities))
    report.difference = {metric: bootstrap_difference(units.labels, new, old, metric, resamples)
                         for metric in ("roc_auc", "pr_auc")}
    report.thresholds = thresholds_from(units.labels, new)
    report.rates = {name: _rates(units.labels, new, cut) for name, cut in report.thresholds.items()}
    own_cuts = thresholds_from(units.labels, old)  # the model judged as fairly: at cuts chosen on these scores too
    report.base_rates = {name: _rates(units.labels, old, cut) for name, cut in own_cuts.items()}
    report.write, report.reason = decide(report)
    if not report.write:
        return report, None
    return report, fit(units, penalty_c if penalty_c is not None else median_penalty(report.penalties))


def median_penalty(chosen: Sequence[float]) -> float:
    """The penalty of :data:`PENALTIES` nearest the folds' median choice: the final fit's, without a sixth
    search over all the material (each fold's inner search already ran on most of it)."""
    return min(PENALTIES, key=lambda c: abs(np.log(c) - float(np.median(np.log(chosen)))))
