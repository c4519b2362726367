"""Spoiler markup (markup.py): what each style marks, warning sections, pragmas and allowed phrases.

Marked text is exempt in every command: these tests go through ``check``'s gate with a keyword
stub; test_render.py and test_cli.py show the same for redact and scan.
"""

from __future__ import annotations

import pytest

from spoilerscan import check
from spoilerscan.check import check_texts, prepare
from spoilerscan.model.detect import sentence_scorer
from spoilerscan.reading.markup import (
    MARKUP,
    MarkupStyle,
    RedactStyle,
    Region,
    Style,
    blank,
    is_spoiler_heading,
    is_warning_line,
    marked_regions,
)
from spoilerscan.settings import ConfigError, parse_styles
from tests.helpers.checkstub import findings_of

# --------------------------------------------------------------------------- marked text


@pytest.mark.parametrize(("style", "text", "marked"), [
    (MarkupStyle.reddit, "Fine. >!He dies.!< Fine.", ">!He dies.!<"),
    (MarkupStyle.reddit, "Fine >!he\ndies!< too.", ">!he\ndies!<"),
    (MarkupStyle.discord, "Fine. ||He dies.|| Fine.", "||He dies.||"),
    (MarkupStyle.bbcode, "Fine. [SPOILER]He dies.[/spoiler] Fine.", "[SPOILER]He dies.[/spoiler]"),
    (MarkupStyle.bbcode, "Fine. [spoiler=Ending]He dies.[/spoiler]", "[spoiler=Ending]He dies.[/spoiler]"),
    (MarkupStyle.bbcode, "[spoiler]a [spoiler]b[/spoiler] dies[/spoiler] x",
     "[spoiler]a [spoiler]b[/spoiler] dies[/spoiler]"),
    (MarkupStyle.discourse, 'Fine.\n[details="Ending"]\nHe dies.\n[/details]\n',
     '[details="Ending"]\nHe dies.\n[/details]'),
    (MarkupStyle.html, "Fine.\n<details><summary>Twist</summary>\n\nHe dies.\n</details>\nFine.",
     "<details><summary>Twist</summary>\n\nHe dies.\n</details>"),
    (MarkupStyle.html, 'A <span class="spoiler">he <b>dies</b></span> b',
     '<span class="spoiler">he <b>dies</b></span>'),
    (MarkupStyle.html, "A <div class='x md-spoiler-text'><div>he</div> dies</div> b",
     "<div class='x md-spoiler-text'><div>he</div> dies</div>"),
    (MarkupStyle.warning, "Fine.\n\n## Spoilers\n\nHe dies.\n", "## Spoilers\n\nHe dies.\n"),
])
def test_each_markup_style_marks_its_text_markup_included(style: MarkupStyle, text: str, marked: str) -> None:
    regions = marked_regions(text, [style])
    assert [text[r.start : r.end] for r in regions] == [marked]
    assert marked_regions(text, [s for s in MarkupStyle if s is not style]) == [] or style is MarkupStyle.bbcode
    assert "dies" not in prepare(text, [style]).scorable
    assert len(prepare(text, [style]).scorable) == len(text)


@pytest.mark.parametrize("text", [
    "He >!dies at the end.",
    "He ||dies at the end.",
    "He [spoiler]dies at the end.",
    "He <details>dies at the end.",
    'He <span class="spoiler">dies at the end.',
    "He >!dies\n\nat the end!<",  # inline markup never crosses a blank line
    'He <span class="highlight">dies</span>.',
])
def test_unclosed_or_non_spoiler_markup_marks_nothing(text: str) -> None:
    assert marked_regions(text) == []
    assert [f.text for f in findings_of(text)] != []


def test_style_setting_limits_which_markup_counts() -> None:
    text = "Fine. ||He dies.|| Fine."
    assert findings_of(text, styles=(MarkupStyle.reddit,))  # Discord markup shows on a Reddit-style site
    assert not findings_of(text, styles=(MarkupStyle.discord,))
    assert parse_styles(["reddit,html"]) == (MarkupStyle.reddit, MarkupStyle.html)
    assert set(parse_styles(["reddit", "all"])) == set(check.ALL_STYLES)
    with pytest.raises(ConfigError, match="unknown style 'spoilers'"):
        parse_styles(["spoilers"])


