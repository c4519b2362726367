"""The real `spoilerscan lsp` process, driven over stdio by a real LSP client (pygls's).

The review has one unmarked reveal, listed as a known spoiler in the workspace's pyproject.toml;
the thresholds are 1.0 (initializationOptions), which the tiny model's scores never reach, so the
reveal is the one finding whatever the model's arbitrary scores are. Every test waits for the
server's notifications (bounded in time), never sleeps, and kills the process by its pid at the end.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from typer.testing import CliRunner

from spoilerscan.cli import app
from tests.helpers.lspclient import RecordingClient, running_server, server_env, shut_down, spoilerscan_script

pytestmark = pytest.mark.slow

REVEAL = "Malcolm Crowe has been dead the whole time."
PREFIX = "I loved it 😀, the café scenes and all. "  # an emoji (2 UTF-16 units, 4 UTF-8 bytes) and an é
REVIEW = f"# The Sixth Sense\n\n{PREFIX}{REVEAL} Go and see it.\r\n\r\nWatch it twice.\n"
OPTIONS = {"threshold": 1.0, "failThreshold": 1.0, "debounceMs": 0}
UNITS = {"utf-8": lambda s: len(s.encode("utf-8")), "utf-16": lambda s: len(s.encode("utf-16-le")) // 2,
         "utf-32": len}


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(f'[tool.spoilerscan]\nknown-spoilers = ["{REVEAL}"]\n', encoding="utf-8")
    return tmp_path


def run(scenario: Any) -> Any:
    return asyncio.run(scenario)


def open_review(client: RecordingClient, path: Path, text: str = REVIEW, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "markdown", version,
                                                                                         text)))
    return uri


def offset_of(text: str, position: types.Position, encoding: str) -> int:
    """A position's character offset, worked out independently of the server's code."""
    starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]
    offset, units = starts[position.line], 0
    while units < position.character:
        units += UNITS[encoding](text[offset])
        offset += 1
    return offset


def apply_edit(text: str, edit: types.WorkspaceEdit, uri: str, encoding: str = "utf-16") -> str:
    """Apply a workspace edit's changes to one document, as an editor would (last edit first)."""
    assert edit.document_changes is not None
    edits = [e for change in edit.document_changes if isinstance(change, types.TextDocumentEdit)
             and change.text_document.uri == uri for e in change.edits]
    assert edits, edit
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        assert isinstance(e, types.TextEdit)
        start, end = offset_of(text, e.range.start, encoding), offset_of(text, e.range.end, encoding)
        text = text[:start] + e.new_text + text[end:]
    return text


def full_change(client: RecordingClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))


@pytest.mark.parametrize("encodings", [None, ["utf-8", "utf-16"], ["utf-32"]], ids=["utf-16", "utf-8", "utf-32"])
def test_an_unmarked_reveal_gets_a_diagnostic_with_its_exact_range(encodings: list[str] | None, workspace: Path,
                                                                   tiny_model_dir: Path) -> None:
    async def scenario() -> None:
        async with running_server("--model", str(tiny_model_dir), root=workspace, options=OPTIONS,
                                  encodings=encodings) as (client, initialized):
            encoding = initialized.capabilities.position_encoding
            assert encoding == (encodings or ["utf-16"])[0]
            uri = open_review(client, workspace / "review.md")  # at once: the model is still loading
            [diagnostic] = await client.diagnostics(uri, 1)
            assert diagnostic.range == types.Range(types.Position(2, UNITS[encoding](PREFIX)),
                                                   types.Position(2, UNITS[encoding](PREFIX + REVEAL)))
            assert diagnostic.severity == types.DiagnosticSeverity.Error
            assert (diagnostic.source, diagnostic.code) == ("spoilerscan", "unmarked-spoiler")
            assert diagnostic.message.startswith("Unmarked spoiler (score 0.")
            assert f"restates the known spoiler '{REVEAL}'" in diagnostic.message
            kinds = [p.value["kind"] for p in client.progress]
            assert kinds == ["begin", "end"]  # the model loaded with a progress report
            assert await shut_down(client) == 0
            assert client.errors == []

    run(scenario())


def test_marking_the_reveal_clears_its_diagnostic_and_closing_clears_all(workspace: Path,
                                                                          tiny_model_dir: Path) -> None:
    async def scenario() -> None:
        async with running_server("--model", str(tiny_model_dir), root=workspace, options=OPTIONS) as (client, _):
            uri = open_review(client, workspace / "review.md")
            [diagnostic] = await client.diagnostics(uri, 1)
            start, end = diagnostic.range.start, diagnostic.range.end
            client.text_document_did_change(types.DidChangeTextDocumentParams(  # two incremental insertions
                types.VersionedTextDocumentIdentifier(uri=uri, version=2), [
                    types.TextDocumentContentChangePartial(range=types.Range(end, end), text="!<"),
                    types.TextDocumentContentChangePartial(range=types.Range(start, start), text=">!")]))
            assert await client.diagnostics(uri, 2) == []
            full_change(client, uri, 3, REVIEW)  # unmarked again
            assert len(await client.diagnostics(uri, 3)) == 1
            client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
            cleared = await client.wait_for(lambda: next((p for p in client.published[::-1] if p.version is None),
                                                         None))
            assert cleared.uri == uri and list(cleared.diagnostics) == []
            assert await shut_down(client) == 0

    run(scenario())


