"""What a running service holds: one runtime (the detector, the project its requests are judged by), the engine.

Built once by the app's lifespan (:func:`open_service`) before any request is taken, and closed
when it ends; the routes find it on ``app.state.service``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from spoilerscan.model.features import SentenceInput
from spoilerscan.runtime import Project, Runtime
from spoilerscan.runtime.project import ProjectDetector
from spoilerscan.runtime.runtime import DetectorLoader
from spoilerscan.serve.settings import ServeSettings
from spoilerscan.service.engine import EmbeddingScorer, ScoringEngine
from spoilerscan.settings import Settings, resolve


class ServiceDetector(EmbeddingScorer, ProjectDetector, Protocol):
    """What the service needs of a detector (:class:`~spoilerscan.model.detect.Detector` is one)."""

    path: Path | None

    @property
    def precision(self) -> str: ...


def runtime_settings(settings: ServeSettings) -> Settings:
    """The core settings of a service: its ``[tool.spoilerscan]`` (``--config``, found by the command) with its
    flags over it, tuned for a service: its idle ONNX Runtime threads sleep rather than spin, leaving
    the cores to the event loop and the reading threads between runs, and each encoder run takes 16
    sentences of similar length (the engine's batch sorts them), which pads less than 64
    (docs/serve.md has the measurements)."""
    return resolve(settings.config, find=False, where="serve", model=settings.model, adapter=settings.adapter,
                   precision=settings.precision, threads=settings.threads, spinning=False,
                   encoder_batch=settings.encoder_batch, threshold=settings.threshold,
                   fail_threshold=settings.fail_threshold)


@dataclass
class Service:
    settings: ServeSettings
    runtime: Runtime
    engine: ScoringEngine

    @property
    def detector(self) -> ServiceDetector:
        detector: ServiceDetector = self.runtime.detector
        return detector

    @property
    def project(self) -> Project:
        return self.runtime.project

    @property
    def model_name(self) -> str:
        return self.detector.path.name if self.detector.path is not None else "model"

    @property
    def config_name(self) -> str | None:
        return self.project.config.name if self.project.config is not None else None


async def open_service(settings: ServeSettings, load: DetectorLoader | None = None) -> Service:
    """Open the runtime (detector and project), start the engine, and score one sentence so the model is warm.
    ``load`` builds the detector (default: the runtime's loader; a command that loaded it already passes it)."""
    runtime = await asyncio.to_thread(Runtime.open, runtime_settings(settings), load)
    detector = runtime.detector
    engine = ScoringEngine(detector, settings.batch_sentences, settings.max_queued_sentences,
                           settings.gather_seconds).start()
    try:
        await engine.score([[SentenceInput("The service is warming up.")]])
    except BaseException:
        engine.stop(0)
        raise
    return Service(settings, runtime, engine)


async def close_service(service: Service) -> None:
    """Finish what is queued (within the shutdown time), then stop the engine's worker."""
    await asyncio.to_thread(service.engine.stop, service.settings.shutdown_seconds)
