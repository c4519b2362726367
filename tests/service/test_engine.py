"""The warm engine with a stub detector: batching across callers, cancellation, overload, failure, stop."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future

import numpy as np
import pytest

from spoilerscan.model.detect import KnownSpoilers, SentenceScore
from spoilerscan.model.features import SentenceInput
from spoilerscan.service.engine import (
    JobTimes,
    NotReady,
    Overloaded,
    RequestBudget,
    ScoringEngine,
    TooManySentences,
    job_times,
    request_budget,
)


class StubDetector:
    """Embeds a sentence as [len(text)]; a sentence's score is 1 if it says 'dies'. Records each batch,
    and can be held (``gate``) so that tests decide when a batch runs."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.fail = False

    def embed_cached(self, sentences: Sequence[str]) -> np.ndarray:
        self.entered.set()
        assert self.gate.wait(10)
        if self.fail:
            raise RuntimeError("the model broke")
        self.batches.append(list(sentences))
        return np.array([[float(len(s)), 1.0 if "dies" in s else 0.0] for s in sentences], dtype=np.float32)

    def score_embedded(self, reviews: Sequence[Sequence[SentenceInput]], embeddings: np.ndarray,
                       known: KnownSpoilers | None = None) -> list[list[SentenceScore]]:
        flat = iter(embeddings)
        return [[SentenceScore(float(next(flat)[1]), "known" if known is not None else None) for _ in review]
                for review in reviews]


def review(*sentences: str) -> list[SentenceInput]:
    return [SentenceInput(s) for s in sentences]


@pytest.fixture()
def detector() -> StubDetector:
    return StubDetector()


def test_scores_come_back_per_review_in_order(detector: StubDetector) -> None:
    engine = ScoringEngine(detector).start()
    try:
        scores = engine([review("He dies.", "Nice."), review(), review("She dies too.")])
    finally:
        engine.stop()
    assert [[s.probability for s in r] for r in scores] == [[1.0, 0.0], [], [1.0]]


def test_jobs_waiting_together_are_embedded_as_one_batch(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, gather_seconds=0).start()
    try:
        detector.gate.clear()
        first = engine.submit([review("First.")])
        assert detector.entered.wait(5)  # the worker is busy with the first job: the next ones queue
        waiting = [engine.submit([review(f"Sentence {n}.")]) for n in range(5)]
        detector.gate.set()
        assert first.result(5) and all(f.result(5) for f in waiting)
    finally:
        engine.stop()
    assert detector.batches == [["First."], [f"Sentence {n}." for n in range(5)]]
    assert engine.stats.batches == 2 and engine.stats.largest_batch == 5


def test_a_batch_stops_at_the_sentence_budget(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, batch_sentences=3, gather_seconds=0).start()
    try:
        detector.gate.clear()
        engine.submit([review("Hold.")])
        assert detector.entered.wait(5)
        futures = [engine.submit([review("a.", "b.")]) for _ in range(3)]
        detector.gate.set()
        for future in futures:
            future.result(5)
    finally:
        engine.stop()
    assert [len(b) for b in detector.batches] == [1, 2, 2, 2]  # 2 + 2 would be over the budget of 3


def test_a_cancelled_job_is_skipped(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, gather_seconds=0).start()
    try:
        detector.gate.clear()
        engine.submit([review("Hold.")])
        assert detector.entered.wait(5)
        gone = engine.submit([review("The client went away.")])
        kept = engine.submit([review("Still here.")])
        assert gone.cancel()
        detector.gate.set()
        kept.result(5)
        with pytest.raises(CancelledError):
            gone.result(0)
    finally:
        engine.stop()
    assert ["The client went away."] not in detector.batches and engine.stats.skipped == 1


def test_a_full_queue_refuses_at_once(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, max_queued_sentences=2, gather_seconds=0).start()
    try:
        detector.gate.clear()
        engine.submit([review("Hold.")])
        assert detector.entered.wait(5)
        engine.submit([review("a.", "b.")])
        with pytest.raises(Overloaded):
            engine.submit([review("c.")])
        detector.gate.set()
    finally:
        engine.stop()


def test_a_failing_batch_fails_every_caller_and_the_engine(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, gather_seconds=0).start()
    try:
        detector.fail = True
        future = engine.submit([review("Boom.")])
        with pytest.raises(NotReady, match="the model broke"):
            future.result(5)
        assert not engine.ready and engine.error is not None
        with pytest.raises(NotReady):
            engine.submit([review("After.")])
    finally:
        engine.stop()


def test_stop_finishes_queued_work_then_refuses(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, gather_seconds=0).start()
    detector.gate.clear()
    first = engine.submit([review("One.")])
    assert detector.entered.wait(5)
    second = engine.submit([review("Two.")])
    threading.Timer(0.05, detector.gate.set).start()
    engine.stop(timeout=10)
    assert first.result(0) and second.result(0)
    with pytest.raises(NotReady):
        engine.submit([review("Late.")])


def test_not_started_is_not_ready(detector: StubDetector) -> None:
    engine = ScoringEngine(detector)
    assert not engine.ready
    with pytest.raises(NotReady):
        engine.submit([review("x.")])


