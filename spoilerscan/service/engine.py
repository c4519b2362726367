"""One warm detector shared by many callers: their reviews are scored together in a worker thread.

Why a worker: scoring is CPU work in ONNX Runtime, so an event loop (the HTTP service's, the
language server's) must never run it, or ``/healthz`` and keystrokes would wait behind a long
review. Why one queue: the encoder is nearly all of the cost and runs fastest on batches of
similar-length sentences, so the worker takes every job waiting when it comes free (up to a
sentence budget) and embeds their sentences as one list, sorted by token count as ``scan`` does.
Under load batches grow by themselves; an idle engine waits only ``gather_seconds`` for company.

Callers get a :class:`concurrent.futures.Future` (or await :meth:`ScoringEngine.score`). A job
whose future was cancelled before the worker reached it (a client that went away) is skipped; a
batch that fails fails every job in it and marks the engine unhealthy, never leaving a caller
waiting. Work waiting is bounded in sentences: past that, :class:`Overloaded` is raised at once.
A caller that sets :data:`job_times` (a context variable) learns where its jobs spent their time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from spoilerscan.errors import SpoilerscanError
from spoilerscan.model.detect import KnownSpoilers, SentenceScore
from spoilerscan.model.features import SentenceInput

Reviews = Sequence[Sequence[SentenceInput]]
DEFAULT_BATCH_SENTENCES = 512
DEFAULT_MAX_QUEUED_SENTENCES = 50_000
DEFAULT_GATHER_SECONDS = 0.003


class Overloaded(SpoilerscanError):
    """More sentences are waiting than the engine accepts: try again shortly."""


class NotReady(SpoilerscanError):
    """The engine is not running (not started, stopped, or broken by a failing batch)."""


class EmbeddingScorer(Protocol):
    """What the engine needs of a detector (:class:`~spoilerscan.model.detect.Detector` is one)."""

    def embed_cached(self, sentences: Sequence[str]) -> np.ndarray: ...

    def score_embedded(self, reviews: Reviews, embeddings: np.ndarray,
                       known: KnownSpoilers | None = None) -> list[list[SentenceScore]]: ...


@dataclass
class JobTimes:
    """Seconds a caller's jobs spent waiting for the worker and in their batch on the model, summed over them.

    Set a fresh one in :data:`job_times` before submitting (an HTTP service does, per request, for
    its ``x-queue-time`` and ``x-inference-time`` headers); the worker adds to it before it sets
    each job's result.
    """

    queued: float = 0.0
    scoring: float = 0.0
    jobs: int = 0


job_times: ContextVar[JobTimes | None] = ContextVar("spoilerscan_job_times", default=None)


@dataclass(eq=False)
class _Job:
    reviews: Reviews
    known: KnownSpoilers | None
    sentences: int
    future: Future[list[list[SentenceScore]]] = field(default_factory=Future)
    queued: float = field(default_factory=time.monotonic)
    times: JobTimes | None = field(default_factory=job_times.get)


@dataclass
class EngineStats:
    """Counters for ``/v1/model`` and benchmarks: how much was scored and how well it batched."""

    jobs: int = 0
    sentences: int = 0
    batches: int = 0
    skipped: int = 0  # jobs cancelled before they were scored
    largest_batch: int = 0


class ScoringEngine:
    """Scores whole reviews for many threads or coroutines at once with one detector.

    ``start()`` runs the worker; ``submit(reviews)`` queues a job; ``engine(reviews)`` is the
    blocking form, so an engine is a :class:`~spoilerscan.model.detect.Scorer` too;
    ``await engine.score(reviews)`` is the asynchronous one. ``stop()`` finishes the jobs already
    queued (up to a timeout) and fails the rest with :class:`NotReady`.
    """

    def __init__(self, detector: EmbeddingScorer, batch_sentences: int = DEFAULT_BATCH_SENTENCES,
                 max_queued_sentences: int = DEFAULT_MAX_QUEUED_SENTENCES,
                 gather_seconds: float = DEFAULT_GATHER_SECONDS) -> None:
        self.detector = detector
        self.batch_sentences = batch_sentences
        self.max_queued_sentences = max_queued_sentences
        self.gather_seconds = gather_seconds
        self.stats = EngineStats()
        self.error: str | None = None  # why the engine broke, once a batch failed
        self._jobs: deque[_Job] = deque()
        self._queued_sentences = 0
        self._changed = threading.Condition()
        self._running = False
        self._worker: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self._running and self.error is None

    @property
    def queued_sentences(self) -> int:
        return self._queued_sentences

    def start(self) -> ScoringEngine:
        with self._changed:
            if self._worker is None:
                self._running = True
                self._worker = threading.Thread(target=self._work, name="spoilerscan-scoring", daemon=True)
                self._worker.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Let the worker finish what is queued (within ``timeout`` seconds), then end it."""
        worker = self._worker
        if worker is None:
            return
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._jobs and self.error is None and time.monotonic() < deadline:
                self._changed.wait(max(deadline - time.monotonic(), 0.0))
            self._running = False
            self._changed.notify_all()
        worker.join(max(deadline - time.monotonic(), 0.0) + 1.0)
        self._fail_waiting(NotReady("the scoring engine stopped"))
        self._worker = None

    def submit(self, reviews: Reviews, known: KnownSpoilers | None = None) -> Future[list[list[SentenceScore]]]:
        """Queue reviews for scoring; their future gets each review's sentence scores, in order."""
        sentences = sum(len(review) for review in reviews)
        job = _Job(reviews, known, sentences)
        if sentences == 0:
            job.future.set_result([[] for _ in reviews])
            return job.future
        with self._changed:
            if not self.ready:
                raise NotReady(self.error or "the scoring engine is not running")
            if self._jobs and self._queued_sentences + sentences > self.max_queued_sentences:
                raise Overloaded(f"{self._queued_sentences} sentences are waiting to be scored")
            self._jobs.append(job)
            self._queued_sentences += sentences
            self._changed.notify_all()
        return job.future

    def __call__(self, reviews: Reviews) -> list[list[SentenceScore]]:
        return self.submit(reviews).result()

    async def score(self, reviews: Reviews, known: KnownSpoilers | None = None) -> list[list[SentenceScore]]:
        """Score on the worker and await the result; cancelling the await cancels a job not yet started."""
        return await asyncio.wrap_future(self.submit(reviews, known))

    def _take(self) -> list[_Job] | None:
        """The next batch: every waiting job up to the sentence budget (at least one); None to stop."""
        with self._changed:
            while not self._jobs and self._running:
                self._changed.wait()
            if not self._jobs:
                return None
            if self.gather_seconds > 0 and self._queued_sentences < self.batch_sentences:
                self._changed.wait(self.gather_seconds)  # an idle engine waits a moment for company
            batch: list[_Job] = []
            size = 0
            while self._jobs and (not batch or size + self._jobs[0].sentences <= self.batch_sentences):
                job = self._jobs.popleft()
                self._queued_sentences -= job.sentences
                if job.future.set_running_or_notify_cancel():
                    batch.append(job)
                    size += job.sentences
                else:
                    self.stats.skipped += 1
            self._changed.notify_all()
            return batch

    def _work(self) -> None:
        while (batch := self._take()) is not None:
            if not batch:
                continue
            try:
                self._score(batch)
            except Exception as problem:  # a broken model or input: every caller hears it, none waits
                self.error = f"scoring failed: {type(problem).__name__}: {problem}"
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(NotReady(self.error))
                self._fail_waiting(NotReady(self.error))
                with self._changed:
                    self._changed.notify_all()

    def _score(self, batch: list[_Job]) -> None:
        started = time.monotonic()
        texts = [s.text for job in batch for review in job.reviews for s in review]
        embeddings = self.detector.embed_cached(texts)
        begin = 0
        for job in batch:
            end = begin + job.sentences
            scores = self.detector.score_embedded(job.reviews, embeddings[begin:end], job.known)
            if job.times is not None:
                job.times.queued += started - job.queued
                job.times.scoring += time.monotonic() - started
                job.times.jobs += 1
            job.future.set_result(scores)
            begin = end
        self.stats.jobs += len(batch)
        self.stats.sentences += len(texts)
        self.stats.batches += 1
        self.stats.largest_batch = max(self.stats.largest_batch, len(texts))

    def _fail_waiting(self, problem: Exception) -> None:
        with self._changed:
            while self._jobs:
                job = self._jobs.popleft()
                self._queued_sentences -= job.sentences
                if job.future.set_running_or_notify_cancel():
                    job.future.set_exception(problem)
