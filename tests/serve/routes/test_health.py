"""GET /healthz: ready only while the model is loaded and the engine scores."""

from __future__ import annotations

import httpx
import pytest

from tests.serve.conftest import StubDetector, app_of, serving
from tests.serve.test_errors import error_of

pytestmark = pytest.mark.anyio


async def test_health_is_ready_while_the_engine_scores(stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ready"}


async def test_before_the_lifespan_has_loaded_the_model_nothing_is_scored(stub: StubDetector) -> None:
    transport = httpx.ASGITransport(app=app_of(stub))  # no lifespan: the model is not loaded
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        health = await client.get("/healthz")
        scored = await client.post("/v1/annotate", json={"text": "x"})
    assert "loading" in error_of(health, 503, "not_ready")
    assert "loading" in error_of(scored, 503, "not_ready")
    assert stub.batches == []
