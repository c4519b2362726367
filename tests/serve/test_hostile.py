"""A fair, bounded service under hostile clients: the token before the body, body and request time
limits, separate budgets for reading and answering, sentence limits, and shutdown that answers all."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from spoilerscan.reading.segment import MAX_SENTENCE_CHARS
from spoilerscan.reading.stopping import ReadingStopped
from spoilerscan.runtime import Project
from spoilerscan.serve import ServeSettings
from spoilerscan.serve.guard import RequestGuard, Traffic
from tests.serve.conftest import StubDetector, app_of, holding_the_worker, service_of, serving, until
from tests.serve.test_errors import error_of
from tests.serve.test_guard import http_scope

pytestmark = pytest.mark.anyio
JSON = (b"content-type", b"application/json")


class Trickle:
    """An ASGI client that sends its headers and then a first byte of its body, and nothing more
    (until ``release``): the slow client of a trickle attack."""

    def __init__(self) -> None:
        self.reads = 0
        self.sent: list[dict[str, Any]] = []
        self.release = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        self.reads += 1
        if self.reads == 1:
            return {"type": "http.request", "body": b"{", "more_body": True}
        await self.release.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int | None:
        return self.sent[0]["status"] if self.sent else None


def client_of(app: Any, address: str = "127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 123)), base_url="http://testserver")


def trickling(path: str = "/v1/annotate", token: bytes | None = None,
              client: str = "127.0.0.1") -> dict[str, Any]:
    headers = [JSON, (b"content-length", b"50")]
    if token is not None:
        headers.append((b"authorization", b"Bearer " + token))
    return {**http_scope(path, headers), "client": (client, 5000)}


async def test_without_the_token_a_trickling_client_is_refused_before_its_body_is_read(stub: StubDetector) -> None:
    app = app_of(stub, token="secret")
    async with LifespanManager(app) as manager:
        clients = [Trickle() for _ in range(300)]  # more than every budget of the service
        await asyncio.wait_for(asyncio.gather(*(manager.app(trickling(), c.receive, c.send) for c in clients)), 30)
        assert {c.status for c in clients} == {401} and {c.reads for c in clients} == {0}
        assert app.state.traffic.reading == 0
        async with client_of(manager.app) as client:  # a token holder meanwhile: answered
            ok = await client.post("/v1/annotate", json={"text": "He dies."},
                                   headers={"authorization": "Bearer secret"})
    assert ok.status_code == 200


async def test_a_non_ascii_token_is_compared_as_utf8_bytes(stub: StubDetector) -> None:
    async with serving(app_of(stub, token="sécrèt-ключ")) as client:
        right = await client.post("/v1/annotate", json={"text": "x"},
                                  headers=[(b"authorization", "Bearer sécrèt-ключ".encode())])
        latin1 = await client.post("/v1/annotate", json={"text": "x"},
                                   headers=[(b"authorization", "Bearer sécrèt".encode("latin-1") + "-ключ".encode())])
    assert right.status_code == 200
    error_of(latin1, 401, "unauthorized")


async def test_a_body_that_does_not_arrive_in_time_is_a_408_and_frees_its_slot(stub: StubDetector) -> None:
    app = app_of(stub, body_seconds=0.2)
    async with LifespanManager(app) as manager:
        slow = Trickle()
        await asyncio.wait_for(manager.app(trickling(), slow.receive, slow.send), 20)
        assert slow.status == 408 and (b"connection", b"close") in slow.sent[0]["headers"]
        assert json.loads(slow.sent[1]["body"])["error"]["code"] == "request_timeout"
        assert app.state.traffic.reading == 0


async def test_one_client_cannot_hold_every_reading_slot(stub: StubDetector) -> None:
    app = app_of(stub, max_client_reading=2, max_reading=3)
    async with LifespanManager(app) as manager:
        traffic = app.state.traffic
        held = [Trickle() for _ in range(2)]
        tasks = [asyncio.ensure_future(manager.app(trickling(), c.receive, c.send)) for c in held]
        await until(lambda: traffic.reading == 2, "two bodies to be received")
        third = Trickle()  # the same address: refused at once
        await asyncio.wait_for(manager.app(trickling(), third.receive, third.send), 20)
        assert third.status == 503
        assert "from 127.0.0.1" in json.loads(third.sent[1]["body"])["error"]["message"]
        async with client_of(manager.app, "10.0.0.2") as client:  # another client has its own slots
            other = await client.post("/v1/annotate", json={"text": "He dies."})
        assert other.status_code == 200
        for c in held:
            c.release.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 20)
    assert traffic.reading == 0 and traffic.in_flight == 0


async def test_a_request_past_its_time_is_a_503_and_its_work_is_dropped(stub: StubDetector) -> None:
    async with serving(app_of(stub, request_seconds=0.5)) as client:
        held = await holding_the_worker(client, stub)
        late = await client.post("/v1/annotate", json={"text": "This waits past its time."})
        stub.gate.set()
        await held
    assert "longer than 0.5 s (--request-timeout)" in error_of(late, 503, "timeout")
    assert late.headers["retry-after"] == "1"
    assert not any("This waits past its time." in batch for batch in stub.batches)


async def test_the_reading_of_a_request_counts_against_its_time(stub: StubDetector,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A text whose reading outlasts --request-timeout is answered 503 timeout; nothing of it is scored."""
    reading = threading.Event()
    release = threading.Event()
    read = Project.read_for_redaction

    def slow_read(self: Project, text: str, fmt: Any) -> Any:
        if "slow" in text:
            reading.set()
            release.wait(20)
        return read(self, text, fmt)

    monkeypatch.setattr(Project, "read_for_redaction", slow_read)
    async with serving(app_of(stub, request_seconds=0.5)) as client:
        warm = len(stub.batches)
        try:
            late = await client.post("/v1/annotate", json={"text": "A slow read."})
        finally:
            release.set()
    assert reading.is_set()
    assert "longer than 0.5 s (--request-timeout)" in error_of(late, 503, "timeout")
    assert stub.batches[warm:] == []


