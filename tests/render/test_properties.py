"""Properties of reading and redaction over generated Markdown, HTML and plain-text reviews.

The reviews are built from parts (sentences, headings, list items, quotes, tables, code, links,
tags, comments, marked spoilers, front matter), and each part that no command may touch is
recorded where it lies: marked spoilers, code blocks, tags and comments, link targets, table pipes
and delimiter rows, line-opening markers (inline code is prose: a spoiler may be written in it).
Scores are injected (a sentence that mentions "dies" is a spoiler; no model), so every review has
spoiler sentences around, beside and inside the parts that must not change. For every redaction style:

* the redacted review with the style's markup removed is the review, byte for byte (``block``:
  the same length, and only characters of spoiler sentences changed, to █, line breaks kept);
  ``label`` replaces whole pieces, so there every character outside spoiler sentences is kept, in order;
* the recorded parts are never changed;
* every sentence span points into the original text, and what may not be read is blank in what is scored.

The number of examples is bounded so that CI stays fast; examples that once failed are kept below
as regular tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spoilerscan.model.detect import Annotation, annotate_with, sentence_scorer
from spoilerscan.reading.markup import MARKUP, RedactStyle, Style
from spoilerscan.reading.segment import BOM, read
from spoilerscan.render import redact
from tests.helpers.rendering import dies_scorer

BLOCK = "\u2588"
EXAMPLES = int(__import__("os").environ.get("PROPERTY_EXAMPLES", "60"))


@dataclass(frozen=True)
class Review:
    """A generated review: its text, format, the [start, end) ranges no command may change, and
    which of those are not read either (all but plain text's line markers, which are its prose)."""

    text: str
    fmt: str
    kept: tuple[tuple[int, int], ...]
    unread: tuple[tuple[int, int], ...] = ()

    def __repr__(self) -> str:  # what hypothesis prints for a failing example: paste it into a test
        return f"Review({self.text!r}, {self.fmt!r}, {self.kept!r}, {self.unread!r})"


MARKER = "marker"  # a kept part that is read: a plain-text line marker


def review(fmt: str, parts: list[tuple[str, bool | str]]) -> Review:
    """Join (text, kept) parts into a review, recording where the kept ones lie."""
    text, kept, unread = "", [], []
    for piece, keep in parts:
        if keep and piece:
            kept.append((len(text), len(text) + len(piece)))
            if keep is not MARKER:
                unread.append(kept[-1])
        text += piece
    return Review(text, fmt, tuple(kept), tuple(unread))


Parts = list[tuple[str, bool | str]]
WORD = st.sampled_from(["He", "she", "dies", "lives", "the", "end", "Dr.", "twist", "é", "😀", "10", "film", "&"])
END = st.sampled_from([".", "!", "?", "...", ""])
SENTENCE: st.SearchStrategy[str] = st.builds(lambda words, end: " ".join(words) + end,
                                             st.lists(WORD, min_size=1, max_size=5), END)
MARKED = st.sampled_from([">!he dies!<", "||she dies||", "[spoiler]it dies[/spoiler]", "[spoiler=End]X dies[/spoiler]"])
NEWLINE = st.sampled_from(["\n", "\r\n"])


def inline(extra: st.SearchStrategy[Parts]) -> st.SearchStrategy[Parts]:
    """A sentence, then a run of sentences and inline parts, separated by spaces.

    (A Markdown line that opens with a comment or a lone tag would be an HTML block, where links,
    code and emphasis are not Markdown: the line opens with a sentence.)
    """
    part = st.one_of(SENTENCE.map(lambda s: [(s, False)]), MARKED.map(lambda m: [(m, True)]), extra)
    return st.tuples(SENTENCE, st.lists(part, max_size=4)).map(
        lambda first: [(first[0], False), *(piece for run in first[1] for piece in [(" ", False), *run])])


# --- Markdown ---------------------------------------------------------------------------------

MD_INLINE = st.one_of(
    st.sampled_from(["<b>", "</b>", "<br>", "<!-- he dies -->", '<span class="spoiler">he dies</span>']).map(
        lambda tag: [(tag, True)]),
    st.sampled_from(["`x dies`", "`` a ` dies ``"]).map(lambda code: [(code, False)]),  # inline code is prose
    st.builds(lambda words, target: [("[", False), (words, False), (f"]({target})", True)],
              SENTENCE, st.sampled_from(["https://e.org/dies", "dies.html", '/a "he dies"'])),
    SENTENCE.map(lambda s: [("*", False), (s, False), ("*", False)]),
)


def md_table(newline: str) -> st.SearchStrategy[Parts]:
    cell = st.one_of(SENTENCE.map(lambda s: [(s, False)]), st.just([("`x dies`", False)]),
                     st.just([(">!he dies!<", True)]), st.just([("a \\| b dies", False)]))

    def build(header: list[Parts], rows: list[list[Parts]]) -> Parts:
        parts: Parts = []
        for row in [header, *rows]:
            for index, content in enumerate(row):
                parts += [("|" if index == 0 else " |", True), (" ", False), *content]
            parts += [(" |", True), (newline, False)]
            if row is header:
                parts += [("|" + "---|" * len(header), True), (newline, False)]
        return parts

    return st.integers(1, 3).flatmap(lambda width: st.builds(
        build, st.lists(cell, min_size=width, max_size=width),
        st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=3)))


