"""Models load once, in the background, with an embedding cache; a failed load is reported, not retried
at every keystroke; a waiter that gives up does not stop the load others wait for."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from spoilerscan.errors import ModelError
from spoilerscan.lsp.models import ModelPool
from spoilerscan.model.detect import Detector, EmbeddingCache
from spoilerscan.runtime import load_detector
from spoilerscan.settings import Settings


def one_thread(settings: Settings) -> Detector:
    """The detector the settings name, on one ONNX Runtime thread (the tests share two cores)."""
    return load_detector(dataclasses.replace(settings, threads=1))


def test_a_model_loads_once_with_an_embedding_cache_and_progress(tiny_model_dir: Path) -> None:
    loads: list[Path | None] = []
    reports: list[str] = []

    def load(settings: Settings) -> Detector:
        loads.append(settings.model)
        return one_thread(settings)

    async def progress(title: str) -> Callable[[str], None]:
        reports.append(title)
        return reports.append

    pool = ModelPool(load, progress, cache_sentences=123)

    async def scenario() -> None:
        try:
            first, second = await asyncio.gather(pool.get(tiny_model_dir), pool.get(tiny_model_dir))
            assert first is second and first.engine.ready
            assert isinstance(first.detector.cache, EmbeddingCache) and first.detector.cache.size == 123
        finally:
            pool.stop()

    asyncio.run(scenario())
    assert loads == [tiny_model_dir]
    assert reports == ["Loading the spoilerscan model (model)", "ready"]


def test_a_waiter_that_gives_up_does_not_cancel_the_loading(tiny_model_dir: Path) -> None:
    gate = threading.Event()

    def slow(settings: Settings) -> Detector:
        gate.wait(60)
        return one_thread(settings)

    pool = ModelPool(slow)

    async def scenario() -> bool:
        try:
            impatient = asyncio.ensure_future(pool.get(tiny_model_dir))
            await asyncio.sleep(0)
            impatient.cancel()
            gate.set()
            return (await asyncio.wait_for(pool.get(tiny_model_dir), 60)).engine.ready
        finally:
            pool.stop()

    assert asyncio.run(scenario())


def test_a_model_that_cannot_load_is_an_error_until_failures_are_forgotten(tmp_path: Path) -> None:
    loads: list[Path | None] = []

    def load(settings: Settings) -> Detector:
        loads.append(settings.model)
        return one_thread(settings)

    pool = ModelPool(load)

    async def scenario() -> None:
        try:
            for _ in range(2):
                with pytest.raises(ModelError, match="model directory not found"):
                    await pool.get(tmp_path / "no-model")
            pool.forget_failures()  # the settings or the watched files changed
            with pytest.raises(ModelError):
                await pool.get(tmp_path / "no-model")
        finally:
            pool.stop()

    asyncio.run(scenario())
    assert loads == [tmp_path / "no-model"] * 2  # once, then once more after the failures were forgotten
