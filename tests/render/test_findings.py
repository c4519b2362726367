"""Findings: every sentence with its offsets, as plain data."""


from __future__ import annotations

import json

from spoilerscan.render import (
    findings,
)
from tests.helpers.rendering import annotate

# --- findings -------------------------------------------------------------------------------


def test_findings_fields() -> None:
    scores = {"Good.": 0.1234567891, "He dies.": 0.9}
    text = "Good. He dies."
    result = findings("review.md", annotate(text, lambda ts: [scores[t] for t in ts]))
    assert result == {
        "file": "review.md",
        "threshold": 0.5,
        "sentences": [
            {"index": 0, "start": 0, "end": 5, "text": "Good.", "score": 0.123457, "spoiler": False},
            {"index": 1, "start": 6, "end": 14, "text": "He dies.", "score": 0.9, "spoiler": True},
        ],
        "summary": {"sentences": 2, "spoilers": 1, "max_score": 0.9},
    }
    json.dumps(result)  # serialisable as is


def test_findings_of_an_empty_review() -> None:
    assert findings("-", annotate(""))["summary"] == {"sentences": 0, "spoilers": 0, "max_score": 0.0}


