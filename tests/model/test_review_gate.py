"""The length-aware review gate: its cut, where the model records it, and when it is not used."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from spoilerscan.model.adapter import Adapter, model_fingerprint
from spoilerscan.model.detect import Detector
from spoilerscan.model.review_gate import ReviewGate
from tests.conftest import update_metadata


def test_the_cut_rises_with_the_length_up_to_a_cap_and_never_below_the_floor() -> None:
    gate = ReviewGate(slope=0.4, intercept=-0.41595, max_sentences=100, floor=0.35)
    cuts = [gate.fail_cut(n) for n in (1, 8, 15, 25, 100, 1000)]
    assert cuts == sorted(cuts) and cuts[-1] == cuts[-2]
    assert cuts[0] == pytest.approx(1 / (1 + math.exp(0.41595)))
    assert cuts[2] == pytest.approx(1 / (1 + math.exp(0.41595 - 0.4 * math.log(15))))
    assert ReviewGate(slope=0.4, intercept=-5.0, floor=0.35).fail_cut(1) == 0.35
    assert gate.fails([0.1, 0.5]) and not gate.fails([0.1] * 14 + [0.6]) and not gate.fails([])


def test_the_model_records_it_and_an_adapter_switches_it_off(tiny_model_copy: Path, tmp_path: Path) -> None:
    assert Detector.load(tiny_model_copy).review_gate is None
    update_metadata(tiny_model_copy, review_gate={"slope": 0.4, "intercept": -0.4, "max_sentences": 50})
    detector = Detector.load(tiny_model_copy)
    assert detector.review_gate == ReviewGate(0.4, -0.4, 50, detector.threshold)
    adapter = tmp_path / "site.json"
    Adapter(1.0, np.zeros(detector.model.embedding_size), 0.0, 0.5, 0.6, model_fingerprint(tiny_model_copy)).save(
        adapter)
    assert Detector.load(tiny_model_copy, adapter=adapter).review_gate is None  # its scores are on another scale


@pytest.mark.parametrize("settings", [None, "text", {"slope": "x", "intercept": 0}, {"intercept": 1.0}])
def test_a_missing_or_malformed_gate_is_none(settings: object) -> None:
    assert ReviewGate.from_metadata(settings, 0.3) is None


def test_a_short_review_fails_when_its_flagged_top_sentence_stands_out_from_the_rest() -> None:
    gate = ReviewGate(slope=0.4, intercept=-0.41595, floor=0.35, contrast_margin=2.0, contrast_sentences=(4, 8))
    twist_among_opinions = [0.02, 0.05, 0.45, 0.04, 0.03]  # under the length cut for 5 sentences (0.557)
    assert gate.fail_cut(5) > 0.45 and gate.stands_out(twist_among_opinions)
    assert gate.fails(twist_among_opinions) and gate.review_cut(twist_among_opinions) == 0.45
    plot_talk = [0.30, 0.25, 0.45, 0.28, 0.33]  # the same top among sentences that say nearly as much
    assert not gate.stands_out(plot_talk) and not gate.fails(plot_talk)
    assert not gate.fails([0.02, 0.45, 0.03])  # three sentences: a comment, not a review's shape
    assert not gate.fails([0.02] * 8 + [0.45])  # nine: the length cut alone decides
    unflagged = [0.02, 0.05, 0.30, 0.04, 0.03]  # not flagged: nothing fails that is not reported
    assert not gate.stands_out(unflagged) and gate.review_cut(unflagged) == gate.fail_cut(5)
    assert gate.review_cut([0.02, 0.05, 0.9, 0.04]) == gate.fail_cut(4)  # never above the length cut
    assert not ReviewGate(0.4, -0.41595, floor=0.35).fails(twist_among_opinions)  # no margin, no contrast rule


def test_the_contrast_rule_goes_through_the_models_metadata() -> None:
    gate = ReviewGate(0.3, 0.02, 100, 0.36, 1.2, (4, 8))
    recorded = gate.as_dict()
    assert recorded["contrast"] == {"margin": 1.2, "min_sentences": 4, "max_sentences": 8}
    assert ReviewGate.from_metadata(recorded, 0.36) == gate
    assert ReviewGate.from_metadata({"slope": 0.3, "intercept": 0.02}, 0.36) == ReviewGate(0.3, 0.02, 100, 0.36)
    assert ReviewGate.from_metadata({"slope": 0.3, "intercept": 0.02, "contrast": {"min_sentences": 4}}, 0.3) is None
