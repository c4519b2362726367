"""The document model (text.py): line index, formats, blocks and what is prose."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spoilerscan.reading.document import BlockKind, Format, LineIndex, format_for, lines
from spoilerscan.reading.segment import split_sentences
from spoilerscan.reading.text import parse


def test_line_index_counts_characters_and_every_line_break_once() -> None:
    text = "\ufeffé😀 ab\r\nx\ry\nz"
    lines = LineIndex(text)
    assert lines.position(text.index("a")) == (1, 4)  # BOM not counted; é and 😀 are one column each
    assert lines.position(text.index("x")) == (2, 1)
    assert lines.position(text.index("y")) == (3, 1)  # a lone CR ends a line
    assert lines.position(text.index("z")) == (4, 1)
    assert lines.span(text.index("é"), text.index("\r")) == (1, 1, 1, 6)


# --- formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "choice", "expected"), [
    ("review.md", "auto", Format.markdown), ("a/b.MARKDOWN", "auto", Format.markdown),
    ("page.html", "auto", Format.html), ("page.htm", "auto", Format.html), ("notes.txt", "auto", Format.text),
    ("notes.rst", "auto", Format.text), (None, "auto", Format.text), ("review.md", "text", Format.text),
    ("<stdin>", "html", Format.html),
])
def test_format_comes_from_the_suffix_unless_chosen(name: str | None, choice: str, expected: Format) -> None:
    assert format_for(name, choice) is expected


def test_lines_end_at_crlf_lf_and_cr_only() -> None:
    text = "a\r\nb\nc\rd\u2028e\x85f"
    assert [text[start:end] for start, end, _ in lines(text)] == ["a", "b", "c", "d\u2028e\x85f"]


# --- Markdown ---------------------------------------------------------------------------------


def blocks(text: str, fmt: str = "markdown") -> list[tuple[str, list[str]]]:
    document = parse(text, fmt)
    assert len(document.prose) == len(text)
    return [(block.kind.value, [text[a:b] for a, b in block.ranges]) for block in document.blocks]


def test_markdown_blocks_and_their_kinds() -> None:
    text = ("# Title #\n\nSetext\n------\n\nOne *two*\nlazy.\n\n- item\n  more\n1. first\n\n> quote\n> more\n\n"
            "***\n")
    assert blocks(text) == [
        ("heading", ["Title"]), ("heading", ["Setext"]), ("paragraph", ["One *two*", "lazy."]),
        ("list_item", ["item", "more"]), ("list_item", ["first"]), ("quote", ["quote", "more"]), ("rule", [])]
    levels = [b.level for b in parse(text, "markdown").blocks if b.kind is BlockKind.heading]
    assert levels == [1, 2]


def test_markdown_code_is_never_prose() -> None:
    text = "Intro.\n\n```\n# spoilers below\nHe dies.\n```\n\n    indented code dies\n\n~~~python\nx\n~~~\n"
    assert blocks(text) == [("paragraph", ["Intro."]), ("code", []), ("code", []), ("code", [])]
    assert parse(text, "markdown").prose.strip() == "Intro."


def test_markdown_table_cells_are_blocks_and_pipes_are_not_prose() -> None:
    text = "| film | twist |\n|:--|--:|\n| Sense | He was dead. |\n"
    assert blocks(text) == [("table_cell", ["film"]), ("table_cell", ["twist"]), ("table_cell", ["Sense"]),
                            ("table_cell", ["He was dead."])]
    assert "|" not in parse(text, "markdown").prose


def test_markdown_link_targets_tags_and_comments_are_not_prose() -> None:
    text = 'See [the film](https://x.org/a.b "t") and ![Cole](cole.png) <b>now</b> <!-- note --> <https://y.z>.'
    prose = parse(text, "markdown").prose
    assert " ".join(prose.split()) == "See the film and Cole now ."
    tags = parse(text, "markdown").tags
    assert [(t.name, t.closing) for t in tags] == [("[link]", False), ("[link]", True), ("[image]", False),
                                                   ("[image]", True), ("b", False), ("b", True)]


def test_markdown_tags_comments_and_link_targets_over_a_line_break_are_not_prose() -> None:
    text = ('See <a\nhref="https://x.org/dead">the film</a> now. <!-- an editor\'s\nnote --> Then\n'
            '[he dies](https://x.org/a\n"the end") at last.\n')
    prose = parse(text, "markdown").prose
    assert " ".join(prose.split()) == "See the film now. Then he dies at last."
    assert [t.name for t in parse(text, "markdown").tags] == ["a", "a", "[link]", "[link]"]


def test_tags_from_finds_the_first_tag_ending_after_an_offset() -> None:
    text = "A <b>bold</b> [link](u) end."
    document = parse(text, "markdown")
    ends = [t.end for t in document.tags]
    assert ends == sorted(ends) and len(ends) == 4
    for offset in range(len(text) + 1):
        assert document.tags_from(offset) == next((i for i, end in enumerate(ends) if end > offset), len(ends))


def test_a_table_cell_with_escaped_pipes_is_read() -> None:
    text = "| film | twist |\n|---|---|\n| Sense | He \\| the doctor \\| was dead. |\n"
    assert blocks(text)[-1] == ("table_cell", ["He \\| the doctor \\| was dead."])


def test_markdown_front_matter_is_not_prose() -> None:
    text = "---\ntitle: He dies\n---\n# Review\n\nFine.\n"
    assert blocks(text) == [("front_matter", []), ("heading", ["Review"]), ("paragraph", ["Fine."])]


def test_markdown_html_block_is_read_as_html() -> None:
    text = "Fine.\n\n<details>\n<summary>Twist</summary>\nHe dies.\n</details>\n"
    assert blocks(text) == [("paragraph", ["Fine."]), ("html_block", ["Twist"]), ("html_block", ["He dies."])]


def test_markdown_with_bom_and_crlf_keeps_offsets() -> None:
    text = "\ufeff# T\r\n\r\n- a\r\n  b\r\n"
    assert blocks(text) == [("heading", ["T"]), ("list_item", ["a", "b"])]


# --- HTML -------------------------------------------------------------------------------------


def test_html_text_nodes_with_exact_offsets() -> None:
    text = ('<html><head><title>T</title><style>p{color:red}</style></head>\r\n<body><h2 id="s">Spoilers</h2>'
            '<p>He &amp; <b>she</b>\ndie.</p><ul><li>one<li>two</ul><script>var p = "<p>dies</p>";</script>'
            "<pre>code dies</pre><!-- c --><td>cell</td>x<br>y</body></html>")
    document = parse(text, "html")
    assert blocks(text, "html") == [
        ("heading", ["T"]), ("heading", ["Spoilers"]), ("paragraph", ["He &amp;", "she", "die."]),
        ("list_item", ["one"]), ("list_item", ["two"]), ("table_cell", ["cell"]), ("html_block", ["x"]),
        ("html_block", ["y"])]
    assert [b.level for b in document.blocks][:2] == [0, 2]
    assert "dies" not in document.prose and "color" not in document.prose and "<" not in document.prose


def test_html_positions_survive_lone_cr_and_crlf() -> None:
    text = "<p>a</p>\r<p>b</p>\r\n<p>c\rd</p>"
    assert blocks(text, "html") == [("paragraph", ["a"]), ("paragraph", ["b"]), ("paragraph", ["c\rd"])]


def test_plain_text_is_all_prose() -> None:
    text = "# Title\n\n<p>Text</p> | x |\n```\n"
    document = parse(text)
    assert document.prose == text
    assert [b.kind.value for b in document.blocks] == ["heading", "paragraph", "code"]


# --- properties -------------------------------------------------------------------------------

PIECES = st.sampled_from([
    "# ", "## ", "Title", "\n", "\r\n", "\r", "\n\n", "---", "===", "- ", "* ", "1. ", "> ", "| a | b |", "|---|",
    "```", "~~~", "    ", "\t", "[x](http://a.b)", "![i](p.png)", "<b>", "</b>", "<p>", "</p>", "<br>", "<!-- c -->",
    "<script>x</script>", "&amp;", "He dies.", "She lives", "é😀", "\ufeff", "\\", "`code`", "*", "_", "<", ">",
])
SOURCES = st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=50).map("".join))


@settings(max_examples=300, deadline=None)
@given(SOURCES, st.sampled_from(["markdown", "html", "text"]))
@example("<![0", "html")  # Python 3.11's HTMLParser raised on malformed declarations
@example("<![A: x", "html")
def test_blocks_are_ordered_prose_ranges_index_the_text(text: str, fmt: str) -> None:
    document = parse(text, fmt)
    assert len(document.prose) == len(text)
    previous = 0
    for block in document.blocks:
        assert 0 <= block.start <= block.end <= len(text)
        for start, end in block.ranges:
            assert previous <= start < end <= len(text)
            assert document.prose[start:end] == text[start:end]
            previous = end
    blanked = [i for i, (a, b) in enumerate(zip(text, document.prose, strict=True)) if a != b]
    assert all(document.prose[i] == " " and text[i] not in "\r\n" for i in blanked)
    spans = split_sentences(text, fmt)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


# --- the reader's own block rules -------------------------------------------------------------

# Lines that open, continue, interrupt or close each kind of Markdown block, nested or not, with the
# whitespace markdown-it trims (a no-break space, an em space) and a NUL it replaces.
_MARKDOWN_LINES = ["a", "Ab cd.", "- - -", "* * * a", "_ _\t_", "--", "- - - - -", "**", "  ___  ",
                   "é b", "  a", "    a", "\ta", "- a", "* b", "+ c", "1. a", "2) b", "> a", ">a",
                   "# h", "## h ##", "===", "---", "***", "```", "~~~", "<div>", "</div>", "<!-- c", "-->",
                   "<script>", "</script>", "| a | b |", "|---|---|", "a | b", "--|--", "[x]: /u", "[x]",
                   "a [l](u) b", "b <span>c</span>", "", "", " ", "a  ", "a\u00a0", "a\u2003", "x\x00y", "\u00a0a",
                   "  - a", "   b", "      c", ">> q", "> - a", "- > b", "<?php", "?>", "a\\", "Zed >!spoil!<",
                   "\ufeffa", "1.", "-", "b:", "> <div>", "> <!--", "> ```", "> # h", ">     c", "> a  b"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_MARKDOWN_LINES), min_size=1, max_size=40),
       st.sampled_from(["\n", "\r\n", "\r"]))
@example(["a", "", "b", "", "c"], "\n")
@example(["- a", "b", "", "  c", "d"], "\n")
@example(["> a", "b"] * 20 + ["> <div>", "c"] * 5, "\n")  # a quote longer than the first windows, then short ones
@example(["x", "> <div>"] * 20, "\n")
@example(["- - - - a", "* * *", " _\t_ _ ", "- -", "a", "---", "    ***", "-- -"], "\n")
def test_markdown_read_with_the_readers_own_block_rules_reads_as_with_markdown_its(lines_: list[str],
                                                                                  end: str) -> None:
    """The rule that reads a paragraph of lines opening with a letter ahead of markdown-it's own rules
    (1 MB of one-letter paragraphs: 7 s of markdown-it, 2 s with it) and the thematic-break rule without
    a loop per character (1 MB of nested "- ": 8 s) leave every document as it was."""
    _read_as_markdown_it_alone_reads(end.join(lines_))


def _read_as_markdown_it_alone_reads(markdown: str) -> None:
    from spoilerscan.reading import text as reader

    with_rules = reader.parse(markdown, "markdown")
    tokens = reader._markdown_tokens
    try:
        reader._markdown_tokens = lambda body: tokens(body, own_rules=False)  # type: ignore[assignment]
        without = reader.parse(markdown, "markdown")
    finally:
        reader._markdown_tokens = tokens  # type: ignore[assignment]
    assert with_rules == without


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "Ab cd.", "é [l](u) <b>x</b>", "Zed  ", "z\t", "", "", " ", "\t ", "a\u00a0",
                                 "a\u2003", "b >!c!<", "Ⅷ", "ª b", " a", "   b", "    c", "\tc", " \td", "  \u00a0e"]),
                min_size=1, max_size=14),
       st.sampled_from(["", "\n", "\n\n"]))
@example(["a", "", "b"], "")
@example(["a", "    c", "", "   b", "\tc", "", "    c"], "")
def test_markdown_of_plain_paragraphs_only_reads_as_with_markdown_it(lines_: list[str], tail: str) -> None:
    """A text of blank lines and lines opening with a letter (some indented: a paragraph's first line
    four columns in is code) is read without markdown-it, as markdown-it reads it."""
    _read_as_markdown_it_alone_reads("\n".join([*lines_, tail]))