async def test_the_reading_of_a_request_past_its_time_stops_and_is_not_read_to_its_end(
        stub: StubDetector, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reading's thread cannot be killed; a cancelled request sets its stop event, and the reader
    stops at its next check: held until the request has been answered 503, the reading of 150,000
    Markdown paragraphs (750 KB of JSON) then stops instead of reading on for nobody."""
    held, release, outcome = threading.Event(), threading.Event(), []
    read = Project.read_for_redaction

    def held_read(self: Project, text: str, fmt: Any) -> Any:
        held.set()
        release.wait(20)
        try:
            reading = read(self, text, fmt)
        except ReadingStopped:
            outcome.append("stopped")
            raise
        outcome.append("read to its end")
        return reading

    monkeypatch.setattr(Project, "read_for_redaction", held_read)
    async with serving(app_of(stub, request_seconds=0.5)) as client:
        warm = len(stub.batches)
        try:
            late = await client.post("/v1/annotate", json={"text": "a\n\n" * 150_000, "format": "markdown"})
        finally:
            release.set()
        await until(lambda: bool(outcome), "the reading to end")
    assert held.is_set() and "longer than 0.5 s (--request-timeout)" in error_of(late, 503, "timeout")
    assert outcome == ["stopped"] and stub.batches[warm:] == []


async def test_a_request_over_the_sentence_limit_is_a_413(stub: StubDetector) -> None:
    async with serving(app_of(stub, max_queued_sentences=3)) as client:
        one = await client.post("/v1/annotate", json={"text": "One. Two. Three. Four. Five."})
        batch = await client.post("/v1/annotate/batch",
                                  json={"reviews": [{"text": "One. Two."}, {"text": "Three. Four."}]})
        fits = await client.post("/v1/annotate", json={"text": "One. Two. Three."})
    assert "5 sentences, over the limit of 3" in error_of(one, 413, "too_many_sentences")
    assert "over the limit of 3 a request" in error_of(batch, 413, "too_many_sentences")
    assert fits.status_code == 200
    assert not any(len(b) > 3 for b in stub.batches)


async def test_a_text_over_the_configs_max_input_size_is_a_413_before_it_is_read(
        stub: StubDetector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The config's max-input-size, which the commands apply to a file, applies to each text of a
    request (counted in UTF-8 bytes, as a file of it): refused before it is read or scored."""
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.spoilerscan]\nmax-input-size = "1K"\n', encoding="utf-8")
    reads: list[str] = []

    def counted(read: Any) -> Any:
        def reading(self: Project, text: str, fmt: Any) -> Any:
            reads.append(text)
            return read(self, text, fmt)
        return reading

    for name in ("read_for_redaction", "read_for_check"):
        monkeypatch.setattr(Project, name, counted(getattr(Project, name)))
    at_limit, over = "é" * 512, "é" * 512 + "."  # 1,024 and 1,025 bytes, in 512 and 513 characters
    async with serving(app_of(stub, config=config, max_bytes=100_000)) as client:
        warm = len(stub.batches)
        answers = {path: await client.post(path, json={"text": over}) for path in ("/v1/annotate", "/v1/redact",
                                                                                    "/v1/check")}
        batch = await client.post("/v1/annotate/batch", json={"reviews": [{"text": "Fine."}, {"text": over}]})
        fits = await client.post("/v1/annotate", json={"text": at_limit})
    for answer in answers.values():
        assert error_of(answer, 413, "input_too_large") == (
            "text: larger than the maximum input size (1,024 bytes); "
            "raise it with max-input-size in [tool.spoilerscan] of the server's config")
    assert error_of(batch, 413, "input_too_large").startswith("reviews[1].text: larger than the maximum input size")
    assert fits.status_code == 200, fits.text
    assert reads == [at_limit]  # the only text read, and scored (in two windows): nothing of the others
    assert "".join(window for batch in stub.batches[warm:] for window in batch) == at_limit


