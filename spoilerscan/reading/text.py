"""Reading a review's text into its :class:`~spoilerscan.reading.document.Document`: :func:`parse`.

Markdown structure comes from markdown-it-py (CommonMark plus tables), HTML from the standard
library's ``html.parser`` (:mod:`spoilerscan.reading.htmlblocks`, also for Markdown's HTML blocks);
plain text keeps simple line rules. The document model itself lives in
:mod:`spoilerscan.reading.document`: import its names from there.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from functools import lru_cache, partial
from typing import Any, NamedTuple

from spoilerscan.reading.blockquote import bounded_blockquote
from spoilerscan.reading.document import (
    BOM,
    IMAGE_TAG,
    LINE_BREAK,
    LINK_TAG,
    Block,
    BlockKind,
    Document,
    Format,
    Tag,
    lines,
)
from spoilerscan.reading.htmlblocks import HTML_VOID, html_blocks
from spoilerscan.reading.stopping import check_stop

__all__ = ["parse"]


def parse(text: str, fmt: Format | str = Format.text) -> Document:
    """Read ``text`` in format ``fmt`` (``auto`` means plain text here: there is no name)."""
    fmt = Format(fmt)
    if fmt is Format.markdown:
        return _parse_markdown(text)
    if fmt is Format.html:
        blocks, tags = html_blocks(text, 0, len(text))
        return Document(text, Format.html, tuple(blocks), tuple(tags))
    return Document(text, Format.text, tuple(_text_blocks(text)))


# --------------------------------------------------------------------------- plain text

# A thematic break (---, ***, ___, * * *): a line of its own.
_RULE = r"(?:[-*_][ \t]*){3,}$"
# Lines that start a new block: headings, quotes, list items, tables, fences, images, HTML, rules.
_BLOCK_START = re.compile(rf"[ \t]*(#{{1,6}}[ \t]|>|{_RULE}|[-*+][ \t]|\d{{1,9}}[.)][ \t]|\||```|~~~|!\[|<)")
# Of those, lines that are a block on their own, whatever follows them.
_SINGLE_LINE = re.compile(rf"[ \t]*(#{{1,6}}[ \t]|{_RULE}|\||```|~~~|!\[)")
_ATX_HEADING = re.compile(r"[ \t]{0,3}(#{1,6})(?:[ \t]+.*)?")
_HTML_HEADING = re.compile(r"\s*<h([1-6])\b[^>]*>.*?</h\1\s*>.*", re.IGNORECASE)
_LINE_KINDS = ((re.compile(r"[ \t]*>"), BlockKind.quote), (re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]"),
               BlockKind.list_item), (re.compile(r"[ \t]*\|"), BlockKind.table_cell),
               (re.compile(r"[ \t]*(?:```|~~~)"), BlockKind.code))
_THEMATIC_BREAK = re.compile(r"[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*")


def _text_kind(line: str) -> tuple[BlockKind, int]:
    """Kind and heading level of a plain-text block from its first line."""
    heading = _ATX_HEADING.fullmatch(line) or _HTML_HEADING.fullmatch(line)
    if heading:
        marker = heading.group(1)
        return BlockKind.heading, len(marker) if marker.startswith("#") else int(marker)
    if _THEMATIC_BREAK.fullmatch(line):
        return BlockKind.rule, 0
    for pattern, kind in _LINE_KINDS:
        if pattern.match(line):
            return kind, 0
    return BlockKind.paragraph, 0


def _text_blocks(text: str) -> Iterator[Block]:
    """Today's plain-text rules: blank lines and line-opening Markdown start blocks; all of it is prose."""
    start: int | None = None
    single = False
    first = ""
    end = 0

    def close() -> Block:
        assert start is not None
        kind, level = _text_kind(first)
        return Block(start, end, kind, ((start, end),), level, single)

    for line_start, content_end, _ in lines(text):
        check_stop()
        content = text[line_start:content_end].lstrip(BOM)
        if not content.strip():
            if start is not None:
                yield close()
                start = None
            continue
        if start is not None and (single or _BLOCK_START.match(content)):
            yield close()
            start = None
        if start is None:
            start, single, first = line_start, bool(_SINGLE_LINE.match(content)), content
        end = content_end
    if start is not None:
        yield close()


# --------------------------------------------------------------------------- Markdown

