"""The request guard: the body limit before reading, disconnects that free their work, the cap on
requests in flight, and request logs without review text."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from spoilerscan.serve import ServeSettings
from spoilerscan.serve.guard import RequestGuard, Traffic
from tests.serve.conftest import StubDetector, app_of, holding_the_worker, service_of, serving, until
from tests.serve.test_errors import error_of

pytestmark = pytest.mark.anyio


def http_scope(path: str, headers: list[tuple[bytes, bytes]], method: str = "POST") -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}


async def test_a_declared_body_over_the_limit_is_refused_before_any_of_it_is_read() -> None:
    reads: list[str] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not be called")

    async def receive() -> dict[str, Any]:
        reads.append("read")
        return {"type": "http.request", "body": b"x" * 10, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    guard = RequestGuard(app, ServeSettings(max_bytes=1000, max_requests=10, log_requests=False), Traffic())
    await guard(http_scope("/v1/annotate", [(b"content-length", b"1001"), (b"content-type", b"application/json")]),
                receive, send)
    assert reads == []
    assert sent[0]["status"] == 413 and (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["error"]["code"] == "too_large"


async def test_a_streamed_body_is_refused_once_it_passes_the_limit_without_reading_the_rest(stub: StubDetector) -> None:
    yielded: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for n in range(100):
            yielded.append(n)
            yield b'{"text": "' if n == 0 else b"x" * 1000

    async with serving(app_of(stub, max_bytes=5000)) as client:
        response = await client.post("/v1/annotate", content=chunks(), headers={"content-type": "application/json"})
    assert "over the limit of 5000 bytes" in error_of(response, 413, "too_large")
    assert len(yielded) < 10  # the body was not read whole


async def test_a_body_at_the_limit_is_read() -> None:
    body = json.dumps({"text": "He dies."}).encode()
    async with serving(app_of(StubDetector(), max_bytes=len(body))) as client:
        response = await client.post("/v1/annotate", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200


async def test_a_client_that_disconnects_frees_its_work(stub: StubDetector) -> None:
    app = app_of(stub)
    async with LifespanManager(app) as manager, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://testserver") as client:
        engine = service_of(app).engine
        busy = await holding_the_worker(client, stub)
        gone = asyncio.Event()
        body = [{"type": "http.request", "body": json.dumps({"text": "The client went away."}).encode(),
                 "more_body": False}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if body:
                return body.pop()
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        leaving = asyncio.create_task(manager.app(http_scope("/v1/annotate", [(b"content-type", b"application/json")]),
                                                  receive, send))
        await until(lambda: engine.queued_sentences == 1, "the request to queue its sentence")
        gone.set()
        await asyncio.wait_for(leaving, 20)  # it ends at once, without an answer
        stub.gate.set()
        assert (await busy).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
    assert sent == []
    assert engine.stats.skipped == 1
    assert not any("The client went away." in batch for batch in stub.batches)


async def test_past_the_cap_on_requests_in_flight_a_503_and_health_still_answers(stub: StubDetector) -> None:
    async with serving(app_of(stub, max_requests=1)) as client:
        busy = await holding_the_worker(client, stub, "Held.")
        refused = await client.post("/v1/annotate", json={"text": "One too many."})
        health = await client.get("/healthz")
        stub.gate.set()
        assert (await busy).status_code == 200
    assert "1 requests are being answered" in error_of(refused, 503, "overloaded")
    assert refused.headers["retry-after"] == "1"
    assert health.status_code == 200


async def test_requests_are_logged_without_review_text_or_query(stub: StubDetector,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="spoilerscan.serve.requests")
    async with serving(app_of(stub, log_requests=True)) as client:
        await client.post("/v1/redact", json={"text": "The butler did it. He dies."})
        await client.get("/healthz?text=The+butler+did+it")
        await client.post("/v1/annotate", json={"text": "The butler did it.", "format": "rtf"})
    lines = [record.getMessage() for record in caplog.records if record.name == "spoilerscan.serve.requests"]
    assert len(lines) == 3
    assert lines[0].startswith("127.0.0.1 POST /v1/redact 200 in ") and "inference" in lines[0]
    assert lines[1].startswith("127.0.0.1 GET /healthz 200")
    assert lines[2].startswith("127.0.0.1 POST /v1/annotate 422")
    assert not any("butler" in line.lower() for line in lines)
