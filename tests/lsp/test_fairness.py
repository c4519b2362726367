"""One long document cannot hold up another's diagnostics: the checks share the model's engine,
which scores a long document in slices interleaved with other documents' work; an edit that makes a
check stale drops the rest of its scoring. Counted in batches, never timed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from spoilerscan.lsp.checking import CheckResult
from spoilerscan.lsp.models import ModelPool
from spoilerscan.lsp.settings import Settings
from spoilerscan.model.detect import Detector
from tests.lsp.test_checking import checker, snapshot_of

LONG = "\n\n".join(f"Paragraph {n} of the long review. The hero walks home." for n in range(600))  # 1,200 sentences
SHORT = "A short review. He was dead all along."


class Recorded:
    """The tiny model, its batches recorded, and held in its first batch until ``gate`` is set."""

    def __init__(self, model: Path) -> None:
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.detector = Detector.load(model, threads=1)
        embed = self.detector.embed_cached

        def recorded(sentences: Sequence[str]) -> np.ndarray:
            self.entered.set()
            assert self.gate.wait(60)
            self.batches.append(list(sentences))
            return embed(sentences)

        self.detector.embed_cached = recorded  # type: ignore[method-assign]

    def pool(self) -> ModelPool:
        return ModelPool(lambda path: self.detector)


async def held_in_the_first_batch(recorded: Recorded) -> None:
    while not recorded.entered.is_set():
        await asyncio.to_thread(recorded.entered.wait, 0.1)


def test_a_short_document_is_scored_between_the_slices_of_a_long_one(tiny_model_dir: Path, tmp_path: Path) -> None:
    recorded = Recorded(tiny_model_dir)
    pool = recorded.pool()
    check = checker(tiny_model_dir, Settings(threshold=0.0), pool)
    (tmp_path / "long.md").write_text(LONG, encoding="utf-8")
    (tmp_path / "short.md").write_text(SHORT, encoding="utf-8")

    async def scenario() -> tuple[CheckResult, CheckResult]:
        try:
            long = asyncio.ensure_future(check(snapshot_of(tmp_path / "long.md")))
            await held_in_the_first_batch(recorded)
            short = asyncio.ensure_future(check(snapshot_of(tmp_path / "short.md")))
            engine = (await pool.get(tiny_model_dir)).engine
            while engine.queued_sentences < 1200 - 64 + 2:  # the long one's other slices and the short one's 2
                await asyncio.sleep(0.01)
            recorded.gate.set()
            return await asyncio.wait_for(long, 120), await asyncio.wait_for(short, 120)
        finally:
            pool.stop()

    long, short = asyncio.run(scenario())
    assert long.sentences == 1200 and short.sentences == 2
    where = next(i for i, batch in enumerate(recorded.batches) if "A short review." in batch)
    assert where == 1 and len(recorded.batches) >= 1200 // 64  # right after the long one's first slice, of 19


def test_an_edit_drops_the_rest_of_a_stale_checks_scoring(tiny_model_dir: Path, tmp_path: Path) -> None:
    recorded = Recorded(tiny_model_dir)
    pool = recorded.pool()
    check = checker(tiny_model_dir, Settings(threshold=0.0), pool)
    (tmp_path / "long.md").write_text(LONG, encoding="utf-8")

    async def scenario() -> int:
        try:
            stale = asyncio.ensure_future(check(snapshot_of(tmp_path / "long.md")))
            await held_in_the_first_batch(recorded)
            stale.cancel()  # what the diagnostics feature does when a new version comes in
            await asyncio.gather(stale, return_exceptions=True)
            recorded.gate.set()
            engine = (await pool.get(tiny_model_dir)).engine
            while engine.queued_sentences:
                await asyncio.sleep(0.01)
            return engine.stats.skipped
        finally:
            pool.stop()

    skipped = asyncio.run(scenario())
    assert skipped == 1 and sum(len(batch) for batch in recorded.batches) <= 64
