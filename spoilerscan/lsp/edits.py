"""The text edits behind the code actions, as plain functions of text (no model, no protocol).

* :func:`mark_change`: a finding's sentences hidden exactly as ``redact`` hides them (the same
  renderer, over an annotation in which only they are spoilers), as the one change it makes.
* :func:`ignore_insertion`: where ``<!-- spoilerscan: ignore -->`` goes so that it skips the
  sentence and, in Markdown, changes nothing of how the page renders (a comment that opens a line
  would start an HTML block there and could split a paragraph or a list).
* :func:`allowed_phrase_insertion`: a phrase added to ``allowed-phrases`` of a ``pyproject.toml``,
  written into the file's own text (comments and layout kept) and checked by reading it back.
"""

from __future__ import annotations

import json
import re
import tomllib
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from spoilerscan.model.detect import SentenceScore, annotation_of
from spoilerscan.reading.document import LINE_BREAK, BlockKind, Document, Format
from spoilerscan.reading.markup import IGNORE_PRAGMA, RedactStyle
from spoilerscan.reading.segment import Reading
from spoilerscan.render import redact

Change = tuple[int, int, str]  # replace text[start:end] with this


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (a bisection over slice comparisons, which run in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low


def difference(old: str, new: str) -> Change | None:
    """The one change that turns ``old`` into ``new`` (None when they are equal)."""
    if old == new:
        return None
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, min(len(old), len(new)) - prefix)
    return prefix, len(old) - suffix, new[prefix : len(new) - suffix]


def mark_change(text: str, reading: Reading, spans: Sequence[tuple[int, int]], style: RedactStyle) -> Change | None:
    """Hide the sentences of ``reading`` (read as ``redact`` reads) that overlap ``spans``, in ``style``.

    ``redact`` itself writes the result: adjacent sentences share one wrapper, marked parts,
    tags and line markers are left alone, a table cell gets escaped pipes. None when nothing
    would change.
    """
    chosen = [any(s.start < end and start < s.end for start, end in spans) for s in reading.sentences]
    if not any(chosen):
        return None
    scores = [SentenceScore(1.0 if spoiler else 0.0) for spoiler in chosen]
    return difference(text, redact(text, annotation_of(reading, scores, 0.5), style))


# Indentation and line-opening Markdown (heading, quote, list markers) before a sentence on its line.
_LINE_OPENING = re.compile(r"[ \t]*(?:(?:#{1,6}|>|[-*+]|\d{1,9}[.)])[ \t]*)*")
_INDENT = re.compile(r"[ \t]*")
_CONTAINER = re.compile(r"[ \t]*(?:>[ \t]?)*")  # indentation and quote markers: a line stays inside them
_LIST_MARKER = re.compile(r"(?:[-*+]|\d{1,9}[.)])[ \t]*$")


def _indent(text: str, line: int) -> str:
    """The spaces and tabs that open the line starting at ``line``."""
    found = _INDENT.match(text, line)
    return found.group() if found is not None else ""
_PROSE_BLOCKS = frozenset({BlockKind.paragraph, BlockKind.heading, BlockKind.list_item, BlockKind.quote})


def _line_start(text: str, offset: int) -> int:
    return max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1


def _block_kind_at(document: Document, offset: int) -> BlockKind | None:
    starts = [block.start for block in document.blocks]
    at = bisect_right(starts, offset) - 1
    if at >= 0 and document.blocks[at].start <= offset <= document.blocks[at].end:
        return document.blocks[at].kind
    return None


def _previous_line(text: str, line: int) -> tuple[int, int] | None:
    """(start, content end) of the line before the one starting at ``line`` (None at the first line)."""
    if line == 0:
        return None
    content_end = line - (2 if text[max(line - 2, 0) : line] == "\r\n" else 1)
    return _line_start(text, content_end), content_end


