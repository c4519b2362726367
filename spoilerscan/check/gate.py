"""The pre-publish gate behind ``spoilerscan check``: report spoilers the writer has not marked.

A review passes when every sentence the model flags is already hidden by its writer. What is
marked, switched off or allowed is blanked before the review is split and scored (see
:func:`spoilerscan.reading.segment.read`), so the offsets, lines and columns of the rest do not move and
only the unmarked remainder of a sentence is ever scored. :func:`run_check` is the whole command
as a library call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spoilerscan.model.detect import BatchScorer, Scorer, annotate_stream
from spoilerscan.model.review_gate import ReviewGate
from spoilerscan.reading.document import Format, format_for
from spoilerscan.reading.inputs import STDIN, STDIN_FILENAME, expand_inputs, iter_reviews
from spoilerscan.reading.language import english_notices
from spoilerscan.reading.markup import ALL_STYLES, Style
from spoilerscan.reading.segment import Reading, read
from spoilerscan.runtime import Runtime
from spoilerscan.settings.config import source_root


@dataclass(frozen=True, slots=True)
class Finding:
    """An unmarked sentence the model scored at or above the reporting threshold."""

    path: str
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int
    score: float
    text: str  # the unmarked text that was scored, whitespace collapsed
    failing: bool  # at or above the fail threshold, or a known spoiler: fails the build
    known: str | None = None  # the known spoiler of the work it restates

    @property
    def label(self) -> str:
        """What the finding is, for messages: its score, and the known spoiler it restates."""
        known = f", restates the known spoiler '{self.known}'" if self.known else ""
        return f"unmarked spoiler (score {self.score:.2f}{known})"

    @property
    def severity(self) -> str:
        return "error" if self.failing else "warning"


@dataclass(frozen=True, slots=True)
class FileReport:
    path: str
    findings: list[Finding]
    sentences: int  # unmarked sentences scored
    fail_threshold: float | None = None  # the cut its sentences failed at (with a review gate: its review_cut)


@dataclass(frozen=True, slots=True)
class Report:
    """Everything one run found, ready for a formatter."""

    files: list[FileReport]
    threshold: float
    fail_threshold: float
    styles: tuple[Style, ...] = ALL_STYLES
    unreadable: list[str] = field(default_factory=list)
    root: Path | None = None  # what report paths are relative to for SARIF and GitHub (None: the current directory)
    gate: ReviewGate | None = None  # the length-aware fail cut, where it replaced fail_threshold
    reasons: dict[str, str] = field(default_factory=dict)  # why each unreadable input could not be read

    @property
    def findings(self) -> list[Finding]:
        return [f for report in self.files for f in report.findings]

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.failing]


def prepare(text: str, styles: Iterable[Style] = ALL_STYLES, allowed_phrases: Sequence[str] = (),
            fmt: Format | str = Format.text) -> Reading:
    """A review read for checking: ``scorable`` has everything marked, switched off or allowed blanked."""
    return read(text, fmt, styles, allowed_phrases)


def shown(reading: Reading, start: int, end: int) -> str:
    """A sentence as reported: whitespace collapsed, and each exempt part inside it shown as '…'."""
    parts: list[str] = []
    cursor = start
    for region_start, region_end in reading.exempt_spans(start, end):  # not every region of the review
        if region_start > cursor:
            parts.append(reading.text[cursor:region_start])
        if not parts or parts[-1] != "…":
            parts.append("…")
        cursor = min(max(cursor, region_end), end)
    parts.append(reading.text[cursor:end])
    return " ".join("".join(parts).split())


def check_texts(texts: Iterable[tuple[str, str]], scorer: Scorer, threshold: float, fail_threshold: float,
                styles: Iterable[Style] = ALL_STYLES, allowed_phrases: Sequence[str] = (),
                input_format: Format | str = Format.auto, gate: ReviewGate | None = None) -> Iterator[FileReport]:
    """Check (name, text) reviews in order, scoring the unmarked sentences of all of them in shared batches.

    Each review is read in ``input_format`` (auto: by its name's suffix). ``scorer`` scores whole
    reviews (a ``Detector``, or :func:`spoilerscan.model.detect.sentence_scorer` around a stub in tests).
    """
    styles = tuple(styles)
    allowed = tuple(allowed_phrases)
    readings = ((name, read(text, format_for(name, input_format), styles, allowed)) for name, text in texts)
    return check_readings(readings, scorer, threshold, fail_threshold, gate)


def check_readings(readings: Iterable[tuple[str, Reading]], scorer: Scorer, threshold: float,
                   fail_threshold: float, gate: ReviewGate | None = None) -> Iterator[FileReport]:
    """Check reviews already read, their sentences scored together in shared batches."""
    for name, _, annotation in annotate_stream(readings, scorer, threshold):
        assert annotation.reading is not None
        yield file_report(str(name), annotation.reading, annotation.sentences, threshold, fail_threshold, gate)


def file_report(path: str, reading: Reading, sentences: Sequence[Any], threshold: float,
                fail_threshold: float, gate: ReviewGate | None = None) -> FileReport:
    """Findings of one review from its scored sentences; with a ``gate``, the fail cut is the one it sets for
    this review (by its length, or its highest sentence where that one stands out from the rest; never below
    ``threshold``: nothing fails that is not reported)."""
    lines = reading.document.line_index
    cut = fail_threshold if gate is None else max(gate.review_cut([s.score for s in sentences]), threshold)
    findings = [
        Finding(path, s.start, s.end, *lines.span(s.start, s.end), s.score, shown(reading, s.start, s.end),
                s.score >= cut or s.known is not None, s.known)
        for s in sentences if s.score >= threshold or s.known is not None
    ]
    return FileReport(path, findings, len(sentences), cut)


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """What a check run reads, as the command line states it; how it judges is the runtime's settings."""

    paths: Sequence[str] = ()
    recursive: bool = False
    stdin_filename: str = STDIN_FILENAME
    input_format: Format = Format.auto


def _plain(scorer: BatchScorer, inputs: int) -> Scorer:
    return scorer


def run_check(runtime: Runtime, options: CheckOptions,
              on_error: Callable[[str], None] = lambda message: None,
              scoring: Callable[[BatchScorer, int], Scorer] = _plain,
              on_note: Callable[[str], None] = lambda message: None) -> Report:
    """Expand the inputs (the runtime's file selection) and check every readable review with ``runtime``.

    ``on_error`` hears each input that cannot be read (it is listed in ``Report.unreadable``);
    ``scoring(scorer, inputs)`` may wrap the scorer that checks the ``inputs`` (a progress bar);
    ``on_note`` hears notices such as a review that is not in English. Input problems of the whole
    run raise SpoilerscanError.
    """
    project = runtime.project
    names = expand_inputs(list(options.paths), options.recursive, runtime.selection)
    limit = runtime.settings.max_input_size
    unreadable: list[str] = []
    reasons: dict[str, str] = {}

    def failed(name: str, message: str) -> None:
        shown = options.stdin_filename if name == STDIN else name
        unreadable.append(shown)
        reasons[shown] = message.removeprefix(f"{name}: ")
        on_error(message)

    reviews = english_notices(iter_reviews(names, failed, limit) if names else iter(()), on_note,
                              lambda r: options.stdin_filename if r.name == STDIN else r.name)
    texts = ((options.stdin_filename if r.name == STDIN else r.name,
              runtime.read_for_check(r.text, r.format(options.input_format, options.stdin_filename)))
             for r in reviews)
    files = list(check_readings(texts, scoring(runtime.scorer, len(names)), project.check_threshold,
                                project.fail_threshold, project.gate))
    return _report(runtime, files, unreadable, reasons)


def check_text(runtime: Runtime, text: str, options: CheckOptions = CheckOptions()) -> Report:
    """``check`` of one text, named ``options.stdin_filename`` (its suffix picks the format under auto)."""
    project = runtime.project
    reading = runtime.read_for_check(text, format_for(options.stdin_filename, options.input_format))
    files = list(check_readings([(options.stdin_filename, reading)], runtime.scorer, project.check_threshold,
                                project.fail_threshold, project.gate))
    return _report(runtime, files, [])


def _report(runtime: Runtime, files: list[FileReport], unreadable: list[str],
            reasons: dict[str, str] | None = None) -> Report:
    project = runtime.project
    return Report(files, project.check_threshold, project.fail_threshold, project.styles, unreadable,
                  source_root(runtime.settings.config), project.gate, reasons or {})
