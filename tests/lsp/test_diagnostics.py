"""Debounced, versioned publishing: one check after a burst of edits, nothing stale, a failing document
reported once and the others unaffected. The checks here are stand-ins that record what they were
asked; the real check is exercised in test_checking and over stdio in test_server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from lsprotocol import types

from spoilerscan.lsp.checking import CheckResult
from spoilerscan.lsp.diagnostics import DiagnosticsFeature
from spoilerscan.lsp.documents import Documents, Snapshot
from spoilerscan.runtime import Project
from spoilerscan.settings import ConfigError


class Recorder:
    """The editor's side: what was published and shown."""

    def __init__(self) -> None:
        self.published: list[tuple[str, int | None, int]] = []  # uri, version, how many diagnostics
        self.shown: list[str] = []

    def publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        self.published.append((uri, version, len(diagnostics)))

    def show(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        self.shown.append(message)


def empty_result(snapshot: Snapshot) -> CheckResult:
    from spoilerscan.reading.text import parse

    return CheckResult(snapshot, Project(0.5, 0.5, 0.9), [], [], [], 0, parse(snapshot.text))


def feature(check: Callable[[Snapshot], Awaitable[CheckResult]], debounce: float = 0.01
            ) -> tuple[Documents, DiagnosticsFeature, Recorder]:
    documents = Documents()
    recorder = Recorder()
    return documents, DiagnosticsFeature(documents, check, recorder, lambda: debounce), recorder


def open_document(documents: Documents, uri: str = "file:///r/a.md", text: str = "One.") -> Snapshot:
    snapshot = documents.open(types.TextDocumentItem(uri, "markdown", 1, text))
    assert snapshot is not None
    return snapshot


def edit(documents: Documents, uri: str, version: int) -> Snapshot:
    snapshot = documents.change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=f"Version {version}.")]))
    assert snapshot is not None
    return snapshot


def test_a_burst_of_edits_is_checked_once_at_its_last_version() -> None:
    checked: list[int] = []

    async def check(snapshot: Snapshot) -> CheckResult:
        checked.append(snapshot.version)
        return empty_result(snapshot)

    async def scenario() -> Recorder:
        documents, diagnostics, recorder = feature(check)
        open_document(documents)
        for version in range(2, 7):
            diagnostics.changed(edit(documents, "file:///r/a.md", version))
        await diagnostics.idle()
        return recorder

    recorder = asyncio.run(scenario())
    assert checked == [6]
    assert recorder.published == [("file:///r/a.md", 6, 0)]


def test_a_result_for_an_old_version_is_never_published() -> None:
    checked: list[int] = []

    async def scenario() -> tuple[Recorder, list[tuple[str, int | None, int]]]:
        begun, release = asyncio.Event(), asyncio.Event()

        async def slow_check(snapshot: Snapshot) -> CheckResult:
            checked.append(snapshot.version)
            if snapshot.version == 1:
                begun.set()
                await release.wait()
            return empty_result(snapshot)

        documents, diagnostics, recorder = feature(slow_check)
        first = open_document(documents)
        diagnostics.opened(first)
        await begun.wait()
        newer = edit(documents, first.uri, 2)  # arrives while version 1 is being checked
        release.set()
        await diagnostics.idle()  # version 1's check finishes, for a document that has moved on
        before_newer = list(recorder.published)
        diagnostics.changed(newer)
        await diagnostics.idle()
        return recorder, before_newer

    recorder, before_newer = asyncio.run(scenario())
    assert checked == [1, 2]
    assert before_newer == []
    assert recorder.published == [("file:///r/a.md", 2, 0)]


def test_opening_checks_at_once_and_closing_clears() -> None:
    async def check(snapshot: Snapshot) -> CheckResult:
        return empty_result(snapshot)

    async def scenario() -> tuple[Recorder, DiagnosticsFeature]:
        documents, diagnostics, recorder = feature(check, debounce=3600.0)  # an edit would wait an hour
        diagnostics.opened(open_document(documents))
        await diagnostics.idle()
        diagnostics.changed(edit(documents, "file:///r/a.md", 2))  # pending for an hour
        documents.close("file:///r/a.md")
        diagnostics.closed("file:///r/a.md")
        await diagnostics.idle()  # the pending check was cancelled, so this returns
        return recorder, diagnostics

    recorder, diagnostics = asyncio.run(scenario())
    assert recorder.published == [("file:///r/a.md", 1, 0), ("file:///r/a.md", None, 0)]
    assert diagnostics.results == {}


def test_a_document_whose_check_crashes_does_not_stop_the_others() -> None:
    async def check(snapshot: Snapshot) -> CheckResult:
        if "crash" in snapshot.uri:
            raise RuntimeError("boom")
        if "config" in snapshot.uri:
            raise ConfigError("pyproject.toml: [tool.spoilerscan]: unknown key 'x'")
        return empty_result(snapshot)

    async def scenario() -> Recorder:
        documents, diagnostics, recorder = feature(check)
        for uri in ("file:///r/crash.md", "file:///r/fine.md", "file:///r/config.md"):
            diagnostics.opened(open_document(documents, uri))
        await diagnostics.idle()
        diagnostics.changed(edit(documents, "file:///r/crash.md", 2))  # fails again, with the same message
        await diagnostics.idle()
        return recorder

    recorder = asyncio.run(scenario())
    assert sorted(recorder.published) == [("file:///r/config.md", 1, 0), ("file:///r/crash.md", 1, 0),
                                          ("file:///r/crash.md", 2, 0), ("file:///r/fine.md", 1, 0)]
    assert recorder.shown == ["spoilerscan: checking /r/crash.md failed: RuntimeError: boom",
                              "spoilerscan: pyproject.toml: [tool.spoilerscan]: unknown key 'x'"]