def test_marked_spoiler_is_not_reported_while_the_same_sentence_unmarked_is() -> None:
    assert [f.text for f in findings_of("Great cast. The mentor dies.")] == ["The mentor dies."]
    assert findings_of("Great cast. >!The mentor dies.!<") == []


def test_only_the_unmarked_rest_of_a_sentence_is_scored_and_shown() -> None:
    seen: list[str] = []

    def scorer(sentences: list[str]) -> list[float]:
        seen.extend(sentences)
        return [0.9] * len(sentences)

    [report] = check_texts([("r.md", "The hero >!dies!< at the end of it.")], sentence_scorer(scorer), 0.5, 0.5)
    assert len(seen) == 1 and "dies" not in seen[0] and "at the end of it." in seen[0]
    assert report.findings[0].text == "The hero … at the end of it."
    assert (report.findings[0].line, report.findings[0].column) == (1, 1)


def test_a_fully_marked_sentence_is_not_scored_at_all() -> None:
    seen: list[str] = []

    def scorer(sentences: list[str]) -> list[float]:
        seen.extend(sentences)
        return [0.9] * len(sentences)

    [report] = check_texts([("r.md", ">!The mentor dies.!<\n\n[spoiler]He dies.[/spoiler].")], sentence_scorer(scorer),
                           0.0, 0.0)
    assert report.findings == [] and report.sentences == 0


# --------------------------------------------------------------------------- warning sections


@pytest.mark.parametrize(("heading", "warns"), [
    ("Spoilers", True), ("The ending (spoilers!)", True), ("SPOILER SECTION", True), ("Major spoilers", True),
    ("Spoiler-free review", False), ("No spoilers here", False), ("Non-spoiler thoughts", False),
    ("Review without spoilers", False), ("The ending", False), ("Spoilerless take", False),
])
def test_spoiler_heading_rule(heading: str, warns: bool) -> None:
    assert is_spoiler_heading(heading) is warns


@pytest.mark.parametrize(("line", "warns"), [
    ("**Spoilers below**", True), ("Warning: major spoilers ahead!", True), ("> SPOILER WARNING", True),
    ("Spoilers for Dune Part Two below:", True), ("Spoilers!", True),
    ("I hate spoilers.", False), ("This review contains spoilers.", False), ("No spoilers below", False),
    ("Spoiler: he dies.", False),
])
def test_warning_line_rule(line: str, warns: bool) -> None:
    assert is_warning_line(line) is warns


def test_spoiler_heading_section_runs_to_the_next_heading_of_its_level() -> None:
    text = "# Film\n\nOk.\n\n## Spoilers\n\nShe dies.\n\n### Also\n\nHe dies.\n\n## Verdict\n\nThe dog dies.\n"
    assert [f.text for f in findings_of(text)] == ["The dog dies."]
    html = "<h2>Spoilers</h2>\n<p>She dies.</p>\n<h2>Verdict</h2>\n<p>The dog dies.</p>\n"
    [finding] = findings_of(html)
    assert "The dog dies." in finding.text and finding.line == 4


def test_warning_line_section_ends_at_a_rule_a_heading_or_an_end_line() -> None:
    text = ("Intro.\n\n**Spoilers below**\n\nShe dies.\n\n---\n\nThe cat dies.\n\nSpoilers ahead!\n\nHe dies.\n\n"
            "End of spoilers.\n\nThe dog dies.\n")
    assert [f.text for f in findings_of(text)] == ["The cat dies.", "The dog dies."]
    assert [f.text for f in findings_of("Spoiler warning\n\nHe dies.\n\nShe dies too.\n")] == []


def test_warning_sections_can_be_turned_off_by_style() -> None:
    text = "## Spoilers\n\nShe dies.\n"
    assert findings_of(text, styles=(MarkupStyle.reddit,))
    assert not findings_of(text, styles=(MarkupStyle.warning,))


# --------------------------------------------------------------------------- pragmas, allowed phrases


