"""One warm detector shared by many callers: their reviews are scored together in a worker thread.

Why a worker: scoring is CPU work in ONNX Runtime, so an event loop (the HTTP service's, the
language server's) must never run it, or ``/healthz`` and keystrokes would wait behind a long
review. Why one queue: the encoder is nearly all of the cost and runs fastest on batches of
similar-length sentences, so the worker takes work from every job waiting when it comes free (up
to a sentence budget) and embeds their sentences as one list, sorted by token count as ``scan``
does. Under load batches grow by themselves; an idle engine waits only ``gather_seconds`` for company.

Why slices: a batch takes at most ``slice_sentences`` of any one job, and a job not finished goes
to the back of the queue, so jobs are served round-robin. A 10,000-sentence review is scored in
many short batches, each shared with whatever came in meanwhile: a small review waits for one
short batch, not for the big one (the model's time per batch is bounded, whoever asked).

Callers get a :class:`concurrent.futures.Future` (or await :meth:`ScoringEngine.score`). A job
whose future is cancelled (a client that went away, a request past its time, an edit that made a
check stale) is dropped before its next slice, even half scored; a batch that fails fails every
job in it and marks the engine unhealthy, never leaving a caller waiting. Work is bounded in
sentences: a job (or a caller's jobs together, see :data:`request_budget`) over
``max_queued_sentences`` raises :class:`TooManySentences`; past the queue's room, :class:`Overloaded`
is raised at once. A caller that sets :data:`job_times` learns where its jobs spent their time.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, InvalidStateError
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from spoilerscan.errors import SpoilerscanError
from spoilerscan.model.detect import KnownSpoilers, SentenceScore
from spoilerscan.model.features import SentenceInput

Reviews = Sequence[Sequence[SentenceInput]]
DEFAULT_BATCH_SENTENCES = 512
DEFAULT_SLICE_SENTENCES = 64
DEFAULT_MAX_QUEUED_SENTENCES = 50_000
DEFAULT_GATHER_SECONDS = 0.003
SCORING_THREAD = "spoilerscan-scoring"


class Overloaded(SpoilerscanError):
    """More sentences are waiting than the engine accepts: try again shortly."""


class NotReady(SpoilerscanError):
    """The engine is not running (not started, stopped, or broken by a failing batch)."""


class TooManySentences(SpoilerscanError):
    """One job, or one caller's jobs together, hold more sentences than the engine ever takes at once."""


class EmbeddingScorer(Protocol):
    """What the engine needs of a detector (:class:`~spoilerscan.model.detect.Detector` is one)."""

    def embed_cached(self, sentences: Sequence[str]) -> np.ndarray: ...

    def score_embedded(self, reviews: Reviews, embeddings: np.ndarray,
                       known: KnownSpoilers | None = None) -> list[list[SentenceScore]]: ...


@dataclass
class JobTimes:
    """Seconds a caller's jobs spent waiting for the worker and being scored (from their first slice
    to their last, interleaved with others' work), summed over them.

    Set a fresh one in :data:`job_times` before submitting (an HTTP service does, per request, for
    its ``x-queue-time`` and ``x-inference-time`` headers); the worker adds to it before it sets
    each job's result.
    """

    queued: float = 0.0
    scoring: float = 0.0
    jobs: int = 0


@dataclass
class RequestBudget:
    """The sentences one caller (an HTTP request) may submit in all, over its jobs; set it in
    :data:`request_budget` before submitting and :meth:`ScoringEngine.submit` counts against it."""

    limit: int
    used: int = 0


job_times: ContextVar[JobTimes | None] = ContextVar("spoilerscan_job_times", default=None)
request_budget: ContextVar[RequestBudget | None] = ContextVar("spoilerscan_request_budget", default=None)


