"""The review page: one template, with its style sheet and script, for two uses.

``highlight --format html`` writes it as a standalone page of one review (:func:`standalone_page`);
``spoilerscan serve`` serves it at ``/`` with a form that asks the API (:func:`live_page`). Both
show the review with its spoiler sentences highlighted (score on hover) or covered until clicked,
and a legend. Everything is inline, so the page needs no other file and works offline; a Content
Security Policy lets only its own style sheet and script run (their hashes), and fetch only its
own server. The template files live in ``page/`` beside this module and ship in the wheel.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from spoilerscan import __version__
from spoilerscan.reading.markup import RedactStyle

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_LIVE_ONLY = re.compile(r"<!-- live -->\n.*?<!-- /live -->\n", re.DOTALL)
_LIVE_MARKERS = re.compile(r"<!-- /?live -->\n")


@dataclass(frozen=True)
class PageAssets:
    """The template and what it inlines, read once from the package."""

    template: str
    style: str
    script: str

    def policy(self, live: bool) -> str:
        """The Content Security Policy: this style sheet and this script only; the live page may fetch its server."""
        connect = "'self'" if live else "'none'"
        return (f"default-src 'none'; style-src '{_sha256(self.style)}'; script-src '{_sha256(self.script)}'; "
                f"connect-src {connect}; img-src 'none'; base-uri 'none'; form-action 'none'")


def _sha256(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


@cache
def assets() -> PageAssets:
    folder = files("spoilerscan.render") / "page"
    return PageAssets(*((folder / name).read_text(encoding="utf-8") for name in ("review.html", "review.css",
                                                                                 "review.js")))


def _fill(template: str, values: dict[str, str]) -> str:
    """Put each value in its {{placeholder}}, in one pass: text of a value is never read as a placeholder."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _page(live: bool, title: str, summary: str, review: str, result_hidden: bool = False) -> str:
    parts = assets()
    template = _LIVE_MARKERS.sub("", parts.template) if live else _LIVE_ONLY.sub("", parts.template)
    options = "".join(f'<option value="{style.value}"{" selected" if style is RedactStyle.block else ""}>'
                      f"{style.value}</option>" for style in RedactStyle)
    return _fill(template, {
        "csp": html.escape(parts.policy(live)), "version": __version__, "title": html.escape(title),
        "mode": "live" if live else "static", "style": parts.style, "script": parts.script,
        "summary": html.escape(summary), "review": review, "style_options": options,
        "result_hidden": " hidden" if result_hidden else "",
    })


def spoiler_count(count: int, threshold: float) -> str:
    """The line above a review: how many spoiler sentences are marked, and from what score."""
    return f"{count} spoiler sentence{'s' if count != 1 else ''} marked (threshold {threshold:.2f})."


def standalone_page(title: str, review: str, summary: str) -> str:
    """A whole page of one review; ``review`` is its HTML (escaped text and spoiler ``<mark>``s)."""
    return _page(False, title, summary, review)


def live_page(title: str = "spoilerscan: check a review") -> str:
    """The page ``spoilerscan serve`` serves: the same page, empty, with the form that fills it."""
    return _page(True, title, "", "", result_hidden=True)
