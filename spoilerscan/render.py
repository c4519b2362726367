"""Turn a review and its annotation into output: redacted text, highlights, or findings.

Every renderer is a plain function of (text, annotation, ...). Only spoiler sentences are
rewritten; every other character of the input comes back unchanged.
"""

from __future__ import annotations

import dataclasses
import html
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from rich.text import Text

from spoilerscan.detect import Annotation, ScoredSentence
from spoilerscan.markup import MARKUP, RedactStyle, Style, blocked
from spoilerscan.segment import Reading, read
from spoilerscan.text import PLAIN_TEXT_ELEMENTS, BlockKind, Format, Tag

__all__ = ["RedactStyle", "findings", "highlight_html", "highlight_markdown", "highlight_plain", "highlight_terminal",
           "redact", "rewrite"]


def _reading(text: str, annotation: Annotation, fmt: Format | str | None) -> Reading:
    """How ``text`` was read when it was annotated (or read it now, in ``fmt``)."""
    reading = annotation.reading
    if reading is not None and reading.text == text and (fmt is None or reading.document.format == Format(fmt)):
        return reading
    return read(text, Format.text if fmt is None else fmt)


class _Ranged(Protocol):
    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


R = TypeVar("R", bound=_Ranged)


def rewrite(text: str, sentences: Sequence[R], replace: Callable[[R], str]) -> str:
    """Replace the given sentences or pieces (in offset order) and keep every other character as is."""
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
_WORDY = re.compile(r"[^\W_]")


def _without_line_markers(text: str, sentences: list[ScoredSentence]) -> list[ScoredSentence]:
    """Plain text: sentences trimmed of a leading "# ", "> ", "- " or "1. ", so rewriting keeps the structure.

    (Markdown and HTML sentences never hold such markers: the document says they are not prose.)
    """
    trimmed = []
    for s in sentences:
        line_start = text.rfind("\n", 0, s.start) + 1
        marker = _LINE_MARKER.match(text, s.start, s.end)
        if marker and marker.end() < s.end and not text[line_start : s.start].strip(" \t\ufeff"):
            s = dataclasses.replace(s, start=marker.end(), text=text[marker.end() : s.end])
        trimmed.append(s)
    return trimmed


@dataclass(frozen=True, slots=True)
class _Piece:
    """A part of a spoiler sentence that is rewritten as one: [start, end) of the text."""

    start: int
    end: int
    sentence: ScoredSentence
    position: int  # of its sentence among all the annotation's sentences


def _merged(text: str, pieces: list[_Piece]) -> list[_Piece]:
    """Pieces of adjacent spoiler sentences of one block joined when only whitespace parts them."""
    merged: list[_Piece] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if (last is not None and piece.position == last.position + 1 and piece.sentence.block == last.sentence.block
                and not text[last.end : piece.start].strip()):
            merged[-1] = _Piece(last.start, piece.end, piece.sentence, piece.position)
        else:
            merged.append(piece)
    return merged


