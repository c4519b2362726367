"""``GET /``: the review page (spoilerscan.render.review_page), for a writer without a terminal.

One HTML document with its style sheet and script inline: no other request, works offline. Its
Content Security Policy is sent as a header as well as in the page; the header adds
``frame-ancestors 'none'`` (which a ``<meta>`` policy cannot carry), so no other site can frame the
page and trick a click on it.
"""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from spoilerscan.render import review_page as page

router = APIRouter(tags=["page"])


@cache
def _page() -> str:
    return page.live_page()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def review_page() -> HTMLResponse:
    return HTMLResponse(_page(), headers={
        "Content-Security-Policy": f"{page.assets().policy(live=True)}; frame-ancestors 'none'",
        "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"})


@router.get("/favicon.ico", include_in_schema=False)
def no_icon() -> Response:
    """No icon: an empty answer, so that a browser's request for one is not a 404."""
    return Response(status_code=204)
