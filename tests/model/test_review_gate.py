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
