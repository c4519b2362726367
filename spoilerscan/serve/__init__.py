"""``spoilerscan serve``: the detector as a warm HTTP service, and a review page (the 'serve' extra).

Layers: :mod:`.settings` (the options), :mod:`.state` (detector, project and engine, opened by
the lifespan), :mod:`.app` (the factory), :mod:`.routes` (the /v1 API, health, the page),
:mod:`.schemas` (bodies), :mod:`.errors` (one error shape), :mod:`.guard` (size, encoding, load,
disconnects, request log), :mod:`.auth` (the bearer token), :mod:`.runner` (one uvicorn process),
:mod:`.workers` (``--workers N``), :mod:`.server` (either). Scoring is :mod:`spoilerscan.service`'s,
shared with the language server.
"""

from __future__ import annotations

from spoilerscan.serve.app import create_app
from spoilerscan.serve.settings import ServeSettings

__all__ = ["ServeSettings", "create_app"]
