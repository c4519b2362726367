"""Sentence splitting of real, messy reviews: boundaries, Markdown structure, exact offsets."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from spoilerscan.reading import segment
from spoilerscan.reading.document import BlockKind
from spoilerscan.reading.markup import ALL_STYLES
from spoilerscan.reading.segment import BOM, Span, read, split_sentences


def sentences(text: str) -> list[str]:
    spans = split_sentences(text)
    for span in spans:
        assert isinstance(span, Span)
    return [text[s.start : s.end] for s in spans]


# --- sentence boundaries -------------------------------------------------------------------


def test_plain_sentences() -> None:
    assert sentences("I loved it. The ending hurt! Would I watch it again? Yes.") == [
        "I loved it.", "The ending hurt!", "Would I watch it again?", "Yes."]


@pytest.mark.parametrize("text", [
    "Dr. Crowe treats a boy who sees ghosts.",
    "Mr. Willis and Ms. Collette are superb.",
    "It was the biggest hit in the U.S. that summer.",
    "It opened at 10 p.m. in most cinemas, e.g. in Philadelphia.",
])
def test_abbreviations_do_not_end_a_sentence(text: str) -> None:
    assert sentences(text) == [text]


def test_abbreviations_inside_a_paragraph() -> None:
    text = "Dr. Malcolm Crowe is shot in the opening scene. Months later Mr. Crowe meets Cole. They talk."
    assert sentences(text) == [
        "Dr. Malcolm Crowe is shot in the opening scene.", "Months later Mr. Crowe meets Cole.", "They talk."]


@pytest.mark.parametrize(("text", "expected"), [
    ("I waited... and waited. Then it ended.", ["I waited... and waited.", "Then it ended."]),
    ("The ending\u2026 wow. Amazing.", ["The ending\u2026 wow.", "Amazing."]),
    ("Wait... what? Really?!", ["Wait... what?", "Really?!"]),
])
def test_ellipsis(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_dialogue_in_quotes_stays_with_its_sentence() -> None:
    text = 'He whispers, "I see dead people." Nobody believes him. "Are you dead?" she asks.'
    assert sentences(text) == [
        'He whispers, "I see dead people."', "Nobody believes him.", '"Are you dead?" she asks.']


def test_curly_quotes() -> None:
    text = "\u201cI see dead people.\u201d It is the line everyone knows."
    assert sentences(text) == ["\u201cI see dead people.\u201d", "It is the line everyone knows."]


@pytest.mark.parametrize("url", [
    "https://example.com/reviews/the-sixth-sense.html?ref=a.b&x=1",
    "http://www.imdb.com/title/tt0167404/",
    "www.rottentomatoes.com/m/sixth_sense",
])
def test_url_is_kept_whole(url: str) -> None:
    text = f"My full review is at {url} if you want it. It is long."
    split = sentences(text)
    assert len(split) == 2
    assert url in split[0]


def test_emphasis_closing_marker_stays_with_its_sentence() -> None:
    assert sentences("*He was dead all along.* I did not see it coming.") == [
        "*He was dead all along.*", "I did not see it coming."]
    assert sentences("**Twist:** she knew. _Wow._ Next.") == ["**Twist:** she knew.", "_Wow._", "Next."]


# --- Markdown and line structure ------------------------------------------------------------


def test_heading_is_its_own_sentence() -> None:
    text = "# The Sixth Sense (1999)\nA quiet ghost story. It works."
    assert sentences(text) == ["# The Sixth Sense (1999)", "A quiet ghost story.", "It works."]


def test_heading_without_full_stop_is_not_joined_to_the_paragraph() -> None:
    text = "## Verdict\n\nSee it"
    assert sentences(text) == ["## Verdict", "See it"]


def test_list_items_are_separate() -> None:
    text = "Highlights:\n- the acting\n- the score\n* the last scene\n+ the red door"
    assert sentences(text) == ["Highlights:", "- the acting", "- the score", "* the last scene", "+ the red door"]


def test_numbered_list_marker_stays_with_its_item() -> None:
    text = "1. The acting. It is superb.\n2) The score\n10. The twist"
    assert sentences(text) == ["1. The acting.", "It is superb.", "2) The score", "10. The twist"]


def test_list_item_continuation_is_joined() -> None:
    text = "- The boy sees ghosts\n  everywhere he goes.\n- Next item"
    assert sentences(text) == ["- The boy sees ghosts\n  everywhere he goes.", "- Next item"]


def test_image_and_caption_lines_are_separate() -> None:
    text = "![Cole in the church](cole.jpg)\n*Cole hides in a church. Haley Joel Osment.*\nThe film is slow."
    assert sentences(text) == [
        "![Cole in the church](cole.jpg)", "*Cole hides in a church.", "Haley Joel Osment.*", "The film is slow."]


def test_block_quotes_tables_fences_and_rules_are_separate() -> None:
    text = ("> A quoted line.\n> Another quoted line.\n\n| film | year |\n|---|---|\n| Sense | 1999 |\n\n"
            "```\ncode here\n```\nText.\n\n---\nAfter the rule.")
    assert sentences(text) == [
        "> A quoted line.", "> Another quoted line.", "| film | year |", "|---|---|", "| Sense | 1999 |",
        "```", "code here", "```", "Text.", "---", "After the rule."]


def test_blank_lines_separate_paragraphs_even_without_punctuation() -> None:
    assert sentences("first paragraph\n\n\nsecond paragraph") == ["first paragraph", "second paragraph"]


def test_hard_wrapped_lines_are_joined() -> None:
    text = "The film takes its time, and the\nslow pace pays off in the\nlast ten minutes. I loved it."
    assert sentences(text) == [
        "The film takes its time, and the\nslow pace pays off in the\nlast ten minutes.", "I loved it."]


def test_crlf_line_endings() -> None:
    text = "# Title\r\n\r\nA hard\r\nwrapped sentence. Another one.\r\n\r\nLast.\r\n"
    assert sentences(text) == ["# Title", "A hard\r\nwrapped sentence.", "Another one.", "Last."]


def test_bom_is_not_inside_a_sentence() -> None:
    text = BOM + "# Review\r\nGood film. Great ending.\r\n"
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == ["# Review", "Good film.", "Great ending."]
    assert spans[0].start == 1
    assert all(BOM not in text[s.start : s.end] for s in spans)
    assert sentences(BOM + "Just one sentence.") == ["Just one sentence."]


def test_offsets_index_the_original_text() -> None:
    text = BOM + "# Héllo wörld\r\n\r\n  Dr. Ω said \u201chi\u201d... twice.  Then 😀 left.\r\n- item\n"
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == [
        "# Héllo wörld", "Dr. Ω said \u201chi\u201d... twice.", "Then 😀 left.", "- item"]
    assert [s.start for s in spans] == [text.index(t) for t in ("# H", "Dr.", "Then", "- item")]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\r\n", BOM, BOM + "\r\n \t"])
def test_nothing_to_split(text: str) -> None:
    assert split_sentences(text) == []


def test_blocks_are_numbered() -> None:
    spans = split_sentences("One. Two.\n\nThree.\n# Four")
    assert [s.block for s in spans] == [0, 0, 1, 2]


def test_long_single_line_is_cut_into_bounded_sentences() -> None:
    text = ("word " * 30_000).strip()  # 150 000 characters, no sentence end
    spans = split_sentences(text)
    assert len(spans) > 1
    assert all(s.end - s.start <= segment.MAX_BLOCK_CHARS for s in spans)
    assert "".join(text[s.start : s.end] + " " for s in spans).strip() == text


def test_long_line_without_spaces_is_cut_hard() -> None:
    limit = segment.MAX_SENTENCE_CHARS  # sentences, not only blocks, are cut (issue 11, item 1)
    text = "x" * (limit * 2 + 5)
    spans = split_sentences(text)
    assert [(s.start, s.end) for s in spans] == [(0, limit), (limit, 2 * limit), (2 * limit, len(text))]
    assert [s.part for s in spans] == [0, 1, 2]


# --- properties -----------------------------------------------------------------------------

FRAGMENTS = st.sampled_from([
    "Dr.", "Mr.", "U.S.", "e.g.", "he", "dies", "The", "end", ".", "...", "\u2026", "!", "?", "?!", '"', "'",
    "\u201c", "\u201d", "(", ")", "*", "**", "_", "~~", "`", "#", "## ", "> ", "- ", "* ", "1. ", "2) ", "|",
    "```", "![img](a.png)", "https://x.com/a.b", "<br>", "---", " ", "  ", "\t", "\n", "\r\n", "\r", "\n\n",
    BOM, "é", "Ω", "😀", "\u00a0", "\u2028", "\x85", "\x0c", "a", "b", "1", "0",
])
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(FRAGMENTS, max_size=80).map("".join),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=4)), max_size=60).map(lambda parts: " ".join(parts)),
)


def _is_blank(ch: str) -> bool:
    return ch.isspace() or ch == BOM


def check_spans(text: str, spans: list[Span]) -> None:
    previous_end = 0
    covered = [0] * len(text)
    for span in spans:
        assert 0 <= previous_end <= span.start < span.end <= len(text)  # ordered, non-overlapping, in bounds
        assert not _is_blank(text[span.start]) and not _is_blank(text[span.end - 1])  # stripped
        for i in range(span.start, span.end):
            covered[i] += 1
        previous_end = span.end
    for i, ch in enumerate(text):
        if not _is_blank(ch):
            assert covered[i] == 1, f"character {ch!r} at {i} lies in {covered[i]} spans"


@settings(max_examples=300, deadline=None)
@given(TEXTS)
@example("*She dies.* Oh no.\r\n\r\n1. One. Two.")
@example(BOM + "\r\n# h\r\n" + BOM + "x. " + BOM)
@example("a.**\n**b")
def test_spans_partition_the_text(text: str) -> None:
    check_spans(text, split_sentences(text))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_spans_partition_the_text_when_blocks_are_cut(text: str) -> None:
    with mock.patch.object(segment, "MAX_BLOCK_CHARS", 7), mock.patch.object(segment, "MAX_SENTENCE_CHARS", 5):
        check_spans(text, split_sentences(text))


# --- issue 11: numbers, long sentences, structure ---------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_a_number_at_a_sentence_end_does_not_join_sentences(fmt: str) -> None:
    text = "I saw it in 2013. In the end the father is executed."
    assert sentences_in(text, fmt) == ["I saw it in 2013.", "In the end the father is executed."]
    text = "It is Miracle in Cell No. 7. Eventually he is executed."
    assert sentences_in(text, fmt) == ["It is Miracle in Cell No. 7.", "Eventually he is executed."]


def test_a_list_number_opens_only_its_own_block() -> None:
    assert sentences("1. The acting. It is superb.") == ["1. The acting.", "It is superb."]
    assert sentences("Fine. 2. He dies.") == ["Fine.", "2. He dies."]  # a lone "2." opens the next sentence


def sentences_in(text: str, fmt: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text, fmt)]


def test_a_long_sentence_is_cut_into_windows_with_exact_offsets() -> None:
    words = [f"w{i}" for i in range(619)] + ["dies."]
    text = "Intro. " + " ".join(words) + " Outro."
    spans = split_sentences(text)
    assert sentences(text)[0] == "Intro." and sentences(text)[-1] == "Outro."
    windows = spans[1:-1]
    assert len(windows) > 1 and all(s.end - s.start <= segment.MAX_SENTENCE_CHARS for s in windows)
    assert [s.part for s in windows] == list(range(len(windows)))
    assert " ".join(text[s.start : s.end] for s in windows) == " ".join(words)
    assert text[windows[-1].start : windows[-1].end].endswith("w618 dies.")


def test_spans_carry_their_block_and_its_kind() -> None:
    text = "# Title\n\nBody one. Body two.\n\n- item\n\n| a | b |\n|---|---|\n| c | d |\n\n> quote\n"
    spans = split_sentences(text, "markdown")
    assert [(text[s.start : s.end], s.block, s.kind.value) for s in spans] == [
        ("Title", 0, "heading"), ("Body one.", 1, "paragraph"), ("Body two.", 1, "paragraph"),
        ("item", 2, "list_item"), ("a", 3, "table_cell"), ("b", 4, "table_cell"), ("c", 5, "table_cell"),
        ("d", 6, "table_cell"), ("quote", 7, "quote")]
    assert [s.kind for s in split_sentences("<h1>T</h1><p>Body.</p>", "html")] == [BlockKind.heading,
                                                                                    BlockKind.paragraph]


def test_markdown_code_is_not_split_or_scored() -> None:
    text = "Intro.\n\n```\nHe dies. She dies.\n```\n\n    x = dies()\n\nOutro."
    assert sentences_in(text, "markdown") == ["Intro.", "Outro."]


def test_html_block_elements_bound_sentences_and_tags_are_not_text() -> None:
    text = "<p>It was good</p><p>He dies<br>at the end</p><div>Fine</div>"
    assert sentences_in(text, "html") == ["It was good", "He dies", "at the end", "Fine"]


def test_reading_skips_marked_text_pragmas_and_wordless_sentences() -> None:
    text = "Fine. >!He dies.!< <!-- spoilerscan: ignore --> The title dies. ... Last one."
    reading = read(text)
    assert [text[s.start : s.end] for s in reading.sentences] == ["Fine.", "Last one."]
    assert len(reading.scorable) == len(text) and "dies" not in reading.scorable.replace("The title dies", "")


def test_windows_prefer_to_end_after_a_clause() -> None:
    text = ", ".join(["alpha beta gamma delta epsilon"] * 60) + "."
    windows = [text[s.start : s.end] for s in split_sentences(text)]
    assert len(windows) > 2 and all(len(w) <= segment.MAX_SENTENCE_CHARS for w in windows)
    assert all(w.endswith(",") for w in windows[:-1]) and windows[-1].endswith("epsilon.")


def test_a_list_number_left_alone_by_marked_text_is_no_sentence() -> None:
    reading = read("1. >!He dies.!<\n2. She scored 1. Then left.\n", "text")
    assert [reading.text[s.start : s.end] for s in reading.sentences] == ["2. She scored 1.", "Then left."]


def test_exempt_within_finds_every_overlapping_region_also_nested_ones() -> None:
    text = ("Fine. >!One!< and ||two||.\n\n## Spoilers\n\nHe >!dies!< here. <!-- spoilerscan: ignore --> x.\n\n"
            "# Next\n\nEnd.\n")
    reading = read(text, "markdown", ALL_STYLES)
    assert [r.reason for r in reading.exempt] == ["reddit", "discord", "spoiler heading", "reddit", "pragma"]
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1, 7):
            expected = [r for r in reading.exempt if r.end > start and r.start < end]
            assert reading.exempt_within(start, end) == expected
