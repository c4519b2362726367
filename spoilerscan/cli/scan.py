"""``scan``: every sentence of every review as machine-readable findings (JSON, JSONL, Parquet)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Protocol

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
from spoilerscan.reading.document import Format
from spoilerscan.reading.inputs import DEFAULT_MAX_INPUT_SIZE, STDIN, Review, expand_inputs, iter_jsonl_reviews


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
    from spoilerscan.settings import resolve

    names = paths or []
    if (engine is Engine.ray or text_column is not None or id_column is not None
            or any(is_parquet_name(name) for name in names)):
        if jsonl_input:
            raise typer.BadParameter("Parquet input and --jsonl-input exclude each other", param_hint="'--jsonl-input'")
        scan_parquet_archive(names, out, ArchiveOptions(
            text_column or "text", id_column, engine, workers, cpus_per_worker, address, batch_rows),
            scoring.scoring_options(model, adapter, precision, threshold, known_spoilers), input_format, quiet)
        return
    failures: list[str] = []
    expanded = expand_inputs(names, recursive)
    if names and not expanded and not quiet:
        output.note(scoring.no_reviews_in(names))
    names = expanded
    progress = ReviewProgress(None, quiet, None if jsonl_input else len(names), "scanning")
    with output.user_errors():
        settings = resolve(**scoring.scoring_options(model, adapter, precision, threshold, known_spoilers,
                                                     max_input_size))
        limit = settings.max_input_size
        reviews = jsonl_stream(names, failures, limit) if jsonl_input \
            else scoring.iter_reviews(names, failures, progress, limit)
        if out is not None:
            check_writable(out)
        runtime = scoring.open_runtime(settings)
        annotated = scoring.annotated(runtime, reviews, quiet, progress, input_format)
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
                write_json({"reviews": found}, sink)
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


def scan_parquet_archive(names: list[str], out: Path | None, archive: ArchiveOptions, options: dict[str, Any],
                         input_format: Format, quiet: bool) -> None:
    """``scan`` of a Parquet archive into a Parquet file of sentences, in this process or on Ray; ``options``
    are the scoring options, laid over ``[tool.spoilerscan]``."""
    from spoilerscan.archive.parquet import Columns, reader_for, require_pyarrow, scan_parquet
    from spoilerscan.settings import resolve

    if out is None:
        raise typer.BadParameter("Parquet input is scored into Parquet: give -o FILE.parquet", param_hint="'-o'")
    if not names or STDIN in names:
        raise typer.BadParameter("Parquet input must be a file, not stdin", param_hint="PATHS")
    if archive.engine is Engine.local and len(names) != 1:
        raise typer.BadParameter("the local engine scores one Parquet file at a time (--engine ray takes several)",
                                 param_hint="PATHS")
    columns = Columns(archive.text_column, archive.id_column)
    with output.user_errors():
        require_pyarrow()
        if archive.engine is Engine.local or str(out).lower().endswith(".parquet"):
            check_writable(out)  # one file, written by this process: fail now, not after the scoring
        settings = resolve(**options)
        if archive.engine is Engine.ray:
            from spoilerscan.archive.distributed import ScoringSettings, require_ray, scan_with_ray

            require_ray()
            if columns.id is None:
                raise typer.BadParameter("the Ray engine needs --id-column (batches on a cluster have no row "
                                         "numbers)", param_hint="'--id-column'")
            everywhere = dataclasses.replace(  # the same paths on every node
                settings, model_option=None if settings.model is None else settings.model.resolve(),
                adapter_option=None if settings.adapter is None else settings.adapter.resolve())
            stats = scan_with_ray(names, str(out), ScoringSettings(everywhere, columns, input_format), archive.workers,
                                  archive.cpus_per_worker, archive.address, archive.batch_rows, quiet)
        else:
            from spoilerscan.archive.parquet import open_parquet

            source = open_parquet(Path(names[0]))  # a bad file or column fails before the model loads
            columns.check(source.schema_arrow, names[0])
            runtime = scoring.open_runtime(settings)
            progress = ReviewProgress(None, quiet, source.metadata.num_rows, "scanning")
            stats = scan_parquet(Path(names[0]), out, progress.scorer(runtime.scorer), runtime.threshold, columns,
                                 reader_for(input_format, settings.allowed_phrases), archive.batch_rows)
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


JSON_PIECES = 4096  # pieces written in groups, not one call each
JSON_ROWS = 1024  # dicts of plain values encoded by one call of the C encoder


def _json_pieces(value: object, depth: int = 0) -> Iterator[str]:
    """``value`` as ``json.dumps(value, ensure_ascii=False, indent=2)`` writes it, in pieces. ``indent``
    selects json's pure-Python encoder, a generator per token (40 µs a sentence: a review of 300,000
    tiny sentences spent more time writing than scoring); here a list or dict of plain values is one
    call of the C encoder, whose item separator carries the line break and the indentation, and a
    list of such dicts (a review's sentences) one call per :data:`JSON_ROWS` of them."""
    inner, outer = "\n" + "  " * (depth + 1), "\n" + "  " * depth
    keyed = isinstance(value, dict)
    items: list[tuple[object, object]] = list(value.items()) if isinstance(value, dict) \
        else list(enumerate(value)) if isinstance(value, list | tuple) else []
    if not any(isinstance(item, dict | list | tuple) for _, item in items):
        flat = json.dumps(value, ensure_ascii=False, separators=("," + inner, ": "))
        yield flat if len(flat) <= 2 or flat[0] not in "[{" else flat[0] + inner + flat[1:-1] + outer + flat[-1]
        return
    if isinstance(value, list | tuple) and _plain_rows(value):
        yield from _json_rows(value, depth)
        return
    yield "{" if keyed else "["
    for number, (key, item) in enumerate(items):
        name = json.dumps(key if isinstance(key, str) else json.dumps(key), ensure_ascii=False) + ": " if keyed else ""
        yield ("," if number else "") + inner + name
        yield from _json_pieces(item, depth + 1)
    yield outer + ("}" if keyed else "]")


def _plain_rows(rows: list[Any] | tuple[Any, ...]) -> bool:
    """Whether every row is a non-empty dict of plain values: the types looked at in C, a few in Python."""
    if not all(rows) or not all(issubclass(kind, dict) for kind in set(map(type, rows))):
        return False
    kinds = set(map(type, itertools.chain.from_iterable(map(dict.values, rows))))
    return not any(issubclass(kind, dict | list | tuple) for kind in kinds)


def _json_rows(rows: list[Any] | tuple[Any, ...], depth: int) -> Iterator[str]:
    """A list of non-empty dicts of plain values at ``depth``: each group of rows encoded in one call with
    the rows' own indentation, then the rows' boundaries (``},`` before a line break: the only ones,
    for a plain value never ends with ``}`` and a line break inside a string is escaped) re-indented."""
    middle, inner = "\n" + "  " * (depth + 1), "\n" + "  " * (depth + 2)
    between = middle + "}," + middle + "{" + inner
    yield "[" + middle + "{" + inner
    for at in range(0, len(rows), JSON_ROWS):
        flat = json.dumps(rows[at : at + JSON_ROWS], ensure_ascii=False, separators=("," + inner, ": "))
        yield (between if at else "") + flat[2:-2].replace("}," + inner + "{", between)
    yield middle + "}" + "\n" + "  " * depth + "]"


def write_json(value: object, sink: TextSink) -> None:
    """``value`` as indented JSON and a newline, written in groups of pieces (one string of the whole
    would hold the output twice in memory)."""
    pieces: list[str] = []
    for piece in _json_pieces(value):
        pieces.append(piece)
        if len(pieces) >= JSON_PIECES:
            sink.write("".join(pieces))
            pieces.clear()
    sink.write("".join(pieces) + "\n")
