"""Models loaded in the background, each with the scoring engine that runs it off the event loop.

The first model starts loading as soon as the client is initialized, with a work-done progress
report; a check that needs a model waits for it, so documents opened meanwhile get their
diagnostics when it is ready. Each detector gets an :class:`EmbeddingCache`: after an edit only
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
from spoilerscan.model.detect import Detector, EmbeddingCache, default_model_path
from spoilerscan.service import ScoringEngine

log = logging.getLogger(__name__)

# Sentences whose embeddings are kept: a 200 KB review has about 2,500, so this holds several
# long reviews and their recent edits (384 floats a sentence for the shipped model: ~30 MB).
DEFAULT_CACHE_SENTENCES = 20_000

Loader = Callable[[Path | None], Detector]
# Begins a progress report with a title; what it returns ends the report with a message.
ProgressStart = Callable[[str], Awaitable[Callable[[str], None]]]


async def _no_progress(title: str) -> Callable[[str], None]:
    return lambda message: None


def load_detector(path: Path | None) -> Detector:
    return Detector.load(path)


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A detector and the engine that scores with it."""

    path: Path
    detector: Detector
    engine: ScoringEngine


class ModelPool:
    """One loading or loaded model per model directory (None: the shipped model)."""

    def __init__(self, load: Loader = load_detector, progress: ProgressStart = _no_progress,
                 cache_sentences: int = DEFAULT_CACHE_SENTENCES) -> None:
        self._load = load
        self._progress = progress
        self.cache_sentences = cache_sentences
        self._models: dict[Path, asyncio.Task[LoadedModel]] = {}

    @staticmethod
    def key(path: Path | None) -> Path:
        return (path if path is not None else default_model_path()).absolute()

    def start(self, path: Path | None) -> asyncio.Task[LoadedModel]:
        """The loading (or loaded) model at ``path``; loading starts now if it has not yet."""
        key = self.key(path)
        task = self._models.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._load_model(key, path), name=f"load model {key}")
            task.add_done_callback(_retrieve)
            self._models[key] = task
        return task

    async def get(self, path: Path | None) -> LoadedModel:
        """Wait for the model at ``path``. Cancelling the wait does not cancel the loading, which other
        documents may be waiting for."""
        model = await asyncio.shield(self.start(path))
        if not model.engine.ready:  # a batch failed and broke it: load it afresh next time
            self.forget(model.path)
            raise ModelError(model.engine.error or f"the model {model.path} stopped")
        return model

    def forget(self, key: Path) -> None:
        task = self._models.pop(key, None)
        if task is not None and task.done() and not task.cancelled() and task.exception() is None:
            task.result().engine.stop(timeout=0)

    def forget_failures(self) -> None:
        """Let models that failed to load be tried again (the settings or the files changed)."""
        for key, task in list(self._models.items()):
            if task.done() and (task.cancelled() or task.exception() is not None):
                del self._models[key]

    async def _load_model(self, key: Path, path: Path | None) -> LoadedModel:
        loading = asyncio.ensure_future(asyncio.to_thread(self._load, path))
        try:
            end = await self._progress(f"Loading the spoilerscan model ({key.name})")
        except Exception:  # the client could not show progress: load anyway
            log.exception("could not report progress")
            end = await _no_progress("")
        try:
            detector = await loading
        except ModelError as problem:
            end(f"failed: {problem}")
            raise
        except Exception as problem:  # a corrupt file: ONNX Runtime's own errors
            end("failed")
            raise ModelError(f"cannot load the model {key}: {type(problem).__name__}: {problem}") from problem
        detector.cache = EmbeddingCache(self.cache_sentences)
        engine = ScoringEngine(detector).start()
        log.info("model %s loaded (threshold %.3f, fail threshold %.3f)", key, detector.threshold,
                 detector.fail_threshold)
        end("ready")
        return LoadedModel(key, detector, engine)

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