_FRONT_MATTER = re.compile(r"\A(\ufeff?)(---|\+\+\+)[ \t]*(?:\r\n|\r|\n)")
# Inline parts of Markdown that are not prose: code spans are skipped (they stay prose), escapes
# too; HTML tags and comments, autolinks, and the brackets and targets of links and images are not.
_INLINE = re.compile(
    r"(?P<code>(`+)(?:(?!\2)[\s\S])*?\2)"
    r"|\\[\s\S]"
    r"|(?P<long><!--|<\?|<![A-Za-z]|<!\[CDATA\[)"  # each runs to its end (_LONG_ENDS), found by a search
    r"|(?P<html></[A-Za-z][A-Za-z0-9-]*\s*>"
    r"|<[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s\"'=<>`]+|'[^']*'|\"[^\"]*\"))?)*\s*/?>"
    r"|<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>|<[\w.!#$%&'*+/=?^`{|}~-]+@[\w.-]+>)"
    r"|(?P<open>!?\[)(?=(?:[^\[\]\\]|\\.|\[[^\[\]]*\])*\]\()"
    r"|(?P<target>\]\((?:[^()\s\\]|\\.|\([^()\s]*\))*(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\))"
)
# A character that each part of _INLINE starts with ("!" only before "["): where none is, none matches.
_MARKUP_START = re.compile(r"[`\\<\[\]]")
# Where a comment, processing instruction, declaration or CDATA section ends, by its opening.
_LONG_ENDS = {"<!--": "-->", "<![": "]]>", "<?": "?>", "<!": ">"}  # the first that opens it
# Inline HTML whose content is never shown as text (raw text, or not rendered in a body): never prose.
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "template"})
_MD_CONTAINERS = {"blockquote_open": BlockKind.quote, "list_item_open": BlockKind.list_item}


def _front_matter_end(text: str) -> int:
    """End of YAML (---) or TOML (+++) front matter opening the file, or 0 if there is none."""
    opening = _FRONT_MATTER.match(text)
    if not opening:
        return 0
    fence = opening.group(2)
    closing = re.compile(rf"^(?:{re.escape(fence)}|\.\.\.)[ \t]*$", re.MULTILINE)
    for line_start, content_end, line_end in lines(text[opening.end() :]):
        piece = text[opening.end() + line_start : opening.end() + content_end]
        if closing.fullmatch(piece) and (fence == "---" or piece.startswith("+++")):
            return opening.end() + line_end
    return 0


# markdown-it drops what is nested deeper than maxNesting, 20 in its CommonMark preset: a list 10 deep
# was never read, so never scored. Blocks are read to 100 levels (its default preset's; the parser
# recurses per level, so not without bound). Its inline pass is not run: the reader takes only the
# block tokens and the inline tokens' content (links, tags and code are found by _INLINE), and the
# pass cost half of markdown-it's time on short paragraphs and a link-label search per "[" of a run.
_BLOCK_NESTING = 100


def _plain_paragraph(trim: Callable[[str], str], state: Any, start: int, end: int, silent: bool) -> bool:
    """A block rule tried before all others: a paragraph whose every line opens with a letter and
    that a blank line or the end closes, read as the paragraph rule reads it, without the ten rules
    (none can match a line that opens with a letter) and their logging tried first for each one.

    1 MB of one-letter paragraphs took 7 s in markdown-it. Only the ``inline`` token is pushed, the
    one the reader takes, its content trimmed by ``trim`` as the paragraph rule trims it; any other
    paragraph is left to markdown-it's rules.
    """
    check_stop()  # the rule markdown-it tries first for every block, in every container: a place to stop
    if state.sCount[start] - state.blkIndent >= 4:  # indented code
        return False
    src, begins, shifts, ends = state.src, state.bMarks, state.tShift, state.eMarks
    line, last = start, state.lineMax
    while line < last:
        first = begins[line] + shifts[line]
        if first >= ends[line]:  # a blank line ends it
            break
        if not src[first].isalpha():  # a marker, a setext underline or a table's delimiter row may follow
            return False
        line += 1
    if silent:
        return True
    token = state.push("inline", "", 0)
    token.content = trim(state.getLines(start, line, state.blkIndent, False))
    token.map = [start, line]
    token.children = []
    state.line = line
    return True


_RULE_REST = {marker: re.compile(rf"[{re.escape(marker)} \t]*") for marker in "*-_"}