def ignore_insertion(text: str, document: Document, start: int) -> tuple[int, str]:
    """Where to insert the ignore pragma for the sentence at ``start``, and the text to insert.

    Inline, just before the sentence, wherever text precedes it on its line (and always in plain
    text and HTML, where a comment cannot change the structure). In Markdown a comment that opens
    a line starts an HTML block, so for a sentence that opens its line: after a blank line (and
    not in a list item, which the block would cut from its list), a line of its own just above;
    else the end of the last line with text before it, when that is prose (a paragraph, heading,
    list item or quote: the comment stays inline there); else a line of its own above, inside the
    same quote.
    """
    line = _line_start(text, start)
    opening = _LINE_OPENING.fullmatch(text, line, start)
    if document.format is not Format.markdown or opening is None:
        return start, IGNORE_PRAGMA + " "
    ending = LINE_BREAK.search(text, start) or LINE_BREAK.search(text)
    newline = ending.group() if ending else "\n"
    above = _previous_line(text, line)
    if (above is None or not text[above[0] : above[1]].strip()) and not _LIST_MARKER.search(opening.group()):
        indent = _indent(text, line)
        return line + len(indent), IGNORE_PRAGMA + newline + indent
    while above is not None:  # back over blank lines (in a quote: lines of only ">") to the last text line
        if text[above[0] : above[1]].strip(" \t>"):
            if _block_kind_at(document, above[1]) in _PROSE_BLOCKS:
                return above[1], " " + IGNORE_PRAGMA
            break
        above = _previous_line(text, above[0])
    container = _CONTAINER.match(text, line)
    prefix = container.group() if container is not None else ""
    return line + len(prefix), IGNORE_PRAGMA + newline + prefix


# --------------------------------------------------------------------------- pyproject.toml

_TABLE_HEADER = re.compile(r"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*(?:spoilerscan|\"spoilerscan\")[ \t]*\][ \t]*"
                           r"(?:#[^\r\n]*)?(?=\r?$)", re.MULTILINE)
_ANY_HEADER = re.compile(r"^[ \t]*\[", re.MULTILINE)
_ALLOWED_KEY = re.compile(r"^[ \t]*(?:allowed-phrases|\"allowed-phrases\"|'allowed-phrases')[ \t]*=[ \t]*",
                          re.MULTILINE)


def _array_close(text: str, opening: int) -> tuple[int, int] | None:
    """For the TOML array whose ``[`` is at ``opening``: the offset of its ``]`` and of the last
    character of its content that is not whitespace or a comment (the ``[`` when it is empty)."""
    depth = 0
    last = opening
    at = opening
    while at < len(text):
        char = text[at]
        if char in "\"'":
            quote = text[at : at + 3] if text[at : at + 3] in ('"""', "'''") else char
            at += len(quote)
            while at < len(text) and not text.startswith(quote, at):
                at += 2 if quote[0] == '"' and text[at] == "\\" else 1
            at += len(quote)
            last = at - 1
            continue
        if char == "#":
            newline = text.find("\n", at)
            at = len(text) if newline < 0 else newline
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return at, last
        if not char.isspace():
            last = at
        at += 1
    return None


def _phrases_of(text: str) -> tuple[dict[str, Any], list[str]] | None:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    table = document.get("tool", {}).get("spoilerscan")
    if not isinstance(table, dict):
        return None
    phrases = table.get("allowed-phrases", [])
    return (document, phrases) if isinstance(phrases, list) else None


def allowed_phrase_insertion(toml: str, phrase: str) -> tuple[int, str] | None:
    """Where to insert ``phrase`` into ``allowed-phrases`` of ``[tool.spoilerscan]``, and what.

    None when the phrase is there already or the file cannot be edited safely (invalid TOML, the
    table written as dotted keys or inline): the result is read back and must equal the file with
    only the phrase added.
    """
    before = _phrases_of(toml)
    if before is None or phrase in before[1]:
        return None
    header = _TABLE_HEADER.search(toml)
    if header is None:
        return None
    following = _ANY_HEADER.search(toml, header.end())
    section_end = following.start() if following is not None else len(toml)
    quoted = json.dumps(phrase, ensure_ascii=False)  # a JSON string is a TOML basic string
    key = _ALLOWED_KEY.search(toml, header.end(), section_end)
    if key is None:
        newline = "\r\n" if toml[header.end() : header.end() + 2] == "\r\n" else "\n"
        at, insertion = header.end(), f"{newline}allowed-phrases = [{quoted}]"
    else:
        if toml[key.end() : key.end() + 1] != "[":
            return None
        closing = _array_close(toml, key.end())
        if closing is None:
            return None
        close, last = closing
        at = last + 1
        if "\n" in toml[at:close]:  # one element a line: a new line like the last one
            line = _line_start(toml, last)
            indent = _indent(toml, line) if toml[last] != "[" else "    "
            insertion = (f"\n{indent}{quoted}," if toml[last] in ",[" else f",\n{indent}{quoted}")
        else:
            insertion = quoted if toml[last] == "[" else f" {quoted}" if toml[last] == "," else f", {quoted}"
    after = _phrases_of(toml[:at] + insertion + toml[at:])
    if after is None or after[1] != [*before[1], phrase]:
        return None
    expected = before[0]
    expected.setdefault("tool", {}).setdefault("spoilerscan", {})["allowed-phrases"] = [*before[1], phrase]
    return (at, insertion) if after[0] == expected else None
