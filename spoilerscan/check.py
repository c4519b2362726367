"""The pre-publish gate behind ``spoilerscan check``: report spoilers the writer has not marked.

A review passes when every sentence the model flags is already hidden by its writer. Text that
is marked (spoiler markup, a spoiler-warning section), switched off by a pragma or matched by an
allowed phrase is blanked out before the review is split and scored: each such character becomes
a space (line breaks stay), so the offsets, lines and columns of the rest do not move and only
the unmarked remainder of a sentence is ever scored. The rules are documented in docs/check.md.
"""

from __future__ import annotations

import glob
import json
import os
import re
import tomllib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from rich.text import Text

from spoilerscan import __version__
from spoilerscan.detect import ScoredSentence, Scorer, annotate_stream
from spoilerscan.errors import SpoilerscanError
from spoilerscan.inputs import REVIEW_SUFFIXES, STDIN
from spoilerscan.segment import BOM


class ConfigError(SpoilerscanError):
    """``[tool.spoilerscan]`` is malformed or has a key or value we do not know."""


class MarkupStyle(StrEnum):
    """Ways a writer can mark a spoiler; ``style`` chooses the ones the publishing site renders."""

    reddit = "reddit"  # >!…!<
    discord = "discord"  # ||…||
    bbcode = "bbcode"  # [spoiler]…[/spoiler], [spoiler=Title]…[/spoiler]
    discourse = "discourse"  # [spoiler]…[/spoiler] and [details="…"]…[/details]
    html = "html"  # <details>…</details>, any element whose class mentions "spoiler"
    warning = "warning"  # a heading or a line that warns of spoilers, and the text under it


ALL_STYLES: tuple[MarkupStyle, ...] = tuple(MarkupStyle)
# How each style's writer is told to mark a sentence (the first configured style is suggested).
_HOW_TO_MARK = {
    MarkupStyle.reddit: ">!…!<",
    MarkupStyle.discord: "||…||",
    MarkupStyle.bbcode: "[spoiler]…[/spoiler]",
    MarkupStyle.discourse: "[spoiler]…[/spoiler]",
    MarkupStyle.html: '<span class="spoiler">…</span>',
    MarkupStyle.warning: "a heading that says 'Spoilers'",
}
DEFAULT_INCLUDE = tuple(f"*{suffix}" for suffix in REVIEW_SUFFIXES)
RULE_ID = "unmarked-spoiler"
IGNORE_PRAGMA = "<!-- spoilerscan: ignore -->"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


# --------------------------------------------------------------------------- exempt regions


@dataclass(frozen=True, slots=True)
class Region:
    """Characters [start, end) of a review that are not scored, and why (markup included)."""

    start: int
    end: int
    reason: str


# Inline markup stays inside one paragraph: it never crosses a blank line.
_NO_BLANK_LINE = r"(?:(?!\n[ \t]*\r?\n)[\s\S])"
_REDDIT = re.compile(rf">!{_NO_BLANK_LINE}+?!<")
_DISCORD = re.compile(rf"\|\|(?:(?!\|\|){_NO_BLANK_LINE})+?\|\|")
_BBCODE_OPEN = re.compile(r"\[(spoiler|details)(?:[= ][^\]\r\n]*)?\]", re.IGNORECASE)
_HTML_OPEN = re.compile(r"<([a-z][a-z0-9-]*)(\s[^<>]*)?>", re.IGNORECASE)
_HTML_CLASS = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_PRAGMA = re.compile(r"<!--\s*spoilerscan:\s*(ignore|off|on)\s*-->", re.IGNORECASE)
_BBCODE_TAGS = {MarkupStyle.bbcode: {"spoiler"}, MarkupStyle.discourse: {"spoiler", "details"}}


def _balanced_end(text: str, pos: int, tag: re.Pattern[str]) -> int | None:
    """End of the closing tag that balances an opening tag ending at ``pos``; None if unclosed."""
    depth = 1
    for match in tag.finditer(text, pos):
        if match.group(0).endswith("/>"):
            continue
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return match.end()
    return None


