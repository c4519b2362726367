"""A review and a deterministic scorer shared by the renderer tests."""

from __future__ import annotations

from spoilerscan.model.detect import Annotation, annotate_with, sentence_scorer
from spoilerscan.reading.segment import BOM

REVIEW = (
    BOM + "# The Sixth Sense\r\n\r\n"
    "I went in knowing nothing. Dr. Crowe is a child psychologist.\r\n"
    "In the end he dies, or rather he died\r\nlong before. What a film!\r\n"
)


def dies_scorer(texts: list[str]) -> list[float]:
    """1.0 for sentences that mention 'dies', else 0.0."""
    return [1.0 if "dies" in t else 0.0 for t in texts]


def annotate(text: str, scorer=dies_scorer, threshold: float = 0.5) -> Annotation:
    """Annotate with a scorer of single sentences."""
    return annotate_with(text, sentence_scorer(scorer), threshold)


SPOILER = "In the end he dies, or rather he died\r\nlong before."