def test_await_from_an_event_loop_that_stays_free(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, gather_seconds=0).start()
    known = KnownSpoilers(("a reveal",), np.zeros((1, 2), np.float32), 0.5)

    async def main() -> tuple[list[list[SentenceScore]], int]:
        detector.gate.clear()
        scoring = asyncio.ensure_future(engine.score([review("He dies.")], known))
        ticks = 0
        while not detector.entered.is_set() or ticks < 3:  # the loop keeps running while the worker scores
            await asyncio.sleep(0.01)
            ticks += 1
        detector.gate.set()
        return await asyncio.wait_for(scoring, 5), ticks

    try:
        scores, ticks = asyncio.run(main())
    finally:
        engine.stop()
    assert scores[0][0].probability == 1.0 and scores[0][0].known == "known" and ticks >= 3


def test_cancelling_the_await_cancels_the_waiting_job(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, gather_seconds=0).start()

    async def main() -> None:
        detector.gate.clear()
        engine.submit([review("Hold.")])
        while not detector.entered.is_set():
            await asyncio.sleep(0.005)
        task = asyncio.ensure_future(engine.score([review("Abandoned.")]))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        detector.gate.set()

    try:
        asyncio.run(main())
    finally:
        engine.stop()
    assert ["Abandoned."] not in detector.batches and engine.stats.skipped == 1


def test_a_caller_that_sets_job_times_learns_where_its_jobs_waited(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, gather_seconds=0).start()
    times = JobTimes()
    try:
        detector.gate.clear()
        untimed = engine.submit([review("Hold.")])
        assert detector.entered.wait(5)  # the worker is busy: the timed job waits in the queue

        def timed_submit() -> Future[list[list[SentenceScore]]]:
            job_times.set(times)
            return engine.submit([review("Timed.", "Twice.")])

        timed = contextvars.copy_context().run(timed_submit)
        detector.gate.set()
        untimed.result(5)
        timed.result(5)
    finally:
        engine.stop()
    assert times.jobs == 1  # the untimed job added nothing
    assert times.queued > 0 and times.scoring >= 0
    assert job_times.get() is None  # set only in the caller's own context


def test_a_big_job_is_cut_into_slices_that_other_jobs_are_interleaved_with(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, batch_sentences=8, slice_sentences=4, gather_seconds=0).start()
    try:
        detector.gate.clear()
        big = engine.submit([review(*(f"Big {n}." for n in range(12)))])
        assert detector.entered.wait(5)  # the worker holds the big job's first slice
        small = engine.submit([review("Small one.", "Small two.")])
        detector.gate.set()
        assert [s.probability for s in small.result(5)[0]] == [0.0, 0.0]
        assert len(big.result(5)[0]) == 12
    finally:
        engine.stop()
    assert detector.batches[0] == [f"Big {n}." for n in range(4)]
    # the small job's sentences are in the batch after the first slice, not after all 12 sentences
    assert sorted(detector.batches[1]) == ["Big 4.", "Big 5.", "Big 6.", "Big 7.", "Small one.", "Small two."]
    assert max(len(batch) for batch in detector.batches) <= 8


def test_slices_put_back_together_give_the_scores_of_one_whole_job(detector: StubDetector) -> None:
    sentences = [f"Sentence {n} dies." if n % 3 == 0 else f"Sentence {n}." for n in range(50)]
    sliced = ScoringEngine(detector, slice_sentences=7, gather_seconds=0).start()
    try:
        scores = sliced([review(*sentences[:20]), review(*sentences[20:])])
    finally:
        sliced.stop()
    assert [s.probability for r in scores for s in r] == [1.0 if n % 3 == 0 else 0.0 for n in range(50)]
    assert [len(r) for r in scores] == [20, 30] and len(detector.batches) == 8


def test_a_job_cancelled_between_its_slices_is_not_scored_to_the_end(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, slice_sentences=2, gather_seconds=0).start()
    try:
        detector.gate.clear()
        big = engine.submit([review(*(f"Big {n}." for n in range(10)))])
        assert detector.entered.wait(5)
        assert big.cancel()  # still cancellable while it is half scored
        detector.gate.set()
        engine.submit([review("After.")]).result(5)
    finally:
        engine.stop()
    assert sum(len(batch) for batch in detector.batches) <= 2 + 1 and engine.stats.skipped == 1
    assert engine.queued_sentences == 0


def test_the_sentence_cap_applies_to_the_first_job_too(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, max_queued_sentences=3, gather_seconds=0).start()
    try:
        with pytest.raises(TooManySentences, match="4 sentences, over the limit of 3"):
            engine.submit([review("a.", "b."), review("c.", "d.")])
        assert engine.queued_sentences == 0 and not detector.batches
    finally:
        engine.stop()


def test_a_request_budget_counts_every_job_of_the_caller(detector: StubDetector) -> None:
    engine = ScoringEngine(detector, gather_seconds=0).start()

    def two_jobs() -> None:
        request_budget.set(RequestBudget(3))
        engine.submit([review("a.", "b.")]).result(5)
        with pytest.raises(TooManySentences, match="4 sentences, over the limit of 3 a request"):
            engine.submit([review("c.", "d.")])

    try:
        contextvars.copy_context().run(two_jobs)
    finally:
        engine.stop()
