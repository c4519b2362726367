"""The app factory: :func:`create_app` builds the FastAPI app of a set of settings.

Its lifespan loads the detector once, starts the engine and scores one sentence before the
server takes any request (uvicorn binds only after the lifespan has started), and stops the
engine when the server shuts down. Routes live in :mod:`spoilerscan.serve.routes`, one module per
concern; errors in :mod:`spoilerscan.serve.errors`; size, encoding, load and disconnects in
:mod:`spoilerscan.serve.guard`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from spoilerscan import __version__
from spoilerscan.runtime.runtime import DetectorLoader
from spoilerscan.serve import errors
from spoilerscan.serve.guard import RequestGuard, Traffic
from spoilerscan.serve.routes import api, health, page
from spoilerscan.serve.schemas import OFFSETS
from spoilerscan.serve.settings import ServeSettings, from_environment
from spoilerscan.serve.state import close_service, open_service

DESCRIPTION = f"""Find the sentences of a review that give the story away, and hide or mark them.

{OFFSETS} Every error is `{{"error": {{"code": …, "message": …}}}}`. With `--token`, every `/v1`
call needs `Authorization: Bearer <token>`. The review page is at `/`. See docs/serve.md.
"""


def create_app(settings: ServeSettings, load: DetectorLoader | None = None) -> FastAPI:
    """The service's app; ``load`` makes its detector from the runtime's settings (default: the runtime's
    loader, ``--model`` in ``--precision``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = await open_service(settings, load)
        app.state.service = service
        try:
            yield
        finally:
            app.state.service = None
            # within what is left of --shutdown-timeout (the engine's worker is abandoned mid-batch after it)
            await asyncio.to_thread(service.engine.stop, traffic.engine_seconds(settings.shutdown_seconds))
            await close_service(service)

    app = FastAPI(title="spoilerscan", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.service = None
    app.state.traffic = traffic = Traffic()
    errors.install(app)
    app.include_router(api.router)
    app.include_router(health.router)
    app.include_router(page.router)
    app.add_middleware(RequestGuard, settings=settings, traffic=traffic)
    if settings.allow_origins:  # outside the guard, so that its refusals reach the browser's script too
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.allow_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"],
                           expose_headers=["Retry-After", "x-queue-time", "x-inference-time"], max_age=600)
    return app


def app_from_environment() -> FastAPI:
    """The app of a worker process of ``spoilerscan serve --workers N`` (its settings come in the environment)."""
    return create_app(from_environment())
