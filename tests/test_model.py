"""The shipped model (models/spoiler-minilm): loads by default and tells a plot reveal from an opinion."""

from __future__ import annotations

from pathlib import Path

import pytest

from spoilerscan.detect import Detector, default_model_path
from spoilerscan.render import RedactStyle, redact

PLOT_REVEAL = "In the final scene we learn that Bruce Willis's character has been dead the whole time."
OPINION = "The cinematography is gorgeous and the score is haunting."

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shipped(shipped_model_dir: Path) -> Detector:
    return Detector.load()


def test_default_path_is_the_shipped_model(shipped: Detector, shipped_model_dir: Path) -> None:
    assert default_model_path().resolve() == shipped_model_dir.resolve()
    assert shipped.path is not None and shipped.path.resolve() == shipped_model_dir.resolve()
    assert 0.0 < shipped.threshold < 1.0


def test_plot_reveal_scores_above_opinion(shipped: Detector) -> None:
    reveal, opinion = shipped.score([PLOT_REVEAL, OPINION])
    assert reveal > opinion
    assert reveal >= shipped.threshold > opinion


@pytest.mark.xfail(strict=True, reason="known limitation (model card): the context model scores a reveal "
                   "hard-wrapped into one paragraph with opinions below its threshold, and flags 'See it.' after it")
def test_redaction_of_a_short_review_changes_only_the_reveal(shipped: Detector) -> None:
    review = f"# The Sixth Sense\r\n\r\n{OPINION} Haley Joel Osment is wonderful.\r\n{PLOT_REVEAL}\r\nSee it.\r\n"
    annotation = shipped.annotate(review)
    assert [s.text for s in annotation.spoilers] == [PLOT_REVEAL]
    assert redact(review, annotation, RedactStyle.label) == review.replace(PLOT_REVEAL, "[spoiler]")


def test_example_review_reveal_is_caught(shipped: Detector) -> None:
    text = (Path(__file__).parent.parent / "examples" / "sixth-sense-review.md").read_text(encoding="utf-8")
    annotation = shipped.annotate(text)
    reveal = next(s for s in annotation.sentences if "dead the whole time" in s.text)
    assert reveal.is_spoiler
    opening = annotation.sentences[0]
    assert not opening.is_spoiler
