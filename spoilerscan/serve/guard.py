"""What every request passes before the API sees it, as plain ASGI: who, what size, how long, and its client.

In order, from the headers alone (nothing of the body read yet, the connection closed after):
- During shutdown, 503 ``shutting_down``: the load balancer sends the request elsewhere.
- A POST whose Content-Type is not JSON: 415 (a browser on another site cannot send JSON
  without CORS asking first); a malformed Content-Length: 400; one over ``--max-bytes``: 413.
- With ``--token``, a ``/v1`` call without it: 401. So a client without the token holds nothing:
  not a reading slot, not a request slot, not a byte of memory for its body.
- Two budgets, so that slow clients cannot hold what others need: at most ``max_reading`` bodies
  being received at once (``max_client_reading`` from one client address), each within
  ``--body-timeout`` seconds (408 after that); and at most ``max_requests`` requests being
  answered (their body read). Past either, 503 with Retry-After; ``/healthz`` is always answered.
Then the body: not over ``--max-bytes`` (413 as soon as the bytes received pass it, for chunked
uploads), UTF-8 (400; JSON is UTF-8, RFC 8259). Then the answer, within ``--request-timeout``
(503 ``timeout`` after that) and within the shutdown deadline (503 ``shutting_down``): either way
the work is cancelled, and the engine drops it before its next slice. A request may submit at most
``max_queued_sentences`` sentences in all (413 ``too_many_sentences``).

A client that disconnects before its answer cancels its request the same way. One log line per
request: method, path (never the query), status, sizes, times; never review text.
``x-queue-time`` and ``x-inference-time`` (milliseconds) say where a scoring request's time went.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spoilerscan.serve.auth import CHALLENGE, authorization_of, token_problem
from spoilerscan.serve.errors import RETRY_NOT_READY_SECONDS, RETRY_OVERLOADED_SECONDS, error_response
from spoilerscan.serve.settings import ServeSettings
from spoilerscan.service.engine import JobTimes, RequestBudget, job_times, request_budget

requests_log = logging.getLogger("spoilerscan.serve.requests")
UNCOUNTED_PATHS = frozenset({"/healthz"})
# At shutdown, requests still running this long before the timeout are answered 503 (at most a quarter
# of it), leaving the rest to stop the engine and end the process.
STOP_MARGIN_SECONDS = 2.0
ENGINE_MARGIN_SECONDS = 0.5  # ... and the engine is left (its worker thread abandoned) this long before
_CLOSING = (400, 401, 408, 413, 415)


@dataclass
class Traffic:
    """Requests being answered and bodies being received now (``/v1/model`` reports them; tests wait on
    them), and the shutdown deadline once the server is stopping."""

    in_flight: int = 0
    reading: int = 0
    reading_by_client: Counter[str] = field(default_factory=Counter)
    stop_at: float = math.inf  # time.monotonic() by which every request is answered
    end_at: float = math.inf  # ... and by which the engine has stopped
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self, within: float) -> None:
        """The server is shutting down: answer what is in flight (or refuse it, 503) within ``within`` s."""
        now = time.monotonic()
        self.stop_at = now + within - min(STOP_MARGIN_SECONDS, within / 4)
        self.end_at = now + within - min(ENGINE_MARGIN_SECONDS, within / 8)
        self.stopping.set()

    def engine_seconds(self, default: float) -> float:
        """How long the engine may take to stop: what is left of the shutdown timeout, once stopping."""
        return max(self.end_at - time.monotonic(), 0.0) if self.stopping.is_set() else default


class _TooLarge(Exception):
    pass


class RequestGuard:
    def __init__(self, app: ASGIApp, settings: ServeSettings, traffic: Traffic) -> None:
        self.app = app
        self.settings = settings
        self.max_bytes = settings.max_bytes
        self.traffic = traffic

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.monotonic()
        record: dict[str, Any] = {"status": 0, "received": 0, "sent": 0}
        times = JobTimes()
        try:
            await self._guarded(scope, receive, send, record, times, began)
        finally:
            self._log(scope, record, began, times)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, record: dict[str, Any],
                       times: JobTimes, began: float) -> None:
        traffic = self.traffic
        if traffic.stopping.is_set():
            await self._shutting_down(scope, receive, send, record)
            return
        refusal = self._from_headers(scope)
        if refusal is not None:
            await self._refuse(scope, receive, send, record, *refusal)
            return
        counted = scope["path"] not in UNCOUNTED_PATHS
        if counted and traffic.in_flight >= self.settings.max_requests:
            await self._overloaded(scope, receive, send, record, f"{traffic.in_flight} requests are being answered")
            return
        body = b""
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") or _header(scope, b"content-length") not in (None, "0"):
            read = await self._receive_body(scope, receive, send, record, began)
            if read is None:
                return
            body = read
        if counted and traffic.in_flight >= self.settings.max_requests:
            await self._overloaded(scope, receive, send, record, f"{traffic.in_flight} requests are being answered")
            return
        if counted:
            traffic.in_flight += 1
        try:
            await self._answer(scope, receive, send, record, times, body, began)
        finally:
            if counted:
                traffic.in_flight -= 1

    def _from_headers(self, scope: Scope) -> tuple[int, str, str, dict[str, str]] | None:
        """Status, code, message and headers of a refusal the headers alone decide (None: go on)."""
        media = (_header(scope, b"content-type") or "application/json").split(";", 1)[0].strip().lower()
        if scope["method"] == "POST" and not (media == "application/json" or media.endswith("+json")):
            return (415, "unsupported_media_type",
                    f"send the body as JSON, with 'Content-Type: application/json' (not {media})", {})
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return 400, "bad_request", "invalid Content-Length header", {}
            if int(declared) > self.max_bytes:
                return 413, "too_large", self._too_large(int(declared)), {}
        if scope["path"].startswith("/v1"):
            problem = token_problem(authorization_of(scope.get("headers", [])), self.settings.token)
            if problem is not None:
                return 401, "unauthorized", problem, CHALLENGE
        return None

    async def _receive_body(self, scope: Scope, receive: Receive, send: Send, record: dict[str, Any],
                            began: float) -> bytes | None:
        """The body, read within the body timeout and a reading slot; None once answered (or the client left)."""
        traffic, settings = self.traffic, self.settings
        client = _client(scope)
        if traffic.reading >= settings.max_reading:
            await self._overloaded(scope, receive, send, record, f"{traffic.reading} request bodies are being received")
            return None
        if traffic.reading_by_client[client] >= settings.max_client_reading:
            count = traffic.reading_by_client[client]
            await self._overloaded(scope, receive, send, record,
                                   f"{count} request bodies from {client} are being received")
            return None
        traffic.reading += 1
        traffic.reading_by_client[client] += 1
        reading = asyncio.ensure_future(self._read_body(receive, record))
        try:
            arrived = await self._within(reading, began + settings.body_seconds)
        finally:
            traffic.reading -= 1
            traffic.reading_by_client[client] -= 1
            if traffic.reading_by_client[client] <= 0:
                del traffic.reading_by_client[client]
            if not reading.done():
                reading.cancel()
        if not arrived:
            if traffic.stopping.is_set():
                await self._shutting_down(scope, receive, send, record)
            else:
                await self._refuse(scope, receive, send, record, 408, "request_timeout",
                                   f"the request body did not arrive within {settings.body_seconds:g} s "
                                   "(--body-timeout)")
            return None
        try:
            body = reading.result()
        except _TooLarge:
            await self._refuse(scope, receive, send, record, 413, "too_large", self._too_large(None))
            return None
        if body is None:  # the client left before it had sent its request
            record["status"] = "gone"
            return None
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as error:
            await self._refuse(scope, receive, send, record, 400, "invalid_utf8",
                               f"the request body is not valid UTF-8 (byte {error.start})")
            return None
        return body

    async def _within(self, task: asyncio.Future[Any], limit: float) -> bool:
        """Wait for ``task`` until ``limit`` (time.monotonic()) or the shutdown deadline; whether it ended."""
        stopping = asyncio.ensure_future(self.traffic.stopping.wait())
        try:
            while not task.done():
                left = min(limit, self.traffic.stop_at) - time.monotonic()
                if left <= 0:
                    return False
                await asyncio.wait({task} if stopping.done() else {task, stopping}, timeout=left,
                                   return_when=asyncio.FIRST_COMPLETED)
            return True
        finally:
            stopping.cancel()

    async def _read_body(self, receive: Receive, record: dict[str, Any]) -> bytes | None:
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            record["received"] += len(chunk)
            if record["received"] > self.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, record: dict[str, Any], times: JobTimes,
                      body: bytes, began: float) -> None:
        """Run the app on the body read; cancel it if the client disconnects, or when its time (or the
        server's) is up, and then answer 503 if nothing was sent yet."""
        client_gone = asyncio.Event()
        answered = False
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            await client_gone.wait()
            return {"type": "http.disconnect"}

        async def tracked(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                record["status"] = message["status"]
                if times.jobs:
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"x-queue-time", _milliseconds(times.queued)),
                                                      (b"x-inference-time", _milliseconds(times.scoring))]}
            elif message["type"] == "http.response.body":
                record["sent"] += len(message.get("body", b""))
                answered = answered or not message.get("more_body", False)
            await send(message)

        tokens = job_times.set(times), request_budget.set(RequestBudget(self.settings.max_queued_sentences))
        try:
            handler = asyncio.ensure_future(self.app(scope, replay, tracked))
        finally:
            job_times.reset(tokens[0])
            request_budget.reset(tokens[1])

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            client_gone.set()
            if not answered:
                handler.cancel()

        watcher = asyncio.ensure_future(watch())
        try:
            if not await self._within(handler, began + self.settings.request_seconds):
                handler.cancel()
                await asyncio.wait({handler})
                if not handler.cancelled() and handler.exception() is None:
                    return  # it finished as it was cancelled: answered
                if record["status"]:  # the answer had begun: nothing else can be said
                    return
                if self.traffic.stopping.is_set():
                    await self._shutting_down(scope, receive, send, record)
                else:
                    await self._refuse(scope, receive, send, record, 503, "timeout",
                                       f"the request took longer than {self.settings.request_seconds:g} s "
                                       "(--request-timeout); send a shorter text or retry later",
                                       {"Retry-After": str(RETRY_OVERLOADED_SECONDS)})
                return
            await handler
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not client_gone.is_set() or (current is not None and current.cancelling()):
                raise
            record["status"] = "gone"  # the client left: its work was cancelled, nobody to answer
        except BaseException:
            record["status"] = record["status"] or 500
            raise
        finally:
            watcher.cancel()

    async def _overloaded(self, scope: Scope, receive: Receive, send: Send, record: dict[str, Any],
                          message: str) -> None:
        await self._refuse(scope, receive, send, record, 503, "overloaded", f"{message}; retry shortly",
                           {"Retry-After": str(RETRY_OVERLOADED_SECONDS)})

    async def _shutting_down(self, scope: Scope, receive: Receive, send: Send, record: dict[str, Any]) -> None:
        await self._refuse(scope, receive, send, record, 503, "shutting_down",
                           "the server is shutting down; retry (another instance will answer)",
                           {"Retry-After": str(RETRY_NOT_READY_SECONDS), "Connection": "close"})

    def _too_large(self, declared: int | None) -> str:
        size = f" ({declared} bytes)" if declared is not None else ""
        return f"the request body{size} is over the limit of {self.max_bytes} bytes (--max-bytes)"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, record: dict[str, Any], status: int,
                      code: str, message: str, headers: dict[str, str] | None = None) -> None:
        closing = {"Connection": "close"} if status in _CLOSING else {}
        response = error_response(status, code, message, {**closing, **(headers or {})})
        record["status"] = status
        record["sent"] += len(response.body)
        await response(scope, receive, send)

    def _log(self, scope: Scope, record: dict[str, Any], began: float, times: JobTimes) -> None:
        if not self.settings.log_requests:
            return
        client = scope.get("client")
        scoring = (f" queue {times.queued * 1000:.1f} ms inference {times.scoring * 1000:.1f} ms"
                   if times.jobs else "")
        requests_log.info("%s %s %s %s in %d B out %d B %.1f ms%s", client[0] if client else "-", scope["method"],
                          scope["path"], record["status"], record["received"], record["sent"],
                          (time.monotonic() - began) * 1000, scoring)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


def _milliseconds(seconds: float) -> bytes:
    return f"{seconds * 1000:.3f}".encode("ascii")


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"
