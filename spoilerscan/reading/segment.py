"""Split a review into sentences with exact character offsets into the original text.

sentencex finds the sentence boundaries (it split Goodreads reviews better than pysbd and is
orders of magnitude faster on long input); this module adds what reviews need around it. The
blocks of :mod:`spoilerscan.reading.text` bound sentences (a heading, list item, quote or table cell is
never joined with its neighbours; hard-wrapped lines are), only prose is split (code, tags and
markup are not), and a sentence longer than :data:`MAX_SENTENCE_CHARS` is cut into windows that
are each scored, so memory stays bounded and a reveal at the end of a long sentence is not
truncated away. :func:`read` also blanks what is exempt (spoiler markup, warning sections,
pragmas, allowed phrases) first, so every command scores the same sentences.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import sentencex

from spoilerscan.reading.document import BOM, Block, BlockKind, Document, Format
from spoilerscan.reading.markup import HIDING_STYLES, Region, Style, blank, exemptions
from spoilerscan.reading.stopping import check_stop
from spoilerscan.reading.text import parse

# An ordered-list marker opening a plain-text block: sentencex would split "1." off as a sentence.
_LIST_NUMBER = re.compile(r"[ \t]*\d{1,9}[.)](?=[ \t])")
# A piece sentencex split off that is only a number marker ("2."): it opens the next sentence.
_LONE_NUMBER = re.compile(r"\d{1,9}[.)]")
# Closing Markdown emphasis, brackets or quotes right after a sentence's end belong to it.
_CLOSING = re.compile(r"[*_~`)\]\"'\u2019\u201d\u00bb]+(?=\s|$)")
# Line-opening Markdown of a plain-text heading, quote or list item: structure, not words.
_LINE_MARKERS = re.compile(r"^(?:(?:#{1,6}|>|[-*+]|\d{1,9}[.)])[ \t]+)+(?=\S)")
_MARKED_KINDS = frozenset({BlockKind.heading, BlockKind.list_item, BlockKind.quote})
# Sentences whose text has no letter or digit ("…", a lone ".", "---") are not scored.
_WORDY = re.compile(r"[^\W_]")
# Nor is a list item's number left alone when the item's text is marked ("1. >!He dies.!<").
_ITEM_NUMBER = re.compile(r"\s*\d{1,9}[.)]\s*")
# A block longer than this is cut at whitespace before sentencex sees it, so a huge line stays cheap:
# sentencex's time grows with the square of a block's boundaries ("!>" * 10,000: 0.09 s at 20,000
# characters, 1.4 s at 80,000), and a paragraph of a review is far shorter.
MAX_BLOCK_CHARS = 5_000
# A sentence longer than this is cut at whitespace into windows, each scored on its own: the
# model reads 128 tokens (about 500 characters) and the tokenizer's cost grows with the length.
MAX_SENTENCE_CHARS = 500


@dataclass(frozen=True, slots=True)
class Span:
    """A sentence (or a window of a long one) as [start, end) character offsets into the text.

    ``block`` numbers the paragraph-like block it sits in (its neighbours in the same block are
    the context a context-aware model reads with it) and ``kind`` says what that block is, so a
    title can be told from body text. ``part`` counts the windows of a sentence that was cut
    (0 for a whole sentence and for the first window).
    """

    start: int
    end: int
    block: int = 0
    kind: BlockKind = BlockKind.paragraph
    part: int = 0


# Where a window prefers to end: after a clause (a comma, semicolon, colon or dash and a space).
_CLAUSE_END = re.compile(r"[,;:\u2013\u2014](?=\s)|\s-(?=\s)")


def _cut(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """[start, end) in consecutive pieces of at most ``limit``: cut after a clause in the second half of
    a piece, else after whitespace, else hard."""
    while end - start > limit:
        low, high = start + limit // 2, start + limit
        clause = [m.end() for m in _CLAUSE_END.finditer(text, low, high - 1)]
        space = max(text.rfind(" ", low, high), text.rfind("\n", low, high))
        cut = clause[-1] + 1 if clause else space + 1 if space > 0 else high
        yield start, cut
        start = cut
    yield start, end


def _sentence_ends(block: str, list_item: bool) -> list[int]:
    """Offsets in ``block`` where sentencex ends a sentence."""
    # Line breaks inside a block are wrapping, not boundaries; same-length swap keeps offsets.
    flat = block.replace("\r", " ").replace("\n", " ").replace(BOM, " ")
    if list_item:  # "1. " of a plain-text list item belongs to its first sentence
        flat = _LIST_NUMBER.sub(lambda marker: " " * len(marker.group()), flat, count=1) \
            if _LIST_NUMBER.match(flat) else flat
    ends: list[int] = []
    cursor = 0
    lone_number = False
    for sentence in sentencex.segment("en", flat):
        piece = sentence.strip()
        if not piece:
            continue
        found = flat.find(piece, cursor)
        if found < 0:  # sentencex altered the text; keep what we have, never lose text
            break
        cursor = found + len(piece)
        if lone_number and ends:  # "2." alone was split off: it opens this sentence
            ends.pop()
        lone_number = bool(_LONE_NUMBER.fullmatch(piece))
        # "*She dies.* Next": the closing "*" ends this sentence, it does not start the next.
        closing = _CLOSING.match(flat, cursor)
        end = closing.end() if closing else cursor
        if not ends or end > ends[-1]:
            ends.append(end)
    return ends


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] == BOM):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == BOM):
        end -= 1
    return start, end


def _block_sentences(scorable: str, block: Block, number: int) -> Iterator[Span]:
    """The sentences of one block of the (blanked) text, long ones cut into windows."""
    if not block.ranges:
        return
    begin, stop = block.ranges[0][0], block.ranges[-1][1]
    list_item = block.kind is BlockKind.list_item
    pieces = ((begin, stop),) if stop - begin <= MAX_BLOCK_CHARS else _cut(scorable, begin, stop, MAX_BLOCK_CHARS)
    for start, end in pieces:
        check_stop()
        piece_start = start
        ends = [] if block.whole else _sentence_ends(scorable[start:end], list_item and start == begin)
        for offset in [*ends, end - start]:
            sentence_start, sentence_end = _stripped(scorable, piece_start, start + offset)
            piece_start = max(piece_start, start + offset)
            if sentence_start >= sentence_end:
                continue
            if sentence_end - sentence_start <= MAX_SENTENCE_CHARS:  # one window, already stripped
                yield Span(sentence_start, sentence_end, number, block.kind, 0)
                continue
            for part, (window_start, window_end) in enumerate(
                    _cut(scorable, sentence_start, sentence_end, MAX_SENTENCE_CHARS)):
                window_start, window_end = _stripped(scorable, window_start, window_end)
                if window_start < window_end:
                    yield Span(window_start, window_end, number, block.kind, part)


def iter_sentences(text: str, fmt: Format | str = Format.text, *, document: Document | None = None,
                   scorable: str | None = None) -> Iterator[Span]:
    """Yield sentence spans in order; in plain text they cover every non-space character once.

    ``fmt`` says how to read the structure (or pass the parsed ``document``); ``scorable`` is the
    text with exempt parts blanked (default: the document's prose).
    """
    document = document if document is not None else parse(text, fmt)
    source = scorable if scorable is not None else document.prose
    for number, block in enumerate(document.blocks):
        check_stop()
        yield from _block_sentences(source, block, number)


def split_sentences(text: str, fmt: Format | str = Format.text) -> list[Span]:
    """All sentence spans of ``text``; see :func:`iter_sentences`."""
    return list(iter_sentences(text, fmt))


@dataclass(frozen=True)
class Reading:
    """A review made ready to score: its document, what is exempt, and the sentences to score.

    ``scorable`` is the text with everything that is not prose or is exempt blanked (same
    length); ``sentences`` are the units that are scored: something wordy left in them, and not
    suppressed by an ``ignore`` pragma.
    """

    document: Document
    scorable: str
    exempt: tuple[Region, ...]
    sentences: tuple[Span, ...]

    @property
    def text(self) -> str:
        return self.document.text

    @cached_property
    def _exempt_reach(self) -> tuple[list[int], list[int]]:
        """The exempt regions' starts (they are sorted by start) and the furthest end reached so far."""
        return [r.start for r in self.exempt], list(itertools.accumulate((r.end for r in self.exempt), max))

    def exempt_within(self, start: int, end: int) -> list[Region]:
        """The exempt regions that overlap [start, end), found by bisection instead of a walk through all."""
        starts, reach = self._exempt_reach
        found: list[Region] = []
        index = bisect_left(starts, end) - 1  # the last region that starts before ``end``
        while index >= 0 and reach[index] > start:  # no earlier region reaches ``start`` once this fails
            if self.exempt[index].end > start:
                found.append(self.exempt[index])
            index -= 1
        return found[::-1]

    @cached_property
    def _exempt_union(self) -> tuple[list[int], list[tuple[int, int]]]:
        """The exempt regions merged where they overlap or touch: disjoint spans in order, and their starts."""
        merged: list[tuple[int, int]] = []
        for region in self.exempt:
            if merged and region.start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], region.end))
            else:
                merged.append((region.start, region.end))
        return [start for start, _ in merged], merged

    def exempt_spans(self, start: int, end: int) -> list[tuple[int, int]]:
        """What of [start, end) is exempt, as the disjoint spans of the regions' union that overlap it:
        a bisection and the spans found, where :meth:`exempt_within` also walks past regions nested in
        a large one (a ``spoilerscan: off`` block holding thousands of pragmas)."""
        starts, merged = self._exempt_union
        index = max(0, bisect_right(starts, start) - 1)
        found: list[tuple[int, int]] = []
        while index < len(merged) and merged[index][0] < end:
            if merged[index][1] > start:
                found.append(merged[index])
            index += 1
        return found

    def scored_text(self, span: Span) -> str:
        """What the model reads for a sentence: its unexempt text, whitespace collapsed, without the
        line-opening markers ('# ', '- ', '1. ', '> ') that plain text keeps as prose."""
        words = " ".join(self.scorable[span.start : span.end].split())
        return _LINE_MARKERS.sub("", words, count=1) if span.kind in _MARKED_KINDS else words


