"""The one model of a review's text: lines, a line index, blocks of prose with their kind, and tags.

Segmentation, rendering, ``check`` and training-data reading all read structure from here, so a
heading, a table cell or a code fence means the same thing to each of them; :mod:`.text` reads
Markdown, HTML and plain text into it (:func:`spoilerscan.reading.text.parse`). Every offset
indexes the text as given (BOM included), and :attr:`Document.prose` has the same length as the
text: each character that is not prose (markup, code, tags, link targets) is a space there, line
breaks kept.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import PurePath

from spoilerscan.reading.stopping import check_stop

BOM = "\ufeff"
LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Format(StrEnum):
    """How a review's structure is read; ``auto`` picks one from the file name."""

    auto = "auto"
    markdown = "markdown"
    html = "html"
    text = "text"


_SUFFIX_FORMATS = {".md": Format.markdown, ".markdown": Format.markdown, ".html": Format.html,
                   ".htm": Format.html}


def format_for(name: str | None, choice: Format | str = Format.auto) -> Format:
    """The format to read ``name`` in: ``choice`` unless auto, else by suffix (plain text otherwise)."""
    choice = Format(choice)
    if choice is not Format.auto:
        return choice
    return _SUFFIX_FORMATS.get(PurePath(name).suffix.lower(), Format.text) if name else Format.text


class BlockKind(StrEnum):
    """What a block is, so that a title can be told from body text and code from prose."""

    paragraph = "paragraph"
    heading = "heading"
    list_item = "list_item"
    quote = "quote"
    table_cell = "table_cell"
    html_block = "html_block"  # prose inside HTML elements other than the ones above
    code = "code"  # fenced or indented code, <pre>, <script>, <style>: never prose
    rule = "rule"  # a thematic break (---, <hr>)
    front_matter = "front_matter"  # YAML/TOML front matter of a Markdown file: never prose


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph-like unit: no sentence crosses its edges.

    ``start``/``end`` is its extent in the source (markers included); ``ranges`` are the
    characters in it that are prose, in order. ``whole`` blocks (titles, one-line table rows of
    plain text) are one unit, never split into sentences. ``level`` is a heading's level.
    """

    start: int
    end: int
    kind: BlockKind
    ranges: tuple[tuple[int, int], ...] = ()
    level: int = 0
    whole: bool = False


LINK_TAG = "[link]"  # the name given to a Markdown link's brackets, which nest as an element's tags do
IMAGE_TAG = "[image]"  # an image's: its alt text is shown as it is, so markup cannot go inside
# Elements whose content is shown as plain text: markup written inside them would show as it is.
PLAIN_TEXT_ELEMENTS = frozenset({"title", "option", IMAGE_TAG})


@dataclass(frozen=True, slots=True)
class Tag:
    """An HTML tag in the source: ``closing`` for ``</x>``, ``void`` for ``<br>``/``<x/>``; a Markdown
    link's ``[`` and ``](target)`` are a pair named :data:`LINK_TAG` (an image's, :data:`IMAGE_TAG`)."""

    start: int
    end: int
    name: str
    closing: bool = False
    void: bool = False


class LineIndex:
    """Maps character offsets to 1-based (line, column), counting columns in characters.

    CRLF, LF and a lone CR each end one line; a BOM at the start does not shift line 1's columns.
    """

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in LINE_BREAK.finditer(text))]
        self.bom = text.startswith(BOM)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset) - 1
        column = offset - self.starts[line] + 1
        if line == 0 and self.bom and offset > 0:
            column -= 1
        return line + 1, column

    def span(self, start: int, end: int) -> tuple[int, int, int, int]:
        """(line, column, end_line, end_column) of [start, end); end_column is one past the last character."""
        line, column = self.position(start)
        end_line, last_column = self.position(max(start, end - 1))
        return line, column, end_line, last_column + 1


def lines(text: str) -> Iterator[tuple[int, int, int]]:
    """(start, content_end, end) of each line: CRLF, LF and a lone CR end a line, nothing else does."""
    start = 0
    for match in LINE_BREAK.finditer(text):
        yield start, match.start(), match.end()
        start = match.end()
    if start < len(text):
        yield start, len(text), len(text)


@dataclass(frozen=True)
class Document:
    """A review's text with its format, its blocks in order and (for HTML) its tags."""

    text: str
    format: Format
    blocks: tuple[Block, ...]
    tags: tuple[Tag, ...] = ()

    @cached_property
    def line_index(self) -> LineIndex:
        return LineIndex(self.text)

    @cached_property
    def _tag_ends(self) -> list[int]:
        return [tag.end for tag in self.tags]

    def tags_from(self, start: int) -> int:
        """The index of the first tag that ends after ``start`` (tags never overlap, so their ends
        are in order too): a sentence looks at its own tags without a walk through all before it."""
        return bisect_right(self._tag_ends, start)

    @cached_property
    def prose(self) -> str:
        """The text with every character outside the blocks' prose ranges blanked (length kept)."""
        if self.format is Format.text:
            return self.text
        parts: list[str] = []
        cursor = 0
        for start, end in self._range_starts[1]:
            check_stop()
            start = max(start, cursor)
            if start >= end:
                continue
            parts.append(_blank(self.text[cursor:start]))
            parts.append(self.text[start:end])
            cursor = end
        parts.append(_blank(self.text[cursor:]))
        return "".join(parts)

    def prose_ranges(self) -> Iterator[tuple[int, int]]:
        """Every prose range of every block, in offset order."""
        for block in self.blocks:
            yield from block.ranges

    @cached_property
    def _range_starts(self) -> tuple[list[int], list[tuple[int, int]]]:
        flat = sorted(self.prose_ranges())
        return [start for start, _ in flat], flat

    def prose_within(self, start: int, end: int) -> list[tuple[int, int]]:
        """The prose parts of [start, end): what a renderer may rewrite without breaking markup."""
        if self.format is Format.text:
            return [(start, end)] if start < end else []
        starts, flat = self._range_starts
        index = max(0, bisect_right(starts, start) - 1)
        found: list[tuple[int, int]] = []
        while index < len(flat) and flat[index][0] < end:
            begin, stop = max(flat[index][0], start), min(flat[index][1], end)
            if begin < stop:
                found.append((begin, stop))
            index += 1
        return found


def _blank(piece: str) -> str:
    """Spaces of the same length, line breaks kept."""
    if not piece.strip("\r\n"):  # nothing but line breaks: the gap between two paragraphs
        return piece
    return re.sub(r"[^\r\n]", " ", piece)
