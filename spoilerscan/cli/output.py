"""Where a command's words go: results to stdout as UTF-8 bytes, messages as one line on stderr.

Every user-facing failure is a :class:`~spoilerscan.errors.SpoilerscanError`; :func:`user_errors`
turns it into ``spoilerscan: error: …`` and its documented exit code, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from spoilerscan.errors import SpoilerscanError

if TYPE_CHECKING:
    from rich.console import Console


def console() -> Console:
    """rich's Console on stderr (also ``output.stderr``), made on first use: a run that writes nothing
    there (``--help``, ``--quiet``) does not import rich."""
    made: Console | None = globals().get("stderr")
    if made is None:
        from rich.console import Console

        made = globals()["stderr"] = Console(stderr=True)
    return made


def __getattr__(name: str) -> Console:
    if name == "stderr":
        return console()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def error(message: str) -> None:
    """Report a user-facing problem as one line on stderr."""
    console().print(f"spoilerscan: error: {message}", markup=False, highlight=False, soft_wrap=True)


def note(message: str) -> None:
    """A notice on stderr that is not an error (shown unless --quiet)."""
    console().print(f"spoilerscan: note: {message}", markup=False, highlight=False, soft_wrap=True)


def warning(message: str) -> None:
    """Something the user should know even with --quiet (a file's owner could not be kept)."""
    console().print(f"spoilerscan: warning: {message}", markup=False, highlight=False, soft_wrap=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn SpoilerscanError into one stderr line and its exit code, never a traceback."""
    try:
        yield
    except SpoilerscanError as problem:
        error(str(problem))
        raise typer.Exit(problem.exit_code) from None


def emit(text: str, output: Path | None) -> None:
    """Write text to a file or to stdout, as UTF-8 bytes (line endings untouched)."""
    if output is not None:
        from spoilerscan.output.files import write_atomically

        write_atomically(output, text)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()


def header(name: str, previous: str | None) -> str:
    """The line that names a review when several go to one stream, as ``head`` writes it; after the
    first review (``previous``), a blank line parts them."""
    from spoilerscan.reading.inputs import STDIN, STDIN_NAME

    parting = "" if previous is None else "\n" if previous.endswith(("\n", "\r")) else "\n\n"
    return f"{parting}==> {STDIN_NAME if name == STDIN else name} <==\n"
