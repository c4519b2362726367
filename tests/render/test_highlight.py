"""Highlights: Markdown <mark>, the HTML page, the terminal and plain text with scores."""


from __future__ import annotations

import base64
import hashlib
import html

from spoilerscan.render import (
    highlight_html,
    highlight_markdown,
    highlight_terminal,
)
from tests.helpers.rendering import annotate

# --- highlight ------------------------------------------------------------------------------


def test_markdown_highlight() -> None:
    text = "Great cast. **He dies** at the end.\n\n- She dies too.\n"
    out = highlight_markdown(text, annotate(text))
    assert out == ('Great cast. <mark title="spoiler score 1.00">**He dies** at the end.</mark>\n\n'
                   '- <mark title="spoiler score 1.00">She dies too.</mark>\n')


MARK = '<mark class="spoiler" title="spoiler score 1.00" data-score="1.00" tabindex="0">'


def review_of(page: str) -> str:
    """The review part of a page: what lies inside its review element."""
    return page.split('<div id="review" class="review" tabindex="-1">', 1)[1].split("</div>", 1)[0]


def test_html_highlight_is_an_escaped_full_page() -> None:
    text = "I love <i>this</i> & that. The <b>hero</b> dies & is \"gone\". Fine."
    page = highlight_html(text, annotate(text), title="<review>.md")
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in page
    assert "<title>&lt;review&gt;.md</title>" in page
    assert "I love &lt;i&gt;this&lt;/i&gt; &amp; that. <mark" in page
    assert (f"{MARK}The &lt;b&gt;hero&lt;/b&gt; dies &amp; is &quot;gone&quot;.</mark>") in page
    assert "<b>" not in page
    assert "1 spoiler sentence marked" in page
    # Unescaping the review part gives the input back exactly.
    body = review_of(page).replace(MARK, "").replace("</mark>", "")
    assert html.unescape(body) == text


def test_html_highlight_counts_plural() -> None:
    text = "He dies. She dies."
    assert "2 spoiler sentences marked (threshold 0.50)" in highlight_html(text, annotate(text))


def test_html_highlight_has_the_two_views_a_legend_and_no_form() -> None:
    text = "Fine. He dies."
    page = highlight_html(text, annotate(text), title="review.md")
    assert 'data-mode="static"' in page
    assert '<input type="radio" name="view" value="highlight" checked>' in page
    assert '<input type="radio" name="view" value="hide">' in page
    assert 'class="legend"' in page and "click" in page
    assert "<form" not in page and "<textarea" not in page and "live -->" not in page
    assert "{{" not in page


def test_html_highlight_runs_only_its_own_style_and_script() -> None:
    page = highlight_html("He dies.", annotate("He dies."))
    policy = html.unescape(page.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0])
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = {source: "sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
              for source in (style, script)}
    assert f"style-src '{digest[style]}'" in policy and f"script-src '{digest[script]}'" in policy
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    assert "http://" not in page and "https://" not in page  # nothing to fetch: it works offline


def test_terminal_highlight_marks_spoilers_with_scores() -> None:
    text = "Fine. He dies. Fine again."
    rich_text = highlight_terminal(text, annotate(text))
    assert rich_text.plain == "Fine. He dies. [1.00] Fine again."
    styled = [(span.start, span.end, str(span.style)) for span in rich_text.spans]
    assert (6, 14, "bold red") in styled