def test_the_quick_fixes_mark_ignore_and_allow_the_reveal(workspace: Path, tiny_model_dir: Path) -> None:
    review = workspace / "review.md"
    review.write_text(REVIEW, encoding="utf-8", newline="")
    (workspace / "reveals.txt").write_text(REVEAL + "\n", encoding="utf-8")
    redacted = CliRunner().invoke(app, ["redact", str(review), "-m", str(tiny_model_dir), "-t", "1",
                                        "--spoilers", str(workspace / "reveals.txt"), "-s", "reddit", "-q"])
    expected = redacted.stdout_bytes.decode("utf-8")  # (bytes: .stdout would turn CRLF into LF)
    assert redacted.exit_code == 0 and expected != REVIEW

    async def scenario() -> None:
        async with running_server("--model", str(tiny_model_dir), root=workspace, options=OPTIONS) as (client, _):
            uri = open_review(client, review)
            [diagnostic] = await client.diagnostics(uri, 1)
            actions = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
                types.TextDocumentIdentifier(uri), diagnostic.range, types.CodeActionContext([diagnostic]))), 60)
            assert actions is not None
            by_title = {a.title.split(" (")[0]: a for a in actions if isinstance(a, types.CodeAction)}
            assert set(by_title) == {"Mark as spoiler", "Ignore this sentence",
                                     f"Add '{REVEAL[:39]}…' to allowed phrases"}
            mark, ignore = by_title["Mark as spoiler"], by_title["Ignore this sentence"]
            assert mark.is_preferred and mark.kind == types.CodeActionKind.QuickFix and mark.edit is not None
            marked = apply_edit(REVIEW, mark.edit, uri)
            assert marked == expected  # the same text `redact` writes for that sentence
            full_change(client, uri, 2, marked)
            assert await client.diagnostics(uri, 2) == []

            assert ignore.edit is not None
            ignored = apply_edit(REVIEW, ignore.edit, uri)
            assert ignored == REVIEW.replace(REVEAL, f"<!-- spoilerscan: ignore --> {REVEAL}")
            full_change(client, uri, 3, ignored)
            assert await client.diagnostics(uri, 3) == []

            full_change(client, uri, 4, REVIEW)
            [diagnostic] = await client.diagnostics(uri, 4)
            actions = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
                types.TextDocumentIdentifier(uri), diagnostic.range, types.CodeActionContext([diagnostic]))), 60)
            assert actions is not None
            allow = next(a for a in actions if isinstance(a, types.CodeAction) and "allowed phrases" in a.title)
            assert allow.edit is not None
            config = workspace / "pyproject.toml"
            config.write_text(apply_edit(config.read_text(encoding="utf-8"), allow.edit, config.as_uri()),
                              encoding="utf-8")
            published = len(client.published)
            client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
                [types.FileEvent(config.as_uri(), types.FileChangeType.Changed)]))
            again = await client.wait_for(lambda: next((p for p in client.published[published:] if p.uri == uri),
                                                       None))
            assert again.version == 4 and list(again.diagnostics) == []  # the phrase is allowed now
            assert await shut_down(client) == 0

    run(scenario())


def test_hover_shows_the_score_the_thresholds_and_the_known_spoiler(workspace: Path, tiny_model_dir: Path) -> None:
    async def scenario() -> None:
        async with running_server("--model", str(tiny_model_dir), root=workspace, options=OPTIONS) as (client, _):
            uri = open_review(client, workspace / "review.md")
            [diagnostic] = await client.diagnostics(uri, 1)
            inside = types.Position(2, diagnostic.range.start.character + 3)
            hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
                types.TextDocumentIdentifier(uri), inside)), 60)
            assert hover is not None and isinstance(hover.contents, types.MarkupContent)
            assert hover.contents.kind == types.MarkupKind.Markdown and hover.range == diagnostic.range
            text = hover.contents.value
            assert re.search(r"Score \*\*0\.\d\d\*\*: reported from 1\.00, fails from 1\.00", text), text
            assert f"restates a known spoiler of the work: “{REVEAL}”" in text
            assert "<!-- spoilerscan: ignore -->" in text and str(workspace / "pyproject.toml") in text
            elsewhere = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
                types.TextDocumentIdentifier(uri), types.Position(4, 2))), 60)
            assert elsewhere is None
            assert await shut_down(client) == 0

    run(scenario())


