"""Spoiler markup, in one table that both writes it (``redact``) and finds it (``check``, scoring, data).

Text a writer already hid is exempt everywhere: it is blanked (:func:`blank`: same length, line
breaks kept) before a review is split into sentences, so it is never scored, rewritten or
reported. The same goes for text under a spoiler-warning heading or line, text switched off by
a pragma (``<!-- spoilerscan: off -->`` … ``on``) and phrases a project allows. The rules are
documented in docs/check.md.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from spoilerscan.reading.document import BOM, BlockKind, Document, lines
from spoilerscan.reading.stopping import check_stop
from spoilerscan.reading.text import parse


class Style(StrEnum):
    """Ways a spoiler can be marked; ``check --style`` picks the ones the publishing site renders."""

    block = "block"  # ████ of the same length
    label = "label"  # [spoiler] in place of the sentence
    reddit = "reddit"  # >!…!<
    discord = "discord"  # ||…||
    bbcode = "bbcode"  # [spoiler]…[/spoiler], [spoiler=Title]…[/spoiler]
    discourse = "discourse"  # [spoiler]…[/spoiler] and [details="…"]…[/details]
    html = "html"  # <details>…</details>, any element whose class mentions "spoiler"
    warning = "warning"  # a heading or a line that warns of spoilers, and the text under it


MarkupStyle = Style  # the name check has always used


class RedactStyle(StrEnum):
    """The styles ``redact`` can write."""

    block = "block"
    label = "label"
    reddit = "reddit"
    discord = "discord"
    bbcode = "bbcode"
    html = "html"


ALL_STYLES: tuple[Style, ...] = tuple(Style)
# What redact, highlight, scan and the library treat as already hidden: every style but warning
# sections, whose text readers still see (check accepts them as warned; see docs/check.md).
HIDING_STYLES: tuple[Style, ...] = tuple(s for s in Style if s is not Style.warning)


@dataclass(frozen=True, slots=True)
class Region:
    """Characters [start, end) of a review that are not scored, and why (markup included)."""

    start: int
    end: int
    reason: str


# --------------------------------------------------------------------------- finders

# Inline markup stays inside one paragraph: it never crosses a blank line.
_NO_BLANK_LINE = r"(?:(?!\n[ \t]*\r?\n)[\s\S])"
_BLANK_LINE_AHEAD = re.compile(r"(?=\n[ \t]*\r?\n)")
_DISCORD = re.compile(rf"\\?\|\\?\|(?:(?!\\?\|\\?\|){_NO_BLANK_LINE})+?\\?\|\\?\|")  # "\|\|" in a table cell
_BLOCKED = re.compile("\u2588+")
_LABEL = re.compile(r"\[spoiler\](?![^\W_])")  # "[spoiler]He" opens BBCode instead
_BBCODE_STOP = re.compile(r"[\]\r\n]")  # where a BBCode tag's attribute ends
_HTML_OPEN = re.compile(r"<([a-z][a-z0-9-]*)(\s[^<>]*)?>", re.IGNORECASE)
_HTML_CLASS = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_PRAGMA = re.compile(r"<!--\s*spoilerscan:\s*(ignore|off|on)\s*-->", re.IGNORECASE)
IGNORE_PRAGMA = "<!-- spoilerscan: ignore -->"  # what a writer (or an editor's quick fix) puts before a sentence


# A tag found: (start, end, closing, name); an HTML ``<x/>`` is never one.
_Tag = tuple[int, int, bool, str]


def _html_tags(text: str, name: str) -> Iterator[_Tag]:
    for match in _html_tag(name).finditer(text):  # "[^<>]*" stops at the next "<": each try reads its own part
        if not match.group(0).endswith("/>"):
            yield match.start(), match.end(), match.group(1) == "/", name


def _bbcode_tags(text: str, start: re.Pattern[str]) -> Iterator[_Tag]:
    """BBCode tags: ``start`` (``[spoiler``, ``[/details``) and ``]`` at once, or an attribute after ``=``
    or a space up to the first ``]`` of the line. The ends come from one sorted list of the places
    where an attribute stops (``]`` or a line break): a pattern read to the end of the line from
    each ``[spoiler=`` without a ``]``."""
    stops = [m.start() for m in _BBCODE_STOP.finditer(text)]
    cursor = 0
    for match in start.finditer(text):
        if match.start() < cursor:
            continue
        at = bisect_left(stops, match.end())
        if at < len(stops) and text[stops[at]] == "]":
            cursor = stops[at] + 1
            yield match.start(), cursor, match.group(1) == "/", match.group(2).lower()


def _closing_ends(tags: Iterable[_Tag]) -> dict[int, int]:
    """Each opening tag's start mapped to the end of the closing tag that balances it (nesting counted).

    One pass over the tags of one name with a stack: an unclosed opener (text, as it shows on the
    page) costs nothing more, where scanning on from each opener was quadratic in unclosed markup.
    """
    ends: dict[int, int] = {}
    open_at: list[int] = []
    for start, end, closing, _ in tags:
        check_stop()
        if not closing:
            open_at.append(start)
        elif open_at:
            ends[open_at.pop()] = end
    return ends


def _paired(openers: Iterable[_Tag], accept: Callable[[int, int], bool], tags: Callable[[str], Iterable[_Tag]],
            reason: str) -> list[Region]:
    """Regions from an accepted opening tag to its balancing closing tag (nesting counted)."""
    regions: list[Region] = []
    covered = 0
    pairs: dict[str, dict[int, int]] = {}  # per tag name, found once
    for start, end, closing, name in openers:
        check_stop()
        if closing or start < covered or not accept(start, end):
            continue
        if name not in pairs:
            pairs[name] = _closing_ends(tags(name))
        close = pairs[name].get(start)
        if close is not None:  # unclosed markup hides nothing on the page, so it marks nothing
            regions.append(Region(start, close, reason))
            covered = close
    return regions


@lru_cache(maxsize=8)
def _bbcode_start(names: tuple[str, ...], closing: bool) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(rf"\[({'/?' if closing else ''})({alternatives})(?=[= \]])", re.IGNORECASE)


@lru_cache(maxsize=64)
def _html_tag(name: str) -> re.Pattern[str]:
    return re.compile(rf"<(/?){re.escape(name)}(?:\s[^<>]*)?>", re.IGNORECASE)


def _is_spoiler_element(text: str, start: int, end: int) -> bool:
    match = _HTML_OPEN.match(text, start, end)
    if match is None:
        return False
    if match.group(1).lower() == "details":
        return True
    attributes = _HTML_CLASS.search(match.group(2) or "")
    return attributes is not None and "spoiler" in "".join(filter(None, attributes.groups())).lower()


def _pattern(pattern: re.Pattern[str], reason: str) -> Callable[[Document], list[Region]]:
    return lambda document: [Region(m.start(), m.end(), reason) for m in pattern.finditer(document.text)]


def _reddit(document: Document) -> list[Region]:
    """``>!…!<`` within one paragraph: each ``>!`` closes at the first ``!<`` after it (one character
    at least between them) unless a blank line comes first. Found with two sorted lists and
    bisection: a lazy pattern scanned to the end of the paragraph from every unclosed ``>!``."""
    text = document.text
    closes = [m.start() for m in re.finditer("!<", text)]
    if not closes:
        return []
    blank_lines = [m.start() for m in _BLANK_LINE_AHEAD.finditer(text)]
    regions: list[Region] = []
    cursor = 0
    for match in re.finditer(">!", text):
        check_stop()
        start = match.start()
        if start < cursor:
            continue
        found = bisect_left(closes, start + 3)  # one character at least between the two
        if found == len(closes):
            break
        close = closes[found]
        blank_line = bisect_left(blank_lines, start + 2)
        if blank_line < len(blank_lines) and blank_lines[blank_line] < close:
            continue
        regions.append(Region(start, close + 2, "reddit"))
        cursor = close + 2
    return regions


def _bbcode(names: tuple[str, ...], reason: str) -> Callable[[Document], list[Region]]:
    def find(document: Document) -> list[Region]:
        text = document.text
        return _paired(_bbcode_tags(text, _bbcode_start(names, False)), lambda start, end: True,
                       lambda name: _bbcode_tags(text, _bbcode_start((name,), True)), reason)

    return find


def _html(document: Document) -> list[Region]:
    text = document.text
    openers = ((m.start(), m.end(), False, m.group(1).lower()) for m in _HTML_OPEN.finditer(text)
               if not m.group(0).endswith("/>"))
    return _paired(openers, lambda start, end: _is_spoiler_element(text, start, end),
                   lambda name: _html_tags(text, name), "html")


# --------------------------------------------------------------------------- warning sections

_SPOILER_WORD = re.compile(r"\bspoilers?\b")
_NEGATED = re.compile(r"\b(?:no|non|not|without|free|zero|less)\b|spoilerless")
_WARNING_LINE = re.compile(
    r"(?:(?:warning|caution|alert|heads up|beware)\s+)?"
    r"(?:(?:major|minor|heavy|light|mild|big|huge|full|massive|some|plot|ending|story)\s+)*"
    r"spoilers?"
    r"(?:\s+(?:warning|alert|ahead|below|follow|follows|inside|section|zone))*"
    r"(?:\s+for\s+[a-z0-9 ]{1,60}?)?"
    r"(?:\s+(?:ahead|below|follow|follows|inside|from here on|from here|beyond this point))?"
)
_END_OF_SPOILERS = re.compile(
    r"(?:end(?:\s+of)?(?:\s+the)?\s+spoilers?(?:\s+section)?|spoilers?\s+(?:end|over|done)(?:\s+here)?"
    r"|no more spoilers)"
)
_MAX_WARNING_LINE = 100


def _words(line: str) -> str:
    """A line reduced to lower-case words: Markdown, punctuation and emoji dropped."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", line.lower().replace("'", "")).split())