def _paired_regions(text: str, opener: re.Pattern[str], accept: Callable[[re.Match[str]], bool],
                    tag: Callable[[str], re.Pattern[str]], reason: str) -> list[Region]:
    """Regions from an accepted opening tag to its balancing closing tag (nesting counted)."""
    regions: list[Region] = []
    covered = 0
    for match in opener.finditer(text):
        if match.start() < covered or match.group(0).endswith("/>") or not accept(match):
            continue
        end = _balanced_end(text, match.end(), tag(match.group(1)))
        if end is not None:  # unclosed markup hides nothing on the page, so it marks nothing
            regions.append(Region(match.start(), end, reason))
            covered = end
    return regions


@lru_cache(maxsize=64)
def _bbcode_tag(name: str) -> re.Pattern[str]:
    return re.compile(rf"\[(/?){re.escape(name)}(?:[= ][^\]\r\n]*)?\]", re.IGNORECASE)


@lru_cache(maxsize=64)
def _html_tag(name: str) -> re.Pattern[str]:
    return re.compile(rf"<(/?){re.escape(name)}(?:\s[^<>]*)?>", re.IGNORECASE)


def _is_spoiler_element(match: re.Match[str]) -> bool:
    if match.group(1).lower() == "details":
        return True
    attributes = _HTML_CLASS.search(match.group(2) or "")
    return attributes is not None and "spoiler" in "".join(filter(None, attributes.groups())).lower()


# Spoiler-warning sections: a heading that announces spoilers, or a line that only warns.
_ATX_HEADING = re.compile(r"[ \t]{0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*")
_HTML_HEADING = re.compile(r"\s*<h([1-6])\b[^>]*>(.*?)</h\1\s*>.*", re.IGNORECASE)
_THEMATIC_BREAK = re.compile(r"[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*")
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


