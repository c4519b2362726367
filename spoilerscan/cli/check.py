"""``check``: the pre-publish gate, over :func:`spoilerscan.check.run_check`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from spoilerscan.check.formats import FORMATTERS, CheckFormat
from spoilerscan.cli import output, scoring
from spoilerscan.cli.options import (
    AdapterOpt,
    InputFormatOpt,
    KnownSpoilersOpt,
    MaxInputSizeOpt,
    ModelOpt,
    Paths,
    Precision,
    PrecisionOpt,
    QuietOpt,
    RecursiveOpt,
    ThresholdOpt,
)
from spoilerscan.cli.progress import ReviewProgress
from spoilerscan.errors import EXIT_FINDINGS, EXIT_USAGE
from spoilerscan.reading.document import Format
from spoilerscan.reading.inputs import STDIN_FILENAME


def check(
    paths: Paths = None,
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="text: path:line:col: lines like a "
        "compiler's (coloured on a terminal); json; github: workflow commands, shown inline in pull requests; "
        "sarif: SARIF 2.1.0 for code-scanning upload.")] = CheckFormat.text,
    fail_threshold: Annotated[float | None, typer.Option("--fail-threshold", min=0.0, max=1.0, metavar="SCORE",
        help="Score from which a finding fails the run; findings scored between --threshold and this are "
        "warnings \\[default: config, else the model's fail threshold, chosen so that few clean reviews fail].",
        show_default=False)] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Report findings but exit 0 "
        "(input and config errors still exit 2).")] = False,
    style: Annotated[list[str] | None, typer.Option("--style", "-s", metavar="STYLE", help="Spoiler markup that "
        "counts as marked, repeatable: reddit, discord, bbcode, discourse, html, warning, block, label, all "
        "\\[default: config, else all].", show_default=False)] = None,
    config: Annotated[Path | None, typer.Option("--config", metavar="FILE", help="Read \\[tool.spoilerscan] from "
        "this file \\[default: the nearest pyproject.toml that has the table].", show_default=False)] = None,
    sarif_file: Annotated[Path | None, typer.Option("--sarif-file", metavar="FILE", help="Also write the report "
        "as SARIF 2.1.0 to this file, whatever --format prints (for code-scanning upload).",
        show_default=False)] = None,
    summary_file: Annotated[Path | None, typer.Option("--summary-file", metavar="FILE", help="Append a Markdown "
        "summary to this file: the counts and a table of the findings (in GitHub Actions: $GITHUB_STEP_SUMMARY).",
        show_default=False)] = None,
    outputs_file: Annotated[Path | None, typer.Option("--outputs-file", metavar="FILE", help="Append "
        "failing=N, warnings=N and, with --sarif-file, sarif-file=FILE lines to this file (in GitHub Actions: "
        "$GITHUB_OUTPUT).", show_default=False)] = None,
    stdin_filename: Annotated[str, typer.Option("--stdin-filename", metavar="NAME", help="File name to report for "
        "text read from stdin, a path relative to the current directory; its suffix picks how stdin is read "
        "(x.html: HTML).")] = STDIN_FILENAME,
    recursive: RecursiveOpt = False,
    input_format: InputFormatOpt = Format.auto,
    threshold: ThresholdOpt = None,
    known_spoilers: KnownSpoilersOpt = None,
    model: ModelOpt = None,
    adapter: AdapterOpt = None,
    precision: PrecisionOpt = Precision.auto,
    max_input_size: MaxInputSizeOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Fail when a review has a spoiler its writer has not marked: a gate for CI and pre-commit.

    Marked text is not scored: >!…!<, ||…||, \\[spoiler]…\\[/spoiler], \\[details]…\\[/details], <details>,
    class="spoiler", and sections under a spoiler-warning heading or line. <!-- spoilerscan: ignore -->
    skips the next sentence; <!-- spoilerscan: off --> … <!-- spoilerscan: on --> skips a block.
    Markdown code, HTML tags and link targets are never scored. A sentence that restates a known
    spoiler (--spoilers FILE, config known-spoilers) fails whatever its score.

    Settings come from \\[tool.spoilerscan] in the nearest pyproject.toml; options override them.
    Rules and CI set-up: docs/check.md.

    Example: spoilerscan check -r reviews/ --format github --fail-threshold 0.8

    Exit codes: 0 no unmarked spoiler, 1 unmarked spoiler at or above the fail threshold,
    2 usage, input, config or model error.
    """
    from spoilerscan.api import check as check_reviews
    from spoilerscan.check import check_ci_files, format_text, summary, write_ci_files
    from spoilerscan.settings import resolve, styles_option

    with output.user_errors():
        check_ci_files(sarif_file, summary_file, outputs_file)
        settings = resolve(config, styles=styles_option(style), fail_threshold=fail_threshold,
                           **scoring.scoring_options(model, adapter, precision, threshold, known_spoilers,
                                                     max_input_size))
        progress = ReviewProgress(None, quiet, verb="checking")

        def failed(message: str) -> None:
            output.error(message)
            progress.skip()

        report = check_reviews(paths or [], scoring.open_runtime(settings), recursive=recursive,
                               stdin_filename=stdin_filename, input_format=input_format, on_error=failed,
                               scoring=progress.scorer, on_note=lambda message: None if quiet else output.note(message))
    if format is CheckFormat.text:
        from rich.console import Console

        Console(file=sys.stdout, highlight=False, soft_wrap=True).print(format_text(report), end="")
    else:
        output.emit(FORMATTERS[format](report), None)
    with output.user_errors():
        write_ci_files(report, sarif_file, summary_file, outputs_file)
    if report.unreadable:  # each was its one line on stderr: no summary after them
        raise typer.Exit(EXIT_USAGE)
    if not quiet:
        if not report.files:
            output.stderr.print("no review files to check (all excluded?)", style="yellow", highlight=False)
        output.stderr.print(summary(report), style="dim", highlight=False, markup=False, soft_wrap=True)
    if report.failing and not exit_zero:
        raise typer.Exit(EXIT_FINDINGS)