def read(text: str, fmt: Format | str = Format.text, styles: Iterable[Style] = HIDING_STYLES,
         allowed_phrases: Sequence[str] = (), also_exempt: Sequence[Region] = ()) -> Reading:
    """Parse a review, blank what is exempt, and split the rest into the sentences to score.

    ``styles`` is the markup that counts as hidden (default: all but warning sections, which
    readers still see; ``check`` passes its own); pragmas are always honoured; ``also_exempt``
    are more regions to blank (a marked review's spoiler delimiters, when its words are learnt from).
    """
    document = parse(text, fmt)
    exempt = exemptions(document, styles, allowed_phrases)
    regions = tuple(sorted((*exempt.regions, *also_exempt), key=lambda r: (r.start, r.end))) if also_exempt \
        else exempt.regions
    scorable = blank(document.prose, regions) if regions else document.prose
    spans = [s for s in iter_sentences(text, document=document, scorable=scorable)
             if _WORDY.search(scorable, s.start, s.end) and not _ITEM_NUMBER.fullmatch(scorable, s.start, s.end)]
    return Reading(document, scorable, regions, tuple(_not_ignored(spans, exempt.ignore_after)))


def _not_ignored(spans: list[Span], ignore_after: Sequence[int]) -> list[Span]:
    """Spans without the sentence (all its windows) after each ``ignore`` pragma."""
    if not ignore_after:
        return spans
    starts = [s.start for s in spans]
    ignored: set[int] = set()
    for at in ignore_after:
        index = bisect_left(starts, at)
        while index < len(spans):
            ignored.add(index)
            index += 1
            if index >= len(spans) or spans[index].part == 0:
                break
    return [s for i, s in enumerate(spans) if i not in ignored]
