"""Models loaded in the background, each with the scoring engine that runs it off the event loop.

The first model starts loading as soon as the client is initialized, with a work-done progress
report; a check that needs a model waits for it, so documents opened meanwhile get their
diagnostics when it is ready. Each detector is opened through a :class:`~spoilerscan.runtime.Runtime`
with an :class:`~spoilerscan.model.detect.EmbeddingCache`: after an edit only
the sentences whose text changed are embedded again (the encoder is nearly all of the cost),
while the review head still reads the whole review, so the findings are exactly ``check``'s.
A model that fails to load is remembered as failed until the settings change, so a missing
model is reported once, not at every keystroke.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from spoilerscan.errors import ModelError
from spoilerscan.model.detect import Detector, default_model_path
from spoilerscan.runtime import Runtime
from spoilerscan.runtime.runtime import DetectorLoader
from spoilerscan.service import ScoringEngine
from spoilerscan.settings import Settings

log = logging.getLogger(__name__)

# Sentences whose embeddings are kept: a 200 KB review has about 2,500, so this holds several
# long reviews and their recent edits (384 floats a sentence for the shipped model: ~30 MB).
DEFAULT_CACHE_SENTENCES = 20_000

Loader = DetectorLoader
ModelKey = tuple[Path, Path | None]
# Begins a progress report with a title; what it returns ends the report with a message.
ProgressStart = Callable[[str], Awaitable[Callable[[str], None]]]


async def _no_progress(title: str) -> Callable[[str], None]:
    return lambda message: None


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A runtime (its detector) and the engine that scores with it."""

    path: Path
    runtime: Runtime
    engine: ScoringEngine

    @property
    def detector(self) -> Detector:
        detector: Detector = self.runtime.detector
        return detector


class ModelPool:
    """One loading or loaded model per model directory and adapter (None: the shipped model, no adapter)."""

    def __init__(self, load: Loader | None = None, progress: ProgressStart = _no_progress,
                 cache_sentences: int = DEFAULT_CACHE_SENTENCES) -> None:
        self._load = load
        self._progress = progress
        self.cache_sentences = cache_sentences
        self._models: dict[ModelKey, asyncio.Task[LoadedModel]] = {}

    def detector_settings(self, wanted: Settings | Path | None) -> Settings:
        """The settings that name a detector (a model directory alone: that model, no adapter), with the
        pool's embedding cache, and no project: each document's is its own."""
        settings = wanted if isinstance(wanted, Settings) else Settings(model_option=wanted)
        return Settings(model_option=settings.model, adapter_option=settings.adapter, precision=settings.precision,
                        threads=settings.threads, cache_sentences=self.cache_sentences)

    @staticmethod
    def key(settings: Settings) -> ModelKey:
        """The model directory (the shipped one for None) and the adapter: the same model with an adapter
        is another detector."""
        model = (settings.model if settings.model is not None else default_model_path()).absolute()
        return model, None if settings.adapter is None else settings.adapter.absolute()

    def start(self, wanted: Settings | Path | None) -> asyncio.Task[LoadedModel]:
        """The loading (or loaded) model ``wanted`` names; loading starts now if it has not yet."""
        settings = self.detector_settings(wanted)
        key = self.key(settings)
        task = self._models.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._load_model(key[0], settings),
                                                          name=f"load model {key[0]}")
            task.add_done_callback(_retrieve)
            self._models[key] = task
        return task

    async def get(self, wanted: Settings | Path | None) -> LoadedModel:
        """Wait for the model ``wanted`` names. Cancelling the wait does not cancel the loading, which other
        documents may be waiting for."""
        model = await asyncio.shield(self.start(wanted))
        if not model.engine.ready:  # a batch failed and broke it: load it afresh next time
            self.forget(self.key(model.runtime.settings))
            raise ModelError(model.engine.error or f"the model {model.path} stopped")
        return model

    def forget(self, key: ModelKey) -> None:
        task = self._models.pop(key, None)
        if task is not None and task.done() and not task.cancelled() and task.exception() is None:
            task.result().engine.stop(timeout=0)

    def forget_failures(self) -> None:
        """Let models that failed to load be tried again (the settings or the files changed)."""
        for key, task in list(self._models.items()):
            if task.done() and (task.cancelled() or task.exception() is not None):
                del self._models[key]

    async def _load_model(self, key: Path, settings: Settings) -> LoadedModel:
        loading = asyncio.ensure_future(asyncio.to_thread(Runtime.open, settings, self._load))
        try:
            end = await self._progress(f"Loading the spoilerscan model ({key.name})")
        except Exception:  # the client could not show progress: load anyway
            log.exception("could not report progress")
            end = await _no_progress("")
        try:
            runtime = await loading
        except ModelError as problem:
            end(f"failed: {problem}")
            raise
        except Exception as problem:  # a corrupt file: ONNX Runtime's own errors
            end("failed")
            raise ModelError(f"cannot load the model {key}: {type(problem).__name__}: {problem}") from problem
        detector = runtime.detector
        engine = ScoringEngine(detector).start()
        log.info("model %s loaded (threshold %.3f, fail threshold %.3f)", key, detector.threshold,
                 detector.fail_threshold)
        end("ready")
        return LoadedModel(key, runtime, engine)

    def stop(self) -> None:
        """Stop every engine (at shutdown) and drop loads still under way."""
        for task in self._models.values():
            if not task.done():
                task.cancel()
            elif not task.cancelled() and task.exception() is None:
                task.result().engine.stop(timeout=1.0)
        self._models.clear()


def _retrieve(task: asyncio.Task[LoadedModel]) -> None:
    """Mark a failed load's exception as seen: the checks that wait for it report it."""
    if not task.cancelled():
        task.exception()
