"""A real LSP client over stdio for the tests: pygls's LanguageClient driving the `spoilerscan lsp` process.

It records what the server sends (diagnostics, messages, progress) and lets a test wait for a
condition on them, bounded in time, instead of sleeping. :func:`running_server` starts the
installed console script, and kills the process by its pid on the way out whatever happened.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60.0
T = TypeVar("T")


def spoilerscan_script() -> str:
    """The console script of the interpreter running the tests (the installed command)."""
    return str(Path(sys.executable).parent / "spoilerscan")


class RecordingClient(LanguageClient):
    """Records the server's notifications and answers its requests as an editor would."""

    def __init__(self) -> None:
        super().__init__("spoilerscan-tests", "1")
        self.published: list[types.PublishDiagnosticsParams] = []
        self.messages: list[types.ShowMessageParams] = []
        self.progress: list[types.ProgressParams] = []
        self.registrations: list[types.RegistrationParams] = []
        self.errors: list[str] = []  # what the client could not read (anything on stdout but protocol)
        self._arrived = asyncio.Event()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.published.append(params)
            self._arrived.set()

        @self.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams) -> None:
            self.messages.append(params)
            self._arrived.set()

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            pass

        @self.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def create_progress(params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @self.feature(types.PROGRESS)
        def progressed(params: types.ProgressParams) -> None:
            self.progress.append(params)
            self._arrived.set()

        @self.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            self.registrations.append(params)
            self._arrived.set()

    def report_server_error(self, error: Exception, source: Any) -> None:
        self.errors.append(f"{getattr(source, '__name__', source)}: {error}")

    async def wait_for(self, condition: Callable[[], T | None], timeout: float = WAIT_SECONDS) -> T:
        """Wait until ``condition()`` gives something (not None, not False), at most ``timeout`` seconds."""
        async def waiting() -> T:
            while True:
                self._arrived.clear()
                found = condition()
                if found is not None and found is not False:
                    return found
                await self._arrived.wait()

        return await asyncio.wait_for(waiting(), timeout)

    async def diagnostics(self, uri: str, version: int) -> list[types.Diagnostic]:
        """The diagnostics published for this version of a document (waits for them)."""
        params = await self.wait_for(lambda: next((p for p in reversed(self.published)
                                                   if p.uri == uri and p.version == version), None))
        return list(params.diagnostics)

    async def message(self, contains: str) -> types.ShowMessageParams:
        return await self.wait_for(lambda: next((m for m in self.messages if contains in m.message), None))

    @property
    def process(self) -> asyncio.subprocess.Process | None:
        return self._server  # pygls keeps the server process it started here


def capabilities(encodings: list[str] | None = None, markdown_hover: bool = True) -> types.ClientCapabilities:
    """An editor's capabilities: progress, versioned edits, watched files, the given position encodings."""
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=encodings),
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
            configuration=True),
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown] if markdown_hover
                                                else [types.MarkupKind.PlainText]),
            code_action=types.CodeActionClientCapabilities(),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)),
    )


def server_env() -> dict[str, str]:
    """The tests' environment, with this checkout first on the server's import path; offline."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(REPO) + (os.pathsep + path if path else ""), "HF_HUB_OFFLINE": "1"}


def _kill(process: asyncio.subprocess.Process | None) -> None:
    if process is not None and process.returncode is None:
        with suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)


@asynccontextmanager
async def running_server(*args: str, root: Path, options: dict[str, Any] | None = None,
                         encodings: list[str] | None = None, markdown_hover: bool = True
                         ) -> AsyncIterator[tuple[RecordingClient, types.InitializeResult]]:
    """`spoilerscan lsp ARGS` started and initialized with ``root`` as the workspace; killed at the end."""
    client = RecordingClient()
    await client.start_io(spoilerscan_script(), "lsp", *args, env=server_env(), cwd=str(root))
    try:
        result = await asyncio.wait_for(client.initialize_async(types.InitializeParams(
            capabilities=capabilities(encodings, markdown_hover), process_id=os.getpid(),
            root_uri=root.as_uri(), workspace_folders=[types.WorkspaceFolder(root.as_uri(), root.name)],
            initialization_options=options)), WAIT_SECONDS)
        client.initialized(types.InitializedParams())
        yield client, result
    finally:
        _kill(client.process)
        if client.process is not None:
            await asyncio.wait_for(client.process.wait(), WAIT_SECONDS)
        await asyncio.wait_for(client.stop(), WAIT_SECONDS)


async def shut_down(client: RecordingClient) -> int:
    """shutdown, then exit: the server's exit code."""
    await asyncio.wait_for(client.shutdown_async(None), WAIT_SECONDS)
    client.exit(None)
    assert client.process is not None
    return await asyncio.wait_for(client.process.wait(), WAIT_SECONDS)
