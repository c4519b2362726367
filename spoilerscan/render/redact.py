"""Redaction: each spoiler sentence hidden in a style, every other byte of the review kept."""

from __future__ import annotations

from spoilerscan.model.detect import Annotation
from spoilerscan.reading.document import BlockKind, Format
from spoilerscan.reading.markup import MARKUP, RedactStyle, Style
from spoilerscan.render.pieces import (
    Piece,
    blocked_prose,
    closed_once,
    inside_plain_text,
    labelled,
    merged_pieces,
    reading_of,
    rewrite,
    spoiler_pieces,
)


def redact(text: str, annotation: Annotation, style: RedactStyle | str = RedactStyle.block,
           fmt: Format | str | None = None) -> str:
    """The review with each spoiler sentence hidden in ``style``; everything else is kept as it is.

    Adjacent spoiler sentences of one paragraph share one wrapper; text already marked, tags and
    (in plain text) line-opening Markdown are never rewritten. ``fmt`` says how to read ``text``
    when the annotation does not carry its reading (default: plain text).
    """
    style = RedactStyle(style)
    reading = reading_of(text, annotation, fmt)
    pieces = spoiler_pieces(text, annotation, reading)
    if style is RedactStyle.block:  # same length, sentence by sentence
        return rewrite(text, pieces, lambda p: blocked_prose(reading, p.start, p.end))
    opening, closing = MARKUP[Style(style.value)].wrap or ("", "")
    # In a Markdown table a bare "|" would end the cell: GFM reads "\|" in a cell as "|".
    in_cell = opening.replace("|", "\\|"), closing.replace("|", "\\|")

    plain_text = inside_plain_text(reading)

    def markup(p: Piece) -> tuple[str, str]:
        return in_cell if p.sentence.kind is BlockKind.table_cell else (opening, closing)

    merged = merged_pieces(text, pieces)
    if style in (RedactStyle.reddit, RedactStyle.discord):  # found up to the first closing markup: never nested
        merged = [part for p in merged for part in closed_once(reading, p, markup(p)[1])]

    def wrapped(p: Piece) -> str:
        if plain_text(p.start):  # a wrapper or label would show as it is: block it
            return blocked_prose(reading, p.start, p.end)
        if style is RedactStyle.label:
            return labelled(reading, p, "[spoiler]")
        first, last = markup(p)
        return f"{first}{text[p.start : p.end]}{last}"

    return rewrite(text, merged, wrapped)