def md_block(newline: str, images: bool) -> st.SearchStrategy[Parts]:
    extra = st.one_of(MD_INLINE, st.just([("![a dies](x.png)", False)])) if images else MD_INLINE
    text = inline(extra)
    return st.one_of(
        text,
        st.tuples(st.sampled_from(["# ", "## ", "- ", "* ", "1. ", "> "]), text).map(
            lambda pair: [(pair[0], True), *pair[1]]),
        st.tuples(text, text).map(lambda pair: [*pair[0], (newline, False), *pair[1]]),  # a hard-wrapped line
        SENTENCE.map(lambda s: [(f"```{newline}he dies. {s}{newline}```", True)]),
        SENTENCE.map(lambda s: [(f"<div class=\"x\">{newline}", True), (s, False), (f"{newline}</div>", True)]),
        md_table(newline),
        st.just([("<!-- spoilerscan: ignore -->", True), (newline, False), ("He dies.", False)]),
    )


@st.composite
def markdown(draw: st.DrawFn, images: bool = False) -> Review:
    newline = draw(NEWLINE)
    parts: Parts = [(BOM, False)] if draw(st.booleans()) else []
    if draw(st.booleans()):
        parts += [(f"---{newline}title: he dies{newline}---{newline}", True), (newline, False)]
    if draw(st.booleans()):  # indented code (not after a list item, where it would continue the item)
        parts += [(f"    {draw(SENTENCE)} dies", True), (newline * 2, False)]
    for index, block in enumerate(draw(st.lists(md_block(newline, images), min_size=1, max_size=5))):
        parts += ([(newline * 2, False)] if index else []) + block
    return review("markdown", parts + [(newline, False)] * draw(st.integers(0, 1)))


# --- HTML -------------------------------------------------------------------------------------

HTML_INLINE = st.one_of(
    st.sampled_from(["<br>", "<!-- he dies -->", '<span class="spoiler">he dies</span>', "<img src=\"dies.png\">",
                     "<details><summary>End</summary>he dies</details>"]).map(lambda tag: [(tag, True)]),
    SENTENCE.map(lambda s: [("<b>", True), (s, False), ("</b>", True)]),
    SENTENCE.map(lambda s: [('<a href="https://e.org/dies" title="he dies">', True), (s, False), ("</a>", True)]),
)


