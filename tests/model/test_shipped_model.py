"""The shipped model (models/spoiler-review): loads by default and tells a plot reveal from an opinion.

These tests need real judgement, so they run on the shipped model only (skipped while it is not
in the repository: see conftest.py).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from spoilerscan.model.detect import Detector, default_model_path
from spoilerscan.model.features import SentenceInput
from spoilerscan.render import RedactStyle, redact
from spoilerscan.training.evaluate import evaluate_files

DATA = Path(__file__).parents[1] / "data"
EXAMPLE = Path(__file__).parents[2] / "examples" / "sixth-sense-review.md"
PLOT_REVEAL = "In the final scene we learn that Bruce Willis's character has been dead the whole time."
OPINION = "The cinematography is gorgeous and the score is haunting."

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shipped(shipped_model_dir: Path) -> Detector:
    return Detector.load()


def test_default_path_is_the_shipped_model(shipped: Detector, shipped_model_dir: Path) -> None:
    assert default_model_path().resolve() == shipped_model_dir.resolve()
    assert shipped.path is not None and shipped.path.resolve() == shipped_model_dir.resolve()
    assert 0.0 < shipped.threshold <= shipped.fail_threshold < 1.0


def test_plot_reveal_scores_above_opinion(shipped: Detector) -> None:
    reveal, opinion = shipped.score([PLOT_REVEAL, OPINION])
    assert reveal > opinion
    assert reveal >= shipped.threshold > opinion


SHORT_REVIEW = f"# The Sixth Sense\r\n\r\n{OPINION} Haley Joel Osment is wonderful.\r\n{PLOT_REVEAL}\r\nSee it.\r\n"


def test_in_a_short_review_the_reveal_ranks_far_above_the_rest(shipped: Detector) -> None:
    annotation = shipped.annotate(SHORT_REVIEW, fmt="markdown")
    scores = {s.text: s.score for s in annotation.sentences}
    others = [score for text, score in scores.items() if text != PLOT_REVEAL]
    assert scores[PLOT_REVEAL] > 3 * max(others)


def test_redaction_of_a_short_review_changes_only_the_reveal(shipped: Detector) -> None:
    review = SHORT_REVIEW
    annotation = shipped.annotate(review, fmt="markdown")
    assert [s.text for s in annotation.spoilers] == [PLOT_REVEAL]
    assert redact(review, annotation, RedactStyle.label) == review.replace(PLOT_REVEAL, "[spoiler]")


def test_example_review_reveal_is_caught(shipped: Detector) -> None:
    annotation = shipped.annotate(EXAMPLE.read_text(encoding="utf-8"), fmt="markdown")
    reveal = next(s for s in annotation.sentences if "dead the whole time" in s.text)
    assert reveal.is_spoiler
    assert annotation.score == max(s.score for s in annotation.sentences) >= shipped.fail_threshold
    opening = annotation.sentences[0]
    assert not opening.is_spoiler


def test_both_precisions_agree_on_the_example(shipped_model_dir: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    fp32 = Detector.load(precision="fp32").annotate(text, fmt="markdown")
    int8 = Detector.load(precision="int8").annotate(text, fmt="markdown")
    assert [s.score for s in int8.sentences] == pytest.approx([s.score for s in fp32.sentences], abs=0.15)
    differ = [s.text for s, t in zip(fp32.sentences, int8.sentences, strict=True) if s.is_spoiler != t.is_spoiler]
    assert len(differ) <= 1, differ
    assert all(any("dead the whole time" in s.text for s in a.spoilers) for a in (fp32, int8))


def test_challenge_set_twists_are_flagged_more_than_the_rest(shipped: Detector) -> None:
    results = evaluate_files(shipped, [(DATA / "challenge.csv", None)])
    flagged = {row["category"]: row["flagged"] for row in results["challenge"]}
    spoiling = {row["category"] for row in results["challenge"] if row["spoiler"]}
    assert spoiling == {"twist"}
    assert flagged["twist"] > max(share for category, share in flagged.items() if category not in spoiling)


def test_known_spoilers_catch_paraphrases_without_false_alarms(shipped: Detector) -> None:
    """tests/data/known_spoilers.csv: sentences that say a reveal again (same = 1) or do not (same = 0)."""
    with (DATA / "known_spoilers.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    caught = wrong = 0
    for reveal in dict.fromkeys(row["reveal"] for row in rows):
        mine = [row for row in rows if row["reveal"] == reveal]
        known = shipped.known_spoilers([reveal])
        scores = shipped.score_reviews([[SentenceInput(row["sentence"])] for row in mine], known=known)
        for row, [score] in zip(mine, scores, strict=True):
            caught += score.known is not None and row["same"] == "1"
            wrong += score.known is not None and row["same"] == "0"
    same = sum(row["same"] == "1" for row in rows)
    assert wrong <= 1, f"{wrong} sentences that do not restate their reveal were flagged"
    assert caught >= same / 2, f"{caught} of {same} restatements caught"


@pytest.mark.parametrize("separator", [" ", "\n\n"], ids=["one paragraph", "paragraphs"])
def test_opinions_beside_a_reveal_are_not_flagged_with_it(shipped: Detector, separator: str) -> None:
    """Issue 10: each sentence is judged for itself, so the opinions around a reveal stay clean."""
    review = separator.join(["I enjoyed this movie.", "At the end, Jack dies saving Rose.", "The acting is great."])
    annotation = shipped.annotate(review + "\n", fmt="markdown")
    assert [s.text for s in annotation.spoilers] == ["At the end, Jack dies saving Rose."]


def test_title_byline_and_premise_are_not_spoilers_but_the_ending_is(shipped: Detector) -> None:
    review = ("# Titanic (1997)\n\nBy Jane Doe\n\n"
              "A poor artist and a rich young woman fall in love aboard the Titanic on its maiden voyage.\n\n"
              "In the end Jack freezes to death in the water and Rose lets him go.\n")
    annotation = shipped.annotate(review, fmt="markdown")
    assert [s.text for s in annotation.spoilers] == [
        "In the end Jack freezes to death in the water and Rose lets him go."]
    assert annotation.score >= shipped.fail_threshold


def test_the_cards_composed_reviews_are_the_shipped_models(shipped: Detector, shipped_model_dir: Path) -> None:
    """Issue 36: the card's results on short reviews composed from the challenge set (a heading, premises,
    opinions, one twist at any place; never trained on) are what the shipped model gives today: check fails every
    review whose twist is flagged in it (R7 failed about a third of them), while it flags none of their other
    sentences and passes them without the twist."""
    import json

    from spoilerscan.training.composed import CHALLENGE_REVIEWS, compose, judge, pools_from_categories
    from spoilerscan.training.data import load_reviews

    key = "composed" if shipped.precision == "fp32" else f"composed_{shipped.precision}"  # the default's results
    card = json.loads((shipped_model_dir / "spoilerscan.json").read_text(encoding="utf-8"))[key][0]
    pools = pools_from_categories(load_reviews(DATA / "challenge.csv"))
    result = judge(shipped, card["dataset"], compose(pools, CHALLENGE_REVIEWS, 1))
    assert result == card
    assert 0.6 < result["failed"] == result["reveal_flagged"]  # the contrast rule; the rest is the head's level
    assert all(share <= 0.05 for share in result["flagged_by_role"].values()) and result["controls_failed"] <= 0.05


def test_check_decides_composed_reviews_as_the_evaluation_says(shipped: Detector, tmp_path: Path) -> None:
    """The composed-review evaluation reports check's own decision: the command agrees on a few written out."""
    from typer.testing import CliRunner

    from spoilerscan.cli import app
    from spoilerscan.training.composed import compose, judge, pools_from_categories
    from spoilerscan.training.data import load_reviews

    composed = compose(pools_from_categories(load_reviews(DATA / "challenge.csv")), 110, 1)[:6]
    rows = judge(shipped, "challenge", composed)["per_review"]
    for number, (review, row) in enumerate(zip(composed, rows, strict=True)):
        lines = [("# " if role == "heading" else "") + s.text
                 for s, role in zip(review.review.sentences, review.roles, strict=True)]
        path = tmp_path / f"review-{number}.md"
        path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
        result = CliRunner().invoke(app, ["check", str(path)])
        assert result.exit_code == (1 if row["fails"] else 0), (lines, row, result.stdout)


