"""Structure features (features.py): what the review head reads about each sentence besides its words."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spoilerscan.model.detect import model_inputs
from spoilerscan.model.features import FEATURES, SentenceInput, structure_features
from spoilerscan.reading.document import BlockKind
from spoilerscan.reading.segment import read


def column(rows: np.ndarray, name: str) -> list[float]:
    return rows[:, FEATURES.index(name)].tolist()


def test_shape_and_type() -> None:
    rows = structure_features([SentenceInput("One."), SentenceInput("Two.")])
    assert rows.shape == (2, len(FEATURES)) and rows.dtype == np.float32
    assert structure_features([]).shape == (0, len(FEATURES))


def test_position_first_and_last() -> None:
    rows = structure_features([SentenceInput(t) for t in ("A.", "B.", "C.", "D.", "E.")])
    assert column(rows, "position") == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert column(rows, "first") == [1, 0, 0, 0, 0]
    assert column(rows, "last") == [0, 0, 0, 0, 1]
    [alone] = structure_features([SentenceInput("Alone.")])
    assert (alone[FEATURES.index("position")], alone[FEATURES.index("first")], alone[FEATURES.index("last")]) == (
        0.0, 1.0, 1.0)


def test_heading_and_list_or_quote_flags() -> None:
    review = [SentenceInput("The Sixth Sense", BlockKind.heading), SentenceInput("Fine film."),
              SentenceInput("The score", BlockKind.list_item), SentenceInput("I see dead people.", BlockKind.quote),
              SentenceInput("Sense | Yes", BlockKind.table_cell), SentenceInput("Ok.", BlockKind.html_block)]
    rows = structure_features(review)
    assert column(rows, "heading") == [1, 0, 0, 0, 0, 0]
    assert column(rows, "list_or_quote") == [0, 0, 1, 1, 0, 0]


def test_flags_of_a_real_markdown_review() -> None:
    reading = read("# The Sixth Sense\n\nA ghost story. It works.\n\n- The score\n\n> I see dead people.\n",
                   "markdown")
    rows = structure_features(model_inputs(reading))
    assert column(rows, "heading") == [1, 0, 0, 0, 0]
    assert column(rows, "list_or_quote") == [0, 0, 0, 1, 1]


def test_length_and_sentence_end() -> None:
    rows = structure_features([SentenceInput("He dies.  "), SentenceInput("The Sixth Sense"),
                               SentenceInput('"I see dead people."'), SentenceInput("Really?"),
                               SentenceInput("(he was dead)"), SentenceInput("")])
    assert column(rows, "length") == pytest.approx([math.log1p(8) / 6, math.log1p(15) / 6, math.log1p(20) / 6,
                                                    math.log1p(7) / 6, math.log1p(13) / 6, 0.0])
    assert column(rows, "ends_sentence") == [1, 0, 1, 1, 1, 0]


def test_no_feature_counts_the_sentences_of_the_review() -> None:
    """The size of a TV Tropes entry alone predicts its label; the model must not see it (features.py)."""
    assert not any("count" in name or "sentences" in name or "review_length" in name for name in FEATURES)
    first_of_two = structure_features([SentenceInput("He dies."), SentenceInput("Fine.")])[0]
    first_of_thirty = structure_features([SentenceInput("He dies."), *[SentenceInput("Fine.")] * 29])[0]
    last_of_two = structure_features([SentenceInput("Fine."), SentenceInput("He dies.")])[1]
    last_of_thirty = structure_features([*[SentenceInput("Fine.")] * 29, SentenceInput("He dies.")])[29]
    assert first_of_two.tolist() == first_of_thirty.tolist()
    assert last_of_two.tolist() == last_of_thirty.tolist()
