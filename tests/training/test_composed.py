"""Short reviews composed around one reveal: their shape, their controls, and what judge reports of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from spoilerscan.model.detect import Detector
from spoilerscan.reading.text import BlockKind
from spoilerscan.training.composed import (
    LONGEST,
    SHORTEST,
    compose,
    composed_results,
    judge,
    pools_from_categories,
    pools_from_labels,
)
from spoilerscan.training.data import load_reviews
from spoilerscan.training.gather import gather_data
from tests.conftest import TINY_LABELLED

CHALLENGE = Path(__file__).parents[1] / "data" / "challenge.csv"


def test_a_composed_review_has_one_reveal_after_its_premise_and_a_clean_control() -> None:
    pools = pools_from_categories(load_reviews(CHALLENGE))
    composed = compose(pools, 60, seed=4)
    assert composed == compose(pools, 60, seed=4)  # the same seed, the same reviews
    positions = set()
    for c in composed:
        assert SHORTEST <= len(c.roles) <= LONGEST
        assert c.roles.count("reveal") == 1 and c.review.labels == tuple(int(r == "reveal") for r in c.roles)
        body = [r for r in c.roles if r != "heading"]
        assert body[0] == "premise" and "heading" not in c.roles[1:]
        assert (c.review.sentences[0].kind is BlockKind.heading) == (c.roles[0] == "heading")
        assert c.review.sentences[c.reveal_index].text in pools.reveals
        assert len(c.control.sentences) == len(c.review.sentences) and not any(c.control.labels)
        assert c.control.sentences[c.reveal_index].text in pools.opinions
        assert c.control.review_label == 0 and c.review.review_label == 1
        positions.add(c.reveal_index / (len(c.roles) - 1))
    assert min(positions) < 0.5 and max(positions) == 1.0  # reveals early, late and last
    used = {c.review.sentences[c.reveal_index].text for c in composed[:55]}
    assert len(used) == 55  # every twist before any is used again


def test_pools_from_labels_take_spoilers_as_reveals_and_short_clean_paragraphs_as_the_rest() -> None:
    reviews = load_reviews(TINY_LABELLED)
    pools = pools_from_labels(reviews, headings=["A Title"])
    spoilers = {s.text for r in reviews for s, y in zip(r.sentences, r.labels, strict=True) if y}
    assert set(pools.reveals) == spoilers and not set(pools.premises) & spoilers
    assert pools.headings == ["A Title"]


def test_gather_data_adds_composed_reviews_to_training_only() -> None:
    gathered = gather_data([TINY_LABELLED], [], [TINY_LABELLED], composed=8, seed=2)
    made = [r for r in gathered.train if r.source == "composed/reveals"]
    assert len(made) == 8 and all(sum(r.labels) == 1 for r in made)
    assert "composed/reveals" in gathered.described and "composed/reveals" not in gathered.dev


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> Detector:
    return Detector.load(tiny_model_dir, precision="fp32")


def test_judge_reports_checks_decision_and_the_reveal_in_and_out_of_its_review(tiny: Detector) -> None:
    composed = compose(pools_from_categories(load_reviews(CHALLENGE)), 12, seed=1)
    result = judge(tiny, "challenge", composed)
    rows = result["per_review"]
    assert result["reviews"] == len(rows) == 12
    for c, row in zip(composed, rows, strict=True):
        scores = [s.probability for s in tiny.score_reviews([c.review.sentences])[0]]
        assert row["reveal_in_review"] == round(scores[c.reveal_index], 4)
        assert row["reveal_alone"] == round(tiny.score([c.review.sentences[c.reveal_index].text])[0], 4)
        gate = tiny.review_gate
        assert row["fails"] == (gate.fails(scores) if gate else max(scores) >= tiny.fail_threshold)
    assert result["failed"] == sum(r["fails"] for r in rows) / 12
    assert set(result["flagged_by_role"]) <= {"heading", "premise", "opinion"}


def test_composed_results_come_from_the_challenge_categories_and_the_labelled_sets(tiny: Detector) -> None:
    read = load_reviews(CHALLENGE) + load_reviews(TINY_LABELLED)
    names = [r["dataset"] for r in composed_results(tiny, read)]
    assert names == ["data/challenge composed reviews", "held-out sentences composed reviews"]
    assert [r["dataset"] for r in composed_results(tiny, load_reviews(TINY_LABELLED))] == \
        ["held-out sentences composed reviews"]
