"""The service's tests: apps over the tiny model or a stub detector, driven in-process through
httpx's ASGITransport with the lifespan run by asgi-lifespan (no socket, no server process)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from spoilerscan.model.detect import Detector, KnownSpoilers, SentenceScore
from spoilerscan.model.features import SentenceInput
from spoilerscan.serve import ServeSettings, create_app
from spoilerscan.serve.state import Service

BASE_URL = "http://testserver"


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


class StubDetector:
    """Scores a sentence 0.9 if it says 'dies', else 0.1. ``gate`` holds the worker inside a batch
    (``entered`` tells a test it is there), so a test decides when scoring happens."""

    threshold = 0.5
    fail_threshold = 0.8
    precision = "stub"
    path = Path("stub-model")

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.batches: list[list[str]] = []
        self.fail = False

    def embed_cached(self, sentences: Sequence[str]) -> np.ndarray:
        self.entered.set()
        assert self.gate.wait(30)
        if self.fail:
            raise RuntimeError("the model broke")
        self.batches.append(list(sentences))
        return np.array([[0.9 if "dies" in s else 0.1] for s in sentences], dtype=np.float32)

    def score_embedded(self, reviews: Sequence[Sequence[SentenceInput]], embeddings: np.ndarray,
                       known: KnownSpoilers | None = None) -> list[list[SentenceScore]]:
        flat = iter(embeddings)
        return [[SentenceScore(float(next(flat)[0])) for _ in review] for review in reviews]

    def known_spoilers(self, reveals: list[str]) -> KnownSpoilers:
        return KnownSpoilers((), np.zeros((0, 1), np.float32), 1.0)


@pytest.fixture()
def stub() -> StubDetector:
    return StubDetector()


@pytest.fixture(scope="session")
def tiny_detector(tiny_model_dir: Path) -> Detector:
    return Detector.load(tiny_model_dir, threads=1)


def app_of(detector: object, **settings: object) -> FastAPI:
    return create_app(ServeSettings(**{"log_requests": False, **settings}), lambda _: detector)


@asynccontextmanager
async def serving(app: FastAPI, raise_app_exceptions: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app, its lifespan started first (the model loaded and warm) and ended after."""
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60) as client:
            yield client


def service_of(app: FastAPI) -> Service:
    service = app.state.service
    assert service is not None, "the lifespan has not started"
    return service


async def until(condition: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    """Wait, a bounded number of short steps, for something another thread or task does."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def wait_for(event: threading.Event, seconds: float = 20.0) -> None:
    """Wait for a thread's event without blocking the loop."""
    assert await asyncio.to_thread(event.wait, seconds), "the event was not set"


async def holding_the_worker(client: httpx.AsyncClient, stub: StubDetector,
                             text: str = "The worker holds this.") -> asyncio.Task[httpx.Response]:
    """A request the stub's worker has started and holds until ``stub.gate`` is set: what the next waits behind."""
    stub.gate.clear()
    stub.entered.clear()
    held = asyncio.create_task(client.post("/v1/annotate", json={"text": text}))
    await wait_for(stub.entered)
    return held