def test_ignore_pragma_skips_only_the_next_sentence() -> None:
    text = "Fine. <!-- spoilerscan: ignore --> The title dies. The mentor dies.\n"
    assert [f.text for f in findings_of(text)] == ["The mentor dies."]
    text = "<!--spoilerscan:IGNORE-->\n\nHe dies, says the blurb.\n\nShe dies.\n"
    assert [f.text for f in findings_of(text)] == ["She dies."]


def test_ignore_pragma_skips_a_sentence_even_after_marked_text() -> None:
    text = "<!-- spoilerscan: ignore --> >!Hidden dies.!< The quote dies. He dies.\n"
    assert [f.text for f in findings_of(text)] == ["He dies."]


def test_off_on_block_is_not_scored_and_off_without_on_runs_to_the_end() -> None:
    text = "A dies.\n<!-- spoilerscan: off -->\nB dies.\n<!-- spoilerscan: on -->\nC dies.\n<!-- spoilerscan: on -->\n"
    assert [f.text for f in findings_of(text)] == ["A dies.", "C dies."]
    text = "A dies.\n<!-- spoilerscan: off -->\nB dies.\n\nC dies.\n"
    assert [f.text for f in findings_of(text)] == ["A dies."]
    assert [f.text for f in findings_of("A dies. <!-- spoilerscan: of --> B dies.")] != []  # a typo hides nothing


def test_allowed_phrases_are_not_scored_case_and_line_wrap_insensitive() -> None:
    text = "I watched Nobody\nDies Today twice. Then the mentor dies.\n"
    assert [f.text for f in findings_of(text, phrases=("nobody dies today",))] == ["Then the mentor dies."]
    assert len(findings_of(text)) == 2
    assert len(findings_of("Everybody dies.", phrases=("body dies",))) == 1  # whole words only


# --------------------------------------------------------------------------- issue 11: structure from the document


def test_a_setext_heading_opens_a_spoiler_section() -> None:
    text = "# Film\n\nFine.\n\nSpoilers\n--------\n\nHe dies.\n\n>!The mentor dies.!<\n\n## Verdict\n\nThe dog dies.\n"
    assert [f.text for f in findings_of(text)] == ["The dog dies."]


def test_a_spoiler_line_inside_code_is_code_not_a_warning() -> None:
    text = "Intro.\n\n```\n# spoilers below\n```\n\nIn the end he dies.\n"
    assert [f.text for f in findings_of(text)] == ["In the end he dies."]
    assert [f.text for f in findings_of(text, name="r.txt")] == []  # plain text keeps its line rules


def test_code_is_never_reported() -> None:
    text = "Fine.\n\n```\nhero.dies()\n```\n\n    villain.dies()\n"
    assert findings_of(text) == []


def test_html_headings_and_warning_lines_in_an_html_file() -> None:
    page = "<h2>Spoilers</h2>\n<p>She dies.</p>\n<h2>Verdict</h2>\n<p>The dog dies.</p>\n<p>Ok.</p>"
    assert [(f.text, f.line) for f in findings_of(page, name="r.html")] == [("The dog dies.", 4)]


def test_every_style_is_in_the_table_and_redact_styles_can_be_written() -> None:
    assert set(MARKUP) == set(Style)
    for style in RedactStyle:
        assert Style(style.value) in MARKUP
    assert {s for s, m in MARKUP.items() if m.wrap} == {Style.reddit, Style.discord, Style.bbcode, Style.html}


@pytest.mark.parametrize(("style", "text", "marked"), [
    (Style.block, "Fine. \u2588\u2588\u2588\u2588 x", "\u2588\u2588\u2588\u2588"),
    (Style.label, "Fine. [spoiler] x", "[spoiler]"),
])
def test_redaction_output_counts_as_marked(style: Style, text: str, marked: str) -> None:
    assert [text[r.start : r.end] for r in marked_regions(text, [style])] == [marked]


def test_blank_keeps_length_and_line_breaks() -> None:
    assert blank("ab\r\ncd\nef", [Region(1, 8, "x")]) == "a \r\n  \n f"
    assert blank("abc", [(0, 1), (2, 3)]) == " b "