def is_spoiler_heading(text: str) -> bool:
    """'Spoilers', 'The ending (spoilers!)' yes; 'Spoiler-free review', 'No spoilers' no."""
    words = _words(text)
    return bool(_SPOILER_WORD.search(words)) and not _NEGATED.search(words)


def is_warning_line(line: str) -> bool:
    """A line that does nothing but warn: '**Spoilers below**', 'Warning: major spoilers ahead!'."""
    return len(line) <= _MAX_WARNING_LINE and bool(_WARNING_LINE.fullmatch(_words(line)))


def _structure(document: Document) -> Iterator[tuple[str, int, int, int, str]]:
    """(what, start, end, level, text) in order: headings, rules, and each prose line of other blocks."""
    prose = document.prose
    for block in document.blocks:
        check_stop()
        if block.kind is BlockKind.heading:
            yield "heading", block.start, block.end, block.level, prose[block.start : block.end]
        elif block.kind is BlockKind.rule:
            yield "rule", block.start, block.end, 0, ""
        elif block.ranges:
            piece_start = block.ranges[0][0]
            for start, content_end, _ in lines(prose[piece_start : block.end]):
                check_stop()
                content = prose[piece_start + start : piece_start + content_end].lstrip(BOM).strip()
                if content:
                    yield "line", piece_start + start, piece_start + content_end, 0, content


