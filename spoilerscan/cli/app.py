"""The ``spoilerscan`` command: the Typer app, its commands, and the console entry point.

Exit codes: 0 success, 1 spoilers found (``check`` only), 2 usage, input or model errors,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from collections.abc import Iterable
from functools import cache
from typing import Annotated

import typer

from spoilerscan import __version__
from spoilerscan.cli.help import Command, Group
from spoilerscan.cli.index import COMMANDS, COMPLETION_VARIABLE, DESCRIPTION, SUMMARIES
from spoilerscan.cli.output import error
from spoilerscan.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE


def _listed_only() -> None:
    """Stands for a command in the index app; never runs (a named command gets its own app)."""


def build_app(commands: Iterable[str] = tuple(COMMANDS), index: bool = False) -> typer.Typer:
    """The Typer app with these commands (default: all of them); ``index``: each command only as its name
    and summary, for the top-level help and for a word that is no command (nothing of theirs imported)."""
    built = typer.Typer(
        name="spoilerscan",
        help=DESCRIPTION,
        cls=Group,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name in commands:
        if index:
            built.command(name, help=SUMMARIES[name], cls=Command)(_listed_only)
        else:
            built.command(cls=Command)(getattr(importlib.import_module(f"spoilerscan.cli.{COMMANDS[name]}"), name))
    built.callback(invoke_without_command=True)(_root)
    return built


@cache
def full_app() -> typer.Typer:
    return build_app()


def app_for(argv: list[str]) -> typer.Typer:
    """The app a command line needs: its command alone where it names one (the root options take no value,
    so the first word that is not an option is the command), else the index of the commands (the help,
    the version, a word that is no command), or every command for a shell's completion."""
    named = next((word for word in argv if not word.startswith("-")), None)
    if named in COMMANDS:
        return build_app([named])
    return full_app() if os.environ.get(COMPLETION_VARIABLE) else build_app(index=True)


def __getattr__(name: str) -> typer.Typer:
    """``app``: the app with every command, built on first use (tests, docs; the entry point builds its own)."""
    if name == "app":
        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spoilerscan {__version__}")
        raise typer.Exit()


def _root(
    context: typer.Context,
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """spoilerscan: spoiler-aware review tool."""
    if context.invoked_subcommand is None:  # bare `spoilerscan`: the help, and success
        typer.echo(context.get_help(), nl=False)  # (rich help prints itself and returns "")
        raise typer.Exit()


class Terminated(BaseException):
    """SIGTERM, raised wherever the program is, so that ``with`` blocks clean up on the way out
    (an output's temporary file is removed, the old file stays)."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main() -> None:
    """Console entry point: usage errors become one line on stderr with exit code 2; Ctrl-C and
    SIGTERM end with one line and 130 or 143, leaving no temporary file behind."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app_for(sys.argv[1:])(standalone_mode=False)
    except typer.TyperException as problem:  # bad option, bad value, missing argument
        # typer validates choices with pydantic, whose message opens "Value error, ": not the user's concern
        message = problem.format_message().replace("\n", " ").replace("Value error, ", "").strip()
        if not message:  # no arguments at all: the help was printed
            sys.exit(EXIT_USAGE)
        context = getattr(problem, "ctx", None)
        hint = f" (see '{context.command_path} --help')" if context is not None else ""
        error(message + hint)
        sys.exit(EXIT_USAGE)
    except (typer.Abort, KeyboardInterrupt):
        code = EXIT_INTERRUPTED
    except Terminated:
        error("terminated")
        sys.exit(EXIT_TERMINATED)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into this code, silently
        error("interrupted")
    sys.exit(code if isinstance(code, int) else EXIT_OK)
