"""The language server: pygls's protocol wired to the features, built by :func:`create_server`.

The handlers here only translate: document events go to :class:`Documents` and the diagnostics
feature, requests to the code-action and hover features, settings to :mod:`settings`. Nothing
here scores: checks await the scoring engine's worker thread (see :mod:`checking`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer

from spoilerscan import __version__
from spoilerscan.errors import SpoilerscanError
from spoilerscan.lsp import memory
from spoilerscan.lsp.actions import QUICK_FIX, CodeActionsFeature
from spoilerscan.lsp.checking import Checker
from spoilerscan.lsp.diagnostics import DiagnosticsFeature
from spoilerscan.lsp.documents import Documents, path_of
from spoilerscan.lsp.hover import HoverFeature
from spoilerscan.lsp.models import DEFAULT_CACHE_SENTENCES, Loader, ModelPool
from spoilerscan.lsp.positions import encoding_of
from spoilerscan.lsp.projects import Projects, editor_settings
from spoilerscan.lsp.protocol import SpoilerscanProtocol
from spoilerscan.lsp.settings import SECTION, Settings, apply
from spoilerscan.settings import Settings as CoreSettings

log = logging.getLogger(__name__)
PROGRESS_TIMEOUT_SECONDS = 5.0
CONFIG_GLOB = "**/pyproject.toml"


@dataclass(frozen=True)
class ServerOptions:
    """How the server starts: the command line's options."""

    model: Path | None = None  # --model: the default for the editor's `model` setting
    cache_sentences: int = DEFAULT_CACHE_SENTENCES
    load: Loader | None = field(default=None, compare=False)  # builds detectors (None: the runtime's loader)
    # `exit` ends the process at once (the command's server): a thread still reading or scoring a
    # document cannot be interrupted, and must not keep the process alive after the editor said exit.
    exit_process: bool = False


class EditorClient:
    """The features' view of the editor: diagnostics, messages and progress, over pygls."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.progress_supported = False
        self._tokens = itertools.count(1)

    def publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    def show(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        self.server.window_show_message(types.ShowMessageParams(type=kind, message=message))

    async def progress(self, title: str) -> Callable[[str], None]:
        """Begin a work-done progress report (if the client shows them); the result ends it."""
        if not self.progress_supported:
            return lambda message: None
        token = f"spoilerscan-{next(self._tokens)}"
        try:
            await asyncio.wait_for(self.server.work_done_progress.create_async(token), PROGRESS_TIMEOUT_SECONDS)
        except Exception:  # the client refused or did not answer: no progress bar, nothing else lost
            log.warning("the client did not create a progress report")
            return lambda message: None
        self.server.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title))
        return lambda message: self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))


class SpoilerscanServer(LanguageServer):
    """pygls's server holding the spoilerscan state; its handlers are registered by :func:`create_server`."""

    def __init__(self, options: ServerOptions) -> None:
        super().__init__("spoilerscan", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=SpoilerscanProtocol)
        self.options = options
        self.defaults = Settings(model=options.model)
        self.settings = self.defaults
        self.roots: list[Path] = []
        self.editor = EditorClient(self)
        self.documents = Documents()
        self.models = ModelPool(options.load, self.editor.progress, options.cache_sentences)
        self.projects = Projects()
        self.checker = Checker(self.models, self.projects, lambda: self.settings, lambda: self.roots)
        self.diagnostics = DiagnosticsFeature(self.documents, self.checker, self.editor, lambda: self.settings.debounce)
        self.versioned_edits = True
        self.actions = CodeActionsFeature(self.documents, self.diagnostics, lambda: self.versioned_edits)
        self.hovering = HoverFeature(self.documents, self.diagnostics)
        self.shutdown_requested = False
        self._pending_messages: list[str] = []
        self._background: set[asyncio.Task[Any]] = set()

    def background(self, coroutine: Any, name: str) -> None:
        """Run a task the server does not wait for, keeping it referenced and logging its failure."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._background.add(task)

        def finished(done: asyncio.Task[Any]) -> None:
            self._background.discard(done)
            if not done.cancelled() and done.exception() is not None:
                log.error("%s failed", name, exc_info=done.exception())

        task.add_done_callback(finished)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """A message body that is not JSON is answered -32700 (JSON-RPC); other errors as pygls does."""
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)) and isinstance(self.protocol,
                                                                                        SpoilerscanProtocol):
            log.warning("a message is not valid JSON: %s", error)
            self.protocol.parse_error(error)
            return
        super().report_server_error(error, source)

    @property
    def exit_code(self) -> int:
        """LSP: 0 when ``exit`` follows ``shutdown``, else 1."""
        return 0 if self.shutdown_requested else 1

    def change_settings(self, raw: Any, where: str) -> None:
        """Apply settings from the editor; report what was wrong; check again if scoring changed."""
        before = self.settings
        self.settings, problems = apply(self.settings, raw, where, self.roots[0] if self.roots else None,
                                        self.defaults)
        for problem in problems:
            log.warning("%s", problem)
            self.editor.show(f"spoilerscan: {problem}", types.MessageType.Error)
        if self.settings.model != before.model:
            self.models.stop()  # the model documents used is not theirs any more: free it
        if self.settings.scoring != before.scoring:
            self.models.forget_failures()
            self.diagnostics.refresh()

    def initial_model(self) -> CoreSettings:
        """The settings that name the model the first documents will need: the editor's, else the workspace
        config's (blocking)."""
        try:
            config = self.projects.config_at(self.roots[0] if self.roots else None).config
        except SpoilerscanError:  # reported when a document is checked
            return CoreSettings(model_option=self.settings.model)
        return editor_settings(config, self.settings)


