"""Raw-text elements (<script>, <style>, <textarea>, <xmp>, …) hold no prose, inline or as blocks, in
Markdown and HTML: never scored, never wrapped (redact once wrote ``<script>>!var twist = 1;!<</script>``)."""

from __future__ import annotations

import pytest

from spoilerscan.model.detect import annotate_with, sentence_scorer
from spoilerscan.reading.markup import RedactStyle
from spoilerscan.reading.segment import read
from spoilerscan.render import redact

twist = sentence_scorer(lambda sentences: [0.9 if "twist" in s else 0.1 for s in sentences])


@pytest.mark.parametrize(("fmt", "text", "hidden"), [
    ("markdown", "Fine film. <script>var twist = 1;</script> A twist ends it.\n", "var twist = 1;"),
    ("markdown", "Fine. <STYLE>.twist { }</style> And <textarea>the twist</textarea> ok.\n", ".twist { }"),
    ("markdown", "Fine. <xmp>twist</xmp> The twist.\n", "<xmp>twist</xmp>"),
    ("markdown", "<script>\nvar twist = 1;\n</script>\n\nThe twist.\n", "var twist = 1;"),
    ("html", "<p>Fine. <script>var twist = 1;</script> A twist ends it.</p>", "var twist = 1;"),
    ("html", "<p>Fine.</p><textarea>a <b>twist</b></textarea><xmp>twist</xmp><p>A twist.</p>", "a <b>twist</b>"),
])
def test_raw_text_is_never_scored_or_wrapped(fmt: str, text: str, hidden: str) -> None:
    reading = read(text, fmt)
    start = text.index(hidden)
    assert reading.scorable[start : start + len(hidden)].strip() == ""
    for style in RedactStyle:
        redacted = redact(text, annotate_with(text, twist, 0.5, fmt=fmt), style)
        assert hidden in redacted  # the element's content comes back as it was
    assert ">!A twist ends it.!<" in redact(text, annotate_with(text, twist, 0.5, fmt=fmt), RedactStyle.reddit) \
        or "A twist ends it." not in text


def test_an_unclosed_inline_script_hides_the_rest_of_its_paragraph_only() -> None:
    text = "Fine. <script>twist. More twist.\n\nThe next twist.\n"
    reading = read(text, "markdown")
    assert [reading.scored_text(s) for s in reading.sentences] == ["Fine.", "The next twist."]