def html_block(newline: str, titles: bool) -> st.SearchStrategy[Parts]:
    text = inline(HTML_INLINE)

    def element(name: str) -> st.SearchStrategy[Parts]:
        return text.map(lambda content: [(f"<{name}>", True), *content, (f"</{name}>", True)])

    blocks = [element(name) for name in ("p", "h2", "li", "blockquote", "td", "div")] + [
        st.just([("<pre>he dies.\n  She dies.</pre>", True)]),
        st.just([('<script>var end = "he dies";</script>', True)]),
        st.just([("<style>.dies { color: red }</style>", True)]),
        text.map(lambda content: [*content, ("<br>", True), (newline, False)]),
    ]
    if titles:
        blocks += [st.just([("<title>", True), ("He dies.", False), ("</title>", True)]),
                   st.just([("<select><option>", True), ("She dies", False), ("</option></select>", True)])]
    return st.one_of(*blocks)


@st.composite
def html(draw: st.DrawFn, titles: bool = False) -> Review:
    newline = draw(NEWLINE)
    parts: Parts = [(BOM, False)] if draw(st.booleans()) else []
    for index, block in enumerate(draw(st.lists(html_block(newline, titles), min_size=1, max_size=5))):
        parts += ([(newline, False)] if index else []) + block
    return review("html", parts)


# --- plain text -------------------------------------------------------------------------------


def text_line() -> st.SearchStrategy[Parts]:
    return st.one_of(
        inline(st.just([(BLOCK * 4, True)])),
        st.tuples(st.sampled_from(["# ", "- ", "> ", "1. "]), inline(st.nothing())).map(
            lambda pair: [(pair[0], MARKER), *pair[1]]),
    )


@st.composite
def plain(draw: st.DrawFn) -> Review:
    parts: Parts = [(BOM, False)] if draw(st.booleans()) else []
    for index, line in enumerate(draw(st.lists(text_line(), min_size=1, max_size=6))):
        parts += ([(draw(st.sampled_from(["\n", "\r\n", "\n\n", "\r\n\r\n"])), False)] if index else []) + line
    return review("text", parts)


REVIEWS = st.one_of(markdown(), html(), plain())
# Markdown images, HTML titles and options cannot hold markup: every style blocks them (█).
ALL_REVIEWS = st.one_of(markdown(images=True), html(titles=True), plain())
WRAPPING = [style for style in RedactStyle if style not in (RedactStyle.block, RedactStyle.label)]


def annotated(item: Review) -> Annotation:
    return annotate_with(item.text, sentence_scorer(dies_scorer), 0.5, fmt=item.fmt)


def wrappers(style: RedactStyle) -> set[str]:
    """The style's opening and closing markup, and the escaped form a Markdown table cell gets."""
    opening, closing = MARKUP[Style(style.value)].wrap or ("", "")
    return {opening, closing, opening.replace("|", "\\|"), closing.replace("|", "\\|")}


def is_text_with_markup_added(out: str, text: str, marks: set[str]) -> bool:
    """Whether ``out`` is ``text`` with some of ``marks`` inserted and nothing else changed.

    (Removing the marks from both would also accept a redaction that broke markup the review had:
    ">!" written before "!<" that was already there.) Each offset of ``out`` keeps the set of
    offsets of ``text`` that it can stand for.
    """
    reachable: list[set[int]] = [set() for _ in range(len(out) + 1)]
    reachable[0] = {0}
    for j in range(len(out)):
        if not reachable[j]:
            continue
        for mark in marks:
            if out.startswith(mark, j):
                reachable[j + len(mark)] |= reachable[j]
        reachable[j + 1] |= {i + 1 for i in reachable[j] if i < len(text) and text[i] == out[j]}
    return len(text) in reachable[len(out)]


def assert_kept_in_order(item: Review, out: str) -> None:
    """Every recorded part is in the output whole, in order."""
    cursor = 0
    for start, end in item.kept:
        found = out.find(item.text[start:end], cursor)
        assert found >= 0, f"{item.text[start:end]!r} changed or lost: {out!r}"
        cursor = found + end - start


