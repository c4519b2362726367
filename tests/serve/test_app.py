"""The app factory: the lifespan owns the engine, health says ready only while it scores, the
schema and docs are served, the page is there, and CORS only for the origins named."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager

from spoilerscan.serve.app import app_from_environment
from spoilerscan.serve.settings import ServeSettings, to_environment
from spoilerscan.serve.state import runtime_settings
from spoilerscan.settings import Settings
from tests.serve.conftest import StubDetector, app_of, serving

pytestmark = pytest.mark.anyio


async def test_the_lifespan_loads_once_warms_up_and_stops_the_engine(stub: StubDetector) -> None:
    loads: list[Settings] = []
    settings = ServeSettings(log_requests=False)

    def load(given: Settings) -> StubDetector:
        loads.append(given)
        return stub

    from spoilerscan.serve import create_app

    app = create_app(settings, load)
    assert app.state.service is None
    async with LifespanManager(app):
        service = app.state.service
        assert loads == [runtime_settings(settings)] and service.engine.ready
        assert not loads[0].spinning and loads[0].encoder_batch == settings.encoder_batch
        assert stub.batches == [["The service is warming up."]]  # warm before the first request
    assert app.state.service is None and not service.engine.ready
    assert len(loads) == 1


async def test_the_openapi_schema_documents_every_endpoint_and_character_offsets(stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        schema = (await client.get("/openapi.json")).json()
        docs = await client.get("/docs")
    assert {"/v1/annotate", "/v1/redact", "/v1/check", "/v1/annotate/batch", "/v1/model", "/healthz"} <= \
        set(schema["paths"])
    sentence = schema["components"]["schemas"]["Sentence"]["properties"]
    assert "code points" in sentence["start"]["description"] and "UTF-16" in sentence["end"]["description"]
    assert "422" in schema["paths"]["/v1/redact"]["post"]["responses"]
    assert "ErrorBody" in str(schema["paths"]["/v1/redact"]["post"]["responses"]["503"])
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_no_cors_unless_origins_are_named(stub: StubDetector) -> None:
    preflight = {"origin": "https://reviews.example", "access-control-request-method": "POST",
                 "access-control-request-headers": "content-type"}
    async with serving(app_of(stub)) as client:
        closed = await client.options("/v1/annotate", headers=preflight)
        simple = await client.post("/v1/annotate", json={"text": "x"}, headers={"origin": "https://reviews.example"})
    assert "access-control-allow-origin" not in closed.headers and closed.status_code == 405
    assert "access-control-allow-origin" not in simple.headers
    async with serving(app_of(stub, allow_origins=("https://reviews.example",))) as client:
        allowed = await client.options("/v1/annotate", headers=preflight)
        other = await client.options("/v1/annotate", headers={**preflight, "origin": "https://evil.example"})
        answered = await client.post("/v1/annotate", json={"text": "x"}, headers={"origin": "https://reviews.example"})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://reviews.example"
    assert "access-control-allow-origin" not in other.headers
    assert answered.headers["access-control-allow-origin"] == "https://reviews.example"
    assert "x-inference-time" in answered.headers["access-control-expose-headers"]


async def test_a_worker_process_builds_its_app_from_the_environment(stub: StubDetector,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    settings = ServeSettings(max_bytes=1234, token="t", allow_origins=("https://a.example",), log_requests=False)
    for key, value in to_environment(settings).items():
        monkeypatch.setenv(key, value)
    app = app_from_environment()
    assert app.state.settings == settings
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/v1/annotate", content=b"x" * 2000, headers={"content-type": "application/json"})
    assert response.status_code == 413
