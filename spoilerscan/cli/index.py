"""The top-level help, written without importing typer or rich: the commands' index, at a terminal's width.

Why: ``spoilerscan --help`` is the first thing a user runs and the one a shell script runs most. Typer
draws it with rich after importing click, typer and rich, about 0.13 s of a 0.2 s process; this module
draws the same text in the same boxes from the same strings in a few milliseconds. A test holds it word
for word equal to typer's own rendering of the index, so the two cannot drift apart.
"""

from __future__ import annotations

import os
import shutil
import textwrap

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
# The app's help, in rich markup (``\\[`` is a literal bracket).
DESCRIPTION = (
    "Find the sentences of a review that give the story away, and hide or mark them.\n\n"
    "Every command reads review files, globs, directories (--recursive) or stdin ('-' or nothing). "
    "--threshold SCORE: a sentence from this score is a spoiler \\[default: the model's own]; "
    "--model DIR \\[default: the shipped model]; --quiet: nothing but errors on stderr. "
    "'spoilerscan COMMAND --help' explains each command with an example.\n\n"
    "Exit codes: 0 success, 1 unmarked spoilers found (check), 2 usage, input or model error.")
# The root options as typer lists them: (long, short, help).
ROOT_OPTIONS = (("--version", "-V", "Print the version and exit."),
                ("--install-completion", "", "Install completion for the current shell."),
                ("--show-completion", "", "Show completion for the current shell, to copy it or customize the "
                                          "installation."),
                ("--help", "-h", "Show this message and exit."))
# Set by a shell asking for completions (typer's variable for the prog name): they need every command's options.
COMPLETION_VARIABLE = "_SPOILERSCAN_COMPLETE"


def is_index_help(argv: list[str]) -> bool:
    """Whether a command line asks for the top-level help alone (not a shell's completion)."""
    return argv in (["--help"], ["-h"]) and not os.environ.get(COMPLETION_VARIABLE)


def _panel(title: str, rows: list[tuple[str, ...]], gaps: tuple[int, ...], width: int) -> list[str]:
    """A titled box whose rows are columns padded to their widest cell plus ``gaps``, the last one wrapped
    (as typer's rich panels lay them out)."""
    inner = width - 4  # the border and one space on each side
    widths = [max(len(row[i]) for row in rows) + gap for i, gap in enumerate(gaps)]
    lead = sum(widths)
    lines = ["╭─ " + title + " " + "─" * max(width - len(title) - 5, 0) + "╮"]
    for row in rows:
        cells = "".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
        wrapped = textwrap.wrap(row[-1], max(inner - lead, 10), break_on_hyphens=False) or [""]
        for number, text in enumerate(wrapped):
            line = (cells if number == 0 else " " * lead) + text
            lines.append("│ " + line.ljust(inner) + " │")
    lines.append("╰" + "─" * (width - 2) + "╯")
    return lines


def index_help(width: int | None = None) -> str:
    """The top-level help text (what typer prints for ``spoilerscan --help``, without its colours)."""
    width = width or int(os.environ.get("COLUMNS") or shutil.get_terminal_size((80, 24)).columns)
    width = max(width, 40)
    text = ["", " Usage: spoilerscan [OPTIONS] COMMAND [ARGS]...", ""]
    for paragraph in DESCRIPTION.replace("\\[", "[").split("\n\n"):
        text += [" " + line for line in textwrap.wrap(paragraph, width - 2, break_on_hyphens=False)] + [""]
    lines = [line.ljust(width) for line in text]
    lines += _panel("Options", list(ROOT_OPTIONS), (2, 8), width)
    lines += _panel("Commands", [(name, SUMMARIES[name]) for name in COMMANDS], (2,), width)
    return "\n".join(lines) + "\n\n"
