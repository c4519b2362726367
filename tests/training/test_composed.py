"""Short reviews composed around one reveal: their shape, their controls, and what judge reports of them."""

from __future__ import annotations

import json
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
    reveals_from_file,
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
    assert len(made) == 16  # each review with its clean control
    assert sorted(sum(r.labels) for r in made) == [0] * 8 + [1] * 8
    assert "composed/reveals" in gathered.described and "composed/reveals" not in gathered.dev


def _tweets(tmp_path: Path) -> Path:
    rows = [{"id": str(i), "text": f"Character number {i} dies in the battle at the wall #gameofthrones",
             "is_spoiler": True} for i in range(40)]
    rows += [{"id": "c", "text": "What a lovely episode that was, honestly.", "is_spoiler": False},
             {"id": "s", "text": "Jon dies", "is_spoiler": True}]  # clean, and too short to stand as a reveal
    path = tmp_path / "tweets.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_reveals_from_a_file_are_its_spoilers_without_hashtags_in_two_stable_halves(tmp_path: Path) -> None:
    reviews = load_reviews(_tweets(tmp_path))
    train, dev = reveals_from_file(reviews, "train"), reveals_from_file(reviews, "dev")
    assert not set(train) & set(dev) and len(train) + len(dev) == 40 and train and dev
    assert all("#" not in t and t.endswith("at the wall") for t in train + dev)
    assert train == reveals_from_file(list(reversed(reviews)), "train")  # by a hash of the text, not the order
    labelled = load_reviews(TINY_LABELLED)  # a file labelled by sentence: only its spoiler sentences
    spoilers = {s.text for r in labelled for s, y in zip(r.sentences, r.labels, strict=True) if y and len(s.text) >= 20}
    assert set(reveals_from_file(labelled, "train")) | set(reveals_from_file(labelled, "dev")) == spoilers


def test_composed_reveals_from_a_file_train_on_one_half_and_keep_the_other_for_the_gate(tmp_path: Path) -> None:
    path = _tweets(tmp_path)
    gathered = gather_data([TINY_LABELLED], [], [TINY_LABELLED], composed=30, seed=2, composed_reveals=[path])
    train_half = set(reveals_from_file(load_reviews(path), "train"))
    made = [r for r in gathered.train if r.source == "composed/reveals"]
    reveals = {s.text for r in made for s, y in zip(r.sentences, r.labels, strict=True) if y}
    assert reveals <= train_half and gathered.reveals_dev == reveals_from_file(load_reviews(path), "dev")
    assert "tweets" in gathered.described["composed/reveals"]


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
