"""The quick fixes' edits: the same text `redact` writes, a pragma that skips the sentence and keeps the
page's structure, and an allowed phrase written into pyproject.toml without disturbing the rest."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from spoilerscan.lsp.edits import allowed_phrase_insertion, difference, ignore_insertion, mark_change
from spoilerscan.model.detect import annotate_with, sentence_scorer
from spoilerscan.reading.markup import HIDING_STYLES, IGNORE_PRAGMA, RedactStyle
from spoilerscan.reading.segment import read
from spoilerscan.render import redact
from spoilerscan.settings import load_config

REPO = Path(__file__).parents[2]
REVIEW = (REPO / "examples" / "sixth-sense-review.md").read_text(encoding="utf-8")
FINAL_SCENE = ("In the final scene we learn that Malcolm Crowe has been dead the whole time, killed by his former "
               "patient in the opening minutes.")
TABLE = "| Film | Verdict |\n| --- | --- |\n| The Others | She was dead. Great. |\n"
HTML = "<html><body><p>A fine film. <b>He was dead</b> all along. Go.</p></body></html>"


def applied(text: str, change: tuple[int, int, str] | None) -> str:
    assert change is not None
    start, end, replacement = change
    return text[:start] + replacement + text[end:]


def redacted_by_the_library(text: str, fmt: str, chosen: set[str], style: RedactStyle) -> str:
    """What `redact` writes when the model flags exactly these sentences (scores from a stub scorer)."""
    scorer = sentence_scorer(lambda sentences: [1.0 if s.strip() in chosen else 0.0 for s in sentences])
    reading = read(text, fmt, HIDING_STYLES)
    return redact(text, annotate_with(text, scorer, 0.5, reading=reading), style)


@pytest.mark.parametrize("style", list(RedactStyle))
@pytest.mark.parametrize(("text", "fmt", "sentences"), [
    (REVIEW, "markdown", [FINAL_SCENE]),
    (REVIEW, "markdown", [FINAL_SCENE, "Every conversation with his wife was one-sided, which is why she never "
                                       "answers him at dinner."]),
    (REVIEW, "markdown", ["The scares are built from sound and framing rather than gore."]),  # a list item
    (TABLE, "markdown", ["She was dead."]),
    (HTML, "html", ["He was dead all along."]),
])
def test_mark_as_spoiler_writes_what_redact_writes(text: str, fmt: str, sentences: list[str],
                                                   style: RedactStyle) -> None:
    reading = read(text, fmt, HIDING_STYLES)
    spans = [(s.start, s.end) for s in reading.sentences if reading.scored_text(s).strip() in sentences]
    assert len(spans) == len(sentences), [reading.scored_text(s) for s in reading.sentences]
    change = mark_change(text, reading, spans, style)
    assert applied(text, change) == redacted_by_the_library(text, fmt, set(sentences), style)
    assert change is not None and change[1] - change[0] < len(text) // 2  # one small edit, not the whole text


def test_adjacent_sentences_share_one_wrapper() -> None:
    text = "Intro. He dies. She lives. Outro."
    reading = read(text, "markdown", HIDING_STYLES)
    spans = [(s.start, s.end) for s in reading.sentences[1:3]]
    assert applied(text, mark_change(text, reading, spans, RedactStyle.reddit)) == \
        "Intro. >!He dies. She lives.!< Outro."


def test_difference_is_the_smallest_single_change() -> None:
    assert difference("abcdef", "abXYef") == (2, 4, "XY")
    assert difference("aaa", "aaaa") == (3, 3, "a")
    assert difference("same", "same") is None


def block_structure(text: str) -> list[str]:
    """Markdown's block tokens, without HTML (comments) and without the text inside."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    return [t.type for t in tokens if t.type not in ("html_block", "inline")]