def _thematic_break(state: Any, start: int, end: int, silent: bool) -> bool:
    """markdown-it's ``hr`` rule, its loop over the line's characters made one regular expression.

    The rule is tried at each level of nesting, on the rest of the line: ``- - - … - a`` 1 MB long, a
    list 50 levels deep (the nesting cap) read the whole line 50 times a character at a time, 8 s.
    """
    src = state.src
    pos = state.bMarks[start] + state.tShift[start]
    maximum = state.eMarks[start]
    if state.is_code_block(start) or pos >= len(src):
        return False
    marker = src[pos]
    rest = _RULE_REST.get(marker)
    if rest is None or rest.fullmatch(src, pos + 1, maximum) is None:  # markers, spaces and tabs only
        return False
    count = 1 + src.count(marker, pos + 1, maximum)
    if count < 3:
        return False
    if silent:
        return True
    state.line = start + 1
    token = state.push("hr", "hr", 0)
    token.map = [start, state.line]
    token.markup = marker * (count + 1)  # as markdown-it writes it
    return True


class _Inline(NamedTuple):
    """What the reader takes of markdown-it's ``inline`` token: its lines and its content."""

    map: list[int]
    content: str
    type: str = "inline"
    tag: str = ""


_LINE_OPENING = re.compile(r"^[ \t]*([^ \t\n])", re.MULTILINE)


def _plain_paragraphs(body: str, trim: Callable[[str], str]) -> list[_Inline] | None:
    """The inline tokens markdown-it gives a text whose every line is blank or opens with a letter
    (after spaces and tabs; a paragraph's first line after fewer than 4 spaces, else it is code): one
    paragraph for each run of lines between blank ones, for no such line can open or interrupt
    another block. None for any other text, and for one with a CR or NUL (which markdown-it rewrites
    first); 1 MB of one-letter paragraphs spent 2 s in markdown-it's line index, rules and tokens."""
    if "\r" in body or "\0" in body \
            or not all(opening.isalpha() for opening in set(_LINE_OPENING.findall(body))):
        return None
    tokens: list[_Inline] = []
    lines_ = body.split("\n")
    start = -1
    for number, line in enumerate(lines_):
        if line.strip(" \t"):
            if start < 0:
                check_stop()
                indent = line[: len(line) - len(line.lstrip(" \t"))]
                if len(indent) >= 4 or "\t" in indent:  # indented code: four columns (a tab reaches them)
                    return None
                start = number
        elif start >= 0:
            tokens.append(_Inline([start, number], trim("\n".join(lines_[start:number]))))
            start = -1
    if start >= 0:
        tokens.append(_Inline([start, len(lines_)], trim("\n".join(lines_[start:]))))
    return tokens


def _markdown_tokens(body: str, own_rules: bool = True) -> list[Any]:
    """The block tokens of ``body``: :func:`_plain_paragraphs` where it applies, else markdown-it's
    (``own_rules=False``: markdown-it alone, its own rules; the tests compare the two)."""
    if own_rules:
        from markdown_it.common import utils

        plain = _plain_paragraphs(body, getattr(utils, "mdTrim", str.strip))
        if plain is not None:
            return plain
    tokens: list[Any] = _markdown_parser(own_rules).parse(body)
    return tokens


def _markdown_parser(own_rules: bool = True) -> Any:
    """markdown-it as the reader uses it; ``own_rules=False`` without the rules that replace or precede its
    own for speed (the tests compare the two)."""
    from markdown_it import MarkdownIt
    from markdown_it.common import utils

    # How the paragraph rule trims its content: the CommonMark whitespace (markdown-it-py 4), str.strip (3).
    trim: Callable[[str], str] = getattr(utils, "mdTrim", str.strip)
    parser = MarkdownIt("commonmark", {"maxNesting": _BLOCK_NESTING}).enable("table")
    parser.disable(["inline", "text_join"])
    if own_rules:
        parser.block.ruler.before("table", "plain_paragraph", partial(_plain_paragraph, trim))
        # the blocks a thematic break may interrupt, as markdown-it's own rule is registered
        parser.block.ruler.at("hr", _thematic_break, {"alt": ["paragraph", "reference", "blockquote", "list"]})
        parser.block.ruler.at("blockquote", bounded_blockquote,
                              {"alt": ["paragraph", "reference", "blockquote", "list"]})
    return parser


