"""The command line: a thin shell over the library, one module per command group.

``app`` assembles the Typer app and the entry point (``main``); ``review`` (redact, highlight),
``scan``, ``check`` and ``training`` (train, evaluate) hold the commands; ``options``, ``help``,
``output``, ``scoring`` and ``progress`` are what they share: declared options, help conventions,
stdout/stderr and errors, the common read-and-score path, and the progress bar.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["app", "main"]


class _Package(types.ModuleType):
    """This package, whose ``app`` stays the Typer app (see ``__getattr__``): Python binds a submodule to its
    package's attribute of the same name when it is first imported, and ``spoilerscan.cli.app`` is imported
    lazily now (only once a command runs), so that binding is refused instead of undone after an eager import."""

    def __setattr__(self, name: str, value: Any) -> None:
        if not (name == "app" and isinstance(value, types.ModuleType)):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def main() -> None:
    """Console entry point: ``spoilerscan --help`` is written by :mod:`spoilerscan.cli.index` without
    importing typer or rich (a few milliseconds); everything else runs :func:`spoilerscan.cli.app.main`."""
    from spoilerscan.cli.index import index_help, is_index_help

    if is_index_help(sys.argv[1:]):
        try:
            sys.stdout.write(index_help())
            sys.stdout.flush()
        except BrokenPipeError:
            pass
        sys.exit(0)
    from spoilerscan.cli.app import main as run

    run()


def __getattr__(name: str) -> Any:
    """``app`` (every command) is built on first use: the entry point imports only the command it runs."""
    if name == "app":
        from spoilerscan.cli.app import full_app

        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
