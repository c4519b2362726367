"""fit_gate: the review gate that catches most spoiler reviews within each set's allowance of clean fails."""

from __future__ import annotations

import math

from spoilerscan.training.calibration import fit_gate


def _review(top: float, length: int) -> list[float]:
    return [top] + [0.01] * (length - 1)


def test_each_set_keeps_its_allowance_and_the_most_are_caught() -> None:
    # long clean reviews score high, short spoiler reviews moderately: a rising cut separates them
    long_set = ([0, 0, 0, 1], [_review(0.7, 40), _review(0.72, 50), _review(0.3, 30), _review(0.9, 40)])
    short_set = ([0, 0, 1, 1, 1], [_review(0.2, 4), _review(0.3, 5), _review(0.5, 4), _review(0.6, 6),
                                   _review(0.45, 5)])
    sets = {"long": long_set, "short": short_set}
    gate = fit_gate(sets, {"long": 0, "short": 0}, floor=0.1)
    for labels, reviews in sets.values():
        assert not any(gate.fails(r) for y, r in zip(labels, reviews, strict=True) if not y)
    caught = sum(gate.fails(r) for labels, reviews in sets.values() for y, r in zip(labels, reviews, strict=True) if y)
    assert caught == 4 and gate.slope > 0  # a flat cut above 0.72 would catch only the 0.9 review
    flat = fit_gate(sets, {"long": 0, "short": 0}, floor=0.1, slopes=(0.0,))
    assert sum(flat.fails(r) for labels, reviews in sets.values()
               for y, r in zip(labels, reviews, strict=True) if y) == 1


def test_an_allowance_lets_that_many_clean_reviews_fail() -> None:
    labels, reviews = [0, 0, 0, 1], [_review(0.8, 3), _review(0.6, 3), _review(0.4, 3), _review(0.7, 3)]
    gate = fit_gate({"a": (labels, reviews)}, {"a": 1}, floor=0.0, slopes=(0.0,))
    assert sum(gate.fails(r) for y, r in zip(labels, reviews, strict=True) if not y) == 1
    assert gate.fails(reviews[3]) and math.isclose(gate.fail_cut(3), 0.6, abs_tol=1e-6)


def test_a_large_set_does_not_outvote_a_small_one() -> None:
    # a flat cut (0.5) catches both long spoiler reviews and half the 20 short ones (12 in all, shares 1 and 0.5);
    # a steep cut catches all 20 short ones and neither long one (20 in all, shares 0 and 1): each set counts the same
    short_set = ([1] * 20 + [0], [_review(0.55, 4)] * 10 + [_review(0.45, 4)] * 10 + [_review(0.3, 4)])
    long_set = ([1, 1, 0], [_review(0.6, 40), _review(0.62, 40), _review(0.5, 40)])
    gate = fit_gate({"short": short_set, "long": long_set}, {"short": 0, "long": 0}, floor=0.1, slopes=(0.0, 1.0))
    assert gate.slope == 0.0
    assert all(gate.fails(r) for y, r in zip(*long_set, strict=True) if y)
    assert sum(gate.fails(r) for y, r in zip(*short_set, strict=True) if y) == 10


def test_a_contrast_margin_catches_short_reviews_whose_top_stands_out_within_the_binding_allowances() -> None:
    # spoiler reviews: one flagged sentence (0.45) among opinions; clean real ones: plot talk at the same level
    # (no contrast); composed controls: a lone clean plot statement, which contrast cannot tell from a reveal
    twists = ([1] * 4, [[0.03, 0.45, 0.05, 0.02, 0.04]] * 4)
    real = ([0] * 3 + [1], [[0.40, 0.38, 0.45, 0.36, 0.41]] * 3 + [[0.02, 0.6, 0.03, 0.05]])
    composed = ([0] * 2, [[0.04, 0.50, 0.03, 0.02, 0.05]] * 2)
    sets = {"twists": twists, "real": real, "composed/dev": composed}
    allowed = {"twists": 0, "real": 0, "composed/dev": 0}
    margins = (None, 3.0, 2.0, 1.0)
    without = fit_gate(sets, allowed, floor=0.35, slopes=(0.0,), binding=("twists", "real"))
    assert without.contrast_margin is None or not any(without.fails(r) for r in twists[1])
    gate = fit_gate(sets, allowed, floor=0.35, slopes=(0.0,), margins=margins, binding=("twists", "real"))
    assert gate.contrast_margin is not None and all(gate.fails(r) for r in twists[1])
    assert not any(gate.fails(r) for y, r in zip(*real, strict=True) if not y)
    assert all(gate.fails(r) for r in composed[1])  # not binding: its controls may fail
    bound = fit_gate(sets, allowed, floor=0.35, slopes=(0.0,), margins=margins)
    assert not any(bound.fails(r) for r in composed[1]) and not any(bound.fails(r) for r in twists[1])