def test_reviews_written_with_a_plain_twist_fail_check_and_nothing_else_is_flagged(shipped: Detector) -> None:
    """Issue 36's bar, on 22 short reviews written the way its own were (a heading, a premise, a line on the craft,
    one plainly stated twist or ending, an opinion or two; tests/data/writer-reviews, written after R8 was settled
    and never trained or selected on): check fails at least 70% of them at its defaults, every review whose twist
    is flagged fails, and at most 5% of their other sentences are flagged. R7 failed 9 of them."""
    import json

    from typer.testing import CliRunner

    from spoilerscan.cli import app

    with (DATA / "writer-reviews.csv").open(encoding="utf-8", newline="") as handle:
        twists = {row["file"]: row["twist"] for row in csv.DictReader(handle)}
    result = CliRunner().invoke(app, ["check", "--recursive", "--format", "json", str(DATA / "writer-reviews")])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert sorted(Path(f["path"]).name for f in report["files"]) == sorted(twists)
    findings = [(Path(f["path"]).name, f) for f in report["findings"]]
    flagged_twists = {name for name, f in findings if f["text"] == twists[name]}
    failed = {name for name, f in findings if f["severity"] == "error"}
    others = sum(f["sentences"] for f in report["files"]) - len(twists)
    assert len(failed) >= 0.7 * len(twists)
    assert flagged_twists <= failed
    assert sum(1 for name, f in findings if f["text"] != twists[name]) <= 0.05 * others
