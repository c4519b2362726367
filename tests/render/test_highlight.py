"""Highlights: Markdown <mark>, the HTML page, the terminal and plain text with scores."""


from __future__ import annotations

import html

from spoilerscan.render import (
    highlight_html,
    highlight_markdown,
    highlight_terminal,
)
from tests.render.common import annotate

# --- highlight ------------------------------------------------------------------------------


def test_markdown_highlight() -> None:
    text = "Great cast. **He dies** at the end.\n\n- She dies too.\n"
    out = highlight_markdown(text, annotate(text))
    assert out == ('Great cast. <mark title="spoiler score 1.00">**He dies** at the end.</mark>\n\n'
                   '- <mark title="spoiler score 1.00">She dies too.</mark>\n')


def test_html_highlight_is_an_escaped_full_page() -> None:
    text = "I love <i>this</i> & that. The <b>hero</b> dies & is \"gone\". Fine."
    page = highlight_html(text, annotate(text), title="<review>.md")
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in page
    assert "<title>&lt;review&gt;.md</title>" in page
    assert "I love &lt;i&gt;this&lt;/i&gt; &amp; that. <mark" in page
    assert ('<mark class="spoiler" title="spoiler score 1.00">The &lt;b&gt;hero&lt;/b&gt; dies &amp; is '
            "&quot;gone&quot;.</mark>") in page
    assert "<b>" not in page
    assert "1 spoiler sentence marked" in page
    # Unescaping the review part gives the input back exactly.
    body = page.split('<div class="review">', 1)[1].split("</div>", 1)[0]
    body = body.replace('<mark class="spoiler" title="spoiler score 1.00">', "").replace("</mark>", "")
    assert html.unescape(body) == text


def test_html_highlight_counts_plural() -> None:
    text = "He dies. She dies."
    assert "2 spoiler sentences marked (threshold 0.50)" in highlight_html(text, annotate(text))


def test_terminal_highlight_marks_spoilers_with_scores() -> None:
    text = "Fine. He dies. Fine again."
    rich_text = highlight_terminal(text, annotate(text))
    assert rich_text.plain == "Fine. He dies. [1.00] Fine again."
    styled = [(span.start, span.end, str(span.style)) for span in rich_text.spans]
    assert (6, 14, "bold red") in styled


