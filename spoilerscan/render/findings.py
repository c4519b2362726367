"""Findings: every sentence of a review with its offsets and score, as plain data for JSON."""

from __future__ import annotations

from typing import Any

from spoilerscan.model.detect import Annotation


def findings(name: str, annotation: Annotation) -> dict[str, Any]:
    """Machine-readable findings of one review: every sentence plus a summary."""
    spoilers = annotation.spoilers
    return {
        "file": name,
        "threshold": annotation.threshold,
        "sentences": [
            {"index": i, "start": s.start, "end": s.end, "text": s.text,
             "score": round(s.score, 6), "spoiler": s.is_spoiler}
            for i, s in enumerate(annotation.sentences)
        ],
        "summary": {
            "sentences": len(annotation.sentences),
            "spoilers": len(spoilers),
            "max_score": round(max((s.score for s in annotation.sentences), default=0.0), 6),
        },
    }