async def test_1_mb_bodies_are_read_whole_and_judged_by_their_sentences(stub: StubDetector) -> None:
    """Issue 33's 1 MB bodies under the default limits (--max-bytes 1 MB, 50,000 sentences a request),
    read in linear time now: "Go. " * 249,000 holds 249,000 sentences and is refused 413 before any is
    scored; "A. " * 333,000 is one run of initials, cut into windows of MAX_SENTENCE_CHARS, few enough
    to be scored (in the engine's slices, interleaved with other requests)."""
    settings = ServeSettings()
    many, initials = "Go. " * 249_000, "A. " * 333_000
    assert max(len(many), len(initials)) < settings.max_bytes
    async with serving(app_of(stub)) as client:
        warm = len(stub.batches)  # the start-up's warm-up run
        refused = await client.post("/v1/annotate", json={"text": many})
        answered = await client.post("/v1/annotate", json={"text": initials})
    assert "249000 sentences, over the limit of 50000" in error_of(refused, 413, "too_many_sentences")
    assert not any("Go." in batch for batch in stub.batches)
    sentences = answered.json()["sentences"]
    assert answered.status_code == 200 and len(sentences) < settings.max_queued_sentences
    assert max(len(s["text"]) for s in sentences) <= MAX_SENTENCE_CHARS
    assert "".join(s["text"] + " " for s in sentences) == initials  # every byte scored, none dropped
    assert sum(len(batch) for batch in stub.batches[warm:]) == len(sentences)


async def test_at_shutdown_what_is_in_flight_is_answered_503_within_the_timeout(stub: StubDetector) -> None:
    app = app_of(stub)
    async with serving(app) as client:
        held = await holding_the_worker(client, stub)
        waiting = asyncio.create_task(client.post("/v1/annotate", json={"text": "Queued behind it."}))
        await until(lambda: service_of(app).engine.queued_sentences == 1, "the second request to queue")
        app.state.traffic.stop(0.4)  # as SIGTERM does, with --shutdown-timeout 0.4
        refused, late = await asyncio.wait_for(asyncio.gather(held, waiting), 20)
        after = await client.post("/v1/annotate", json={"text": "After the signal."})
        stub.gate.set()
    for response in (refused, late, after):
        assert response.headers["retry-after"] == "5"
        error_of(response, 503, "shutting_down")
    assert not any("Queued behind it." in batch for batch in stub.batches)


async def test_the_guard_reads_no_body_of_a_request_without_the_token() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not be called")

    client = Trickle()
    guard = RequestGuard(app, ServeSettings(token="secret", log_requests=False), Traffic())
    await guard(trickling(token=b"wrong"), client.receive, client.send)
    assert client.reads == 0 and client.status == 401
    assert (b"connection", b"close") in client.sent[0]["headers"]
