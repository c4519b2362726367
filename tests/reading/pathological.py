"""Pathological inputs for the readers, as cmark's pathological tests build them: a unit repeated to
a size, so that a reader whose time grows faster than its input shows it between N and 4N bytes.

Each family ends with a sentence on the same line (``SENTINEL``): where the family's markup is
left unclosed it must still read as text, so the sentence is scored (``sentinel_scored``), as on
the page. Shared by tests/reading/test_pathological.py (work counted, not timed) and
benchmarks/adversarial.py (whole ``spoilerscan scan`` processes, timed).
"""

from __future__ import annotations

from dataclasses import dataclass

SENTINEL = " In the end he dies."


@dataclass(frozen=True)
class Family:
    name: str
    unit: str
    format: str  # how it is read: text, markdown or html (the benchmark's file suffix)
    sentinel_scored: bool = True  # False where the family legitimately hides what follows it
    prefix: str = ""  # written once before the repetition

    def build(self, size: int) -> str:
        """The prefix, the unit repeated to ``size`` characters (whole units), then the sentinel."""
        return self.prefix + self.unit * max(1, size // len(self.unit)) + SENTINEL


FAMILIES: tuple[Family, ...] = (
    # the list
    Family("unclosed [spoiler]", "[spoiler]", "text"),
    Family("unclosed >!", ">!", "text"),
    Family("unclosed ||", "|| a ", "text", sentinel_scored=False),  # pairs close each other: the last may hide it
    Family("unclosed <details> (Markdown)", "<details>", "markdown"),
    Family("unclosed <details> (HTML)", "<details>", "html"),
    Family("unclosed <div> (HTML)", "<div>", "html"),
    Family("unclosed <div> (Markdown)", "<div>", "markdown"),
    # markdown-it reads 20 levels of nesting and drops what is deeper: not read, so not scored (a gap)
    Family("nested lists", "- ", "markdown", sentinel_scored=False),
    Family("nested ordered lists", "1. ", "markdown", sentinel_scored=False),
    Family("nested quotes", "> ", "markdown", sentinel_scored=False),
    Family("one long unpunctuated line", "word ", "text"),
    Family("many tiny paragraphs", "a\n\n", "text"),
    Family("many tiny paragraphs (Markdown)", "a\n\n", "markdown"),
    # found since
    Family("unclosed [spoiler=", "[spoiler=", "text"),
    Family("unclosed BBCode in an attribute", "[details [spoiler]", "text"),
    Family("closing !< alone", "!<", "text"),
    Family("unclosed spoiler <span>", "<span class='spoiler'>", "html"),
    Family("stray end tags inside open ones", "<div></span>", "html"),
    Family("unclosed <a (HTML)", "<a ", "html"),
    Family("unclosed <!-- (HTML)", "<!--", "html"),
    Family("unclosed <!-- (Markdown)", "a <!--", "markdown"),
    Family("unclosed <? (Markdown)", "a <?", "markdown"),
    Family("unclosed <!X (Markdown)", "a <!X", "markdown"),
    Family("unclosed CDATA (Markdown)", "a <![CDATA[", "markdown"),
    Family("unclosed CDATA (HTML)", "<![CDATA[", "html"),
    Family("unclosed end tag (HTML)", "</", "html"),
    Family("unclosed <script> (HTML)", "<script>", "html", sentinel_scored=False),  # raw text to the end
    Family("unclosed emphasis", "*a", "markdown"),
    Family("unclosed strong emphasis", "**a", "markdown"),
    Family("unclosed brackets", "[", "markdown"),
    Family("unclosed image brackets", "![", "markdown"),
    Family("unclosed link targets", "[a](", "markdown"),
    Family("backtick runs", "``a`", "markdown"),
    Family("table pipes", "|a", "markdown"),
    # the last pragma skips the next sentence: the sentinel
    Family("ignore pragmas with marked text", "<!-- spoilerscan: ignore --> >!a!< ", "text", sentinel_scored=False),
    Family("plain-text headings", "# a\n", "text"),
    Family("a heading of unclosed tags", "<", "text", prefix="# "),
    Family("a heading of unclosed tags (Markdown)", "<", "markdown", prefix="# "),
    Family("boundaries without spaces", "!>", "text"),
    Family("lines of one sentence", "He dies.\n", "text"),
    # hypothesis found it: every quote read the rest of the text to keep one line (markdown-it's own rule)
    Family("quoted HTML blocks between lazy lines (Markdown)", "\nx\n> <div>", "markdown", sentinel_scored=False),
    Family("quoted comments between lazy lines (Markdown)", "\n[spoiler]\n> <!--", "markdown", sentinel_scored=False),
)


def family(name: str) -> Family:
    return next(f for f in FAMILIES if f.name == name)