def test_the_editors_settings_override_the_thresholds(workspace: Path, tiny_model_dir: Path) -> None:
    async def scenario() -> None:
        async with running_server("--model", str(tiny_model_dir), root=workspace, options=OPTIONS) as (client, _):
            uri = open_review(client, workspace / "review.md")
            assert len(await client.diagnostics(uri, 1)) == 1
            published = len(client.published)
            client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
                {"spoilerscan": {"threshold": 0.0}}))  # every sentence is reported now, none fails but the reveal
            again = await client.wait_for(lambda: next((p for p in client.published[published:] if p.uri == uri),
                                                       None))
            severities = [d.severity for d in again.diagnostics]
            assert len(severities) == 5  # the title, three sentences of the paragraph, the last line
            assert severities.count(types.DiagnosticSeverity.Error) == 1
            assert await shut_down(client) == 0

    run(scenario())


def test_a_bad_config_is_shown_and_the_server_keeps_answering(workspace: Path, tiny_model_dir: Path) -> None:
    bad = workspace / "drafts"
    bad.mkdir()
    (bad / "pyproject.toml").write_text("[tool.spoilerscan]\nthreshhold = 0.5\n", encoding="utf-8")

    async def scenario() -> None:
        async with running_server("--model", str(tiny_model_dir), root=workspace, options=OPTIONS) as (client, _):
            broken = open_review(client, bad / "draft.md")
            message = await client.message("unknown key 'threshhold'")
            assert message.type == types.MessageType.Error
            assert await client.diagnostics(broken, 1) == []
            fine = open_review(client, workspace / "review.md")  # another document is checked as usual
            assert len(await client.diagnostics(fine, 1)) == 1
            hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
                types.TextDocumentIdentifier(broken), types.Position(2, 1))), 60)
            assert hover is None
            (bad / "pyproject.toml").write_text(f'[tool.spoilerscan]\nknown-spoilers = ["{REVEAL}"]\n',
                                                encoding="utf-8")
            published = len(client.published)
            client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
                [types.FileEvent((bad / "pyproject.toml").as_uri(), types.FileChangeType.Changed)]))
            fixed = await client.wait_for(lambda: next((p for p in client.published[published:] if p.uri == broken),
                                                       None))
            assert len(fixed.diagnostics) == 1
            assert await shut_down(client) == 0

    run(scenario())


def test_a_missing_model_is_shown_and_the_server_keeps_answering(workspace: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_server("--model", str(tmp_path / "no-model"), root=workspace,
                                  options={**OPTIONS, "colour": "red"}) as (client, _):
            setting = await client.message("unknown setting 'colour'")
            assert setting.type == types.MessageType.Error
            uri = open_review(client, workspace / "review.md")
            missing = await client.message("model directory not found")
            assert missing.type == types.MessageType.Error
            assert await client.diagnostics(uri, 1) == []
            assert await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
                types.TextDocumentIdentifier(uri), types.Position(2, 1))), 60) is None
            assert await shut_down(client) == 0

    run(scenario())


def test_exit_without_shutdown_ends_with_1(workspace: Path, tiny_model_dir: Path) -> None:
    async def scenario() -> int:
        async with running_server("--model", str(tiny_model_dir), root=workspace, options=OPTIONS) as (client, _):
            client.exit(None)
            assert client.process is not None
            return await asyncio.wait_for(client.process.wait(), 60)

    assert run(scenario()) == 1


def framed(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def test_nothing_but_protocol_is_written_to_stdout(workspace: Path, tiny_model_dir: Path) -> None:
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None,
                                                                        "rootUri": workspace.as_uri()}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    done = subprocess.run([spoilerscan_script(), "lsp", "--model", str(tiny_model_dir), "--verbose"],
                          input=b"".join(framed(m) for m in messages), capture_output=True, timeout=120,
                          env=server_env(), cwd=workspace)
    assert done.returncode == 0, done.stderr.decode()
    replies = []
    rest = done.stdout
    while rest:  # every byte is a framed JSON-RPC message
        header, separator, rest = rest.partition(b"\r\n\r\n")
        fields = dict(line.split(b": ", 1) for line in header.split(b"\r\n"))
        assert separator and set(fields) <= {b"Content-Length", b"Content-Type"}, header
        length = int(fields[b"Content-Length"])
        replies.append(json.loads(rest[:length]))
        rest = rest[length:]
    assert [r.get("id") for r in replies if "id" in r] == [1, 2]
    assert b"model" in done.stderr  # the log went to stderr


def test_a_client_that_hangs_up_ends_the_server(tiny_model_dir: Path, tmp_path: Path) -> None:
    done = subprocess.run([spoilerscan_script(), "lsp", "--model", str(tiny_model_dir)], input=b"",
                          capture_output=True, timeout=120, env=server_env(), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, b"")
