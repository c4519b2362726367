"""What a front end does with one submitted text, over a warm engine: annotate, redact, check.

Each is the library call the matching command makes, with the same reading and thresholds, so a
service's answer is the command's output for the same text and options (tests compare them).
Reading and rendering are CPU work too (seconds for 1 MB of hostile Markdown), so they run in a
worker thread (:func:`asyncio.to_thread`), like the scoring: the caller's event loop stays free; a
reading whose caller is cancelled stops at its next check (:func:`read_in_thread`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from spoilerscan.check.gate import FileReport, file_report
from spoilerscan.model.detect import Annotation, annotation_of, model_inputs
from spoilerscan.reading.document import Format
from spoilerscan.reading.markup import RedactStyle
from spoilerscan.reading.segment import Reading
from spoilerscan.reading.stopping import stoppable
from spoilerscan.render import redact as redact_text
from spoilerscan.runtime.project import Project
from spoilerscan.service.engine import ScoringEngine


async def read_in_thread(read: Callable[..., Reading], *args: Any) -> Reading:
    """``read(*args)`` in a worker thread that stops at the reader's next check (between blocks, tags and
    lines) once this task is cancelled (its client left, its time ran out): the thread cannot be
    killed, and would otherwise read a hostile text to its end for nobody."""
    stop = threading.Event()
    with stoppable(stop):
        try:
            return await asyncio.to_thread(read, *args)
        finally:
            stop.set()  # done, or cancelled: the thread raises ReadingStopped, which nobody awaits


async def annotate_reading(engine: ScoringEngine, project: Project, reading: Reading,
                           threshold: float) -> Annotation:
    """Score a review already read, on the engine's worker."""
    scores = (await engine.score([model_inputs(reading)], project.known))[0] if reading.sentences else []
    return annotation_of(reading, scores, threshold)


async def annotate(engine: ScoringEngine, project: Project, text: str, fmt: Format | str = Format.text,
                   threshold: float | None = None) -> Annotation:
    """``scan``'s view of a text: every sentence with its offsets (characters of ``text``) and score."""
    cut = project.threshold if threshold is None else threshold
    reading = await read_in_thread(project.read_for_redaction, text, fmt)
    return await annotate_reading(engine, project, reading, cut)


async def redact(engine: ScoringEngine, project: Project, text: str, fmt: Format | str = Format.text,
                 style: RedactStyle | str = RedactStyle.block, threshold: float | None = None
                 ) -> tuple[str, Annotation]:
    """``redact``'s output for a text, byte for byte, and the annotation it came from."""
    annotation = await annotate(engine, project, text, fmt, threshold)
    return await asyncio.to_thread(redact_text, text, annotation, style), annotation


async def check(engine: ScoringEngine, project: Project, text: str, fmt: Format | str = Format.text,
                name: str = "review") -> FileReport:
    """``check``'s findings for a text: unmarked sentences from the report threshold, failing ones marked."""
    reading = await read_in_thread(project.read_for_check, text, fmt)
    return await check_reading(engine, project, reading, name)


async def check_reading(engine: ScoringEngine, project: Project, reading: Reading, name: str = "review") -> FileReport:
    """:func:`check` of a text already read with :meth:`Project.read_for_check`: a caller that must keep its
    event loop free (the language server) reads a long review in a worker thread first."""
    annotation = await annotate_reading(engine, project, reading, project.check_threshold)
    return await asyncio.to_thread(file_report, name, reading, annotation.sentences, project.check_threshold,
                                   project.fail_threshold, project.gate)
