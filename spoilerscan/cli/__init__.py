"""The command line: a thin shell over the library, one module per command group.

``app`` assembles the Typer app and the entry point (``main``); ``review`` (redact, highlight),
``scan``, ``check`` and ``training`` (train, evaluate) hold the commands; ``options``, ``help``,
``output``, ``scoring`` and ``progress`` are what they share: declared options, help conventions,
stdout/stderr and errors, the common read-and-score path, and the progress bar.
"""

from __future__ import annotations

from typing import Any

from spoilerscan.cli.app import main

__all__ = ["app", "main"]
# Importing the submodule bound ``app`` to it; unbound, ``spoilerscan.cli.app`` is the Typer app again
# (through __getattr__ below), as when this module built it eagerly.
globals().pop("app", None)


def __getattr__(name: str) -> Any:
    """``app`` (every command) is built on first use: the entry point imports only the command it runs."""
    if name == "app":
        from spoilerscan.cli.app import full_app

        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