def _roots(params: types.InitializeParams) -> list[Path]:
    uris = [folder.uri for folder in params.workspace_folders or []] or ([params.root_uri] if params.root_uri else [])
    paths = [path for uri in uris if (path := path_of(uri)) is not None]
    return paths or ([Path(params.root_path)] if params.root_path else [])




def create_server(options: ServerOptions | None = None) -> SpoilerscanServer:
    """A server ready for ``start_io()``: the features registered, the model not yet loading."""
    server = SpoilerscanServer(options or ServerOptions())

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        capabilities = params.capabilities
        server.documents.encoding = encoding_of(server.workspace.position_encoding)
        server.roots = _roots(params)
        server.editor.progress_supported = get_capability(capabilities, "window.work_done_progress", False)
        server.versioned_edits = get_capability(capabilities, "workspace.workspace_edit.document_changes", False)
        formats = get_capability(capabilities, "text_document.hover.content_format", [])
        server.hovering.markdown = not formats or types.MarkupKind.Markdown in formats
        settings, problems = apply(server.settings, params.initialization_options, "initializationOptions",
                                   server.roots[0] if server.roots else None, server.defaults)
        server.settings = settings
        server._pending_messages = problems
        log.info("initialized: encoding %s, roots %s, settings %s", server.documents.encoding,
                 [str(r) for r in server.roots], server.settings)

    @server.feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        for problem in server._pending_messages:
            server.editor.show(f"spoilerscan: {problem}", types.MessageType.Error)
        server._pending_messages = []
        model = await asyncio.to_thread(server.initial_model)
        server.models.start(model)  # checks wait for it; a failure is reported by them
        if get_capability(server.client_capabilities, "workspace.did_change_watched_files.dynamic_registration",
                          False):
            server.background(server.client_register_capability_async(types.RegistrationParams([types.Registration(
                id="spoilerscan-config", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions([types.FileSystemWatcher(CONFIG_GLOB)]))])),
                "register the config watcher")

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        snapshot = server.documents.open(params.text_document)
        if snapshot is not None:
            server.diagnostics.opened(snapshot)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        snapshot = server.documents.change(params)
        if snapshot is not None:
            server.diagnostics.changed(snapshot)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        server.diagnostics.saved(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        closed = server.documents.close(params.text_document.uri)
        if closed is not None:
            server.diagnostics.closed(params.text_document.uri)
            if len(closed.text) >= memory.LARGE_DOCUMENT_CHARACTERS:  # give its memory back to the system
                server.background(asyncio.to_thread(memory.release), "release memory")

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        raw = params.settings
        if not raw and get_capability(server.client_capabilities, "workspace.configuration", False):
            try:  # the pull model: the notification only says "ask me"
                raw = (await server.workspace_configuration_async(types.ConfigurationParams(
                    [types.ConfigurationItem(section=SECTION)])))[0]
            except Exception:
                log.exception("workspace/configuration failed")
                return
        if raw:
            server.change_settings(raw, "settings")

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        log.info("config files changed: %s", [change.uri for change in params.changes])
        server.projects.forget()
        server.models.forget_failures()
        server.diagnostics.refresh()

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[QUICK_FIX]))
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction] | None:
        try:
            return await server.actions.actions(params)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug in one fix must not cost the editor its others, nor the server
            log.exception("code actions for %s failed", params.text_document.uri)
            return None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(params: types.HoverParams) -> types.Hover | None:
        try:
            return server.hovering.hover(params)
        except Exception:
            log.exception("hover on %s failed", params.text_document.uri)
            return None

    @server.feature(types.EXIT)
    def exit_now(params: None) -> None:
        server.diagnostics.stop()
        if server.options.exit_process:
            log.info("exiting with %d", server.exit_code)
            logging.shutdown()  # flush the log: os._exit skips every clean-up
            os._exit(server.exit_code)

    @server.feature(types.SHUTDOWN)
    def shutdown(params: None) -> None:
        server.shutdown_requested = True
        server.diagnostics.stop()
        server.models.stop()
        log.info("shut down")

    return server
