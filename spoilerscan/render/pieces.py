"""Where a review's spoiler sentences may be rewritten: the pieces of prose between tags and
line markers, merged per paragraph, and what cannot hold markup. Every renderer builds on these,
so redaction and highlights agree on what they touch."""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from spoilerscan.model.detect import Annotation, ScoredSentence
from spoilerscan.reading.document import PLAIN_TEXT_ELEMENTS, Format, Tag
from spoilerscan.reading.markup import blocked
from spoilerscan.reading.segment import Reading, read


def reading_of(text: str, annotation: Annotation, fmt: Format | str | None) -> Reading:
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
    line_start = 0  # of the line the last sentence starts on; sentences come in order, so it only moves on
    searched = 0
    for s in sentences:
        newline = text.rfind("\n", searched, s.start)
        line_start = newline + 1 if newline >= 0 else line_start
        searched = max(searched, s.start)
        marker = _LINE_MARKER.match(text, s.start, s.end)
        if marker and marker.end() < s.end and not text[line_start : s.start].strip(" \t\ufeff"):
            s = dataclasses.replace(s, start=marker.end(), text=text[marker.end() : s.end])
        trimmed.append(s)
    return trimmed


@dataclass(frozen=True, slots=True)
class Piece:
    """A part of a spoiler sentence that is rewritten as one: [start, end) of the text."""

    start: int
    end: int
    sentence: ScoredSentence
    position: int  # of its sentence among all the annotation's sentences


def merged_pieces(text: str, pieces: list[Piece]) -> list[Piece]:
    """Pieces of adjacent spoiler sentences of one block joined when only whitespace parts them."""
    merged: list[Piece] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if (last is not None and piece.position == last.position + 1 and piece.sentence.block == last.sentence.block
                and not text[last.end : piece.start].strip()):
            merged[-1] = Piece(last.start, piece.end, piece.sentence, piece.position)
        else:
            merged.append(piece)
    return merged


def closed_once(reading: Reading, piece: Piece, closing: str) -> list[Piece]:
    """The piece, or, where its text holds the closing markup (a "!" before a tag, as in "He!</b>",
    reads as ">!…!<" closed there), its prose parts, each to be wrapped on its own: a wrapper closed
    early would leave the rest of the spoiler unmarked for ``check`` and for the reader."""
    text = reading.text
    if closing not in text[piece.start : piece.end]:
        return [piece]
    parts = []
    for begin, stop in reading.document.prose_within(piece.start, piece.end):
        while begin < stop and text[begin].isspace():
            begin += 1
        while stop > begin and text[stop - 1].isspace():
            stop -= 1
        if begin < stop:
            parts.append(Piece(begin, stop, piece.sentence, piece.position))
    return [p for p in parts if _WORDY.search(text, p.start, p.end)] or parts or [piece]


def labelled(reading: Reading, piece: Piece, label: str) -> str:
    """Label style: ``label`` in place of the piece's prose, and the markup inside it (tags,
    comments, a link's brackets and target) kept as it is; one label where the piece is all prose."""
    text = reading.text
    parts: list[str] = []
    cursor = piece.start
    for begin, stop in reading.document.prose_within(piece.start, piece.end):
        parts.append(text[cursor:begin])
        run = text[begin:stop]
        if _WORDY.search(run):
            words = run.strip()
            lead = len(run) - len(run.lstrip())
            run = run[:lead] + label + run[lead + len(words):]
        parts.append(run)
        cursor = stop
    parts.append(text[cursor : piece.end])
    return "".join(parts)

def _pieces(reading: Reading, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) as the pieces that may be rewritten: exempt text (marked spoilers, pragmas) and
    tags of elements that open or close outside the range are left out, so that no markup is nested
    into or broken by a rewrite; each piece is trimmed to its text."""
    cuts = reading.exempt_spans(start, end)
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


def spoiler_pieces(text: str, annotation: Annotation, reading: Reading) -> list[Piece]:
    """The rewritable pieces of every spoiler sentence, in offset order."""
    spoilers = [(i, s) for i, s in enumerate(annotation.sentences) if s.is_spoiler]
    if reading.document.format is Format.text:
        trimmed = _without_line_markers(text, [s for _, s in spoilers])
        spoilers = [(i, t) for (i, _), t in zip(spoilers, trimmed, strict=True)]
    return [Piece(begin, stop, s, i) for i, s in spoilers for begin, stop in _pieces(reading, s.start, s.end)]


def inside_plain_text(reading: Reading) -> Callable[[int], bool]:
    """Whether an offset lies inside a <title>, an <option> or an image's alt text, where markup
    cannot go: the elements are found in one pass over the tags, then each offset is a bisection."""
    inside: list[tuple[int, int]] = []
    open_elements: list[Tag] = []
    places: dict[str, list[int]] = {}  # each name's places in open_elements: no walk down the stack per tag
    for tag in reading.document.tags:
        if tag.void:
            continue
        if not tag.closing:
            places.setdefault(tag.name, []).append(len(open_elements))
            open_elements.append(tag)
            continue
        if places.get(tag.name):  # closes the innermost element of its name, and any left open inside it
            at = places[tag.name][-1]
            if tag.name in PLAIN_TEXT_ELEMENTS:
                inside.append((open_elements[at].end, tag.start))
            while len(open_elements) > at:
                places[open_elements.pop().name].pop()
    inside.sort()
    starts = [begin for begin, _ in inside]

    def within(at: int) -> bool:
        n = bisect_right(starts, at) - 1
        return n >= 0 and at < inside[n][1]

    return within


def blocked_prose(reading: Reading, start: int, end: int) -> str:
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
