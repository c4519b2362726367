"""One check of one document version: ``check``'s findings for it, with what the editor features need.

The work is split so that the event loop only waits: the config is found and the review read in
worker threads, the model runs on the scoring engine's worker
(:func:`spoilerscan.service.operations.check_reading`), and the line table for the ranges is built
in the reading thread too. A :class:`CheckResult` keeps the snapshot it was made from, so a
result is never taken for a newer version's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from lsprotocol import types

from spoilerscan.check.gate import Finding
from spoilerscan.errors import InputError
from spoilerscan.lsp.documents import Snapshot
from spoilerscan.lsp.models import ModelPool
from spoilerscan.lsp.projects import Projects
from spoilerscan.lsp.settings import Settings
from spoilerscan.reading.document import Document
from spoilerscan.reading.inputs import larger_than
from spoilerscan.reading.markup import RedactStyle, Style
from spoilerscan.reading.segment import Reading
from spoilerscan.runtime import Project
from spoilerscan.service import check_reading, read_in_thread

Span = tuple[int, int]


def mark_style(styles: Sequence[Style]) -> RedactStyle | None:
    """The style *Mark as spoiler* writes: the first style the project renders that ``redact`` writes,
    inline markup before a replaced sentence (the order of ``check``'s hint); none for warnings only."""
    writable = {Style.discourse: RedactStyle.bbcode, **{Style(s.value): s for s in RedactStyle}}
    last = (Style.block, Style.label)
    for style in sorted(styles, key=lambda s: s in last):
        if style in writable:
            return writable[style]
    return None


def adjacent_groups(reading: Reading, findings: Sequence[Finding]) -> list[tuple[Span, ...]]:
    """For each finding, the run of flagged sentences around it in its paragraph: consecutive
    sentences of one block, every one of them a finding (itself included)."""
    index = {span.start: i for i, span in enumerate(reading.sentences)}
    positions = [index.get(f.start, -1) for f in findings]
    groups: list[tuple[Span, ...]] = []
    run: list[int] = []

    def close() -> None:
        spans = tuple((findings[k].start, findings[k].end) for k in run)
        groups.extend(spans for _ in run)
        run.clear()

    for k, position in enumerate(positions):
        if run:
            previous = positions[run[-1]]
            same_block = position >= 0 and previous >= 0 and \
                reading.sentences[position].block == reading.sentences[previous].block
            if not (same_block and position == previous + 1):
                close()
        run.append(k)
    if run:
        close()
    return groups


@dataclass(frozen=True, eq=False)
class CheckResult:
    """``check``'s findings for one snapshot, their ranges, and what code actions and hover need."""

    snapshot: Snapshot
    project: Project
    findings: list[Finding]
    groups: list[tuple[Span, ...]]
    ranges: list[types.Range]
    sentences: int
    document: Document  # the review's structure (the same however marked text is counted)
    config: Path | None = None
    fail_cut: float | None = None  # the cut this review's sentences fail from, where the review gate set it

    @property
    def mark_style(self) -> RedactStyle | None:
        return mark_style(self.project.styles)

    @cached_property
    def redaction_reading(self) -> Reading:
        """The review as ``redact`` reads it (built on first use, in a worker thread: a code action)."""
        return self.project.read_for_redaction(self.snapshot.text, self.snapshot.format)

    def at(self, start: int, end: int) -> list[int]:
        """Indexes of the findings that overlap [start, end] (a cursor touches the finding it is in or at)."""
        return [i for i, f in enumerate(self.findings) if f.start <= end and start <= f.end]


class TooLarge(InputError):
    """A document over the settings' max input size: not read or scored (its reading would cost many
    times its size in memory, and its scoring hold the model for minutes)."""


def within_limit(snapshot: Snapshot, limit: int) -> None:
    """Refuse what ``check`` refuses of a file over ``--max-input-size``, naming the setting that raises it."""
    if larger_than(snapshot.text, limit):
        raise TooLarge(f"{snapshot.name}: not checked: larger than the maximum input size ({limit:,} bytes); "
                       "raise it with max-input-size in [tool.spoilerscan]")


def readable(snapshot: Snapshot) -> None:
    """Refuse what ``check`` refuses of a file: text with NUL characters is binary, not a review."""
    if "\x00" in snapshot.text:
        raise InputError(f"{snapshot.name}: binary content (contains NUL characters), not a text review")


class Checker:
    """Checks snapshots with the models, configs and settings the server holds."""

    def __init__(self, models: ModelPool, projects: Projects, settings: Callable[[], Settings],
                 roots: Callable[[], Sequence[Path]]) -> None:
        self.models = models
        self.projects = projects
        self.settings = settings
        self.roots = roots

    async def __call__(self, snapshot: Snapshot) -> CheckResult:
        readable(snapshot)
        settings = self.settings()
        resolved = await asyncio.to_thread(self.projects.config_for, snapshot, self.roots())
        core = resolved.settings(settings)
        within_limit(snapshot, core.max_input_size)
        model = await self.models.get(core)
        project = await self.projects.project(resolved, settings, model)

        def read() -> Reading:
            reading = project.read_for_check(snapshot.text, snapshot.format)
            snapshot.lines  # noqa: B018 - build this version's line table here, off the event loop
            return reading

        reading = await read_in_thread(read)  # stopped if an edit makes this check stale
        report = await check_reading(model.engine, project, reading, snapshot.name)
        findings = report.findings
        return CheckResult(snapshot, project, findings, adjacent_groups(reading, findings),
                           snapshot.lines.ranges([(f.start, f.end) for f in findings]), report.sentences,
                           reading.document, resolved.path,
                           report.fail_threshold if project.gate is not None else None)
