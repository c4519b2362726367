"""Highlights: the review with its spoiler sentences marked and scored, for Markdown, HTML, a
terminal, or a file or pipe (byte for byte plus the scores)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from spoilerscan.model.detect import Annotation
from spoilerscan.reading.document import Format
from spoilerscan.render.pieces import inside_plain_text, reading_of, rewrite, spoiler_pieces
from spoilerscan.render.review_page import spoiler_count, standalone_page

if TYPE_CHECKING:
    from rich.text import Text


def highlight_markdown(text: str, annotation: Annotation, fmt: Format | str | None = None) -> str:
    """Markdown with each spoiler sentence in an inline ``<mark>`` carrying its score."""
    reading = reading_of(text, annotation, fmt)
    plain_text = inside_plain_text(reading)
    pieces = [p for p in spoiler_pieces(text, annotation, reading) if not plain_text(p.start)]
    return rewrite(text, pieces, lambda p: (
        f'<mark title="spoiler score {p.sentence.score:.2f}">{text[p.start : p.end]}</mark>'))


def highlight_html(text: str, annotation: Annotation, title: str = "spoilerscan") -> str:
    """A standalone HTML page of the review (:mod:`spoilerscan.render.review_page`): its spoiler sentences
    highlighted with their scores, or covered until clicked, and a legend. Text the writer already
    marked as a spoiler is shown as it is. ``title``: the review's name (a file name, not a path)."""
    parts: list[str] = []
    cursor = 0
    for piece in spoiler_pieces(text, annotation, reading_of(text, annotation, None)):
        score = f"{piece.sentence.score:.2f}"
        parts.append(html.escape(text[cursor : piece.start]))
        parts.append(f'<mark class="spoiler" title="spoiler score {score}" data-score="{score}" tabindex="0">'
                     f"{html.escape(text[piece.start : piece.end])}</mark>")
        cursor = piece.end
    parts.append(html.escape(text[cursor:]))
    return standalone_page(title, "".join(parts), spoiler_count(len(annotation.spoilers), annotation.threshold))


_CONTROL = re.compile("\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` as a terminal should show it, each character kept in place (offsets stay valid): a lone
    CR ends a line instead of overwriting it, and other control characters, ESC among them, are shown
    as their symbols (U+2400…) instead of driving the terminal."""
    def shown(match: re.Match[str]) -> str:
        code = ord(match.group())
        if code == 0x0D:
            return "\n"
        return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"

    return _CONTROL.sub(shown, text)


def _highlighted(text: str, annotation: Annotation, shown: str | None = None) -> Iterator[tuple[str, str]]:
    """(text, style) parts of a highlight of ``text`` (taken from ``shown``, of the same length, when
    given): spoiler pieces "bold red", a "dim" score after each spoiler sentence's last piece, the
    rest (text already marked as a spoiler included) unstyled."""
    source = text if shown is None else shown
    pieces = spoiler_pieces(text, annotation, reading_of(text, annotation, None))
    cursor = 0
    for n, piece in enumerate(pieces):
        yield source[cursor : piece.start], ""
        yield source[piece.start : piece.end], "bold red"
        if n + 1 == len(pieces) or pieces[n + 1].position != piece.position:
            yield f" [{piece.sentence.score:.2f}]", "dim"
        cursor = piece.end
    yield source[cursor:], ""


def highlight_plain(text: str, annotation: Annotation) -> str:
    """The review byte for byte with each spoiler sentence's score after it: highlight into a file or a pipe."""
    return "".join(part for part, _ in _highlighted(text, annotation))


def highlight_terminal(text: str, annotation: Annotation, for_terminal: bool = False) -> Text:
    """Rich text: spoiler sentences in red with their score after them (text already marked as a
    spoiler is left plain). ``for_terminal`` shows control characters safely (:func:`terminal_safe`)."""
    from rich.text import Text  # only for a terminal: a redact run does not import rich

    out = Text()
    for part, style in _highlighted(text, annotation, terminal_safe(text) if for_terminal else None):
        out.append(part, style=style)
    return out