# --- the properties ---------------------------------------------------------------------------


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(ALL_REVIEWS)
def test_every_sentence_span_points_into_the_text(item: Review) -> None:
    reading = read(item.text, item.fmt)
    assert len(reading.scorable) == len(item.text)
    previous_end = 0
    for span in reading.sentences:
        assert previous_end <= span.start < span.end <= len(item.text)
        previous_end = span.end
    annotation = annotated(item)
    assert [(s.start, s.end) for s in annotation.sentences] == [(s.start, s.end) for s in reading.sentences]
    for sentence in annotation.sentences:
        assert sentence.text == item.text[sentence.start : sentence.end]
    for start, end in item.unread:  # blank (spaces, line breaks) in what is scored
        assert not reading.scorable[start:end].strip(), (item.text[start:end], reading.scorable[start:end])


@settings(max_examples=EXAMPLES, deadline=None)
@given(ALL_REVIEWS)
def test_block_style_keeps_the_length_and_changes_only_spoiler_characters(item: Review) -> None:
    annotation = annotated(item)
    out = redact(item.text, annotation, RedactStyle.block)
    assert len(out) == len(item.text)
    inside = {i for s in annotation.spoilers for i in range(s.start, s.end)}
    for i, (before, after) in enumerate(zip(item.text, out, strict=True)):
        if after != before:
            assert i in inside and after == BLOCK and before not in "\r\n", (i, before, after, out)
    for start, end in item.kept:
        assert out[start:end] == item.text[start:end], (item.text[start:end], out[start:end])


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(REVIEWS, st.sampled_from(WRAPPING))
def test_wrapped_output_without_its_markup_is_the_review(item: Review, style: RedactStyle) -> None:
    annotation = annotated(item)
    out = redact(item.text, annotation, style)
    assert is_text_with_markup_added(out, item.text, wrappers(style)), out
    assert_kept_in_order(item, out)
    if annotation.spoilers:  # wrappers are only ever added
        assert len(out) > len(item.text)


@settings(max_examples=EXAMPLES, deadline=None)
@given(ALL_REVIEWS, st.sampled_from(list(RedactStyle)))
def test_text_outside_spoiler_sentences_and_the_kept_parts_never_change(item: Review, style: RedactStyle) -> None:
    annotation = annotated(item)
    out = redact(item.text, annotation, style)
    assert_kept_in_order(item, out)
    cursor, previous = 0, 0
    for index, s in enumerate([*annotation.spoilers, None]):
        start, end = (s.start, s.end) if s is not None else (len(item.text), len(item.text))
        outside = item.text[previous:start]
        previous = end
        if not outside.strip() and 0 < index < len(annotation.spoilers):
            continue  # whitespace between two spoilers of a paragraph goes into their shared wrapper
        found = out.find(outside, cursor)
        assert found >= 0 and (index or found == 0), (outside, out)
        cursor = found + len(outside)
    assert out.endswith(item.text[previous:])
    if annotation.spoilers:
        assert out != item.text


# --- examples the properties found ---------------------------------------------------------


@pytest.mark.parametrize(("text", "fmt", "reddit"), [
    # A "!" before a tag inside one wrapper read as ">!He. <b>He!<": check then failed the redacted
    # review on "dies." and redacting it again wrapped that twice. Each prose part is now wrapped.
    ("# He. <b>He!</b> dies.", "markdown", "# >!He.!< <b>>!He!!<</b> >!dies.!<"),
    ("<h2>He. <b>He!</b> dies.</h2>", "html", "<h2>>!He.!< <b>>!He!!<</b> >!dies.!<</h2>"),
    ("| a |\n|---|\n| He. <b>He!</b> dies. |", "markdown", "| a |\n|---|\n| He. <b>He!</b> >!dies.!< |"),
])
def test_a_wrapper_is_never_closed_early_by_the_text_it_wraps(text: str, fmt: str, reddit: str) -> None:
    from spoilerscan.check import check_texts

    item = review(fmt, [(text, False)])
    once = redact(text, annotated(item), RedactStyle.reddit)
    assert once == reddit
    [report] = check_texts([("r.md" if fmt == "markdown" else "r.html", once)], sentence_scorer(dies_scorer), 0.5,
                           0.5, styles=["reddit"])
    assert report.findings == []
    assert redact(once, annotate_with(once, sentence_scorer(dies_scorer), 0.5, fmt=fmt), RedactStyle.reddit) == once
    discord = "||He. <b>He!</b> dies.||" if "|---|" not in text else "He. <b>He!</b> \\|\\|dies.\\|\\|"
    assert redact(text, annotated(item), RedactStyle.discord) == text.replace("He. <b>He!</b> dies.", discord)


