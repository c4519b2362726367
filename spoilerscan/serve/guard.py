"""What every request passes before the API sees it, as plain ASGI: size, encoding, load, and its client.

- A body over ``--max-bytes`` is refused with 413 before it is read whole: at once when its
  Content-Length says so, else as soon as the bytes received pass the limit (chunked uploads).
- A body that is not UTF-8 is refused with 400 (JSON is UTF-8, RFC 8259); a POST whose
  Content-Type is not JSON with 415 (so that a browser on another site cannot send one without
  CORS asking first).
- More than ``max_requests`` requests at once are refused with 503 and Retry-After (``/healthz``
  is always answered), so memory stays bounded whatever the number of clients.
- A client that disconnects before its answer cancels its request: the engine then skips the job
  if it has not started (Starlette would otherwise score it for nobody).
- One log line per request: method, path (never the query), status, sizes, times; never review text.
- ``x-queue-time`` and ``x-inference-time`` (milliseconds) say where a scoring request's time went.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spoilerscan.serve.errors import RETRY_OVERLOADED_SECONDS, error_response
from spoilerscan.service.engine import JobTimes, job_times

requests_log = logging.getLogger("spoilerscan.serve.requests")
UNCOUNTED_PATHS = frozenset({"/healthz"})


@dataclass
class Traffic:
    """Requests being answered now (``/v1/model`` reports it; tests wait on it)."""

    in_flight: int = 0


class _TooLarge(Exception):
    pass


class RequestGuard:
    def __init__(self, app: ASGIApp, max_bytes: int, max_requests: int, traffic: Traffic,
                 log_requests: bool = True) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_requests = max_requests
        self.traffic = traffic
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        counted = scope["path"] not in UNCOUNTED_PATHS
        record: dict[str, Any] = {"status": 0, "received": 0, "sent": 0}
        times = JobTimes()
        if counted and self.traffic.in_flight >= self.max_requests:
            await self._refuse(scope, receive, send, record, 503, "overloaded",
                               f"{self.traffic.in_flight} requests are being answered; retry shortly",
                               {"Retry-After": str(RETRY_OVERLOADED_SECONDS)})
            self._log(scope, record, began, times)
            return
        if counted:
            self.traffic.in_flight += 1
        try:
            await self._guarded(scope, receive, send, record, times)
        finally:
            if counted:
                self.traffic.in_flight -= 1
            self._log(scope, record, began, times)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, record: dict[str, Any],
                       times: JobTimes) -> None:
        media = (_header(scope, b"content-type") or "application/json").split(";", 1)[0].strip().lower()
        if scope["method"] == "POST" and not (media == "application/json" or media.endswith("+json")):
            await self._refuse(scope, receive, send, record, 415, "unsupported_media_type",
                               f"send the body as JSON, with 'Content-Type: application/json' (not {media})")
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(scope, receive, send, record, 400, "bad_request", "invalid Content-Length header")
                return
            if int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send, record, 413, "too_large", self._too_large(int(declared)))
                return
        try:
            body = await self._read_body(receive, record)
        except _TooLarge:
            await self._refuse(scope, receive, send, record, 413, "too_large", self._too_large(None))
            return
        if body is None:  # the client left before it had sent its request
            record["status"] = "gone"
            return
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as error:
            await self._refuse(scope, receive, send, record, 400, "invalid_utf8",
                               f"the request body is not valid UTF-8 (byte {error.start})")
            return
        await self._answer(scope, receive, send, record, times, body)

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
                      body: bytes) -> None:
        """Run the app on the body read, cancelling it if the client disconnects before the answer is sent."""
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

        token = job_times.set(times)
        try:
            handler = asyncio.ensure_future(self.app(scope, replay, tracked))
        finally:
            job_times.reset(token)

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            client_gone.set()
            if not answered:
                handler.cancel()

        watcher = asyncio.ensure_future(watch())
        try:
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

    def _too_large(self, declared: int | None) -> str:
        size = f" ({declared} bytes)" if declared is not None else ""
        return f"the request body{size} is over the limit of {self.max_bytes} bytes (--max-bytes)"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, record: dict[str, Any], status: int,
                      code: str, message: str, headers: dict[str, str] | None = None) -> None:
        closing = {"Connection": "close"} if status in (400, 413, 415) else {}
        response = error_response(status, code, message, {**closing, **(headers or {})})
        record["status"] = status
        record["sent"] += len(response.body)
        await response(scope, receive, send)

    def _log(self, scope: Scope, record: dict[str, Any], began: float, times: JobTimes) -> None:
        if not self.log_requests:
            return
        client = scope.get("client")
        scoring = (f" queue {times.queued * 1000:.1f} ms inference {times.scoring * 1000:.1f} ms"
                   if times.jobs else "")
        requests_log.info("%s %s %s %s in %d B out %d B %.1f ms%s", client[0] if client else "-", scope["method"],
                          scope["path"], record["status"], record["received"], record["sent"],
                          (time.perf_counter() - began) * 1000, scoring)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


def _milliseconds(seconds: float) -> bytes:
    return f"{seconds * 1000:.3f}".encode("ascii")