@dataclass(eq=False)
class _Job:
    reviews: Reviews
    known: KnownSpoilers | None
    sentences: int
    texts: list[str] = field(default_factory=list)
    future: Future[list[list[SentenceScore]]] = field(default_factory=Future)
    queued: float = field(default_factory=time.monotonic)
    times: JobTimes | None = field(default_factory=job_times.get)
    taken: int = 0  # sentences handed to a batch so far
    parts: list[np.ndarray] = field(default_factory=list)  # their embeddings, in order
    started: float | None = None  # when its first slice was scored


@dataclass(frozen=True)
class _Slice:
    job: _Job
    start: int
    end: int


@dataclass
class EngineStats:
    """Counters for ``/v1/model`` and benchmarks: how much was scored and how well it batched."""

    jobs: int = 0
    sentences: int = 0
    batches: int = 0
    skipped: int = 0  # jobs cancelled before they were scored to the end
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
                 gather_seconds: float = DEFAULT_GATHER_SECONDS,
                 slice_sentences: int = DEFAULT_SLICE_SENTENCES) -> None:
        self.detector = detector
        self.batch_sentences = batch_sentences
        self.slice_sentences = max(1, min(slice_sentences, batch_sentences))
        self.max_queued_sentences = max_queued_sentences
        self.gather_seconds = gather_seconds
        self.stats = EngineStats()
        self.error: str | None = None  # why the engine broke, once a batch failed
        self._jobs: deque[_Job] = deque()
        self._queued_sentences = 0  # sentences of queued jobs not yet handed to a batch
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
                self._worker = threading.Thread(target=self._work, name=SCORING_THREAD, daemon=True)
                self._worker.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Let the worker finish what is queued (within ``timeout`` seconds), then end it.

        Jobs cancelled meanwhile are not waited for. A worker still inside a batch at the deadline
        is left to finish it on its own (a daemon thread: it never holds up the process's exit).
        """
        worker = self._worker
        if worker is None:
            return
        deadline = time.monotonic() + timeout
        with self._changed:
            self._prune()
            while self._jobs and self.error is None and time.monotonic() < deadline:
                self._changed.wait(max(deadline - time.monotonic(), 0.0))
                self._prune()
            self._running = False
            self._changed.notify_all()
        self._fail_waiting(NotReady("the scoring engine stopped"))
        worker.join(max(deadline - time.monotonic(), 0.0))
        self._worker = None

    def submit(self, reviews: Reviews, known: KnownSpoilers | None = None) -> Future[list[list[SentenceScore]]]:
        """Queue reviews for scoring; their future gets each review's sentence scores, in order."""
        texts = [sentence.text for review in reviews for sentence in review]
        job = _Job(reviews, known, len(texts), texts)
        budget = request_budget.get()
        if budget is not None:
            budget.used += job.sentences
            if budget.used > budget.limit:
                raise TooManySentences(f"{budget.used} sentences, over the limit of {budget.limit} a request")
        if job.sentences > self.max_queued_sentences:
            raise TooManySentences(f"{job.sentences} sentences, over the limit of {self.max_queued_sentences}")
        if job.sentences == 0:
            job.future.set_result([[] for _ in reviews])
            return job.future
        with self._changed:
            if not self.ready:
                raise NotReady(self.error or "the scoring engine is not running")
            if self._queued_sentences + job.sentences > self.max_queued_sentences:
                self._prune()  # jobs whose callers left no longer count
            if self._queued_sentences + job.sentences > self.max_queued_sentences:
                raise Overloaded(f"{self._queued_sentences} sentences are waiting to be scored")
            self._jobs.append(job)
            self._queued_sentences += job.sentences
            self._changed.notify_all()
        return job.future

    def __call__(self, reviews: Reviews) -> list[list[SentenceScore]]:
        return self.submit(reviews).result()

    async def score(self, reviews: Reviews, known: KnownSpoilers | None = None) -> list[list[SentenceScore]]:
        """Score on the worker and await the result; cancelling the await drops the job before its next slice."""
        return await asyncio.wrap_future(self.submit(reviews, known))

    def _take(self) -> list[_Slice] | None:
        """The next batch, round-robin: from each waiting job in turn, its next slice (at most
        ``slice_sentences``) while the sentence budget allows (at least one); None to stop."""
        with self._changed:
            while not self._jobs and self._running:
                self._changed.wait()
            if not self._jobs:
                return None
            if self.gather_seconds > 0 and self._queued_sentences < self.batch_sentences:
                self._changed.wait(self.gather_seconds)  # an idle engine waits a moment for company
            batch: list[_Slice] = []
            size = 0
            kept: deque[_Job] = deque()
            served: list[_Job] = []
            while self._jobs:
                job = self._jobs.popleft()
                if job.future.cancelled():  # its caller is gone: none of the rest is scored
                    self._drop(job)
                    continue
                count = min(job.sentences - job.taken, self.slice_sentences)
                if batch and size + count > self.batch_sentences:
                    kept.append(job)
                    kept.extend(self._jobs)
                    self._jobs.clear()
                    break
                batch.append(_Slice(job, job.taken, job.taken + count))
                job.taken += count
                size += count
                self._queued_sentences -= count
                if job.taken < job.sentences:
                    served.append(job)  # to the back of the queue: the others go first next time
            kept.extend(served)
            self._jobs = kept
            self._changed.notify_all()
            return batch

    def _prune(self) -> None:
        """Drop the cancelled jobs from the queue (with the lock held)."""
        kept: deque[_Job] = deque()
        for job in self._jobs:
            if job.future.cancelled():
                self._drop(job)
            else:
                kept.append(job)
        self._jobs = kept

    def _drop(self, job: _Job) -> None:
        self._queued_sentences -= job.sentences - job.taken
        job.parts.clear()
        self.stats.skipped += 1

    def _work(self) -> None:
        while (batch := self._take()) is not None:
            if not batch:
                continue
            try:
                self._score(batch)
            except Exception as problem:  # a broken model or input: every caller hears it, none waits
                self.error = f"scoring failed: {type(problem).__name__}: {problem}"
                for part in batch:
                    _fail(part.job, NotReady(self.error))
                self._fail_waiting(NotReady(self.error))
                with self._changed:
                    self._changed.notify_all()

    def _score(self, batch: list[_Slice]) -> None:
        started = time.monotonic()
        texts = [text for part in batch for text in part.job.texts[part.start:part.end]]
        embeddings = self.detector.embed_cached(texts)
        begin = 0
        for part in batch:
            job = part.job
            end = begin + part.end - part.start
            job.parts.append(embeddings[begin:end])
            begin = end
            if job.started is None:
                job.started = started
            if part.end < job.sentences:
                continue
            embedded = job.parts[0] if len(job.parts) == 1 else np.concatenate(job.parts)
            job.parts = []
            if not job.future.set_running_or_notify_cancel():  # cancelled during its last batch
                self.stats.skipped += 1
                continue
            scores = self.detector.score_embedded(job.reviews, embedded, job.known)
            if job.times is not None:
                job.times.queued += job.started - job.queued
                job.times.scoring += time.monotonic() - job.started
                job.times.jobs += 1
            job.future.set_result(scores)
            self.stats.jobs += 1
        self.stats.sentences += len(texts)
        self.stats.batches += 1
        self.stats.largest_batch = max(self.stats.largest_batch, len(texts))

    def _fail_waiting(self, problem: Exception) -> None:
        with self._changed:
            while self._jobs:
                job = self._jobs.popleft()
                self._queued_sentences -= job.sentences - job.taken
                _fail(job, problem)
            self._changed.notify_all()


def _fail(job: _Job, problem: Exception) -> None:
    """Fail a job's future unless it is settled already (cancelled by its caller, or answered)."""
    job.parts = []
    with contextlib.suppress(InvalidStateError):
        job.future.set_exception(problem)
