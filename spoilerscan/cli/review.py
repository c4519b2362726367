"""``redact`` and ``highlight``: read each review, score it, and write it back rewritten or marked."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spoilerscan.cli import output, scoring
from spoilerscan.cli.options import (
    AdapterOpt,
    ForceOpt,
    InputFormatOpt,
    KnownSpoilersOpt,
    MaxInputSizeOpt,
    ModelOpt,
    OutputOpt,
    Paths,
    Precision,
    PrecisionOpt,
    QuietOpt,
    RecursiveOpt,
    ThresholdOpt,
)
from spoilerscan.cli.progress import ReviewProgress
from spoilerscan.cli.scoring import scoring_options
from spoilerscan.errors import EXIT_USAGE, InputError
from spoilerscan.output.files import check_in_place, check_writable, keep_backup, write_atomically
from spoilerscan.reading.document import Format
from spoilerscan.reading.inputs import STDIN, STDIN_NAME, Review, expand_inputs
from spoilerscan.reading.markup import RedactStyle

if TYPE_CHECKING:
    from spoilerscan.model.detect import Annotation


class HighlightFormat(StrEnum):
    terminal = "terminal"
    html = "html"
    markdown = "markdown"


def page_title(name: str) -> str:
    """A review's name on its HTML page: the file's name, not the path it has on this machine."""
    return STDIN_NAME if name == STDIN else os.path.basename(name) or name


def writable_inputs(names: list[str], failures: list[str], force: bool = False) -> list[str]:
    """The inputs that --in-place can rewrite; each one it cannot (unwritable, not a regular file, hard
    linked without ``force``) is reported now, before any scoring or reading (a FIFO is never opened),
    and skipped. Missing files stay: reading reports them."""
    kept = []
    for name in names:
        try:
            check_in_place(Path(name), force)
            kept.append(name)
        except InputError as problem:
            failures.append(name)
            output.error(str(problem))
    return kept


def rewrite_in_place(review: Review, rendered: str, backup: str | None) -> None:
    """Write a review back over its file, if it changed (an unchanged file keeps its inode and mtime),
    first copying the original to file + ``backup`` where one is asked for."""
    if review.path is None or rendered == review.text:
        return
    if backup is not None:
        keep_backup(review.path, backup, output.warning)
    write_atomically(review.path, rendered, output.warning)


@dataclass(frozen=True)
class PerReview:
    """What redact and highlight read and where they write, as the command line states it."""

    names: list[str] | None
    recursive: bool = False
    input_format: Format = Format.auto
    quiet: bool = False
    out: Path | None = None
    in_place: bool = False
    backup: str | None = None
    force: bool = False  # with in_place: also a file that has other hard links


def run_per_review(run: PerReview, options: dict[str, Any], render: Callable[[Review, Annotation], str],
                   one_document: bool = False, verb: str = "redacting") -> None:
    """Shared driver of redact and highlight: read, score, render, write; exit 2 if any failed.

    ``options`` are the command's scoring options, laid over ``[tool.spoilerscan]``
    (:func:`spoilerscan.settings.resolve`). Several reviews to stdout are each preceded by a
    ``==> name <==`` line (and parted by a blank line); ``one_document`` outputs (a whole HTML page)
    refuse to share a stream. Where the output cannot be written, that is said before the model loads.
    """
    from spoilerscan.settings import resolve

    names, recursive, quiet, out, in_place, backup = run.names, run.recursive, run.quiet, run.out, run.in_place, \
        run.backup
    expanded = expand_inputs(names or [], recursive)
    if names and not expanded and not quiet:
        output.note(scoring.no_reviews_in(names))
    if out is not None and (len(expanded) != 1 or in_place):
        raise typer.BadParameter("--output takes exactly one input and no --in-place", param_hint="'-o'")
    if in_place and STDIN in expanded:
        raise typer.BadParameter("--in-place needs files, not stdin", param_hint="'--in-place'")
    if backup is not None and not in_place:
        raise typer.BadParameter("--backup goes with --in-place", param_hint="'--backup'")
    if run.force and not in_place:
        raise typer.BadParameter("--force goes with --in-place", param_hint="'--force'")
    if backup is not None and (not backup or "/" in backup or os.sep in backup):
        raise typer.BadParameter(f"expected a file name suffix such as .bak, got {backup!r}",
                                 param_hint="'--backup'")
    if one_document and len(expanded) > 1:
        raise typer.BadParameter(f"{len(expanded)} inputs would be {len(expanded)} HTML documents in one stream; "
                                 "give one input and --output FILE per review", param_hint="'--format html'")
    headers = len(expanded) > 1 and not in_place
    failures: list[str] = []
    spoilers = 0
    previous: str | None = None
    with output.user_errors():
        if out is not None:
            check_writable(out)
        if in_place:
            expanded = writable_inputs(expanded, failures, run.force)
            if not expanded and failures:  # each refusal was its one line: nothing left to load the model for
                raise typer.Exit(EXIT_USAGE)
        settings = resolve(**options)
        runtime = scoring.open_runtime(settings)
        progress = ReviewProgress(None, quiet, len(expanded), verb)
        reviews = scoring.iter_reviews(expanded, failures, progress, settings.max_input_size)
        for review, annotation in scoring.annotated(runtime, reviews, quiet, progress, run.input_format):
            spoilers += len(annotation.spoilers)
            if headers:
                output.emit(output.header(review.name, previous), None)
            rendered = render(review, annotation)
            previous = rendered or review.text  # the terminal highlight prints itself
            try:
                if in_place:
                    rewrite_in_place(review, rendered, backup)
                else:
                    output.emit(rendered, out)
            except InputError as problem:  # one unwritable file must not stop the others
                failures.append(review.name)
                output.error(str(problem))
            if out is None and not in_place:
                progress.wrote(previous)
    if failures:  # each failure was its one line on stderr: no summary after it
        raise typer.Exit(EXIT_USAGE)
    if not quiet:
        output.stderr.print(f"{spoilers} spoiler sentence(s) found", style="dim", highlight=False)


def redact(
    paths: Paths = None,
    style: Annotated[RedactStyle, typer.Option("--style", "-s", help="How to hide a spoiler sentence: "
        "block (█ of the same length), label (\\[spoiler]), reddit (>!…!<), discord (||…||), "
        "bbcode (\\[spoiler]…\\[/spoiler]), html (<span class=\"spoiler\">…</span>).")] = RedactStyle.block,
    out: OutputOpt = None,
    in_place: Annotated[bool, typer.Option("--in-place", "-i", help="Rewrite each file that has spoilers "
        "(atomically); files without any are left untouched.")] = False,
    backup: Annotated[str | None, typer.Option("--backup", metavar="SUFFIX", help="With --in-place: keep each "
        "rewritten file's original as FILE+SUFFIX (e.g. --backup .orig).", show_default=False)] = None,
    force: ForceOpt = False,
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
    """Hide spoiler sentences; everything else comes back byte for byte.

    Adjacent spoiler sentences of a paragraph share one wrapper. Text already marked as a spoiler,
    Markdown code, table pipes, link targets and HTML tags are never rewritten; pragmas and
    allowed phrases (docs/check.md) are honoured. Several inputs to stdout are each preceded by a
    '==> name <==' line.

    Example: spoilerscan redact review.md --style reddit > safe.md
    """
    from spoilerscan.render import redact as redact_text

    run_per_review(PerReview(paths, recursive, input_format, quiet, out, in_place, backup, force),
                   scoring_options(model, adapter, precision, threshold, known_spoilers, max_input_size),
                   lambda review, annotation: redact_text(review.text, annotation, style))


def highlight(
    paths: Paths = None,
    format: Annotated[HighlightFormat, typer.Option("--format", "-f",
        help="terminal (colour, with scores), html (a standalone page) or markdown (<mark> tags).")
    ] = HighlightFormat.terminal,
    out: OutputOpt = None,
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
    """Show the review with its spoiler sentences marked, and their scores.

    Several inputs to stdout are each preceded by a '==> name <==' line; --format html makes one
    page per review, so it takes one input (write each with -o).

    Example: spoilerscan highlight review.md --format html -o review.html
    """
    from spoilerscan import render

    def draw(review: Review, annotation: Annotation) -> str:
        if format is HighlightFormat.html:
            return render.highlight_html(review.text, annotation, title=page_title(review.name))
        if format is HighlightFormat.markdown:
            return render.highlight_markdown(review.text, annotation)
        from rich.console import Console

        console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
        if out is not None or not console.is_terminal:  # a file or a pipe: the text byte for byte, and scores
            return render.highlight_plain(review.text, annotation)
        console.print(render.highlight_terminal(review.text, annotation, for_terminal=True), end="")
        return ""

    run_per_review(PerReview(paths, recursive, input_format, quiet, out),
                   scoring_options(model, adapter, precision, threshold, known_spoilers, max_input_size), draw,
                   one_document=format is HighlightFormat.html, verb="highlighting")
