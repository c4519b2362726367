"""``scan``: every sentence of every review as machine-readable findings (JSON, JSONL, Parquet)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Protocol

import typer

from spoilerscan.archive.parquet import DEFAULT_BATCH_ROWS
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
from spoilerscan.errors import EXIT_USAGE, InputError
from spoilerscan.output.files import PendingFile, check_writable
from spoilerscan.reading.inputs import DEFAULT_MAX_INPUT_SIZE, STDIN, Review, expand_inputs, iter_jsonl_reviews
from spoilerscan.reading.text import Format


class TextSink(Protocol):
    """Where scan writes: stdout, or the pending --output file."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class ScanFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


class Engine(StrEnum):
    local = "local"
    ray = "ray"


ScanOutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="FILE", help="Write the findings of every input to this file instead of stdout "
    "(Parquet input: FILE.parquet, required).", show_default=False)]


def scan(
    paths: Paths = None,
    format: Annotated[ScanFormat, typer.Option("--format", "-f",
        help="json: one document; jsonl: one line per review (streams).")] = ScanFormat.json,
    jsonl_input: Annotated[bool, typer.Option("--jsonl-input", help="Each input is JSONL of "
        '{"id": …, "text": …} reviews (the bulk path).')] = False,
    out: ScanOutputOpt = None,
    recursive: RecursiveOpt = False,
    input_format: InputFormatOpt = Format.auto,
    threshold: ThresholdOpt = None,
    known_spoilers: KnownSpoilersOpt = None,
    model: ModelOpt = None,
    adapter: AdapterOpt = None,
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
    max_input_size: MaxInputSizeOpt = None,
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
    from spoilerscan import render
    from spoilerscan.archive.parquet import is_parquet_name

    names = paths or []
    if (engine is Engine.ray or text_column is not None or id_column is not None
            or any(is_parquet_name(name) for name in names)):
        if jsonl_input:
            raise typer.BadParameter("Parquet input and --jsonl-input exclude each other", param_hint="'--jsonl-input'")
        scan_parquet_archive(names, out, ArchiveOptions(
            text_column or "text", id_column, engine, workers, cpus_per_worker, address, batch_rows),
            input_format, threshold, known_spoilers, model, precision, quiet, adapter)
        return
    failures: list[str] = []
    expanded = expand_inputs(names, recursive)
    if names and not expanded and not quiet:
        output.note(scoring.no_reviews_in(names))
    names = expanded
    progress = ReviewProgress(output.stderr, quiet, None if jsonl_input else len(names), "scanning")
    with output.user_errors():
        limit = scoring.max_input_size(max_input_size)
        reviews = jsonl_stream(names, failures, limit) if jsonl_input \
            else scoring.iter_reviews(names, failures, progress, limit)
        if out is not None:
            check_writable(out)
        detector = scoring.load_detector(model, precision, adapter)
        annotated = scoring.annotated(detector, reviews, threshold, quiet, progress, input_format, known_spoilers,
                                      limit)
        results = ({"id": r.record_id, **render.findings(r.name, a)} if jsonl_input else render.findings(r.name, a)
                   for r, a in annotated)
        with PendingFile(out) if out is not None else nullcontext(None) as pending:
            sink: TextSink = pending if pending is not None else sys.stdout
            written = 0
            if format is ScanFormat.jsonl:
                for result in results:
                    sink.write(json.dumps(result, ensure_ascii=False) + "\n")
                    sink.flush()
                    written += 1
            else:
                found = list(results)
                json.dump({"reviews": found}, sink, ensure_ascii=False, indent=2)
                sink.write("\n")
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


def scan_parquet_archive(names: list[str], out: Path | None, options: ArchiveOptions, input_format: Format,
                         threshold: float | None, known_spoilers: Path | None, model: Path | None,
                         precision: Precision, quiet: bool, adapter: Path | None = None) -> None:
    """``scan`` of a Parquet archive into a Parquet file of sentences, in this process or on Ray."""
    from spoilerscan.archive.parquet import Columns, reader_for, require_pyarrow, scan_parquet
    from spoilerscan.check.config import find_config, load_config
    from spoilerscan.reading.inputs import read_known_spoilers

    if out is None:
        raise typer.BadParameter("Parquet input is scored into Parquet: give -o FILE.parquet", param_hint="'-o'")
    if not names or STDIN in names:
        raise typer.BadParameter("Parquet input must be a file, not stdin", param_hint="PATHS")
    if options.engine is Engine.local and len(names) != 1:
        raise typer.BadParameter("the local engine scores one Parquet file at a time (--engine ray takes several)",
                                 param_hint="PATHS")
    columns = Columns(options.text_column, options.id_column)
    with output.user_errors():
        require_pyarrow()
        if options.engine is Engine.local or str(out).lower().endswith(".parquet"):
            check_writable(out)  # one file, written by this process: fail now, not after the scoring
        settings = load_config(find_config())
        reveals = [*settings.known_spoilers, *read_known_spoilers(known_spoilers)]
        if options.engine is Engine.ray:
            from spoilerscan.archive.distributed import ScoringSettings, require_ray, scan_with_ray

            require_ray()
            if columns.id is None:
                raise typer.BadParameter("the Ray engine needs --id-column (batches on a cluster have no row "
                                         "numbers)", param_hint="'--id-column'")
            adapter = adapter if adapter is not None else settings.adapter
            scoring_settings = ScoringSettings(None if model is None else str(model.resolve()), precision.value,
                                               threshold, columns, input_format, tuple(settings.allowed_phrases),
                                               tuple(reveals), None if adapter is None else str(adapter.resolve()))
            stats = scan_with_ray(names, str(out), scoring_settings, options.workers, options.cpus_per_worker,
                                  options.address, options.batch_rows, quiet)
        else:
            from spoilerscan.archive.parquet import open_parquet

            source = open_parquet(Path(names[0]))  # a bad file or column fails before the model loads
            columns.check(source.schema_arrow, names[0])
            detector = scoring.load_detector(model, precision, adapter)
            if reveals:
                detector.set_known_spoilers(reveals)
            progress = ReviewProgress(output.stderr, quiet, source.metadata.num_rows, "scanning")
            stats = scan_parquet(Path(names[0]), out, progress.scorer(detector),
                                 detector.threshold if threshold is None else threshold, columns,
                                 reader_for(input_format, settings.allowed_phrases), options.batch_rows)
    if not quiet:
        counts = "" if stats is None else (f"{stats.reviews} reviews, {stats.sentences} sentences, "
                                           f"{stats.spoilers} spoiler sentence(s) ")
        output.stderr.print(f"{counts}written to {out}", style="dim", highlight=False, markup=False,
                            soft_wrap=True)


def jsonl_stream(names: list[str], failures: list[str], max_size: int = DEFAULT_MAX_INPUT_SIZE) -> Iterator[Review]:
    """Reviews streamed from JSONL inputs; bad files and bad lines are reported and skipped."""

    def report(message: str) -> None:
        failures.append(message)
        output.error(message)

    for name in names:
        try:
            yield from iter_jsonl_reviews(name, report, max_size)
        except InputError as problem:
            report(str(problem))