def _pieces(reading: Reading, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) as the pieces that may be rewritten: exempt text (marked spoilers, pragmas) and
    tags of elements that open or close outside the range are left out, so that no markup is nested
    into or broken by a rewrite; each piece is trimmed to its text."""
    cuts = [(r.start, r.end) for r in reading.exempt_within(start, end)]
    stack: list[Tag] = []
    tags = reading.document.tags
    for index in range(reading.document.tags_from(start), len(tags)):
        tag = tags[index]
        if tag.start >= end:
            break
        if tag.void:
            continue
        if not tag.closing:
            stack.append(tag)
        elif stack and stack[-1].name == tag.name:
            stack.pop()
        else:  # closes an element opened before the range
            cuts.append((tag.start, tag.end))
    cuts += [(tag.start, tag.end) for tag in stack]  # opens an element that closes after the range
    pieces: list[tuple[int, int]] = []
    cursor = start
    scorable = reading.scorable
    for cut_start, cut_end in [*sorted(cuts), (end, end)]:
        begin, stop = cursor, min(max(cut_start, cursor), end)
        while begin < stop and scorable[begin].isspace():
            begin += 1
        while stop > begin and scorable[stop - 1].isspace():
            stop -= 1
        if begin < stop:
            pieces.append((begin, stop))
        cursor = max(cursor, cut_end)
    # Punctuation left between two marked parts stays as it is, unless nothing else is left.
    return [p for p in pieces if _WORDY.search(reading.text, *p)] or pieces


Replace = Callable[[Reading, int, int], str]


def _spoiler_pieces(text: str, annotation: Annotation, reading: Reading) -> list[_Piece]:
    """The rewritable pieces of every spoiler sentence, in offset order."""
    spoilers = [(i, s) for i, s in enumerate(annotation.sentences) if s.is_spoiler]
    if reading.document.format is Format.text:
        trimmed = _without_line_markers(text, [s for _, s in spoilers])
        spoilers = [(i, t) for (i, _), t in zip(spoilers, trimmed, strict=True)]
    return [_Piece(begin, stop, s, i) for i, s in spoilers for begin, stop in _pieces(reading, s.start, s.end)]


def _inside_plain_text(reading: Reading) -> Callable[[int], bool]:
    """Whether an offset lies inside a <title>, an <option> or an image's alt text, where markup
    cannot go: the elements are found in one pass over the tags, then each offset is a bisection."""
    inside: list[tuple[int, int]] = []
    open_elements: list[Tag] = []
    for tag in reading.document.tags:
        if tag.void:
            continue
        if not tag.closing:
            open_elements.append(tag)
            continue
        at = next((i for i in range(len(open_elements) - 1, -1, -1) if open_elements[i].name == tag.name), None)
        if at is not None:  # closes the innermost element of its name, and any left open inside it
            if tag.name in PLAIN_TEXT_ELEMENTS:
                inside.append((open_elements[at].end, tag.start))
            del open_elements[at:]
    inside.sort()
    starts = [begin for begin, _ in inside]

    def within(at: int) -> bool:
        n = bisect_right(starts, at) - 1
        return n >= 0 and at < inside[n][1]

    return within


def _blocked_prose(reading: Reading, start: int, end: int) -> str:
    """Block style: the prose characters become █ (same length), markup between them is kept."""
    text = reading.text
    parts: list[str] = []
    cursor = start
    for begin, stop in reading.document.prose_within(start, end):
        parts.append(text[cursor:begin])
        parts.append(blocked(text[begin:stop]))
        cursor = stop
    parts.append(text[cursor:end])
    return "".join(parts)


def redact(text: str, annotation: Annotation, style: RedactStyle | str = RedactStyle.block,
           fmt: Format | str | None = None) -> str:
    """The review with each spoiler sentence hidden in ``style``; everything else is kept as it is.

    Adjacent spoiler sentences of one paragraph share one wrapper; text already marked, tags and
    (in plain text) line-opening Markdown are never rewritten. ``fmt`` says how to read ``text``
    when the annotation does not carry its reading (default: plain text).
    """
    style = RedactStyle(style)
    reading = _reading(text, annotation, fmt)
    pieces = _spoiler_pieces(text, annotation, reading)
    if style is RedactStyle.block:  # same length, sentence by sentence
        return rewrite(text, pieces, lambda p: _blocked_prose(reading, p.start, p.end))
    opening, closing = MARKUP[Style(style.value)].wrap or ("", "")
    # In a Markdown table a bare "|" would end the cell: GFM reads "\|" in a cell as "|".
    in_cell = opening.replace("|", "\\|"), closing.replace("|", "\\|")

    plain_text = _inside_plain_text(reading)

    def wrapped(p: _Piece) -> str:
        if plain_text(p.start):  # a wrapper or label would show as it is: block it
            return _blocked_prose(reading, p.start, p.end)
        if style is RedactStyle.label:
            return "[spoiler]"
        first, last = in_cell if p.sentence.kind is BlockKind.table_cell else (opening, closing)
        return f"{first}{text[p.start : p.end]}{last}"

    return rewrite(text, _merged(text, pieces), wrapped)


def highlight_markdown(text: str, annotation: Annotation, fmt: Format | str | None = None) -> str:
    """Markdown with each spoiler sentence in an inline ``<mark>`` carrying its score."""
    reading = _reading(text, annotation, fmt)
    plain_text = _inside_plain_text(reading)
    pieces = [p for p in _spoiler_pieces(text, annotation, reading) if not plain_text(p.start)]
    return rewrite(text, pieces, lambda p: (
        f'<mark title="spoiler score {p.sentence.score:.2f}">{text[p.start : p.end]}</mark>'))


def highlight_html(text: str, annotation: Annotation, title: str = "spoilerscan") -> str:
    """A standalone HTML page showing the review with its spoiler sentences marked (text the writer
    already marked as a spoiler is shown as it is)."""
    parts: list[str] = []
    cursor = 0
    for piece in _spoiler_pieces(text, annotation, _reading(text, annotation, None)):
        parts.append(html.escape(text[cursor : piece.start]))
        parts.append(f'<mark class="spoiler" title="spoiler score {piece.sentence.score:.2f}">'
                     f"{html.escape(text[piece.start : piece.end])}</mark>")
        cursor = piece.end
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
    pieces = _spoiler_pieces(text, annotation, _reading(text, annotation, None))
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
    out = Text()
    for part, style in _highlighted(text, annotation, terminal_safe(text) if for_terminal else None):
        out.append(part, style=style)
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
