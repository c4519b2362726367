"""``lsp``: the language server on stdin and stdout, for editors (the ``lsp`` extra)."""

from __future__ import annotations

import logging
import os
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from spoilerscan.cli import output
from spoilerscan.errors import EXIT_OK, EXIT_USAGE

EXIT_NO_SHUTDOWN = 1  # LSP: `exit` without `shutdown` first (or the editor hung up) ends with 1
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _configure_logging(log_file: Path | None, verbose: bool) -> None:
    """Logs go to stderr (editors show it in their LSP log) or to a file; never to stdout."""
    try:
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8") if log_file is not None \
            else logging.StreamHandler(sys.stderr)
    except OSError as problem:
        output.error(f"--log-file {log_file}: cannot write ({problem.strerror})")
        raise typer.Exit(EXIT_USAGE) from None
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    level = logging.DEBUG if verbose else logging.INFO
    for name in ("spoilerscan", "pygls"):
        logging.getLogger(name).setLevel(level if name == "spoilerscan" else logging.WARNING)


def _protocol_stdout() -> BinaryIO:
    """The protocol's own handle on stdout; file descriptor 1 then points at stderr, so that nothing
    else (a library's print, a native library's warning) can write between two messages."""
    sys.stdout.flush()
    protocol = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


def lsp(
    model: Annotated[Path | None, typer.Option("--model", "-m", metavar="DIR", help="Model directory, "
        "over the config's `model`; the editor's `model` setting overrides it \\[default: the config's, else the "
        "shipped model]. A model that cannot be loaded is reported in the editor; the server keeps running.",
        show_default=False)] = None,
    log_file: Annotated[Path | None, typer.Option("--log-file", metavar="FILE", help="Write the server's log to "
        "this file \\[default: stderr, which editors show as the server's log].", show_default=False)] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each check (debug level).")] = False,
    stdio: Annotated[bool, typer.Option("--stdio", hidden=True, help="Accepted for editors that pass it: stdio is "
        "the only transport.")] = False,
) -> None:
    """Run the language server: editors show unmarked spoilers while the review is written.

    Speaks the Language Server Protocol on stdin and stdout (nothing else is written to stdout).
    Diagnostics are check's findings, a few hundred milliseconds after the last edit; quick fixes
    mark a sentence as a spoiler in the project's style, ignore it, or add it to allowed-phrases;
    hover shows its score. Settings come from the nearest pyproject.toml \\[tool.spoilerscan] of
    each document, overridden by the editor's initializationOptions. Needs the 'lsp' extra
    (pip install 'spoilerscan\\[lsp]'). Editor set-up: docs/editors.md.

    Example: spoilerscan lsp --log-file /tmp/spoilerscan-lsp.log

    Exit codes: 0 after the editor's shutdown and exit, 1 when the editor exits or hangs up without
    a shutdown (as LSP says), 2 when the 'lsp' extra is missing or the log file cannot be written.
    """
    missing = [name for name in ("pygls", "lsprotocol") if find_spec(name) is None]
    if missing:
        output.error(f"'lsp' needs the 'lsp' extra (pip install 'spoilerscan[lsp]'): {', '.join(missing)} "
                     "not installed")
        raise typer.Exit(EXIT_USAGE)
    _configure_logging(log_file, verbose)
    from spoilerscan.lsp.server import ServerOptions, create_server

    server = create_server(ServerOptions(model=model, exit_process=True))  # `exit` ends the process at once
    server.start_io(sys.stdin.buffer, _protocol_stdout())
    code = EXIT_OK if server.shutdown_requested else EXIT_NO_SHUTDOWN
    logging.getLogger(__name__).info("exiting with %d", code)
    raise typer.Exit(code)