def warning_regions(document: Document) -> list[Region]:
    """Spoiler-warning sections, the warning included.

    A heading that announces spoilers covers everything up to the next heading of the same or a
    higher level. A line that only warns ('Spoilers below') covers everything up to the next
    heading or thematic break, or through an 'End of spoilers' line; else to the end. Structure
    comes from the document, so a '# spoilers' line inside code is code, and a setext heading
    (``Spoilers`` over ``---``) is a heading.
    """
    regions: list[Region] = []
    open_at: int | None = None
    level = 0  # of the open heading section; 0 for a warning-line section
    for what, start, end, heading_level, content in _structure(document):
        if open_at is not None:
            if level and what == "heading" and heading_level <= level:
                regions.append(Region(open_at, start, "spoiler heading"))
                open_at = None
            elif not level and what in ("heading", "rule"):
                regions.append(Region(open_at, start, "spoiler warning"))
                open_at = None
            elif not level and what == "line" and _END_OF_SPOILERS.fullmatch(_words(content)):
                regions.append(Region(open_at, end, "spoiler warning"))
                open_at = None
                continue
        if open_at is None:
            if what == "heading" and is_spoiler_heading(_heading_text(document, start, end)):
                open_at, level = start, heading_level
            elif what == "line" and is_warning_line(content):
                open_at, level = start, 0
    if open_at is not None:
        regions.append(Region(open_at, len(document.text), "spoiler heading" if level else "spoiler warning"))
    return regions


