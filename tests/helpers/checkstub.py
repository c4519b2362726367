"""Shared by the check tests: a keyword stub in place of the model, and small file helpers.

Scores of the tiny model mean nothing, so most tests score with a keyword stub: a sentence that
mentions "dies" is a spoiler (0.9), anything else is not (0.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from spoilerscan.check import Finding, check_texts
from spoilerscan.model.detect import KnownSpoilers, SentenceScore, sentence_scorer
from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.markup import ALL_STYLES, MarkupStyle


def keyword_scores(sentences: list[str]) -> list[float]:
    return [0.9 if "dies" in s.lower() else 0.1 for s in sentences]


keyword_scorer = sentence_scorer(keyword_scores)


class KeywordDetector:
    """Stands in for Detector: scores by keyword, records every batch of reviews it was asked to
    score (as their sentences' texts), and takes a sentence equal to a known spoiler (ignoring
    case) as restating it. :func:`use_stub` makes every runtime open it."""

    threshold = 0.5
    fail_threshold = 0.5
    path = None

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.known: tuple[str, ...] = ()  # the reveals it was last asked to embed

    def known_spoilers(self, reveals: Sequence[str]) -> KnownSpoilers:
        self.known = tuple(reveals)
        return KnownSpoilers(tuple(reveals), np.zeros((len(reveals), 1), np.float32), 1.0)

    def __call__(self, reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        return self.score_reviews(reviews)

    def score_reviews(self, reviews: Sequence[Sequence[SentenceInput]], on_batch: Any = None,
                      known: KnownSpoilers | None = None) -> list[list[SentenceScore]]:
        self.calls.append([s.text for review in reviews for s in review])
        reveals = known.texts if known is not None else ()
        known_texts = {reveal.lower(): reveal for reveal in reveals}
        return [[SentenceScore(score, known_texts.get(s.text.lower())) for s, score in
                 zip(review, keyword_scores([s.text for s in review]), strict=True)] for review in reviews]


def known_scorer(reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
    """Keyword scores (no state), and 'The butler did it.' restates a known spoiler."""
    return [[SentenceScore(score, "The butler is the killer." if s.text == "The butler did it." else None)
             for s, score in zip(review, keyword_scores([s.text for s in review]), strict=True)] for review in reviews]


def findings_of(text: str, styles: tuple[MarkupStyle, ...] = ALL_STYLES, phrases: tuple[str, ...] = (),
                threshold: float = 0.5, fail: float = 0.5, name: str = "r.md") -> list[Finding]:
    [report] = check_texts([(name, text)], keyword_scorer, threshold, fail, styles, phrases)
    return report.findings


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("spoilerscan: error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def write_pyproject(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


def write(folder: Path, name: str, text: str | bytes) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return name


def use_stub(monkeypatch: Any, detector: object) -> None:
    """Every runtime opened in this test gets ``detector`` (instead of loading a model)."""
    import spoilerscan.runtime.runtime as runtime

    monkeypatch.setattr(runtime, "load_detector", lambda settings: detector)


def stub_in_empty_folder(monkeypatch: Any, folder: Path) -> KeywordDetector:
    """The keyword stub as every runtime's model, run from ``folder`` (empty: no pyproject above it)."""
    stub = KeywordDetector()
    use_stub(monkeypatch, stub)
    monkeypatch.chdir(folder)
    return stub
