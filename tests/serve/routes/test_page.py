"""The review page at ``/``: served with its policy, and used in a real browser (headless Chromium)
against a real ``spoilerscan serve``: paste the example review, find its spoilers, hide them and
reveal one by a click or the keyboard, switch the style and copy the redacted text, open or drop a
file, an emoji before a spoiler, phone width. A screenshot of the page is kept (docs/serve-page.png
comes from this test: set SPOILERSCAN_SCREENSHOTS=docs)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from spoilerscan.cli import app as cli_app
from spoilerscan.render import review_page
from tests.helpers.browser import COVERED, browser_context, chromium, problems_of, text_colour
from tests.helpers.serverprocess import Server
from tests.helpers.serverprocess import serving as serve_process
from tests.serve.conftest import StubDetector, app_of, serving

REPO = Path(__file__).parents[3]
EXAMPLE = REPO / "examples" / "sixth-sense-review.md"
SPOILER = "In the final scene we learn that Malcolm Crowe has been dead the whole time"


@pytest.mark.anyio
async def test_the_review_page_is_served_with_its_policy(stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        response = await client.get("/")
        icon = await client.get("/favicon.ico")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.text == review_page.live_page()
    # the page's own <meta> policy, and frame-ancestors (which only a header can carry): no site may frame it
    assert response.headers["content-security-policy"] == \
        review_page.assets().policy(live=True) + "; frame-ancestors 'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert icon.status_code == 204


# --- in a browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_server(tmp_path_factory: pytest.TempPathFactory, shipped_model_dir: Path) -> Iterator[Server]:
    chromium()  # no browser, no need for a server
    with serve_process(tmp_path_factory.mktemp("served"), "-m", shipped_model_dir) as server:
        yield server


@pytest.fixture(scope="module")
def everything_flagged(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Iterator[Server]:
    """The tiny model at --threshold 0: every sentence is a spoiler."""
    chromium()
    with serve_process(tmp_path_factory.mktemp("flagged"), "-m", tiny_model_dir, "-t", "0") as server:
        yield server


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[Any]:
    with browser_context(tmp_path / "profile", viewport={"width": 1000, "height": 900}) as context:
        yield context


def open_page(browser: Any, server: Server) -> tuple[Any, list[str]]:
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = browser.new_page()
    problems = problems_of(page)
    page.goto(f"{server.url}/")
    return page, problems


def paste(page: Any, text: str) -> None:
    """Put ``text`` on the clipboard and paste it into the review box with the keyboard, as a writer does."""
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    page.focus("#review-input")
    page.keyboard.press("Control+V")


def keep_screenshot(page: Any, tmp_path: Path, name: str) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG")
    if folder := os.environ.get("SPOILERSCAN_SCREENSHOTS"):
        page.screenshot(path=str(Path(folder) / name), full_page=True)


@pytest.mark.slow
def test_paste_find_hide_reveal_and_copy_the_redacted_text(shipped_server: Server, browser: Any,
                                                           tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    page, problems = open_page(browser, shipped_server)
    assert page.is_hidden("#result")
    paste(page, text)
    assert page.input_value("#review-input") == text
    page.click("#find-button")
    spoiler = page.locator("#review mark.spoiler", has_text=SPOILER)
    spoiler.wait_for()
    assert spoiler.count() == 1
    assert re.fullmatch(r"spoiler score 0\.\d\d", spoiler.get_attribute("title") or "")
    assert page.locator("#review").evaluate("review => review.textContent") == text  # all of it, marks inside
    assert text_colour(spoiler) != COVERED  # highlighted: readable
    assert "spoiler sentences of 24 marked" in page.inner_text("#summary")

    page.check('input[name="view"][value="hide"]')
    assert text_colour(spoiler) == COVERED and spoiler.get_attribute("aria-expanded") == "false"
    plain = page.locator("#review").evaluate("review => review.firstChild.textContent")
    assert plain.startswith("# The Sixth Sense (1999)")  # the rest stays readable
    keep_screenshot(page, tmp_path, "serve-page-hidden.png")
    spoiler.click()
    assert text_colour(spoiler) != COVERED and spoiler.get_attribute("aria-expanded") == "true"
    spoiler.click()
    assert text_colour(spoiler) == COVERED  # a second click covers it again
    spoiler.focus()
    page.keyboard.press("Enter")  # and the keyboard reveals it (each mark is in the Tab order)
    assert text_colour(spoiler) != COVERED and spoiler.get_attribute("tabindex") == "0"

    page.select_option("#style-select", "reddit")
    page.click("#copy-button")
    page.locator("#status", has_text="Redacted text copied.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    expected = CliRunner().invoke(cli_app, ["redact", str(EXAMPLE), "--style", "reddit", "-q"]).stdout
    assert copied == expected and ">!In the final scene" in copied
    assert page.input_value("#redacted-output") == expected
    page.check('input[name="view"][value="highlight"]')
    keep_screenshot(page, tmp_path, "serve-page.png")
    assert problems == []  # no script error, nothing the page's policy blocked


@pytest.mark.slow
def test_an_emoji_before_a_spoiler_keeps_every_mark_on_its_sentence(everything_flagged: Server, browser: Any) -> None:
    """The API counts code points, JavaScript UTF-16 units: each emoji shifts a naive mark by one."""
    text = "\U0001f47b A ghost story. \U0001f3ac The doctor was dead all along. Caf\u00e9 \U0001f600 fine."
    page, problems = open_page(browser, everything_flagged)
    page.select_option("#format-select", "text")
    page.fill("#review-input", text)
    page.click("#find-button")
    page.locator("#review mark.spoiler").first.wait_for()
    shown = page.locator("#review mark.spoiler").all_text_contents()
    scored = httpx.post(f"{everything_flagged.url}/v1/annotate", json={"text": text, "format": "text"},
                        timeout=30).json()["sentences"]
    assert shown == [s["text"] for s in scored]
    assert shown[1].startswith("\U0001f3ac The doctor") and shown[-1].endswith("\U0001f600 fine.")
    assert page.locator("#review").evaluate("review => review.textContent") == text
    assert problems == []


@pytest.mark.slow
def test_open_or_drop_a_file(everything_flagged: Server, browser: Any, tmp_path: Path) -> None:
    page, problems = open_page(browser, everything_flagged)
    review = tmp_path / "my-review.txt"
    review.write_text("Plain words. He dies at the end.\n", encoding="utf-8")
    page.set_input_files("#file-input", str(review))
    page.locator("#status", has_text="Opened my-review.txt").wait_for()
    assert page.input_value("#review-input") == review.read_text(encoding="utf-8")
    assert page.input_value("#format-select") == "text" and page.title() == "my-review.txt"
    dropped = page.evaluate_handle("""text => {
        const data = new DataTransfer();
        data.items.add(new File([text], "dropped.md", {type: "text/markdown"}));
        return data;
    }""", "# Title\n\nShe *dies*.\n")
    page.dispatch_event("#review-input", "drop", {"dataTransfer": dropped})
    page.locator("#status", has_text="Opened dropped.md").wait_for()
    assert page.input_value("#review-input") == "# Title\n\nShe *dies*.\n"
    assert page.input_value("#format-select") == "markdown" and page.inner_text("#title") == "dropped.md"
    page.click("#find-button")
    page.locator("#review mark.spoiler", has_text="She *dies*.").wait_for()
    assert problems == []


@pytest.mark.slow
def test_readable_at_phone_width(shipped_server: Server, tmp_path: Path) -> None:
    with browser_context(tmp_path / "phone", viewport={"width": 360, "height": 740}, is_mobile=True,
                         device_scale_factor=2) as phone:
        page, problems = open_page(phone, shipped_server)
        page.fill("#review-input", EXAMPLE.read_text(encoding="utf-8"))
        page.click("#find-button")
        page.locator("#review mark.spoiler", has_text=SPOILER).wait_for()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0  # nothing wider than the screen: no sideways scrolling
        for control in ("#find-button", "#copy-button", "#style-select"):
            box = page.locator(control).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
        keep_screenshot(page, tmp_path, "serve-page-phone.png")
        assert problems == []