_HEADING_MARKUP = re.compile(r"^\s*#{1,6}(?=\s|$)|<[^<>]*>")  # "<[^>]*>" read to the end from each "<"


def _heading_text(document: Document, start: int, end: int) -> str:
    """A heading's words: '#' markers and tags of a plain-text heading dropped."""
    return _HEADING_MARKUP.sub(" ", document.prose[start:end])


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True, slots=True)
class Markup:
    """One spoiler style: how a writer is told to use it, how it is found, and how it is written.

    ``wrap`` is (opening, closing) for styles that wrap the hidden text; ``block`` and ``label``
    replace it instead; ``warning`` is found only.
    """

    style: Style
    hint: str
    find: Callable[[Document], list[Region]]
    wrap: tuple[str, str] | None = None


MARKUP: dict[Style, Markup] = {
    Style.block: Markup(Style.block, "████", _pattern(_BLOCKED, "block")),
    Style.label: Markup(Style.label, "[spoiler]", _pattern(_LABEL, "label")),
    Style.reddit: Markup(Style.reddit, ">!…!<", _reddit, (">!", "!<")),
    Style.discord: Markup(Style.discord, "||…||", _pattern(_DISCORD, "discord"), ("||", "||")),
    Style.bbcode: Markup(Style.bbcode, "[spoiler]…[/spoiler]", _bbcode(("spoiler",), "bbcode"),
                         ("[spoiler]", "[/spoiler]")),
    Style.discourse: Markup(Style.discourse, "[spoiler]…[/spoiler]", _bbcode(("spoiler", "details"), "bbcode")),
    Style.html: Markup(Style.html, '<span class="spoiler">…</span>', _html, ('<span class="spoiler">', "</span>")),
    Style.warning: Markup(Style.warning, "a heading that says 'Spoilers'", warning_regions),
}


def blocked(piece: str) -> str:
    """Block style: every character but a line break becomes █ (same length, layout kept)."""
    return "".join(ch if ch in "\r\n" else "\u2588" for ch in piece)


def marked_regions(document: Document | str, styles: Iterable[Style] = ALL_STYLES) -> list[Region]:
    """Text the writer already hid, markup included, for the given styles, in offset order.

    A plain string is read as plain text.
    """
    if isinstance(document, str):
        document = parse(document)
    found: list[Region] = []
    for style in dict.fromkeys(Style(s) for s in styles):
        check_stop()
        found += MARKUP[style].find(document)
    return sorted(found, key=lambda r: (r.start, r.end))


