"""What a running service holds: one detector, the project its requests are judged by, the engine.

Built once by the app's lifespan (:func:`open_service`) before any request is taken, and closed
when it ends; the routes find it on ``app.state.service``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from spoilerscan.model.features import SentenceInput
from spoilerscan.serve.settings import ServeSettings
from spoilerscan.service.engine import EmbeddingScorer, ScoringEngine
from spoilerscan.service.project import Project, ProjectDetector


class ServiceDetector(EmbeddingScorer, ProjectDetector, Protocol):
    """What the service needs of a detector (:class:`~spoilerscan.model.detect.Detector` is one)."""

    path: Path | None

    @property
    def precision(self) -> str: ...


DetectorLoader = Callable[[ServeSettings], ServiceDetector]


def load_detector(settings: ServeSettings) -> ServiceDetector:
    """The detector of ``--model`` (default: the shipped one) in ``--precision``, with ``--adapter`` if
    given, tuned for a service:
    its idle ONNX Runtime threads sleep rather than spin, leaving the cores to the event loop and the
    reading threads between runs, and each encoder run takes 16 sentences of similar length (the
    engine's batch sorts them), which pads less than 64 (docs/serve.md has the measurements)."""
    from spoilerscan.model.detect import Detector

    detector = Detector.load(settings.model, precision=settings.precision, threads=settings.threads,
                             adapter=settings.adapter, spinning=False)
    detector.batch_size = settings.encoder_batch
    return detector


@dataclass
class Service:
    settings: ServeSettings
    detector: ServiceDetector
    project: Project
    engine: ScoringEngine

    @property
    def model_name(self) -> str:
        return self.detector.path.name if self.detector.path is not None else "model"

    @property
    def config_name(self) -> str | None:
        return self.project.config.name if self.project.config is not None else None


async def open_service(settings: ServeSettings, load: DetectorLoader = load_detector) -> Service:
    """Load the detector and the project, start the engine, and score one sentence so the model is warm."""
    detector = await asyncio.to_thread(load, settings)
    project = await asyncio.to_thread(Project.from_file, detector, settings.config, settings.threshold,
                                      settings.fail_threshold)
    engine = ScoringEngine(detector, settings.batch_sentences, settings.max_queued_sentences,
                           settings.gather_seconds).start()
    try:
        await engine.score([[SentenceInput("The service is warming up.")]])
    except BaseException:
        engine.stop(0)
        raise
    return Service(settings, detector, project, engine)


async def close_service(service: Service) -> None:
    """Finish what is queued (within the shutdown time), then stop the engine's worker."""
    await asyncio.to_thread(service.engine.stop, service.settings.shutdown_seconds)