def _heading(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX (``## …``) or one-line HTML (``<h2>…</h2>``) heading."""
    match = _ATX_HEADING.fullmatch(line) or _HTML_HEADING.fullmatch(line)
    return (len(match.group(1)) if match.group(1).startswith("#") else int(match.group(1)),
            match.group(2) or "") if match else None


def is_spoiler_heading(text: str) -> bool:
    """'Spoilers', 'The ending (spoilers!)' yes; 'Spoiler-free review', 'No spoilers' no."""
    words = _words(text)
    return bool(_SPOILER_WORD.search(words)) and not _NEGATED.search(words)


def is_warning_line(line: str) -> bool:
    """A line that does nothing but warn: '**Spoilers below**', 'Warning: major spoilers ahead!'."""
    return len(line) <= _MAX_WARNING_LINE and bool(_WARNING_LINE.fullmatch(_words(line)))


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, content) of each line; CRLF, LF and a lone CR end a line."""
    start = 0
    for match in re.finditer(r"\r\n|\r|\n", text):
        yield start, match.end(), text[start : match.start()]
        start = match.end()
    if start < len(text):
        yield start, len(text), text[start:]


def warning_regions(text: str) -> list[Region]:
    """Spoiler-warning sections, the warning included.

    A heading that announces spoilers covers everything up to the next heading of the same or a
    higher level. A line that only warns ('Spoilers below') covers everything up to the next
    heading or thematic break (``---``), or through an 'End of spoilers' line; else to the end.
    """
    regions: list[Region] = []
    open_at: int | None = None
    level = 0  # of the open heading section; 0 for a warning-line section
    for start, end, line in _lines(text):
        content = line.lstrip(BOM)
        heading = _heading(content)
        if open_at is not None:
            if level and heading and heading[0] <= level:
                regions.append(Region(open_at, start, "spoiler heading"))
                open_at = None
            elif not level and (heading or _THEMATIC_BREAK.fullmatch(content)):
                regions.append(Region(open_at, start, "spoiler warning"))
                open_at = None
            elif not level and _END_OF_SPOILERS.fullmatch(_words(content)):
                regions.append(Region(open_at, end, "spoiler warning"))
                open_at = None
                continue
        if open_at is None:
            if heading and is_spoiler_heading(heading[1]):
                open_at, level = start, heading[0]
            elif not heading and is_warning_line(content):
                open_at, level = start, 0
    if open_at is not None:
        regions.append(Region(open_at, len(text), "spoiler heading" if level else "spoiler warning"))
    return regions


def marked_regions(text: str, styles: Iterable[MarkupStyle] = ALL_STYLES) -> list[Region]:
    """Text the writer already hid, markup included, for the given styles, in offset order."""
    styles = set(styles)
    regions: list[Region] = []
    if MarkupStyle.reddit in styles:
        regions += [Region(m.start(), m.end(), "reddit") for m in _REDDIT.finditer(text)]
    if MarkupStyle.discord in styles:
        regions += [Region(m.start(), m.end(), "discord") for m in _DISCORD.finditer(text)]
    tags = set().union(*(_BBCODE_TAGS.get(style, set()) for style in styles))
    if tags:
        regions += _paired_regions(text, _BBCODE_OPEN, lambda m: m.group(1).lower() in tags, _bbcode_tag, "bbcode")
    if MarkupStyle.html in styles:
        regions += _paired_regions(text, _HTML_OPEN, _is_spoiler_element, _html_tag, "html")
    if MarkupStyle.warning in styles:
        regions += warning_regions(text)
    return sorted(regions, key=lambda r: (r.start, r.end))


def pragma_regions(text: str) -> tuple[list[Region], list[int]]:
    """Pragma comments and ``off``…``on`` blocks, and the offsets after each ``ignore`` pragma.

    ``off`` without a later ``on`` runs to the end of the review; a stray ``on`` does nothing.
    """
    regions: list[Region] = []
    ignores: list[int] = []
    off_at: int | None = None
    for match in _PRAGMA.finditer(text):
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


def blank(text: str, regions: Iterable[Region]) -> str:
    """``text`` with every region's characters turned into spaces; line breaks kept, length kept."""
    parts: list[str] = []
    cursor = 0
    for region in sorted(regions, key=lambda r: r.start):
        start = max(region.start, cursor)
        if region.end <= start:
            continue
        parts.append(text[cursor:start])
        parts.append(re.sub(r"[^\r\n]", " ", text[start : region.end]))
        cursor = region.end
    parts.append(text[cursor:])
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A review made ready to score: ``scorable`` is the text with all exempt regions blanked."""

    text: str
    scorable: str
    exempt: list[Region]
    ignore_after: list[int]  # each suppresses the first scorable sentence starting at or after it


def prepare(text: str, styles: Iterable[MarkupStyle] = ALL_STYLES, allowed_phrases: Sequence[str] = ()) -> Prepared:
    """Find what is marked, switched off or allowed, and blank it so that only the rest is scored."""
    pragmas, ignores = pragma_regions(text)
    exempt = sorted([*marked_regions(text, styles), *pragmas, *allowed_regions(text, allowed_phrases)],
                    key=lambda r: (r.start, r.end))
    # An ignore pragma that is itself inside marked text has nothing to do.
    ignores = [at for at in ignores if not any(r.start < at <= r.end and r.reason != "pragma" for r in exempt)]
    return Prepared(text, blank(text, exempt), exempt, ignores)


# Sentences whose unmarked remainder has no letter or digit ("…", a lone ".") are not scored.
_WORDY = re.compile(r"[^\W_]")


def reportable(prepared: Prepared, sentences: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """The sentences that count: something unmarked left in them, and no ignore pragma before them."""
    candidates = [s for s in sentences if _WORDY.search(s.text)]
    starts = [s.start for s in candidates]
    ignored = {bisect_left(starts, at) for at in prepared.ignore_after}
    return [s for i, s in enumerate(candidates) if i not in ignored]


# --------------------------------------------------------------------------- positions


class LineIndex:
    """Maps character offsets to 1-based (line, column), counting columns in characters.

    CRLF, LF and a lone CR each end one line; a BOM at the start does not shift line 1's columns.
    """

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]
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


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True, slots=True)
class Finding:
    """An unmarked sentence the model scored at or above the reporting threshold."""

    path: str
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int
    score: float
    text: str  # the unmarked text that was scored, whitespace collapsed
    failing: bool  # at or above the fail threshold: fails the build

    @property
    def severity(self) -> str:
        return "error" if self.failing else "warning"


@dataclass(frozen=True, slots=True)
class FileReport:
    path: str
    findings: list[Finding]
    sentences: int  # unmarked sentences scored


@dataclass(frozen=True, slots=True)
class Report:
    """Everything one run found, ready for a formatter."""

    files: list[FileReport]
    threshold: float
    fail_threshold: float
    styles: tuple[MarkupStyle, ...] = ALL_STYLES
    unreadable: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for report in self.files for f in report.findings]

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.failing]


def resolve_thresholds(threshold: float | None, fail_threshold: float | None, config: CheckConfig,
                       model_threshold: float) -> tuple[float, float]:
    """(report, fail) thresholds: option, else config, else the model's own.

    The fail threshold defaults to the reporting one; a fail threshold below the reporting one
    lowers the reporting one too, so that nothing can fail the build without being reported.
    """
    report = next(t for t in (threshold, config.threshold, model_threshold) if t is not None)
    fail = next(t for t in (fail_threshold, config.fail_threshold, report) if t is not None)
    return min(report, fail), fail


def file_report(path: str, prepared: Prepared, sentences: Sequence[ScoredSentence], threshold: float,
                fail_threshold: float) -> FileReport:
    """Findings of one review from its scored sentences."""
    counted = reportable(prepared, sentences)
    lines = LineIndex(prepared.text)
    findings = [
        Finding(path, s.start, s.end, *lines.span(s.start, s.end), s.score, shown(prepared, s.start, s.end),
                s.score >= fail_threshold)
        for s in counted if s.score >= threshold
    ]
    return FileReport(path, findings, len(counted))


def shown(prepared: Prepared, start: int, end: int) -> str:
    """A sentence as reported: whitespace collapsed, and each exempt part inside it shown as '…'."""
    parts: list[str] = []
    cursor = start
    for region in prepared.exempt:
        if region.end <= cursor or region.start >= end:
            continue
        if region.start > cursor:
            parts.append(prepared.text[cursor : region.start])
        if not parts or parts[-1] != "…":
            parts.append("…")
        cursor = min(max(cursor, region.end), end)
    parts.append(prepared.text[cursor:end])
    return " ".join("".join(parts).split())


def check_texts(texts: Iterable[tuple[str, str]], scorer: Scorer, threshold: float, fail_threshold: float,
                styles: Iterable[MarkupStyle] = ALL_STYLES, allowed_phrases: Sequence[str] = (),
                context: bool = False) -> Iterator[FileReport]:
    """Check (name, text) reviews in order, scoring the unmarked sentences of all of them in shared batches.

    ``scorer`` is any callable from sentences to spoiler probabilities (``Detector.score``, or a
    stub in tests); with ``context`` it also gets each sentence's neighbours.
    """
    styles = tuple(styles)
    allowed = tuple(allowed_phrases)

    def prepared() -> Iterator[tuple[object, str]]:
        for name, text in texts:
            ready = prepare(text, styles, allowed)
            yield (name, ready), ready.scorable

    for key, _, annotation in annotate_stream(prepared(), scorer, threshold, context=context):
        name, ready = key  # type: ignore[misc]
        yield file_report(name, ready, annotation.sentences, threshold, fail_threshold)


# --------------------------------------------------------------------------- configuration


CONFIG_KEYS = ("threshold", "fail-threshold", "style", "include", "exclude", "allowed-phrases", "model")


@dataclass(frozen=True, slots=True)
class CheckConfig:
    """``[tool.spoilerscan]`` settings; globs and ``model`` are relative to ``root``."""

    threshold: float | None = None
    fail_threshold: float | None = None
    styles: tuple[MarkupStyle, ...] = ALL_STYLES
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    allowed_phrases: tuple[str, ...] = ()
    model: Path | None = None
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML ({error})") from None


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` upward from ``start`` (the current directory) with ``[tool.spoilerscan]``.

    Like ruff, a ``pyproject.toml`` without the table is passed over, so a review folder inside a
    bigger project finds the project's settings.
    """
    directory = Path(start if start is not None else Path.cwd()).absolute()
    for folder in (directory, *directory.parents):
        candidate = folder / "pyproject.toml"
        try:
            raw = candidate.read_text(encoding="utf-8") if candidate.is_file() else ""
        except (OSError, UnicodeDecodeError):
            raw = ""
        if "spoilerscan" in raw and "spoilerscan" in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def parse_styles(values: str | Iterable[str], where: str = "--style") -> tuple[MarkupStyle, ...]:
    """Styles from names (a list, or comma-separated); 'all' means every style."""
    names = [values] if isinstance(values, str) else list(values)
    styles: list[MarkupStyle] = []
    for name in (part.strip().lower() for value in names for part in str(value).split(",")):
        if name == "all":
            styles.extend(ALL_STYLES)
        elif name in MarkupStyle.__members__:
            styles.append(MarkupStyle(name))
        elif name:
            raise ConfigError(f"{where}: unknown style '{name}' (choose from {', '.join(ALL_STYLES)}, all)")
    return tuple(dict.fromkeys(styles))


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _fraction(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{where}: '{key}' must be a number from 0 to 1")
    return float(value)


def load_config(path: Path | None) -> CheckConfig:
    """Settings from ``[tool.spoilerscan]`` of ``path`` (defaults when None); any mistake is a ConfigError."""
    if path is None:
        return CheckConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    table = _read_toml(path).get("tool", {}).get("spoilerscan")
    where = f"{path}: [tool.spoilerscan]"
    if table is None:
        raise ConfigError(f"{path}: has no [tool.spoilerscan] table")
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = [key for key in table if key not in CONFIG_KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (known keys: {', '.join(CONFIG_KEYS)})")
    root = path.parent.absolute()
    values: dict[str, Any] = {"root": root, "source": path}
    if "threshold" in table:
        values["threshold"] = _fraction(table["threshold"], "threshold", where)
    if "fail-threshold" in table:
        values["fail_threshold"] = _fraction(table["fail-threshold"], "fail-threshold", where)
    if "style" in table:
        style = table["style"]
        values["styles"] = parse_styles(style if isinstance(style, str) else _strings(style, "style", where),
                                        f"{where}: 'style'")
    for key in ("include", "exclude", "allowed-phrases"):
        if key in table:
            values[key.replace("-", "_")] = _strings(table[key], key, where)
    if "model" in table:
        if not isinstance(table["model"], str):
            raise ConfigError(f"{where}: 'model' must be a path string")
        values["model"] = root / table["model"]
    return CheckConfig(**values)


# --------------------------------------------------------------------------- input paths


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex: ``*`` and ``?`` stay within a folder, ``**`` spans folders."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (close := pattern.find("]", i + 2)) > 0:
            body = pattern[i + 1 : close]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = close + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def matches_glob(pattern: str, path: PurePosixPath, whole_tree: bool) -> bool:
    """Whether a config glob matches a root-relative path.

    A pattern without '/' matches a file name (with ``whole_tree``: any folder name on the way
    too); one with '/' matches the relative path (with ``whole_tree``: or any folder above it).
    """
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    if not pattern:
        return False
    if "/" not in pattern:
        return any(fnmatchcase(part, pattern) for part in (path.parts if whole_tree else (path.name,)))
    regex = _glob_regex(pattern.lstrip("/"))
    candidates = [path, *(path.parents if whole_tree else ())]
    return any(regex.fullmatch(str(c)) for c in candidates if str(c) != ".")


def _relative(path: str, root: Path) -> PurePosixPath:
    absolute = Path(os.path.abspath(path))
    try:
        return PurePosixPath(absolute.relative_to(root).as_posix())
    except ValueError:
        return PurePosixPath(Path(path).as_posix())


def is_excluded(path: str, config: CheckConfig) -> bool:
    relative = _relative(path, config.root)
    return any(matches_glob(pattern, relative, whole_tree=True) for pattern in config.exclude)


def _walk(top: str, config: CheckConfig) -> Iterator[str]:
    """Files under ``top`` that ``include`` matches and ``exclude`` does not; hidden entries skipped."""
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not is_excluded(os.path.join(folder, d), config))
        for name in sorted(files):
            path = os.path.join(folder, name)
            relative = _relative(path, config.root)
            if (not name.startswith(".") and any(matches_glob(p, relative, False) for p in config.include)
                    and not is_excluded(path, config)):
                yield path


def expand_paths(names: Sequence[str], recursive: bool, config: CheckConfig) -> list[str]:
    """Command-line paths as the review names to check, each once, in order.

    Nothing means stdin. Globs and directories (with ``recursive``) are expanded; directory
    contents must match ``include``; ``exclude`` applies to every file, also one named outright
    (so pre-commit honours it). Names that do not exist are kept so that reading reports them.
    """
    if not names:
        return [STDIN]
    found: dict[str, None] = {}
    for name in names:
        if name != STDIN and not os.path.exists(name) and glob.has_magic(name):
            matches = sorted(glob.glob(name, recursive=True))
            if not matches:
                found[name] = None
            for match in matches:
                if os.path.isdir(match) and recursive:
                    found.update(dict.fromkeys(_walk(match, config)))
                elif os.path.isfile(match) and not is_excluded(match, config):
                    found[match] = None
        elif recursive and os.path.isdir(name):
            found.update(dict.fromkeys(_walk(name, config)))
        elif name == STDIN or not os.path.isfile(name) or not is_excluded(name, config):
            found[name] = None
    return list(found)


# --------------------------------------------------------------------------- output formats


def how_to_mark(styles: Sequence[MarkupStyle]) -> str:
    """The hint that ends each message: how to mark the sentence, or how to let it pass."""
    # Inline markup is the smallest fix, so it is suggested before a warning heading.
    ordered = sorted(styles, key=lambda s: s is MarkupStyle.warning)
    mark = f"mark it as a spoiler ({_HOW_TO_MARK[ordered[0]]})" if ordered else "rewrite it"
    return f"{mark}, or put {IGNORE_PRAGMA} before it if it is fine"


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_text(report: Report) -> Text:
    """Compiler-style lines, ``path:line:col: error: …``; styled, for a terminal that shows colour."""
    out = Text()
    for f in report.findings:
        out.append(f.path, style="bold")
        out.append(f":{f.line}:{f.column}:", style="dim")
        out.append(f" {f.severity}:", style="bold red" if f.failing else "bold yellow")
        out.append(f" unmarked spoiler (score {f.score:.2f}): ")
        out.append(_clip(f.text), style="red" if f.failing else "yellow")
        out.append("\n")
    return out


def as_dict(report: Report) -> dict[str, Any]:
    """The JSON document: findings with 1-based positions (end column exclusive) and a summary."""
    return {
        "version": 1,
        "threshold": report.threshold,
        "fail_threshold": report.fail_threshold,
        "findings": [
            {"path": f.path, "line": f.line, "column": f.column, "end_line": f.end_line, "end_column": f.end_column,
             "start": f.start, "end": f.end, "score": round(f.score, 6), "severity": f.severity, "text": f.text}
            for f in report.findings
        ],
        "files": [{"path": r.path, "sentences": r.sentences, "findings": len(r.findings)} for r in report.files],
        "summary": {
            "files": len(report.files),
            "sentences": sum(r.sentences for r in report.files),
            "findings": len(report.findings),
            "errors": len(report.failing),
            "warnings": len(report.findings) - len(report.failing),
            "unreadable": list(report.unreadable),
        },
    }


def format_json(report: Report) -> str:
    return json.dumps(as_dict(report), ensure_ascii=False, indent=2) + "\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_github(report: Report) -> str:
    """GitHub Actions workflow commands: each finding shows inline on the pull request's diff."""
    hint = how_to_mark(report.styles)
    lines = []
    for f in report.findings:
        properties = {"file": f.path.replace(os.sep, "/"), "line": f.line, "col": f.column, "endLine": f.end_line,
                      "endColumn": f.end_column, "title": f"Unmarked spoiler (score {f.score:.2f})"}
        fields = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
        lines.append(f"::{f.severity} {fields}::{_escape_data(_clip(f.text))} ({hint})")
    return "".join(line + "\n" for line in lines)


def _artifact(path: str) -> dict[str, str]:
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path.replace(os.sep, "/"), safe="/"), "uriBaseId": "%SRCROOT%"}


