"""The quick fixes as the feature offers them: for the current version only, from the diagnostic's data,
in the project's style, with the selected words as the allowed phrase (tiny model, thresholds set)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from spoilerscan.lsp.actions import CodeActionsFeature
from spoilerscan.lsp.checking import Checker, CheckResult
from spoilerscan.lsp.diagnostics import DiagnosticsFeature, to_diagnostics
from spoilerscan.lsp.documents import Documents
from spoilerscan.lsp.models import ModelPool
from spoilerscan.lsp.projects import Projects
from spoilerscan.lsp.settings import Settings
from tests.lsp.test_models import one_thread

REVIEW = "A quiet film. He was dead all along. His wife never knew.\n\nGo and see it.\n"
FLAGGED = ["He was dead all along.", "His wife never knew."]


class Quiet:
    def publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        pass

    def show(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        pass


def checked(folder: Path, model: Path, config: str, versioned: bool = True
            ) -> tuple[Documents, CodeActionsFeature, CheckResult]:
    """The review opened and checked, with the two reveals as known spoilers (the only findings)."""
    (folder / "pyproject.toml").write_text(config + f"known-spoilers = {FLAGGED!r}\n".replace("'", '"'),
                                           encoding="utf-8")
    documents = Documents()
    path = folder / "review.md"
    snapshot = documents.open(types.TextDocumentItem(path.as_uri(), "markdown", 7, REVIEW))
    assert snapshot is not None
    pool = ModelPool(one_thread)
    checker = Checker(pool, Projects(), lambda: Settings(threshold=1.0, fail_threshold=1.0, model=model), lambda: [])
    diagnostics = DiagnosticsFeature(documents, checker, Quiet(), lambda: 0.0)

    async def run() -> CheckResult:
        try:
            diagnostics.opened(snapshot)
            await diagnostics.idle()
            return diagnostics.results[snapshot.uri]
        finally:
            pool.stop()

    result = asyncio.run(run())
    return documents, CodeActionsFeature(documents, diagnostics, lambda: versioned), result


def ask(actions: CodeActionsFeature, result: CheckResult, index: int, selection: tuple[int, int] | None = None,
        with_context: bool = True) -> list[types.CodeAction]:
    diagnostic = to_diagnostics(result)[index]
    lines = result.snapshot.lines
    chosen = diagnostic.range if selection is None else lines.range(*selection)
    params = types.CodeActionParams(types.TextDocumentIdentifier(result.snapshot.uri), chosen,
                                    types.CodeActionContext([diagnostic] if with_context else []))
    return asyncio.run(actions.actions(params)) or []


def edited(result: CheckResult, action: types.CodeAction) -> str:
    assert action.edit is not None
    changes = action.edit.changes or {}
    if action.edit.document_changes:
        [change] = action.edit.document_changes
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.version == result.snapshot.version
        changes = {change.text_document.uri: list(change.edits)}
    [edit] = changes[result.snapshot.uri]
    assert isinstance(edit, types.TextEdit)
    lines = result.snapshot.lines
    start, end = lines.offset(edit.range.start), lines.offset(edit.range.end)
    return REVIEW[:start] + edit.new_text + REVIEW[end:]


def test_adjacent_findings_are_marked_together_in_the_projects_style(tmp_path: Path, tiny_model_dir: Path) -> None:
    _, actions, result = checked(tmp_path, tiny_model_dir, "[tool.spoilerscan]\nstyle = ['discord']\n")
    assert [f.text for f in result.findings] == FLAGGED
    mark, ignore, allow = ask(actions, result, 0)
    assert mark.title == "Mark 2 sentences as spoiler (||…||)"
    assert edited(result, mark) == REVIEW.replace("He was dead all along. His wife never knew.",
                                                  "||He was dead all along. His wife never knew.||")
    assert edited(result, ignore) == REVIEW.replace("He was", "<!-- spoilerscan: ignore --> He was")
    assert allow.title.startswith("Add 'He was dead all along.' to allowed phrases")


def test_selected_words_become_the_allowed_phrase(tmp_path: Path, tiny_model_dir: Path) -> None:
    _, actions, result = checked(tmp_path, tiny_model_dir, "[tool.spoilerscan]\n")
    start = REVIEW.index("dead all")
    allow = next(a for a in ask(actions, result, 0, (start, start + len("dead all"))) if "allowed" in a.title)
    assert allow.title == "Add 'dead all' to allowed phrases (pyproject.toml)"
    assert allow.edit is not None and allow.edit.document_changes is not None
    [change] = allow.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.uri == (tmp_path / "pyproject.toml").as_uri()
    assert [e.new_text for e in change.edits] == ['\nallowed-phrases = ["dead all"]']


def test_without_versioned_edits_the_plain_changes_map_is_used(tmp_path: Path, tiny_model_dir: Path) -> None:
    _, actions, result = checked(tmp_path, tiny_model_dir, "[tool.spoilerscan]\n", versioned=False)
    mark = ask(actions, result, 1)[0]
    assert mark.edit is not None and mark.edit.document_changes is None
    assert edited(result, mark).count(">!") == 1


def test_a_client_that_sends_no_context_gets_the_fixes_under_the_cursor(tmp_path: Path, tiny_model_dir: Path) -> None:
    _, actions, result = checked(tmp_path, tiny_model_dir, "[tool.spoilerscan]\n")
    at = REVIEW.index("wife")
    titles = [a.title for a in ask(actions, result, 1, (at, at), with_context=False)]
    assert titles[:2] == ["Mark 2 sentences as spoiler (>!…!<)", "Ignore this sentence (<!-- spoilerscan: ignore -->)"]
    away = REVIEW.index("Go and")
    assert ask(actions, result, 1, (away, away), with_context=False) == []


@pytest.mark.parametrize("config", ["[tool.spoilerscan]\nstyle = ['warning']\n"])
def test_with_only_warning_sections_there_is_nothing_to_wrap_in(config: str, tmp_path: Path,
                                                                 tiny_model_dir: Path) -> None:
    _, actions, result = checked(tmp_path, tiny_model_dir, config)
    assert [a.title.split(" (")[0] for a in ask(actions, result, 0)] == \
        ["Ignore this sentence", "Add 'He was dead all along.' to allowed phrases"]


def test_no_fix_is_offered_for_a_version_that_has_moved_on(tmp_path: Path, tiny_model_dir: Path) -> None:
    documents, actions, result = checked(tmp_path, tiny_model_dir, "[tool.spoilerscan]\n")
    documents.change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=result.snapshot.uri, version=8),
        [types.TextDocumentContentChangeWholeDocument(text="Rewritten.")]))
    assert ask(actions, result, 0) == []
