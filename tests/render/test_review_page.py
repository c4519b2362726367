"""The review page template: one file set shared by highlight --format html and serve's page."""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path

import pytest

from spoilerscan.reading.markup import RedactStyle
from spoilerscan.render import highlight_html
from spoilerscan.render import review_page as page
from tests.helpers.browser import COVERED, browser_context, problems_of, text_colour
from tests.helpers.rendering import annotate


def test_the_template_files_are_package_resources() -> None:
    folder = files("spoilerscan.render") / "page"
    assert {"review.html", "review.css", "review.js"} <= {entry.name for entry in folder.iterdir()}
    assert page.assets().template.startswith("<!DOCTYPE html>")


def test_the_live_page_has_the_form_every_style_and_may_fetch_its_own_server_only() -> None:
    live = page.live_page()
    assert 'data-mode="live"' in live
    assert '<form id="review-form"' in live and '<textarea id="review-input"' in live
    assert 'accept=".md,.markdown,.txt' in live
    for style in RedactStyle:
        assert f'<option value="{style.value}"' in live
    assert '<button type="button" id="copy-button">' in live
    assert '<section id="result" class="result" aria-labelledby="summary" hidden>' in live
    assert "{{" not in live and "live -->" not in live
    policy = html.unescape(live.split('Content-Security-Policy" content="', 1)[1].split('"', 1)[0])
    assert "connect-src 'self'" in policy and "default-src 'none'" in policy


def test_a_value_that_looks_like_a_placeholder_stays_as_it_is() -> None:
    out = page.standalone_page("{{title}}", "{{script}} {{review}}", "{{summary}}")
    assert "<title>{{title}}</title>" in out
    assert '<div id="review" class="review" tabindex="-1">{{script}} {{review}}</div>' in out


def test_the_count_line() -> None:
    assert page.spoiler_count(1, 0.5) == "1 spoiler sentence marked (threshold 0.50)."
    assert page.spoiler_count(0, 0.351) == "0 spoiler sentences marked (threshold 0.35)."


@pytest.mark.slow
def test_the_standalone_page_hides_and_reveals_in_a_browser(tmp_path: Path) -> None:
    """highlight --format html in headless Chromium: its script runs under its own policy (the views
    switch), a click reveals a covered spoiler, and nothing is fetched."""
    text = "A fine film. In the end he dies. The score is lovely."
    out = tmp_path / "review.html"
    out.write_text(highlight_html(text, annotate(text), title="review.md"), encoding="utf-8")
    with browser_context(tmp_path / "profile") as browser:
        page = browser.new_page()
        problems = problems_of(page)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(out.as_uri())
        assert page.title() == "review.md"
        spoiler = page.locator("#review mark.spoiler")
        assert spoiler.count() == 1 and spoiler.text_content() == "In the end he dies."
        assert spoiler.get_attribute("title") == "spoiler score 1.00"
        assert text_colour(spoiler) != COVERED
        page.check('input[name="view"][value="hide"]')
        assert text_colour(spoiler) == COVERED
        spoiler.click()
        assert text_colour(spoiler) != COVERED
        assert page.locator("#review").evaluate("review => review.textContent") == text
    assert problems == []
    assert requests == [out.as_uri()]  # the page alone: no style sheet, script or font fetched
