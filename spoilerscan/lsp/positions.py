"""LSP positions: (line, character) in the code units the client and server agreed on.

Python indexes text by code point; LSP counts UTF-16 code units unless the client offers another
encoding at ``initialize`` (``general.positionEncodings``; pygls picks the client's first choice
and announces it): an emoji is one character here and two
UTF-16 units, and ``é`` two UTF-8 bytes. A :class:`LineTable` is built once per document version:
the start of every line, and every character that takes more than one unit with the units before
it. Each conversion is then a bisection, and :meth:`LineTable.ranges` converts all of a result's
spans in one sorted walk. Lines end at CRLF, LF or a lone CR, as the protocol says (not at the
other breaks ``str.splitlines`` knows, such as U+2028 or a form feed).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from enum import StrEnum

from lsprotocol import types

from spoilerscan.reading.document import LINE_BREAK


class Encoding(StrEnum):
    """Position encodings of LSP 3.17: what ``Position.character`` counts."""

    utf8 = "utf-8"
    utf16 = "utf-16"
    utf32 = "utf-32"


# Characters that take more than one unit, by encoding (UTF-32 counts code points: none).
_WIDE = {
    Encoding.utf16: re.compile("[\U00010000-\U0010ffff]"),
    Encoding.utf8: re.compile("[\u0080-\U0010ffff]"),
}


def encoding_of(name: str | None) -> Encoding:
    """The encoding pygls agreed with the client at ``initialize`` (the client's first preference
    among these three; UTF-16, the protocol's default, when it offered none)."""
    known = {encoding.value: encoding for encoding in Encoding}
    return known.get(name or "", Encoding.utf16)


def code_units(text: str, encoding: Encoding) -> int:
    """How many units of ``encoding`` ``text`` takes."""
    if encoding is Encoding.utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2 if encoding is Encoding.utf16 else len(text.encode("utf-8"))


def _extra_units(character: str, encoding: Encoding) -> int:
    """Units beyond the first that one character takes."""
    point = ord(character)
    if encoding is Encoding.utf16:
        return 1 if point > 0xFFFF else 0
    return 3 if point > 0xFFFF else 2 if point > 0x7FF else 1 if point > 0x7F else 0


class LineTable:
    """One version of a document's text, indexed for position conversions in either direction."""

    def __init__(self, text: str, encoding: Encoding = Encoding.utf16) -> None:
        self.text = text
        self.encoding = encoding
        breaks = list(LINE_BREAK.finditer(text))
        self.starts = [0, *(m.end() for m in breaks)]
        self.ends = [*(m.start() for m in breaks), len(text)]  # where each line's content ends
        pattern = _WIDE.get(encoding)
        self._wide = [m.start() for m in pattern.finditer(text)] if pattern is not None else []
        # _extra[i]: extra units of the first i wide characters, so the extra units before any
        # offset is one bisection away.
        self._extra = [0]
        for offset in self._wide:
            self._extra.append(self._extra[-1] + _extra_units(text[offset], encoding))

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def _units(self, start: int, end: int) -> int:
        """Units of text[start:end]."""
        extra = self._extra[bisect_left(self._wide, end)] - self._extra[bisect_left(self._wide, start)]
        return end - start + extra

    def position(self, offset: int) -> types.Position:
        """The position of a character offset (clamped to the text)."""
        offset = min(max(offset, 0), len(self.text))
        line = bisect_right(self.starts, offset) - 1
        return types.Position(line, self._units(self.starts[line], offset))

    def offset(self, position: types.Position) -> int:
        """The character offset of a position. As the protocol says, a character past the end of its
        line means the line's end, and a line past the last one the end of the text; a position
        inside a character (half a surrogate pair) means that character's start."""
        if position.line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[position.line], self.ends[position.line]
        wanted = position.character
        cursor = start
        for wide in self._wide[bisect_left(self._wide, start) : bisect_left(self._wide, end)]:
            if wide - cursor >= wanted:
                break
            wanted -= wide - cursor
            width = 1 + _extra_units(self.text[wide], self.encoding)
            if wanted < width:
                return wide
            wanted -= width
            cursor = wide + 1
        return min(cursor + wanted, end)

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(self.position(start), self.position(end))

    def ranges(self, spans: Sequence[tuple[int, int]]) -> list[types.Range]:
        """The ranges of many [start, end) spans, converted in one walk over their sorted offsets."""
        offsets = sorted({min(max(o, 0), len(self.text)) for span in spans for o in span})
        found: dict[int, types.Position] = {}
        line = 0
        wide = 0  # wide characters before the current offset
        for offset in offsets:
            while line + 1 < len(self.starts) and self.starts[line + 1] <= offset:
                line += 1
            while wide < len(self._wide) and self._wide[wide] < offset:
                wide += 1
            line_start = self.starts[line]
            first = bisect_left(self._wide, line_start, 0, wide)
            found[offset] = types.Position(line, offset - line_start + self._extra[wide] - self._extra[first])
        clamp = len(self.text)
        return [types.Range(found[min(max(s, 0), clamp)], found[min(max(e, 0), clamp)]) for s, e in spans]