@pytest.mark.parametrize(("text", "sentence"), [
    ("Intro. He dies. Outro.\n", "He dies."),  # text before it on its line: inline
    ("Intro.\nHe dies.\nOutro.\n", "He dies."),  # opens a wrapped paragraph's line: end of the line before
    ("Intro.\n\nHe dies.\n", "He dies."),  # opens a paragraph after a blank line: a line of its own
    ("He dies.\n", "He dies."),  # opens the file: a line of its own
    ("- a\n- He dies.\n", "He dies."),  # a list item: the item before keeps the comment
    ("- a\n\n- He dies.\n", "He dies."),  # a loose list: a line between the items would split the list
    ("```\ncode\n```\nHe dies.\n", "He dies."),  # after a fence: a line of its own, the fence untouched
    ("# Title\n\n> He dies.\n", "He dies."),
    ("> Intro.\n>\n> He dies.\n", "He dies."),  # a quote's second paragraph: the quote stays one
    ("> ```\n> x\n> ```\n> He dies.\n", "He dies."),  # after a fence in a quote: inside the quote
    ("  - a\n\n    He dies.\r\n", "He dies."),  # a list item's second paragraph
])
def test_the_ignore_pragma_skips_the_sentence_and_keeps_the_structure(text: str, sentence: str) -> None:
    reading = read(text, "markdown")
    start = next(s.start for s in reading.sentences if text[s.start : s.end] == sentence)
    at, insertion = ignore_insertion(text, reading.document, start)
    after = text[:at] + insertion + text[at:]
    assert IGNORE_PRAGMA in after
    assert sentence not in [after[s.start : s.end] for s in read(after, "markdown").sentences]
    assert [after[s.start : s.end] for s in read(after, "markdown").sentences] == \
        [text[s.start : s.end] for s in reading.sentences if s.start != start]
    assert block_structure(after) == block_structure(text)


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_outside_markdown_the_pragma_goes_just_before_the_sentence(fmt: str) -> None:
    text = "He dies.\nShe lives."
    reading = read(text, fmt)
    start = text.index("She")
    assert ignore_insertion(text, reading.document, start) == (start, IGNORE_PRAGMA + " ")


PHRASE = 'The "twist" [ending]'


@pytest.mark.parametrize("toml", [
    "[project]\nname = 'x'\n\n[tool.spoilerscan]\nthreshold = 0.5\n",
    "[tool.spoilerscan]\nallowed-phrases = []\n",
    "[tool.spoilerscan]\nallowed-phrases = [\"Nobody Dies\"]  # titles\n[tool.other]\nx = 1\n",
    "[tool.spoilerscan]\nallowed-phrases = [\n    \"Nobody Dies\",  # a ] in a comment\n    'No Time to Die',\n]\n",
    "[tool.spoilerscan]\nallowed-phrases = [\n  \"a ] # b\",\n  \"\"\"multi\nline\"\"\"\n]\n",
    "[tool.spoilerscan]\r\nallowed-phrases = [\r\n    \"Nobody Dies\",\r\n]\r\n",
    "[tool.spoilerscan]  # settings\nstyle = \"reddit\"\n",
])
def test_a_phrase_is_added_to_allowed_phrases_and_nothing_else_changes(toml: str, tmp_path: Path) -> None:
    insertion = allowed_phrase_insertion(toml, PHRASE)
    assert insertion is not None
    at, text = insertion
    after = toml[:at] + text + toml[at:]
    before, now = tomllib.loads(toml), tomllib.loads(after)
    phrases = now["tool"]["spoilerscan"].pop("allowed-phrases")
    assert phrases == [*before["tool"]["spoilerscan"].pop("allowed-phrases", []), PHRASE]
    assert now == before
    config = tmp_path / "pyproject.toml"
    config.write_text(after, encoding="utf-8", newline="")
    assert PHRASE in load_config(config).allowed_phrases


@pytest.mark.parametrize("toml", [
    "[tool.spoilerscan]\nallowed-phrases = ['The \"twist\" [ending]']\n",  # there already
    "[tool]\nspoilerscan.threshold = 0.5\n",  # dotted keys: no table header to write under
    "tool.spoilerscan = { threshold = 0.5 }\n",
    "[tool.spoilerscan\nthreshold = \n",  # not TOML
    "[project]\nname = 'x'\n",  # no table at all
])
def test_a_file_that_cannot_be_edited_safely_gets_no_edit(toml: str) -> None:
    assert allowed_phrase_insertion(toml, PHRASE) is None
