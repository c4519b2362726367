"""Renderers with an injected, deterministic scorer: only spoiler sentences ever change."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spoilerscan.model.detect import ScoredSentence, annotate_with, sentence_scorer
from spoilerscan.reading.segment import BOM
from spoilerscan.render import (
    RedactStyle,
    highlight_html,
    highlight_markdown,
    highlight_terminal,
    redact,
    terminal_safe,
)
from tests.helpers.rendering import REVIEW, SPOILER, annotate, dies_scorer


def test_annotation_marks_the_injected_spoilers() -> None:
    annotation = annotate(REVIEW)
    assert [s.text for s in annotation.spoilers] == [SPOILER]
    assert [s.is_spoiler for s in annotation.sentences] == [False, False, False, True, False]
    assert annotation.threshold == 0.5
    for s in annotation.sentences:
        assert REVIEW[s.start : s.end] == s.text
        assert s.score == (1.0 if s.is_spoiler else 0.0)


def test_threshold_is_inclusive() -> None:
    annotation = annotate("Fine. Great.", lambda texts: [0.3, 0.7], threshold=0.3)
    assert [s.is_spoiler for s in annotation.sentences] == [True, True]
    assert not annotate("Fine. Great.", lambda texts: [0.3, 0.7], threshold=0.71).spoilers


@pytest.mark.parametrize(("style", "hidden"), [
    ("block", "\u2588" * 37 + "\r\n" + "\u2588" * 12),
    ("label", "[spoiler]"),
    ("reddit", f">!{SPOILER}!<"),
    ("discord", f"||{SPOILER}||"),
    ("bbcode", f"[spoiler]{SPOILER}[/spoiler]"),
    ("html", f'<span class="spoiler">{SPOILER}</span>'),
])
def test_every_redact_style(style: str, hidden: str) -> None:
    out = redact(REVIEW, annotate(REVIEW), RedactStyle(style))
    assert out == REVIEW.replace(SPOILER, hidden)
    assert out.startswith(BOM + "# The Sixth Sense\r\n\r\n")
    assert out.endswith(" What a film!\r\n")


def test_style_may_be_given_as_a_string() -> None:
    assert redact(REVIEW, annotate(REVIEW), "label") == REVIEW.replace(SPOILER, "[spoiler]")  # type: ignore[arg-type]


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="nope"):
        redact(REVIEW, annotate(REVIEW), "nope")  # type: ignore[arg-type]


def test_block_style_keeps_length_and_line_breaks() -> None:
    out = redact(REVIEW, annotate(REVIEW), RedactStyle.block)
    assert len(out) == len(REVIEW)
    assert [i for i, ch in enumerate(out) if ch in "\r\n"] == [i for i, ch in enumerate(REVIEW) if ch in "\r\n"]


def test_several_spoilers_and_adjacent_ones() -> None:
    text = "He dies. She dies. It ends. Everyone dies."
    # Adjacent spoiler sentences of one paragraph share one wrapper (issue 11, item 7).
    assert redact(text, annotate(text), RedactStyle.label) == "[spoiler] It ends. [spoiler]"


@pytest.mark.parametrize(("text", "expected"), [
    ("# He dies\n", "# [spoiler]\n"),
    ("- He dies.\n- Fine.", "- [spoiler]\n- Fine."),
    ("> He dies.", "> [spoiler]"),
    ("1. He dies.", "1. [spoiler]"),
    ("Fine. 2. He dies.", "Fine. 2. He dies.".replace("2. He dies.", "[spoiler]")),
])
def test_line_opening_markdown_survives_redaction(text: str, expected: str) -> None:
    annotation = annotate(text)
    assert annotation.spoilers
    assert redact(text, annotation, RedactStyle.label) == expected


def test_reddit_style_keeps_a_list_a_list() -> None:
    text = "- He dies.\n- Fine."
    assert redact(text, annotate(text), RedactStyle.reddit) == "- >!He dies.!<\n- Fine."


def test_empty_review() -> None:
    annotation = annotate("")
    assert annotation.sentences == []
    for style in RedactStyle:
        assert redact("", annotation, style) == ""


# --- properties -----------------------------------------------------------------------------

TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from([
        "He", "dies", "lives", ".", "!", "...", " ", "\n", "\r\n", "\n\n", BOM, "# ", "- ", "> ", "1. ", "*", "_",
        '"', "Dr.", "é", "😀", "█", "[spoiler]", ">!", "!<", "||", "<", "&",
    ]), max_size=60).map("".join),
)


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.sampled_from(list(RedactStyle)))
def test_nothing_flagged_means_nothing_changes(text: str, style: RedactStyle) -> None:
    annotation = annotate(text, lambda ts: [0.0] * len(ts))
    assert redact(text, annotation, style) == text
    assert highlight_markdown(text, annotation) == text


def _outside(text: str, spoilers: list[ScoredSentence]) -> list[str]:
    """The pieces of ``text`` before, between and after the spoiler sentences."""
    pieces, cursor = [], 0
    for s in spoilers:
        pieces.append(text[cursor : s.start])
        cursor = s.end
    return [*pieces, text[cursor:]]


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.sampled_from(list(RedactStyle)), st.randoms(use_true_random=False))
def test_text_outside_spoilers_is_byte_identical(text: str, style: RedactStyle, rng) -> None:
    annotation = annotate(text, lambda ts: [float(rng.random() < 0.5) for _ in ts])
    out = redact(text, annotation, style)
    pieces = _outside(text, annotation.spoilers)
    assert out.startswith(pieces[0])
    assert out.endswith(pieces[-1])
    cursor = len(pieces[0])
    for index, piece in enumerate(pieces[1:], start=1):  # every untouched piece is still there, whole, in order
        if not piece.strip() and index < len(pieces) - 1:
            continue  # whitespace between two spoilers may go into their shared wrapper (issue 11, item 7)
        found = out.find(piece, cursor)
        assert found >= 0
        cursor = found + len(piece)
    assert out.encode("utf-8").startswith(pieces[0].encode("utf-8"))


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.randoms(use_true_random=False))
def test_block_style_changes_only_spoiler_characters(text: str, rng) -> None:
    annotation = annotate(text, lambda ts: [float(rng.random() < 0.5) for _ in ts])
    out = redact(text, annotation, RedactStyle.block)
    assert len(out) == len(text)
    inside = set()
    for s in annotation.spoilers:
        inside.update(range(s.start, s.end))
    for i, (before, after) in enumerate(zip(text, out, strict=True)):
        if i not in inside or before in "\r\n":
            assert after == before
        else:
            assert after in (before, "\u2588")
    for s in annotation.spoilers:  # something of each spoiler is hidden
        assert "\u2588" in out[s.start : s.end] or set(text[s.start : s.end]) <= {"\u2588"}


# --- issue 11: marked text, Markdown and HTML structure, merged wrappers ---------------------


def flag_all(texts: list[str]) -> list[float]:
    return [1.0] * len(texts)


def redacted(text: str, style: str, fmt: str = "markdown", scorer=flag_all) -> str:
    return redact(text, annotate_with(text, sentence_scorer(scorer), 0.5, fmt=fmt), RedactStyle(style))


MARKED = "Great film. >!He dies at the end.!< Then ||she lives||. [spoiler]Twist.[/spoiler] Ok."


@pytest.mark.parametrize("style", list(RedactStyle))
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_marked_spoilers_are_left_exactly_as_they_are(style: str, fmt: str) -> None:
    out = redacted(MARKED, style, fmt)
    for marked in (">!He dies at the end.!<", "||she lives||", "[spoiler]Twist.[/spoiler]"):
        assert marked in out, out
    assert ">>!" not in out and "!!<" not in out and "||||" not in out and ">||" not in out


def test_marked_text_is_not_a_sentence() -> None:
    annotation = annotate_with(">!He dies.!< Fine. ||She lives.|| <span class=\"spoiler\">Gone.</span>",
                               sentence_scorer(flag_all), 0.5)
    assert [s.text for s in annotation.sentences] == ["Fine."]


def test_each_part_around_marked_text_is_wrapped_on_its_own() -> None:
    assert redacted("The hero >!dies!< at the end of it.", "reddit") == ">!The hero!< >!dies!< >!at the end of it.!<"
    assert redacted("The hero >!dies!< at the end of it.", "label") == "[spoiler] >!dies!< [spoiler]"


def test_adjacent_spoilers_of_a_paragraph_share_one_wrapper_but_not_across_blocks() -> None:
    text = "Fine. He dies. She dies.\nThe end dies.\n\nIt dies too. Fine."
    out = redacted(text, "bbcode", "text", dies_scorer)
    assert out == ("Fine. [spoiler]He dies. She dies.\nThe end dies.[/spoiler]\n\n[spoiler]It dies too.[/spoiler] "
                   "Fine.")
    block = "\u2588"  # sentence by sentence: lengths and the spaces between sentences are kept
    assert redacted(text, "block", "text", dies_scorer) == (
        f"Fine. {block * 8} {block * 9}\n{block * 13}\n\n{block * 12} Fine.")
    assert redacted("- He dies.\n- She dies.", "label", "markdown", dies_scorer) == "- [spoiler]\n- [spoiler]"


def test_markdown_table_cells_are_redacted_inside_their_pipes() -> None:
    text = "| film | twist |\n|---|---|\n| Sense | He was dead all along. |\n"
    scorer = lambda texts: [1.0 if "dead" in t else 0.0 for t in texts]  # noqa: E731
    assert redacted(text, "reddit", scorer=scorer) == text.replace("He was dead all along.",
                                                                   ">!He was dead all along.!<")
    assert redacted(text, "block", scorer=scorer) == text.replace("He was dead all along.", "\u2588" * 22)


def test_markdown_code_and_link_targets_are_never_rewritten() -> None:
    text = "```\nHe dies.\n```\n\n    She dies.\n\nSee [he dies](https://x.org/dies) now.\n"
    out = redacted(text, "block")
    assert out.startswith("```\nHe dies.\n```\n\n    She dies.\n\n")
    assert "[\u2588\u2588\u2588\u2588\u2588\u2588\u2588](https://x.org/dies)" in out


def test_a_wrapper_never_crosses_a_link_even_over_a_line_break() -> None:
    text = 'Fine film. [He was dead](https://x.org/a\n"the end") all along. See <a\nhref="y">him</a> then.\n'
    assert redacted(text, "html") == (
        '<span class="spoiler">Fine film.</span> [<span class="spoiler">He was dead</span>](https://x.org/a\n'
        '"the end") <span class="spoiler">all along. See <a\nhref="y">him</a> then.</span>\n')
    block = "\u2588"
    assert redacted(text, "block") == (f'{block * 10} [{block * 11}](https://x.org/a\n"the end") {block * 10} '
                                       f'{block * 4}<a\nhref="y">{block * 3}</a>{block * 6}\n')


def test_discord_wrappers_in_a_table_cell_are_escaped_and_found_again() -> None:
    text = "| film | twist |\n|---|---|\n| Sense | He was dead. |\n\nAnd ||this|| was marked.\n"
    scorer = lambda texts: [1.0 if "dead" in t else 0.0 for t in texts]  # noqa: E731
    once = redacted(text, "discord", scorer=scorer)
    assert once == text.replace("He was dead.", "\\|\\|He was dead.\\|\\|")
    assert redacted(once, "discord") == redacted(text, "discord")  # the marked cell is not wrapped again
    again = annotate_with(once, sentence_scorer(flag_all), 0.5, fmt="markdown")
    assert "He was dead." not in [s.text.strip("\\|") for s in again.sentences]


def test_titles_and_alt_text_cannot_hold_markup_so_they_are_blocked() -> None:
    text = "![He dies at the end.](still.png) He dies.\n"
    assert redacted(text, "reddit") == "![" + "\u2588" * 19 + "](still.png) >!He dies.!<\n"
    assert redacted(text, "label") == "![" + "\u2588" * 19 + "](still.png) [spoiler]\n"
    marked = highlight_markdown(text, annotate_with(text, sentence_scorer(flag_all), 0.5, fmt="markdown"))
    assert marked == '![He dies at the end.](still.png) <mark title="spoiler score 1.00">He dies.</mark>\n'
    page = "<html><head><title>He dies</title></head><body><p>He dies.</p></body></html>"
    assert redacted(page, "html", "html") == ('<html><head><title>\u2588\u2588\u2588\u2588\u2588\u2588\u2588'
                                              '</title></head><body><p><span class="spoiler">He dies.</span></p>'
                                              '</body></html>')


def test_highlights_leave_text_already_marked_as_it_is() -> None:
    text = "Twist: >!he was dead all along!< and that is the end.\n"
    annotation = annotate_with(text, sentence_scorer(flag_all), 0.5, fmt="markdown")
    rich_text = highlight_terminal(text, annotation)
    assert rich_text.plain == text.replace("end.", "end. [1.00]")
    assert [(s.start, s.end) for s in rich_text.spans if str(s.style) == "bold red"] == [(0, 6), (33, 53)]
    page = highlight_html(text, annotation)
    assert "&gt;!he was dead all along!&lt; <mark" in page and "Twist:</mark>" in page


def test_terminal_safe_shows_control_characters_in_place() -> None:
    text = "a\rb\r\nc\x1b[31md\te\x07\x7f\x9b"
    assert terminal_safe(text) == "a\nb\r\nc\u241b[31md\te\u2407\u2421\ufffd"
    annotation = annotate(text + " He dies.")
    shown = highlight_terminal(text + " He dies.", annotation, for_terminal=True)
    assert "\x1b" not in shown.plain and shown.plain.endswith("\ufffd He dies. [1.00]")
    red = [(s.start, s.end) for s in shown.spans if str(s.style) == "bold red"]
    assert red == [(0, len(shown.plain) - len(" [1.00]"))]  # (rich drops the CR of a CRLF)


def test_markdown_heading_keeps_its_marker() -> None:
    assert redacted("# He dies\n\nSpoilers\n--------\n", "label") == "# [spoiler]\n\n[spoiler]\n--------\n"


HTML_PAGE = ('<html><head><title>Review</title><style>.x{}</style></head><body>\n'
             '<p>Good &amp; long. The hero <b>dies. She</b> lives.</p>\n<p>Next &lt;part&gt;.</p>\n'
             '<script>var s = "dies";</script></body></html>\n')


def test_html_redaction_never_crosses_elements_and_keeps_tags_and_entities() -> None:
    out = redacted(HTML_PAGE, "html", "html")
    assert out == ('<html><head><title>\u2588\u2588\u2588\u2588\u2588\u2588</title><style>.x{}</style></head><body>\n'
                   '<p><span class="spoiler">Good &amp; long. The hero</span> <b><span class="spoiler">dies. She'
                   '</span></b> <span class="spoiler">lives.</span></p>\n'
                   '<p><span class="spoiler">Next &lt;part&gt;.</span></p>\n'
                   '<script>var s = "dies";</script></body></html>\n')
    blocked_page = redacted(HTML_PAGE, "block", "html")
    assert len(blocked_page) == len(HTML_PAGE)
    assert blocked_page.count("<") == HTML_PAGE.count("<") and 'var s = "dies"' in blocked_page


def test_html_sentences_are_text_nodes() -> None:
    annotation = annotate_with(HTML_PAGE, sentence_scorer(flag_all), 0.5, fmt="html")
    assert [s.text for s in annotation.sentences] == [
        "Review", "Good &amp; long.", "The hero <b>dies.", "She</b> lives.", "Next &lt;part&gt;."]


# --- round trips (issue 11) -------------------------------------------------------------------

WORDS = st.sampled_from(["He", "dies", "lives", "the", "end", "Dr.", "é", "😀", "10", "film"])
SENTENCE = st.builds(lambda words, end: " ".join(words) + end, st.lists(WORDS, min_size=1, max_size=6),
                     st.sampled_from([".", "!", "?", "", "..."]))
REVIEWS = st.builds(
    lambda parts, seps, bom: ("\ufeff" if bom else "") + "".join(p + s for p, s in zip(parts, seps, strict=False)),
    st.lists(st.one_of(SENTENCE, st.sampled_from(["# ", "- ", "> ", "1. "]).flatmap(
        lambda marker: SENTENCE.map(lambda s: marker + s))), min_size=1, max_size=8),
    st.lists(st.sampled_from([" ", "\n", "\r\n", "\n\n", "  "]), min_size=8, max_size=8), st.booleans())


@settings(max_examples=150, deadline=None)
@given(REVIEWS, st.sampled_from(list(RedactStyle)), st.sampled_from(["text", "markdown"]))
def test_redacted_text_passes_check_and_redacting_again_changes_nothing(text: str, style: RedactStyle,
                                                                         fmt: str) -> None:
    from spoilerscan.check import check_texts

    once = redacted(text, style, fmt, dies_scorer)
    name = "r.md" if fmt == "markdown" else "r.txt"
    [report] = check_texts([(name, once)], sentence_scorer(dies_scorer), 0.5, 0.5, styles=[style.value])
    assert report.findings == [], (once, report.findings)
    assert redacted(once, style, fmt, dies_scorer) == once
