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
from typing import Any, Protocol

from spoilerscan.check.config import (
    CheckConfig,
    find_config,
    load_config,
    resolve_adapter,
    resolve_gate,
    resolve_model,
    resolve_styles,
    resolve_thresholds,
    source_root,
)
from spoilerscan.model.detect import BatchScorer, Scorer, annotate_stream
from spoilerscan.model.review_gate import ReviewGate
from spoilerscan.reading.inputs import STDIN, STDIN_FILENAME, expand_inputs, iter_reviews, read_known_spoilers
from spoilerscan.reading.language import english_notices
from spoilerscan.reading.markup import ALL_STYLES, Style
from spoilerscan.reading.segment import Reading, read
from spoilerscan.reading.text import Format, format_for


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
    fail_threshold: float | None = None  # the cut its sentences failed at (with a review gate: by its length)


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
    for region in reading.exempt:
        if region.end <= cursor or region.start >= end:
            continue
        if region.start > cursor:
            parts.append(reading.text[cursor : region.start])
        if not parts or parts[-1] != "…":
            parts.append("…")
        cursor = min(max(cursor, region.end), end)
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
    """Findings of one review from its scored sentences; with a ``gate``, the fail cut is the one for
    a review of its length (never below ``threshold``: nothing fails that is not reported)."""
    lines = reading.document.line_index
    cut = fail_threshold if gate is None else max(gate.fail_cut(len(sentences)), threshold)
    findings = [
        Finding(path, s.start, s.end, *lines.span(s.start, s.end), s.score, shown(reading, s.start, s.end),
                s.score >= cut or s.known is not None, s.known)
        for s in sentences if s.score >= threshold or s.known is not None
    ]
    return FileReport(path, findings, len(sentences), cut)


class Scoring(BatchScorer, Protocol):
    """What a check needs of a detector: a Scorer with its two thresholds and known spoilers, which
    tells how many sentences each batch scored (for a progress bar). :class:`Detector` is one."""

    threshold: float
    fail_threshold: float

    def set_known_spoilers(self, reveals: Sequence[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """A check run as the command line states it; None means: from the config, else the default."""

    paths: Sequence[str] = ()
    recursive: bool = False
    config: Path | None = None  # default: the nearest pyproject.toml with [tool.spoilerscan]
    styles: Sequence[str] | None = None
    threshold: float | None = None
    fail_threshold: float | None = None
    model: Path | None = None
    stdin_filename: str = STDIN_FILENAME
    input_format: Format = Format.auto
    known_spoilers: Path | None = None  # a file of reveals, one a line, added to the configured ones
    adapter: Path | None = None  # a site adapter; default: the config's, else none


def _plain(detector: Scoring, inputs: int) -> Scorer:
    return detector


def run_check(options: CheckOptions, load: Callable[[Path | None, Path | None], Scoring],
              on_error: Callable[[str], None] = lambda message: None,
              scoring: Callable[[Scoring, int], Scorer] = _plain,
              on_note: Callable[[str], None] = lambda message: None) -> Report:
    """Load the settings, expand the inputs, load the model, and check every readable review.

    ``load`` gets the model directory (None: the shipped one) and the adapter (None: none);
    ``on_error`` hears each input that cannot be read (it is listed in ``Report.unreadable``);
    ``scoring(detector, inputs)`` may wrap
    the detector that checks the ``inputs`` (a progress bar); ``on_note`` hears notices such as a
    review that is not in English. Configuration and model problems raise SpoilerscanError.
    """
    settings: CheckConfig = load_config(options.config if options.config is not None else find_config())
    styles = resolve_styles(options.styles, settings)
    names = expand_inputs(list(options.paths), options.recursive, settings.selection)
    reveals = [*settings.known_spoilers, *read_known_spoilers(options.known_spoilers)]
    detector = load(resolve_model(options.model, settings), resolve_adapter(options.adapter, settings))
    if reveals:
        detector.set_known_spoilers(reveals)
    report_at, fail_at = resolve_thresholds(options.threshold, options.fail_threshold, settings,
                                            detector.threshold, detector.fail_threshold)
    gate = resolve_gate(options.fail_threshold, settings, getattr(detector, "review_gate", None))
    unreadable: list[str] = []
    reasons: dict[str, str] = {}

    def failed(name: str, message: str) -> None:
        shown = options.stdin_filename if name == STDIN else name
        unreadable.append(shown)
        reasons[shown] = message.removeprefix(f"{name}: ")
        on_error(message)

    reviews = english_notices(iter_reviews(names, failed) if names else iter(()), on_note,
                              lambda r: options.stdin_filename if r.name == STDIN else r.name)
    texts = ((options.stdin_filename if r.name == STDIN else r.name,
              read(r.text, r.format(options.input_format, options.stdin_filename), styles, settings.allowed_phrases))
             for r in reviews)
    files = list(check_readings(texts, scoring(detector, len(names)), report_at, fail_at, gate))
    return Report(files, report_at, fail_at, styles, unreadable, source_root(settings), gate, reasons)