def pragma_regions(text: str) -> tuple[list[Region], list[int]]:
    """Pragma comments and ``off``…``on`` blocks, and the offsets after each ``ignore`` pragma.

    ``off`` without a later ``on`` runs to the end of the review; a stray ``on`` does nothing.
    """
    regions: list[Region] = []
    ignores: list[int] = []
    off_at: int | None = None
    for match in _PRAGMA.finditer(text):
        check_stop()
        regions.append(Region(match.start(), match.end(), "pragma"))
        verb = match.group(1).lower()
        if verb == "off" and off_at is None:
            off_at = match.start()
        elif verb == "on" and off_at is not None:
            regions.append(Region(off_at, match.end(), "spoilerscan: off"))
            off_at = None
        elif verb == "ignore" and off_at is None:
            ignores.append(match.end())
    if off_at is not None:
        regions.append(Region(off_at, len(text), "spoilerscan: off"))
    return regions, ignores


@lru_cache(maxsize=16)
def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for the allowed phrases; any whitespace matches any whitespace."""
    alternatives = []
    for phrase in phrases:
        words = phrase.split()
        if not words:
            continue
        body = r"\s+".join(re.escape(word) for word in words)
        before = r"(?<!\w)" if re.match(r"\w", words[0]) else ""
        after = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
        alternatives.append(before + body + after)
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def allowed_regions(text: str, phrases: Sequence[str]) -> list[Region]:
    """Occurrences of phrases the project has allowed (a title, a well-known line)."""
    pattern = phrase_pattern(tuple(phrases))
    return [Region(m.start(), m.end(), "allowed phrase") for m in pattern.finditer(text)] if pattern else []


@dataclass(frozen=True, slots=True)
class Exemptions:
    """What of a review is not scored (in offset order) and where ``ignore`` pragmas stand."""

    regions: tuple[Region, ...]
    ignore_after: tuple[int, ...]  # each suppresses the first scored sentence starting at or after it


def exemptions(document: Document, styles: Iterable[Style] = ALL_STYLES,
               allowed_phrases: Sequence[str] = ()) -> Exemptions:
    """Find what is marked, switched off or allowed in a review."""
    pragmas, ignores = pragma_regions(document.text)
    regions = sorted([*marked_regions(document, styles), *pragmas, *allowed_regions(document.text, allowed_phrases)],
                     key=lambda r: (r.start, r.end))
    # An ignore pragma that is itself inside marked text has nothing to do: a bisection over the
    # other regions' starts and the furthest end reached so far, not a walk through all of them.
    marked = [r for r in regions if r.reason != "pragma"]
    starts = [r.start for r in marked]
    reach = list(itertools.accumulate((r.end for r in marked), max))
    ignores = [at for at in ignores if not (index := bisect_left(starts, at)) or reach[index - 1] < at]
    return Exemptions(tuple(regions), tuple(ignores))


def blank(text: str, regions: Iterable[Region | tuple[int, int]]) -> str:
    """``text`` with every region's characters turned into spaces; line breaks kept, length kept."""
    parts: list[str] = []
    cursor = 0
    spans = sorted((r.start, r.end) if isinstance(r, Region) else r for r in regions)
    for start, end in spans:
        check_stop()
        start = max(start, cursor)
        if end <= start:
            continue
        parts.append(text[cursor:start])
        parts.append(re.sub(r"[^\r\n]", " ", text[start:end]))
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def how_to_mark(styles: Sequence[Style], pragma: str, count: int = 1) -> str:
    """The hint that ends each ``check`` message: how to mark the sentence (``count`` of them), or how
    to let it pass."""
    # Inline markup is the smallest fix, so it is suggested before a warning heading; replacing
    # the sentence (block, label) is the last resort.
    order = {Style.warning: 1, Style.block: 2, Style.label: 2}
    ordered = sorted(styles, key=lambda s: order.get(s, 0))
    it, spoiler, fine = ("it", "a spoiler", "it if it is fine") if count == 1 else ("them", "spoilers",
                                                                                "each one that is fine")
    mark = f"mark {it} as {spoiler} ({MARKUP[ordered[0]].hint})" if ordered else f"rewrite {it}"
    return f"{mark}, or put {pragma} before {fine}"
