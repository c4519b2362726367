"""Diagnostics as the writer types: debounced per document, published with their version, never stale.

Each edit cancels the document's pending check and schedules a new one after the debounce (a
document just opened or saved is checked at once). A check works on the snapshot it was given;
its result is published only if that snapshot is still the document's latest version, so a slow
check never overwrites a newer one. A check that fails (a bad config, a missing model, a
document that cannot be read, or a bug) clears that document's diagnostics and is reported once
with ``window/showMessage``; the other documents go on being checked. A document over the
settings' max input size is not read or scored: one warning diagnostic at its start says so and
names the setting that raises the limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from lsprotocol import types

from spoilerscan.check.formats import RULE_ID
from spoilerscan.errors import SpoilerscanError
from spoilerscan.lsp.checking import CheckResult, TooLarge
from spoilerscan.lsp.documents import Documents, Snapshot

log = logging.getLogger(__name__)
SOURCE = "spoilerscan"
TOO_LARGE = "too-large"  # the code of the diagnostic on a document not checked for its size


class Client(Protocol):
    """What the features send to the editor (the server, or a recorder in tests)."""

    def publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None: ...

    def show(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None: ...


def finding_data(result: CheckResult, index: int) -> dict[str, Any]:
    """What a code action needs of a finding, carried in ``Diagnostic.data`` (no re-scoring)."""
    finding = result.findings[index]
    return {"version": result.snapshot.version, "start": finding.start, "end": finding.end,
            "group": [list(span) for span in result.groups[index]], "score": round(finding.score, 6),
            "failing": finding.failing, "known": finding.known}


def to_diagnostic(result: CheckResult, index: int) -> types.Diagnostic:
    """A finding as a diagnostic: an error from the fail threshold (or restating a known spoiler), a
    warning between the two thresholds."""
    finding = result.findings[index]
    return types.Diagnostic(
        range=result.ranges[index],
        message=finding.label[:1].upper() + finding.label[1:],
        severity=types.DiagnosticSeverity.Error if finding.failing else types.DiagnosticSeverity.Warning,
        code=RULE_ID,
        source=SOURCE,
        data=finding_data(result, index),
    )


def to_diagnostics(result: CheckResult) -> list[types.Diagnostic]:
    """``check``'s findings for the result's version, in order."""
    return [to_diagnostic(result, i) for i in range(len(result.findings))]


class DiagnosticsFeature:
    """Schedules checks per document and publishes their results."""

    def __init__(self, documents: Documents, check: Callable[[Snapshot], Awaitable[CheckResult]], client: Client,
                 debounce: Callable[[], float]) -> None:
        self.documents = documents
        self._check = check
        self.client = client
        self._debounce = debounce
        self.results: dict[str, CheckResult] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._problems: dict[str, str] = {}  # uri -> the problem last shown for it

    # --- document events

    def opened(self, snapshot: Snapshot) -> None:
        self.schedule(snapshot, 0.0)

    def changed(self, snapshot: Snapshot) -> None:
        self.schedule(snapshot, self._debounce())

    def saved(self, uri: str) -> None:
        snapshot = self.documents.get(uri)
        if snapshot is not None:
            self.schedule(snapshot, 0.0)

    def closed(self, uri: str) -> None:
        self._cancel(uri)
        self.results.pop(uri, None)
        self._problems.pop(uri, None)
        self.client.publish(uri, None, [])

    def refresh(self) -> None:
        """Check every open document again now (the settings, a config or the model changed)."""
        for snapshot in self.documents:
            self.schedule(snapshot, 0.0)

    # --- scheduling

    def schedule(self, snapshot: Snapshot, delay: float) -> None:
        self._cancel(snapshot.uri)
        task = asyncio.get_running_loop().create_task(self._run(snapshot, delay), name=f"check {snapshot.uri}")
        self._pending[snapshot.uri] = task
        task.add_done_callback(lambda done: self._finished(snapshot.uri, done))

    def _cancel(self, uri: str) -> None:
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()

    def _finished(self, uri: str, task: asyncio.Task[None]) -> None:
        if self._pending.get(uri) is task:
            del self._pending[uri]
        if not task.cancelled() and task.exception() is not None:  # _run catches everything; never lose one
            log.error("check of %s failed", uri, exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until no check is pending (tests, and shutdown)."""
        while self._pending:
            await asyncio.gather(*self._pending.values(), return_exceptions=True)

    def stop(self) -> None:
        for uri in list(self._pending):
            self._cancel(uri)

    async def _run(self, snapshot: Snapshot, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            result = await self._check(snapshot)
        except asyncio.CancelledError:
            raise
        except TooLarge as problem:
            self._too_large(snapshot, str(problem))
            return
        except SpoilerscanError as problem:
            self._failed(snapshot, str(problem))
            return
        except Exception as problem:
            log.exception("checking %s (version %s) failed", snapshot.uri, snapshot.version)
            self._failed(snapshot, f"checking {snapshot.name} failed: {type(problem).__name__}: {problem}")
            return
        if not self.documents.is_current(snapshot):
            return  # a newer version came in while this one was checked: its own check publishes
        self.results[snapshot.uri] = result
        self._problems.pop(snapshot.uri, None)
        self.client.publish(snapshot.uri, snapshot.version, to_diagnostics(result))

    def _too_large(self, snapshot: Snapshot, message: str) -> None:
        """One diagnostic at the document's start says it was not checked and why; its results are dropped."""
        if not self.documents.is_current(snapshot):
            return
        self.results.pop(snapshot.uri, None)
        self._problems.pop(snapshot.uri, None)
        log.warning("%s", message)
        start = types.Position(0, 0)
        self.client.publish(snapshot.uri, snapshot.version, [types.Diagnostic(
            range=types.Range(start, start), message=message, severity=types.DiagnosticSeverity.Warning,
            code=TOO_LARGE, source=SOURCE)])

    def _failed(self, snapshot: Snapshot, message: str) -> None:
        if not self.documents.is_current(snapshot):
            return
        self.results.pop(snapshot.uri, None)
        self.client.publish(snapshot.uri, snapshot.version, [])
        already_shown = message in self._problems.values()
        self._problems[snapshot.uri] = message
        if not already_shown:
            log.error("%s", message)
            self.client.show(f"spoilerscan: {message}", types.MessageType.Error)
