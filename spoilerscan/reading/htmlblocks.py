"""HTML into blocks of prose and tags: :func:`html_blocks`, for an HTML review and for the HTML blocks of
a Markdown one.

It stands apart from :mod:`spoilerscan.reading.text` because it is the one reader that is a parser of
its own: a standard-library ``html.parser`` subclass hardened against quadratic unclosed markup, and
an open-element stack, neither of which the Markdown or plain-text rules share.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from spoilerscan.reading.document import Block, BlockKind, Tag
from spoilerscan.reading.stopping import check_stop

__all__ = ["HTML_VOID", "html_blocks"]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without the whitespace at either edge."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# Elements that bound sentences: text on either side of one never forms one sentence.
_HTML_BLOCK_ELEMENTS = frozenset(
    "address article aside blockquote body br caption center dd details dialog dir div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html li main menu nav ol option p pre section "
    "summary table tbody td tfoot th thead title tr ul".split())
_HTML_KINDS = {"p": BlockKind.paragraph, "li": BlockKind.list_item, "blockquote": BlockKind.quote,
               "td": BlockKind.table_cell, "th": BlockKind.table_cell, "title": BlockKind.heading,
               "dt": BlockKind.list_item, "dd": BlockKind.list_item,
               **{f"h{n}": BlockKind.heading for n in range(1, 7)}}
# Content that is never prose.
_HTML_CODE = frozenset({"script", "style", "template", "pre", "textarea", "xmp", "iframe", "noembed", "noframes"})
# Elements without content or end tag (also for the Markdown reader's inline tags).
HTML_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


# Raw text in HTML5: their content is never markup (textarea is RCDATA, close enough).
_RAW_TEXT_ELEMENTS = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea"})


class _Walker(HTMLParser):
    """Collects the source offsets of text nodes and tags; ``getpos`` gives each token's start.

    The text is read in one pass (:meth:`read`). Python 3.11's parser reads a construct left open
    (``<!--``, ``<a``, ``</`` without its ``>``) as text up to the next ``>`` or ``<``, but only after
    searching the rest of the input for its end, once per construct: quadratic on unclosed markup.
    Here the searches that must fail are answered at once (nothing closes after the last ``>``; no
    ``-->`` after a comment found without one), so that each construct costs what it reads.
    """

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        # HTMLParser counts lines by "\n" alone: its own line starts convert its positions.
        self.newline_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self.events: list[tuple[int, str, str]] = []  # (offset, kind, tag name)
        self.text = text
        self.last_gt = text.rfind(">")
        self.comment_open_from = len(text) + 1  # no "-->" follows any comment that opens from here

    def read(self) -> None:
        """Read all of the text as if it were followed by its end (``feed`` then ``close`` reads the
        unclosed tail twice, and shifts the offsets the searches above are kept in)."""
        self.rawdata = self.text
        self.goahead(True)

    def _at(self) -> int:
        line, column = self.getpos()
        return self.newline_starts[line - 1] + column

    def _unclosed(self, i: int) -> int:
        """A construct at ``i`` that no ``>`` follows: text up to the next ``<``, as ``close`` reads it."""
        end = self.rawdata.find("<", i + 1)
        end = len(self.rawdata) if end < 0 else end
        self.handle_data(self.rawdata[i:end])
        return end

    def parse_starttag(self, i: int) -> int:
        check_stop()
        return self._unclosed(i) if i > self.last_gt else super().parse_starttag(i)

    def parse_endtag(self, i: int) -> int:
        check_stop()
        return self._unclosed(i) if i > self.last_gt else super().parse_endtag(i)

    def parse_pi(self, i: int) -> int:
        check_stop()
        return self._unclosed(i) if i > self.last_gt else super().parse_pi(i)

    def parse_comment(self, i: int, report: bool = True) -> int:
        check_stop()
        if i > self.last_gt:
            return self._unclosed(i)
        if i >= self.comment_open_from:
            return -1  # the parser reads it as text up to the next ">"
        end = super().parse_comment(i, report)
        if end < 0:
            self.comment_open_from = i
        return end

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append((self._at(), "void" if tag in HTML_VOID else "open", tag))
        if tag in _RAW_TEXT_ELEMENTS:  # the parser knows script and style only
            self.set_cdata_mode(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append((self._at(), "void", tag))

    def handle_endtag(self, tag: str) -> None:
        self.events.append((self._at(), "close", tag))

    def handle_data(self, data: str) -> None:
        self.events.append((self._at(), "data", ""))

    def handle_comment(self, data: str) -> None:
        self.events.append((self._at(), "other", ""))

    def handle_decl(self, decl: str) -> None:
        self.handle_comment(decl)

    def handle_pi(self, data: str) -> None:
        self.handle_comment(data)

    def unknown_decl(self, data: str) -> None:
        self.handle_comment(data)

    def parse_html_declaration(self, i: int) -> int:
        """``<!…``: a doctype, or (as browsers read HTML) a bogus comment up to the next ``>``; Python
        3.11 raised on a malformed ``<![…``, and scanned to the end for each unclosed ``<![CDATA[``."""
        check_stop()
        if i > self.last_gt:
            return self._unclosed(i)
        if self.rawdata.startswith("<!--", i):
            return self.parse_comment(i)
        if self.rawdata.startswith("<![", i):
            return self.parse_bogus_comment(i)
        return super().parse_html_declaration(i)


class _OpenElements:
    """The open block-level and code elements, innermost last, kept so that each question costs O(1)
    amortised: 20,000 nested ``<div>`` made every text node and tag walk the whole stack."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.where: dict[str, list[int]] = {}  # each name's places in ``names``
        self.kinds: list[int] = []  # places of the elements that give a block its kind
        self.code = 0  # how many of them hold code (script, style, pre, …)

    def push(self, name: str) -> None:
        self.where.setdefault(name, []).append(len(self.names))
        if name in _HTML_KINDS:
            self.kinds.append(len(self.names))
        self.code += name in _HTML_CODE
        self.names.append(name)

    def close(self, name: str) -> None:
        """Close the innermost element of this name and every element opened inside it; a stray end
        tag closes nothing."""
        places = self.where.get(name)
        if not places:
            return
        at = places[-1]
        while len(self.names) > at:
            popped = self.names.pop()
            self.where[popped].pop()
            self.code -= popped in _HTML_CODE
        while self.kinds and self.kinds[-1] >= at:
            self.kinds.pop()

    def innermost_kind(self) -> str | None:
        return self.names[self.kinds[-1]] if self.kinds else None


def html_blocks(text: str, start: int, end: int) -> tuple[list[Block], list[Tag]]:
    """Blocks of prose and the tags of the HTML in ``text[start:end]``; block elements bound blocks."""
    walker = _Walker(text[start:end])
    walker.read()
    events = walker.events
    blocks: list[Block] = []
    tags: list[Tag] = []
    open_elements = _OpenElements()
    ranges: list[tuple[int, int]] = []
    kind, level = BlockKind.html_block, 0

    def close_block() -> None:
        nonlocal ranges
        trimmed: list[tuple[int, int]] = []
        for begin, stop in ranges:  # one block may hold every text node of the document
            check_stop()
            if text[begin:stop].strip():
                trimmed.append(_trim(text, begin, stop))
        if trimmed:
            blocks.append(Block(trimmed[0][0], trimmed[-1][1], kind, tuple(trimmed), level, kind is BlockKind.heading))
        ranges = []

    for index, (at, what, name) in enumerate(events):
        check_stop()
        token_start = start + at
        token_end = start + events[index + 1][0] if index + 1 < len(events) else end
        if what == "data":
            if not open_elements.code:
                ranges.append((token_start, token_end))
            continue
        if what == "other":
            continue
        tags.append(Tag(token_start, token_end, name, what == "close", what == "void"))
        if name not in _HTML_BLOCK_ELEMENTS and name not in _HTML_CODE:
            continue
        close_block()
        if what == "open":
            open_elements.push(name)
        elif what == "close":
            open_elements.close(name)
        inner = open_elements.innermost_kind()
        kind = _HTML_KINDS.get(inner or "", BlockKind.html_block)
        level = int(inner[1]) if inner and inner[0] == "h" and inner[1:].isdigit() else 0
    close_block()
    return blocks, tags
