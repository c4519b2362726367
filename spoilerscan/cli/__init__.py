"""The command line: a thin shell over the library, one module per command group.

``app`` assembles the Typer app and the entry point (``main``); ``review`` (redact, highlight),
``scan``, ``check`` and ``training`` (train, evaluate) hold the commands; ``options``, ``help``,
``output``, ``scoring`` and ``progress`` are what they share: declared options, help conventions,
stdout/stderr and errors, the common read-and-score path, and the progress bar.
"""

from __future__ import annotations

from spoilerscan.cli.app import app, main

__all__ = ["app", "main"]
