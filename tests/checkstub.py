"""Shared by the check tests: a keyword stub in place of the model, and small file helpers.

Scores of the tiny random model mean nothing, so most tests score with a keyword stub: a sentence
that mentions "dies" is a spoiler (0.9), anything else is not (0.1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spoilerscan.check import FileReport, Finding, check_texts
from spoilerscan.markup import ALL_STYLES, MarkupStyle


def keyword_scores(sentences: list[str]) -> list[float]:
    return [0.9 if "dies" in s.lower() else 0.1 for s in sentences]


class KeywordDetector:
    """Stands in for Detector: scores by keyword and records every batch it was asked to score."""

    threshold = 0.5
    context = False
    path = None

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def score(self, sentences: list[str], contexts: list[str] | None = None, batch_size: int = 32,
              on_batch: Any = None) -> list[float]:
        self.calls.append(list(sentences))
        return keyword_scores(sentences)


def findings_of(text: str, styles: tuple[MarkupStyle, ...] = ALL_STYLES, phrases: tuple[str, ...] = (),
                threshold: float = 0.5, fail: float = 0.5, name: str = "r.md") -> list[Finding]:
    [report] = check_texts([(name, text)], keyword_scores, threshold, fail, styles, phrases)
    return report.findings


def report_of(text: str, scorer: Any = keyword_scores, threshold: float = 0.5, name: str = "r.md",
              **options: Any) -> FileReport:
    [report] = check_texts([(name, text)], scorer, threshold, threshold, **options)
    return report


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
