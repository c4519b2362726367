"""Fitting and judging an adapter on synthetic units (no model): it writes only where it helps."""

from __future__ import annotations

import numpy as np

from spoilerscan.adapt.fit import MIN_SPOILERS, Units, adapt, fit, stable_folds


def units(size: int = 400, spoilers: float = 0.15, signal: float = 3.0, base_knows: bool = False,
          sentences_per_unit: int = 1, seed: int = 0) -> Units:
    """Units whose label shows in embedding column 0 (scaled by ``signal``); the base logit is noise, or
    (``base_knows``) the label itself, which no adapter can beat."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(size) < spoilers).astype(np.int64)
    unit = np.repeat(np.arange(size), sentences_per_unit)
    embeddings = rng.normal(size=(len(unit), 8)).astype(np.float32)
    first = np.zeros(len(unit), bool)
    first[np.arange(size) * sentences_per_unit] = True  # one sentence of each unit carries its label
    embeddings[first, 0] += signal * labels
    base = labels[unit] * 4.0 - 2.0 if base_knows else rng.normal(size=len(unit))
    return Units(embeddings, base, unit, labels, tuple(f"review {i}" for i in range(size)))


def test_an_adapter_that_helps_is_measured_out_of_fold_and_written() -> None:
    report, fitted = adapt(units(), resamples=200)
    assert report.write and fitted is not None, report.reason
    assert report.base["roc_auc"] < 0.6 < 0.9 < report.adapted["roc_auc"]
    difference, low, _ = report.difference["roc_auc"]
    assert difference > 0.3 and low > 0
    assert fitted.weights[0] > 0 and abs(fitted.weights[0]) > np.abs(fitted.weights[1:]).max()
    assert 0 < report.thresholds["threshold"] <= report.thresholds["fail_threshold"] < 1
    assert report.rates["fail_threshold"]["clean_flagged"] <= 0.05 + 1e-9


def test_review_labels_find_the_sentence_that_carries_them() -> None:
    material = units(sentences_per_unit=3)
    report, fitted = adapt(material, resamples=200)
    assert report.write and fitted is not None
    scored = fitted.logits(material.embeddings, material.base)
    spoiler_units = np.flatnonzero(material.labels == 1)
    carrying = spoiler_units * 3  # the first sentence of each spoiler unit
    assert np.mean(scored[carrying] > scored[carrying + 1]) > 0.9


def test_no_gain_is_refused() -> None:
    report, fitted = adapt(units(base_knows=True), resamples=200)
    assert fitted is None and not report.write
    assert "does not beat the model" in report.reason or "not sure enough" in report.reason


def test_too_little_material_is_refused_before_fitting() -> None:
    few = units(size=400, spoilers=(MIN_SPOILERS - 5) / 400, seed=3)
    assert few.labels.sum() < MIN_SPOILERS
    report, fitted = adapt(few)
    assert fitted is None and report.reason.startswith("too little labelled material") and not report.base


def test_folds_are_stable_stratified_and_keep_a_reviews_units_together() -> None:
    keys = ("a", "a", "b http://x.co", "b http://y.co", "c", "d", "e", "f")
    labels = np.array([1, 0, 1, 1, 0, 0, 0, 0])
    fold = stable_folds(keys, labels, 2)
    assert fold[0] == fold[1] and fold[2] == fold[3]  # one review; a repost with another link
    assert (fold == stable_folds(keys, labels, 2)).all()


def test_a_stronger_penalty_stays_closer_to_the_model() -> None:
    material = units()
    loose, tight = fit(material, 10.0), fit(material, 0.001)
    assert np.abs(tight.weights).sum() < np.abs(loose.weights).sum() / 10