def _parse_markdown(text: str) -> Document:
    starts = [0, *(m.end() for m in LINE_BREAK.finditer(text))]

    def line_range(first: int, last: int) -> tuple[int, int]:
        """[start, content end) of source lines first..last-1 (markdown-it's ``map``)."""
        begin = starts[min(first, len(starts) - 1)]
        stop = starts[last] if last < len(starts) else len(text)
        while stop > begin and text[stop - 1] in "\r\n":
            stop -= 1
        return begin, stop

    blocks: list[Block] = []
    tags: list[Tag] = []
    front = _front_matter_end(text)
    if front:
        blocks.append(Block(0, front, BlockKind.front_matter))
    # markdown-it reads the text without a BOM and with front matter as blank lines (line numbers kept).
    front_lines = len(starts) - len([s for s in starts if s >= front]) if front else 0
    body = "\n" * front_lines + text[front:] if front else text.removeprefix(BOM)
    containers: list[BlockKind] = []
    heading_level = 0
    cell_row = -1
    cell_cursor = 0
    for token in _markdown_tokens(body):
        if token.type == "inline" and token.map:  # most tokens: the text of a paragraph, heading or cell
            check_stop()
            if cell_row >= 0:
                ranges, cell_cursor = _cell_range(text, token.content, line_range(cell_row, cell_row + 1),
                                                  cell_cursor)
                kind = BlockKind.table_cell
            else:
                kind = BlockKind.heading if heading_level else containers[-1] if containers else BlockKind.paragraph
                ranges = _line_ranges(text, token.content, token.map, line_range, heading_level)
            ranges = _without_inline_markup(text, ranges, tags)
            if ranges:
                blocks.append(Block(ranges[0][0], ranges[-1][1], kind, tuple(ranges), heading_level,
                                    kind is BlockKind.heading))
        elif token.type in _MD_CONTAINERS:
            containers.append(_MD_CONTAINERS[token.type])
        elif token.type in ("blockquote_close", "list_item_close"):
            containers.pop()
        elif token.type == "heading_open":
            heading_level = int(token.tag[1])
        elif token.type == "heading_close":
            heading_level = 0
        elif token.type == "tr_open":
            cell_row, cell_cursor = token.map[0] if token.map else -1, 0
        elif token.type == "tr_close":
            cell_row = -1
        elif token.type in ("fence", "code_block", "hr", "html_block") and token.map:
            begin, stop = line_range(*token.map)
            if token.type == "html_block":
                found_blocks, found_tags = html_blocks(text, begin, stop)
                blocks.extend(found_blocks)
                tags.extend(found_tags)
            else:
                blocks.append(Block(begin, stop, BlockKind.rule if token.type == "hr" else BlockKind.code))
    blocks.sort(key=lambda b: b.start)
    return Document(text, Format.markdown, tuple(blocks), tuple(sorted(tags, key=lambda t: t.start)))


def _cell_range(text: str, content: str, row: tuple[int, int], cursor: int) -> tuple[list[tuple[int, int]], int]:
    """Where a table cell's text sits in its row (cells come in order), and the cursor after it."""
    begin, stop = row
    piece = content.strip()
    if not piece:
        return [], cursor
    # markdown-it gives a cell's "\|" as "|": each pipe may stand escaped in the source.
    found = re.compile(re.escape(piece).replace(r"\|", r"\\?\|")).search(text, begin + cursor, stop)
    if found is None:
        return [], cursor
    return [found.span()], found.end() - begin


def _line_ranges(text: str, content: str, span: list[int], line_range: Callable[[int, int], tuple[int, int]],
                 heading_level: int) -> list[tuple[int, int]]:
    """Where each line of an inline token's content (a paragraph, a heading) sits in the source.

    markdown-it strips container markers and indentation from the content's lines, so each one
    is found at the end of its source line (a heading's closing #s and a setext underline aside).
    """
    first, last = span
    content_lines = content.split("\n")
    ranges: list[tuple[int, int]] = []
    for number, wanted in zip(range(first, last), content_lines, strict=False):
        begin, stop = line_range(number, number + 1)
        line = text[begin:stop].rstrip(" \t")
        if heading_level and line.lstrip(" \t>").startswith("#"):
            line = _ATX_CLOSING.sub("", line)
        wanted = wanted.strip(" \t")
        if not wanted:
            continue
        at = len(line) - len(wanted) if line.endswith(wanted) else line.find(wanted)
        if at < 0:  # tabs expanded by markdown-it: take the line after its markers
            at = len(line) - len(line.lstrip(" \t>-*+0123456789.)#"))
            wanted = line[at:]
        if wanted:
            ranges.append((begin + at, begin + at + len(wanted)))
    return ranges


_ATX_CLOSING = re.compile(r"[ \t]+#+[ \t]*$")


_TAG_NAME = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[\s/>]")


@lru_cache(maxsize=16)
def _raw_text_end(name: str) -> re.Pattern[str]:
    return re.compile(rf"</{name}\s*>", re.IGNORECASE)


