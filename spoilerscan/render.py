"""Turn a review and its annotation into output: redacted text, highlights, or findings.

Every renderer is a plain function of (text, annotation, ...). Only spoiler sentences are
rewritten; every other character of the input comes back unchanged.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from rich.text import Text

from spoilerscan.detect import Annotation, ScoredSentence


class RedactStyle(StrEnum):
    block = "block"
    label = "label"
    reddit = "reddit"
    discord = "discord"
    bbcode = "bbcode"
    html = "html"


def _blocked(sentence: str) -> str:
    # Same length, line breaks kept so the layout of the page does not move.
    return "".join(ch if ch in "\r\n" else "█" for ch in sentence)


_REDACTORS: dict[RedactStyle, Callable[[str], str]] = {
    RedactStyle.block: _blocked,
    RedactStyle.label: lambda s: "[spoiler]",
    RedactStyle.reddit: lambda s: f">!{s}!<",
    RedactStyle.discord: lambda s: f"||{s}||",
    RedactStyle.bbcode: lambda s: f"[spoiler]{s}[/spoiler]",
    RedactStyle.html: lambda s: f'<span class="spoiler">{s}</span>',
}


def rewrite(text: str, sentences: list[ScoredSentence], replace: Callable[[ScoredSentence], str]) -> str:
    """Replace the given sentences (in offset order) and keep every other character as is."""
    parts: list[str] = []
    cursor = 0
    for sentence in sentences:
        parts.append(text[cursor : sentence.start])
        parts.append(replace(sentence))
        cursor = sentence.end
    parts.append(text[cursor:])
    return "".join(parts)


# Markdown that opens a line (heading, quote, list item): kept when its sentence is rewritten.
_LINE_MARKER = re.compile(r"(?:[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d{1,9}[.)][ \t]+))+")


def _without_line_markers(text: str, sentences: list[ScoredSentence]) -> list[ScoredSentence]:
    """Sentences trimmed of a leading "# ", "> ", "- " or "1. ", so rewriting keeps the structure."""
    trimmed = []
    for s in sentences:
        line_start = text.rfind("\n", 0, s.start) + 1
        marker = _LINE_MARKER.match(text, s.start, s.end)
        if marker and marker.end() < s.end and not text[line_start : s.start].strip(" \t\ufeff"):
            s = dataclasses.replace(s, start=marker.end(), text=text[marker.end() : s.end])
        trimmed.append(s)
    return trimmed


def redact(text: str, annotation: Annotation, style: RedactStyle = RedactStyle.block) -> str:
    """The review with each spoiler sentence hidden in ``style`` (line-opening Markdown kept)."""
    hide = _REDACTORS[RedactStyle(style)]
    return rewrite(text, _without_line_markers(text, annotation.spoilers), lambda s: hide(text[s.start : s.end]))


def highlight_markdown(text: str, annotation: Annotation) -> str:
    """Markdown with each spoiler sentence in an inline ``<mark>`` carrying its score."""
    return rewrite(
        text, _without_line_markers(text, annotation.spoilers),
        lambda s: f'<mark title="spoiler score {s.score:.2f}">{text[s.start : s.end]}</mark>',
    )


def highlight_html(text: str, annotation: Annotation, title: str = "spoilerscan") -> str:
    """A standalone HTML page showing the review with its spoiler sentences marked."""
    parts: list[str] = []
    cursor = 0
    for s in annotation.spoilers:
        parts.append(html.escape(text[cursor : s.start]))
        parts.append(f'<mark class="spoiler" title="spoiler score {s.score:.2f}">'
                     f"{html.escape(text[s.start : s.end])}</mark>")
        cursor = s.end
    parts.append(html.escape(text[cursor:]))
    body = "".join(parts)
    count = len(annotation.spoilers)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>\n"
        "body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}\n"
        ".review{white-space:pre-wrap;line-height:1.5}\n"
        "mark.spoiler{background:#ffd6d6;border-bottom:2px solid #c00}\n"
        "</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n<p>{count} spoiler sentence{'s' if count != 1 else ''} "
        f"marked (threshold {annotation.threshold:.2f}).</p>\n"
        f"<div class=\"review\">{body}</div>\n</body>\n</html>\n"
    )


def highlight_terminal(text: str, annotation: Annotation) -> Text:
    """Rich text: spoiler sentences in red with their score after them."""
    out = Text()
    cursor = 0
    for s in annotation.spoilers:
        out.append(text[cursor : s.start])
        out.append(text[s.start : s.end], style="bold red")
        out.append(f" [{s.score:.2f}]", style="dim")
        cursor = s.end
    out.append(text[cursor:])
    return out


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