@pytest.mark.parametrize(("text", "fmt", "label"), [
    # The label replaced the whole sentence, tags, comments and link targets inside it too:
    # "<p>[spoiler]</p>". Now the markup stays and each run of prose between it is labelled.
    ("<p>He... <!-- he dies --> dies.</p>", "html", "<p>[spoiler] <!-- he dies --> [spoiler]</p>"),
    ("<p>He dies <b>now</b> here.</p>", "html", "<p>[spoiler] <b>[spoiler]</b> [spoiler]</p>"),
    ("He [dies](https://e.org/dies) now.", "markdown", "[spoiler] [[spoiler]](https://e.org/dies) [spoiler]"),
    ("He *really* dies.", "markdown", "[spoiler]"),  # emphasis is prose: one label, as before
    ("He <b>really</b> dies.", "text", "[spoiler]"),  # in plain text a tag is text
])
def test_the_label_keeps_the_markup_inside_a_sentence(text: str, fmt: str, label: str) -> None:
    item = review(fmt, [(text, False)])
    once = redact(text, annotated(item), RedactStyle.label)
    assert once == label
    assert redact(once, annotate_with(once, sentence_scorer(dies_scorer), 0.5, fmt=fmt), RedactStyle.label) == once


def test_markup_the_review_had_is_not_taken_for_added_markup() -> None:
    # "<p>dies!</p>" holds "!<": a check that removed every ">!" and "!<" from both sides failed it.
    item = review("html", [("<p>", True), ("dies!", False), ("</p>", True)])
    out = redact(item.text, annotated(item), RedactStyle.reddit)
    assert out == "<p>>!dies!!<</p>"
    assert is_text_with_markup_added(out, item.text, wrappers(RedactStyle.reddit))
    assert not is_text_with_markup_added("<p>>!dies!!</p>", item.text, wrappers(RedactStyle.reddit))
    assert not is_text_with_markup_added("<p>>!dies</p>", item.text, wrappers(RedactStyle.reddit))
    # A title cannot hold markup: a spoiler there is blocked in every style, "[spoiler]" included.
    title = "<title>He dies.</title>"
    assert redact(title, annotated(review("html", [(title, False)])), RedactStyle.label) == (
        "<title>" + BLOCK * 8 + "</title>")


@pytest.mark.parametrize("style", list(RedactStyle))
def test_a_review_without_spoilers_comes_back_as_it_is(style: RedactStyle) -> None:
    text = "# Fine\n\n| a | b |\n|---|---|\n| x | y |\n\nGood `code` [link](u) >!he lives!<."
    item = review("markdown", [(text, True)])
    assert redact(item.text, annotated(item), style) == item.text


@settings(max_examples=EXAMPLES, deadline=None)
@given(ALL_REVIEWS, st.sampled_from(list(RedactStyle)))
def test_redacting_the_redacted_review_again_changes_nothing(item: Review, style: RedactStyle) -> None:
    once = redact(item.text, annotated(item), style)
    assert redact(once, annotate_with(once, sentence_scorer(dies_scorer), 0.5, fmt=item.fmt), style) == once