def as_sarif(report: Report) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; columns are counted in Unicode code points."""
    hint = how_to_mark(report.styles)
    rule = {
        "id": RULE_ID,
        "name": "UnmarkedSpoiler",
        "shortDescription": {"text": "A review gives the story away in a sentence that is not marked as a spoiler."},
        "fullDescription": {"text": "spoilerscan's model scored this unmarked sentence as a spoiler. Readers see "
                                    "it before they choose to."},
        "help": {"text": f"To fix: {hint}. Rules for marked text: docs/check.md."},
        "defaultConfiguration": {"level": "error"},
    }
    results = []
    for f in report.findings:
        results.append({
            "ruleId": RULE_ID,
            "ruleIndex": 0,
            "level": f.severity,
            "message": {"text": f"Unmarked spoiler (score {f.score:.2f}): {_clip(f.text)}"},
            "locations": [{"physicalLocation": {
                "artifactLocation": _artifact(f.path),
                "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line,
                           "endColumn": f.end_column},
            }}],
            "rank": round(f.score * 100, 2),
            "properties": {"score": round(f.score, 6)},
        })
    invocation: dict[str, Any] = {"executionSuccessful": not report.unreadable}
    if report.unreadable:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": f"could not read {name}"}} for name in report.unreadable]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "spoilerscan", "version": __version__, "semanticVersion": __version__,
                                "rules": [rule]}},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"threshold": report.threshold, "failThreshold": report.fail_threshold},
        }],
    }


def format_sarif(report: Report) -> str:
    return json.dumps(as_sarif(report), ensure_ascii=False, indent=2) + "\n"


FORMATTERS: dict[str, Callable[[Report], str]] = {
    "text": lambda report: format_text(report).plain,
    "json": format_json,
    "github": format_github,
    "sarif": format_sarif,
}


def summary(report: Report) -> str:
    """One line for stderr: what was found, in how many files."""
    files = len(report.files)
    hit = sum(1 for r in report.files if r.findings)
    unread = f"; {len(report.unreadable)} could not be read" if report.unreadable else ""
    if not report.findings:
        return f"no unmarked spoilers in {files} file{'s' if files != 1 else ''}{unread}"
    errors, warnings = len(report.failing), len(report.findings) - len(report.failing)
    counts = ", ".join(part for part in (f"{errors} failing" if errors else "",
                                         f"{warnings} below the fail threshold" if warnings else "") if part)
    return (f"{len(report.findings)} unmarked spoiler{'s' if len(report.findings) != 1 else ''} ({counts}) "
            f"in {hit} of {files} file{'s' if files != 1 else ''}{unread}; to fix: {how_to_mark(report.styles)}")