def _inline_markup(joined: str) -> Iterator[tuple[str, int, int]]:
    """(what, start, end) of each part of a paragraph's inline text that is not prose: ``html`` (tags,
    comments, autolinks), ``raw`` (a ``<script>`` or ``<style>`` with its content, to its end tag or the
    paragraph's end), ``open`` (a link's ``[``) and ``target`` (its ``](…)``); code spans are skipped.

    A comment, ``<?…?>``, declaration or CDATA section is searched to its end once: where an end
    is not found, no later one of that kind can end either, so an unclosed ``<!--`` repeated costs
    one search, not one to the paragraph's end for each.
    """
    never_ends_from: dict[str, int] = {}
    at = 0
    while (match := _INLINE.search(joined, at)) is not None:
        check_stop()
        at = match.end()
        opening = match.group("long")
        if opening is not None:
            ending = next(end for start, end in _LONG_ENDS.items() if opening.startswith(start))
            found = joined.find(ending, at) if at < never_ends_from.get(ending, len(joined) + 1) else -1
            if found < 0:  # text, as in CommonMark: read on after its "<"
                never_ends_from[ending] = min(at, never_ends_from.get(ending, at))
                at = match.start() + 1
                continue
            at = found + len(ending)
            yield "html", match.start(), at
            continue
        for group in ("html", "open", "target"):
            if match.group(group) is None:
                continue
            tag = _TAG_NAME.match(match.group(group)) if group == "html" else None
            if tag is not None and not tag.group(1) and tag.group(2).lower() in _RAW_TEXT \
                    and not match.group(group).endswith("/>"):
                closing = _raw_text_end(tag.group(2).lower()).search(joined, at)
                at = closing.end() if closing is not None else len(joined)
                yield "raw", match.start(), at
            else:
                yield group, match.start(group), match.end(group)


def _without_inline_markup(text: str, ranges: list[tuple[int, int]], tags: list[Tag]) -> list[tuple[int, int]]:
    """Prose ranges minus inline HTML, autolinks and the brackets and targets of links; tags are collected.

    The ranges' lines are matched as one text, joined by line breaks as markdown-it joins them (no
    quote or list markers), so a tag, comment or link target that runs over a line break is found.
    """
    if not any(_MARKUP_START.search(text, begin, stop) for begin, stop in ranges):
        return ranges  # nothing of _INLINE can match: a short paragraph's common case, kept cheap
    joined = "\n".join(text[begin:stop] for begin, stop in ranges)
    starts = list(itertools.accumulate((stop - begin + 1 for begin, stop in ranges[:-1]), initial=0))

    def source(at: int) -> int:
        """The source offset of ``joined[at]``; a joining line break maps to the end of its line."""
        line = bisect_right(starts, at) - 1
        begin, stop = ranges[line]
        return begin + min(at - starts[line], stop - begin)

    cut: list[tuple[int, int]] = []
    brackets: list[str] = []  # the links and images open at this point
    for group, begin, stop in _inline_markup(joined):
        start, end = source(begin), source(stop - 1) + 1
        cut.append((start, end))
        piece = joined[begin:stop]
        if group == "open":  # a link's "[" opens it and "](target)" closes it, as a tag pair would
            brackets.append(IMAGE_TAG if piece.startswith("!") else LINK_TAG)
            tags.append(Tag(start, end, brackets[-1]))
        elif group == "target":
            tags.append(Tag(start, end, brackets.pop() if brackets else LINK_TAG, closing=True))
        elif group == "raw":  # <script>…</script>: its two tags, and no prose between them
            opening = _TAG_NAME.match(piece)
            assert opening is not None
            name = opening.group(2).lower()
            tags.append(Tag(start, start + piece.index(">") + 1, name))
            closing = _raw_text_end(name).search(piece)
            if closing is not None and closing.end() == len(piece):
                tags.append(Tag(start + closing.start(), end, name, closing=True))
        elif tag := _TAG_NAME.match(piece):
            name = tag.group(2).lower()
            tags.append(Tag(start, end, name, bool(tag.group(1)), name in HTML_VOID or piece.endswith("/>")))
    if not cut:
        return ranges
    # Both are in offset order: one walk through the cuts for all of the ranges.
    result: list[tuple[int, int]] = []
    first = 0
    for begin, stop in ranges:
        cursor = begin
        while first < len(cut) and cut[first][1] <= cursor:
            first += 1
        for cut_start, cut_end in itertools.islice(cut, first, None):
            if cut_start >= stop:
                break
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < stop:
            result.append((cursor, stop))
    return [r for r in result if text[r[0] : r[1]].strip()]
