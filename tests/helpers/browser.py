"""Headless Chromium for the review page's tests: Debian's binary driven by Playwright's Python API.

Never a browser download: the tests use /usr/bin/chromium (``.ci/run`` installs Debian's package
when it is missing) and skip only where no such binary exists. Each context gets a fresh profile
folder, and is closed (the browser with it) even when a test fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGUMENTS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync"]
COVERED = "rgba(0, 0, 0, 0)"  # the computed colour of a covered spoiler's text: transparent


def chromium() -> Path:
    found = CHROMIUM if CHROMIUM.exists() else Path(shutil.which("chromium") or CHROMIUM)
    if not found.exists():
        pytest.skip("chromium is missing: the review page's browser tests need Debian's chromium package "
                    "(apt-get install chromium; .ci/run installs it)")
    return found


@contextmanager
def browser_context(profile: Path, **options: Any) -> Iterator[Any]:
    """A Playwright BrowserContext of headless Chromium with a fresh profile in ``profile``."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(executable), headless=True, args=ARGUMENTS, **options)
        try:
            yield context
        finally:
            context.close()


def text_colour(locator: Any) -> str:
    return str(locator.evaluate("element => getComputedStyle(element).color"))


def problems_of(page: Any) -> list[str]:
    """Console errors and uncaught exceptions of a page, collected from now on (a CSP violation is one)."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems
