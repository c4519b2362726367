"""``GET /healthz``: 200 only while the model is loaded and the engine is scoring; 503 otherwise.

It never waits for the model (the event loop does not run it), so a load balancer's probe is
answered while big reviews are scored.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from spoilerscan.serve.errors import error_responses, not_ready
from spoilerscan.serve.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses=error_responses(503))
def healthz(request: Request) -> Health:
    """Ready: the model is loaded and warm, and the engine takes work."""
    service = getattr(request.app.state, "service", None)
    if service is None:
        raise not_ready("the model is loading")
    if not service.engine.ready:
        raise not_ready(service.engine.error or "the scoring engine has stopped")
    return Health(status="ready")
