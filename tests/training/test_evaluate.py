"""Held-out metrics (evaluate.py): sentence metrics, the two thresholds, whole reviews and challenge categories."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from spoilerscan.model.detect import SentenceScore, sentence_scorer
from spoilerscan.model.features import SentenceInput
from spoilerscan.model.thresholds import best_f_threshold, fail_cut
from spoilerscan.training.evaluate import (
    compute_metrics,
    evaluate_files,
    paired_auc_difference,
    review_metrics,
)


def test_compute_metrics_and_threshold() -> None:
    metrics = compute_metrics("x", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.5)
    assert metrics.roc_auc == pytest.approx(0.75)
    assert (metrics.precision, metrics.recall, metrics.f1) == (1.0, 0.5, pytest.approx(2 / 3))
    assert (metrics.sentences, metrics.spoilers, metrics.threshold) == (4, 2, 0.5)
    assert compute_metrics("x", [1, 1], [0.2, 0.9], 0.5).roc_auc is None
    assert best_f_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.35)
    # Recall weighed above precision takes a lower cut: the third spoiler for three false alarms.
    labels, scores = [1, 1, 0, 0, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    assert best_f_threshold(labels, scores) == pytest.approx(0.8)
    assert best_f_threshold(labels, scores, beta=2.0) == pytest.approx(0.4)


@pytest.mark.parametrize("share", [0.0, 0.05, 0.1, 0.5])
def test_fail_cut_lets_at_most_that_share_of_clean_reviews_fail(share: float) -> None:
    clean = np.random.default_rng(0).random(200).tolist()
    cut = fail_cut(clean, share)
    failing = sum(s >= cut for s in clean)
    assert failing <= share * len(clean)
    assert sum(s >= np.nextafter(cut, 0.0) for s in clean) > failing  # the lowest such cut


def test_fail_cut_edge_cases() -> None:
    assert fail_cut([], 0.05) == 0.5
    assert fail_cut([0.3, 0.7], 1.0) == 0.0  # every clean review may fail
    tied = fail_cut([0.9, 0.9, 0.9, 0.1], 0.5)  # ties: at most two may fail, so none of the three 0.9s does
    assert 0.9 < tied < 0.9 + 1e-9
    assert fail_cut([0.2, 0.4], 0.0) > 0.4


def test_review_metrics() -> None:
    metrics = review_metrics("r", [0, 0, 0, 1, 1], [[0.2], [0.9], [0.5], [0.95], [0.7]], 0.8)
    assert (metrics.reviews, metrics.spoiler_reviews, metrics.fail_threshold) == (5, 2, 0.8)
    assert metrics.false_fail_rate == pytest.approx(1 / 3)
    assert metrics.caught == pytest.approx(1 / 2)
    assert metrics.roc_auc == pytest.approx(compute_metrics("r", [0, 0, 0, 1, 1], [0.2, 0.9, 0.5, 0.95, 0.7],
                                                            0.5).roc_auc)
    only_clean = review_metrics("r", [0, 0], [[0.1], [0.9]], 0.5)
    assert (only_clean.roc_auc, only_clean.false_fail_rate, only_clean.caught) == (None, 0.5, 0.0)
    assert set(metrics.as_dict()) == {"dataset", "reviews", "spoiler_reviews", "roc_auc", "false_fail_rate",
                                      "caught", "fail_threshold", "rule", "flat", "by_length"}
    assert metrics.by_length is not None and metrics.by_length[0] == {
        "bin": "<8", "clean": 3, "spoilers": 2, "flat_clean_failed": 1, "flat_caught": 1}


def test_review_metrics_with_a_length_gate_report_both_rules_per_bin() -> None:
    from spoilerscan.model.review_gate import ReviewGate

    gate = ReviewGate(slope=1.0, intercept=0.0, max_sentences=100, floor=0.3)  # cut 0.5 at 1 sentence, 0.9 at 9
    short_clean, long_clean = [0.6], [0.1] * 8 + [0.85]
    short_spoiler, long_spoiler = [0.55], [0.2] * 8 + [0.95]
    metrics = review_metrics("r", [0, 0, 1, 1], [short_clean, long_clean, short_spoiler, long_spoiler], 0.8, gate)
    assert metrics.rule == "gate" and metrics.flat == {"false_fail_rate": 0.5, "caught": 0.5}
    assert (metrics.false_fail_rate, metrics.caught) == (0.5, 1.0)
    by_bin = {b["bin"]: b for b in metrics.by_length or []}
    assert by_bin["<8"] == {"bin": "<8", "clean": 1, "spoilers": 1, "flat_clean_failed": 0, "flat_caught": 0,
                            "gate_clean_failed": 1, "gate_caught": 1}
    assert by_bin["8-15"] == {"bin": "8-15", "clean": 1, "spoilers": 1, "flat_clean_failed": 1, "flat_caught": 1,
                              "gate_clean_failed": 0, "gate_caught": 1}


# --- a model against a baseline: paired bootstrap over reviews ------------------------------


def labelled_reviews(count: int, seed: int = 1) -> tuple[list[list[int]], list[list[float]], list[list[float]]]:
    """Reviews of 4 sentences, one spoiler each; an informed score and an unrelated one."""
    rng = np.random.default_rng(seed)
    labels = [[1, 0, 0, 0] for _ in range(count)]
    informed = [[0.6 + 0.4 * rng.random(), *(0.7 * rng.random(3)).tolist()] for _ in range(count)]
    unrelated = [rng.random(4).tolist() for _ in range(count)]
    return labels, informed, unrelated


def test_a_better_model_gets_an_interval_above_zero() -> None:
    labels, informed, unrelated = labelled_reviews(60)
    flat = [label for review in labels for label in review]
    difference = paired_auc_difference("d", labels, informed, unrelated)
    assert difference is not None
    for auc, scores in ((difference.roc_auc, informed), (difference.baseline_roc_auc, unrelated)):
        assert auc == pytest.approx(compute_metrics("d", flat, [p for review in scores for p in review], 0.5).roc_auc)
    assert difference.difference == pytest.approx(difference.roc_auc - difference.baseline_roc_auc)
    assert 0 < difference.low < difference.difference < difference.high
    assert (difference.reviews, difference.resamples) == (60, 1000)  # every resample has both classes
    reverse = paired_auc_difference("d", labels, unrelated, informed)
    assert reverse is not None
    assert (reverse.low, reverse.high) == pytest.approx((-difference.high, -difference.low))


def test_the_same_scores_differ_by_exactly_nothing_and_the_seed_fixes_the_interval() -> None:
    labels, _, unrelated = labelled_reviews(30)
    same = paired_auc_difference("d", labels, unrelated, unrelated)
    assert same is not None and (same.difference, same.low, same.high) == (0.0, 0.0, 0.0)
    labels, informed, unrelated = labelled_reviews(8)
    runs = [paired_auc_difference("d", labels, informed, unrelated, resamples=200, seed=seed) for seed in (0, 0, 5)]
    assert runs[0] == runs[1] != runs[2]


def test_resampling_is_by_review_so_a_few_reviews_give_a_wide_interval() -> None:
    labels, informed, unrelated = labelled_reviews(60)
    few = paired_auc_difference("d", labels[:6], informed[:6], unrelated[:6])
    many = paired_auc_difference("d", labels, informed, unrelated)
    assert few is not None and many is not None
    assert few.high - few.low > many.high - many.low


def test_no_difference_without_both_classes() -> None:
    assert paired_auc_difference("d", [[0, 0], [0]], [[0.1, 0.2], [0.3]], [[0.3, 0.2], [0.1]]) is None


# --- evaluate_files on small labelled files ---------------------------------------------------


def keyword(texts: list[str]) -> list[float]:
    return [0.9 if "dies" in t else 0.6 if "dead" in t else 0.1 for t in texts]


class StubDetector:
    """A Scorer with the two thresholds evaluate_files reads; records the reviews it was given."""

    threshold = 0.5
    fail_threshold = 0.8

    def __init__(self) -> None:
        self.reviews: list[list[str]] = []

    def __call__(self, reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        self.reviews += [[s.text for s in review] for review in reviews]
        return sentence_scorer(keyword)(reviews)


def test_evaluate_files_on_a_challenge_set_with_categories(tmp_path: Path) -> None:
    challenge = tmp_path / "data" / "challenge.csv"
    challenge.parent.mkdir()
    challenge.write_text("sentence,spoiler,category\n"
                         "He dies at the end.,1,twist\nThe hero is dead all along.,1,twist\n"
                         "The film is set in Boston.,0,premise\n"
                         "He dies laughing at the jokes.,0,opinion\nI loved it.,0,opinion\n", encoding="utf-8")
    stub = StubDetector()
    results = evaluate_files(stub, [(challenge, None)])
    assert stub.reviews == [["He dies at the end."], ["The hero is dead all along."], ["The film is set in Boston."],
                            ["He dies laughing at the jokes."], ["I loved it."]]  # each row a review of its own
    [sentences] = results["sentences"]
    assert sentences == compute_metrics("data/challenge", [1, 1, 0, 0, 0], [0.9, 0.6, 0.1, 0.9, 0.1], 0.5).as_dict()
    assert results["reviews"] == []  # one-sentence reviews without a stated label: nothing to say per review
    assert results["challenge"] == [
        {"category": "opinion", "sentences": 2, "spoiler": False, "flagged": 0.5},
        {"category": "premise", "sentences": 1, "spoiler": False, "flagged": 0.0},
        {"category": "twist", "sentences": 2, "spoiler": True, "flagged": 1.0},
    ]


def test_evaluate_files_on_tv_tropes_pages_and_held_out_parts(tmp_path: Path) -> None:
    tropes = tmp_path / "tvtropes" / "test.csv"
    tropes.parent.mkdir()
    rows = ["sentence,spoiler,verb,page,trope"]
    for n in range(30):
        rows += [f"Show {n} is fun.,False,True,Show{n},Fun", f"Show {n} hero dies.,{n % 3 == 0},True,Show{n},Death",
                 f"Show {n} villain is dead.,{n % 2 == 0},True,Show{n},Death"]
    tropes.write_text("\n".join(rows) + "\n", encoding="utf-8")
    results = evaluate_files(StubDetector(), [(tropes, None), (tropes, "test")])
    assert [r["dataset"] for r in results["sentences"]] == [
        "tvtropes/test", "tvtropes/test, entry context", "tvtropes/test (held-out test part)",
        "tvtropes/test (held-out test part), entry context"]
    whole, entries = results["sentences"][:2]
    assert (whole["sentences"], whole["spoilers"]) == (entries["sentences"], entries["spoilers"]) == (90, 25)
    assert [r["dataset"] for r in results["reviews"]] == ["tvtropes/test", "tvtropes/test (held-out test part)"]
    reviews = results["reviews"][0]
    assert (reviews["reviews"], reviews["spoiler_reviews"], reviews["fail_threshold"]) == (30, 20, 0.8)
    assert reviews["caught"] == 1.0 and reviews["false_fail_rate"] == 1.0  # every page has a 'dies' sentence (0.9)
    assert results["challenge"] == []
    held_out = results["sentences"][2]
    assert 0 < held_out["sentences"] < 90


def test_evaluate_files_against_a_baseline(tmp_path: Path) -> None:
    reviews = tmp_path / "data" / "reviews.csv"
    reviews.parent.mkdir()
    reviews.write_text("sentence,spoiler\n" + "".join(f"Hero {n} dies.,1\nFilm {n} is dead good.,0\nI liked {n}.,0\n"
                                                      for n in range(12)), encoding="utf-8")
    model, baseline = StubDetector(), StubDetector()
    results = evaluate_files(model, [(reviews, None)], baseline)
    assert baseline.reviews == model.reviews
    [difference] = results["differences"]
    assert difference["dataset"] == "data/reviews"
    assert difference["roc_auc"] == difference["baseline_roc_auc"] == results["sentences"][0]["roc_auc"]
    assert (difference["difference"], difference["low"], difference["high"]) == (0.0, 0.0, 0.0)
    assert "differences" not in evaluate_files(StubDetector(), [(reviews, None)])


def test_evaluate_files_pools_sentences_and_judges_review_labelled_files_by_review(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    sentences = tmp_path / "data" / "sentences.csv"
    sentences.write_text("sentence,spoiler\nHe dies.,1\nGreat acting.,0\nShe was the killer.,1\nI loved it.,0\n",
                         encoding="utf-8")
    whole = tmp_path / "data" / "tweets.jsonl"
    whole.write_text("".join(json.dumps({"text": text, "is_spoiler": label}) + "\n" for text, label in
                             (("He dies at the end. Sad.", True), ("Lovely film.", False),
                              ("The hero is dead all along.", True), ("Fine score. Good cast.", False))),
                     encoding="utf-8")
    results = evaluate_files(StubDetector(), [(sentences, None), (whole, None)], StubDetector())
    assert [(d["dataset"], d["level"], d["units"]) for d in results["differences"]] == [
        ("data/sentences", "sentences", 4), ("data/tweets", "reviews", 4)]
    [pooled] = results["pooled_difference"]  # sentence-labelled files only: the tweets have no sentence labels
    assert (pooled["dataset"], pooled["units"], pooled["difference"]) == ("all held-out sentences, pooled", 4, 0.0)
