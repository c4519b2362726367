"""Split a review into sentences with exact character offsets into the original text.

sentencex finds the sentence boundaries (it split Goodreads reviews better than pysbd and is
orders of magnitude faster on long input); this module adds what reviews need around it:
paragraphs and Markdown structure (headings, list items, quotes, tables, images) are never
joined into one sentence, hard-wrapped lines are, and offsets always point into the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import sentencex

# A thematic break (---, ***, ___, * * *): a line of its own.
_RULE = r"(?:[-*_][ \t]*){3,}$"
# Lines that start a new block: headings, quotes, list items, tables, fences, images, HTML, rules.
_BLOCK_START = re.compile(rf"[ \t]*(#{{1,6}}[ \t]|>|{_RULE}|[-*+][ \t]|\d{{1,9}}[.)][ \t]|\||```|~~~|!\[|<)")
# Of those, lines that are a block on their own, whatever follows them.
_SINGLE_LINE = re.compile(rf"[ \t]*(#{{1,6}}[ \t]|{_RULE}|\||```|~~~|!\[)")
# An ordered-list marker opening a block: sentencex would split "1." off as a sentence.
_LIST_NUMBER = re.compile(r"[ \t]*\d{1,9}[.)](?=[ \t])")
# Closing Markdown emphasis, brackets or quotes right after a sentence's end belong to it.
_CLOSING = re.compile(r"[*_~`)\]\"'\u2019\u201d\u00bb]+(?=\s|$)")
# A block longer than this is cut at whitespace so a single huge line stays cheap.
MAX_BLOCK_CHARS = 20_000
BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Span:
    """A sentence as [start, end) character offsets into the text it came from.

    ``block`` numbers the paragraph-like block it sits in: its neighbours in the same block
    are the context a context-aware model reads with it.
    """

    start: int
    end: int
    block: int = 0


def _blocks(text: str) -> Iterator[tuple[int, int, bool]]:
    """Yield (start, end, whole) of paragraph-like blocks: no sentence crosses a block edge.

    ``whole`` marks one-line blocks (heading, table row, fence, image) kept as one sentence.
    """
    start: int | None = None
    single = False
    pos = 0
    for line in text.splitlines(keepends=True):
        line_end = pos + len(line)
        content = line.rstrip("\r\n").lstrip(BOM)
        if not content.strip():
            if start is not None:
                yield start, pos, single
                start = None
        else:
            starts_block = bool(_BLOCK_START.match(content))
            if start is not None and (starts_block or single):
                yield start, pos, single
                start = None
            if start is None:
                start = pos
                single = bool(_SINGLE_LINE.match(content))
        pos = line_end
    if start is not None:
        yield start, pos, single


def _chunks(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long block at whitespace (or hard, if there is none) into bounded chunks."""
    while end - start > MAX_BLOCK_CHARS:
        cut = text.rfind(" ", start + MAX_BLOCK_CHARS // 2, start + MAX_BLOCK_CHARS)
        cut = cut + 1 if cut > 0 else start + MAX_BLOCK_CHARS
        yield start, cut
        start = cut
    yield start, end


def _sentence_ends(block: str) -> list[int]:
    """Offsets in ``block`` where sentencex ends a sentence."""
    # Line breaks inside a block are wrapping, not boundaries; same-length swap keeps offsets.
    flat = block.replace("\r", " ").replace("\n", " ")
    # "1. " of a list item is part of its first sentence; blank it (same length) for sentencex.
    flat = _LIST_NUMBER.sub(lambda marker: " " * len(marker.group()), flat, count=1)
    ends: list[int] = []
    cursor = 0
    for sentence in sentencex.segment("en", flat):
        piece = sentence.strip()
        if not piece:
            continue
        found = flat.find(piece, cursor)
        if found < 0:  # sentencex altered the text; keep what we have, never lose text
            break
        cursor = found + len(piece)
        # "*She dies.* Next": the closing "*" ends this sentence, it does not start the next.
        closing = _CLOSING.match(flat, cursor)
        end = closing.end() if closing else cursor
        if not ends or end > ends[-1]:
            ends.append(end)
    return ends


def _stripped(text: str, start: int, end: int, block: int) -> Span | None:
    while start < end and (text[start].isspace() or text[start] == BOM):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == BOM):
        end -= 1
    return Span(start, end, block) if start < end else None


def iter_sentences(text: str) -> Iterator[Span]:
    """Yield sentence spans in order; together they cover every non-space character once."""
    for block, (block_start, block_end, whole) in enumerate(_blocks(text)):
        for start, end in _chunks(text, block_start, block_end):
            piece_start = start
            ends = [] if whole else _sentence_ends(text[start:end])
            for offset in [*ends, end - start]:
                span = _stripped(text, piece_start, start + offset, block)
                if span is not None:
                    yield span
                piece_start = max(piece_start, start + offset)


def split_sentences(text: str) -> list[Span]:
    """All sentence spans of ``text``; see :func:`iter_sentences`."""
    return list(iter_sentences(text))


def neighbour_context(sentences: list[str], groups: list[int]) -> list[str]:
    """For each sentence, its previous and next sentence when they share its group, else ''."""
    contexts = []
    for i, group in enumerate(groups):
        before = sentences[i - 1] if i > 0 and groups[i - 1] == group else ""
        after = sentences[i + 1] if i + 1 < len(groups) and groups[i + 1] == group else ""
        contexts.append(f"{before} {after}".strip())
    return contexts
