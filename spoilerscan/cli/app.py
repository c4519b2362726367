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
from spoilerscan.cli.output import error
from spoilerscan.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE

# Each command, in help order, and the module of spoilerscan.cli that holds it. A run imports only
# the module of the command it names (redact does not pay for serve's, lsp's or adapt's imports).
COMMANDS = {"redact": "review", "highlight": "review", "scan": "scan", "check": "check", "adapt": "adapt",
            "lsp": "lsp", "serve": "serve", "train": "training", "evaluate": "training"}
# What the top-level help says of each command: the first paragraph of its docstring (a test holds them
# equal), so that `spoilerscan --help` lists the commands without importing their modules.
SUMMARIES = {
    "redact": "Hide spoiler sentences; everything else comes back byte for byte.",
    "highlight": "Show the review with its spoiler sentences marked, and their scores.",
    "scan": "Score every sentence: file, index, start, end, text, score, spoiler, plus a summary.",
    "check": "Fail when a review has a spoiler its writer has not marked: a gate for CI and pre-commit.",
    "adapt": "Fit an adapter to the site's own labels: a small head over the frozen model, kilobytes, no torch.",
    "lsp": "Run the language server: editors show unmarked spoilers while the review is written.",
    "serve": "Serve the detector over HTTP: a JSON API (/v1), its docs (/docs), and a review page (/).",
    "train": "Fine-tune the review model (sentence encoder + review head) and write a model directory with its card.",
    "evaluate": "Sentence ROC-AUC, PR-AUC, precision/recall/F1 per dataset; whole reviews; challenge categories.",
}
# Set by a shell asking for completions (typer's variable for the prog name): they need every command's options.
COMPLETION_VARIABLE = "_SPOILERSCAN_COMPLETE"


def _listed_only() -> None:
    """Stands for a command in the index app; never runs (a named command gets its own app)."""


def build_app(commands: Iterable[str] = tuple(COMMANDS), index: bool = False) -> typer.Typer:
    """The Typer app with these commands (default: all of them); ``index``: each command only as its name
    and summary, for the top-level help and for a word that is no command (nothing of theirs imported)."""
    built = typer.Typer(
        name="spoilerscan",
        help="Find the sentences of a review that give the story away, and hide or mark them.\n\n"
        "Every command reads review files, globs, directories (--recursive) or stdin ('-' or nothing). "
        "--threshold SCORE: a sentence from this score is a spoiler \\[default: the model's own]; "
        "--model DIR \\[default: the shipped model]; --quiet: nothing but errors on stderr. "
        "'spoilerscan COMMAND --help' explains each command with an example.\n\n"
        "Exit codes: 0 success, 1 unmarked spoilers found (check), 2 usage, input or model error.",
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
