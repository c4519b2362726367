"""Score archives on a Ray cluster with Ray Data: one detector per actor, batches of reviews fanned out.

``score_dataset(ds)`` maps :func:`spoilerscan.archive.score_table` over a Ray Dataset of reviews
with a fixed pool of actors (``ActorPoolStrategy``); each actor loads the model once and keeps it.
The result is a Dataset of sentences with the schema of :mod:`spoilerscan.archive.parquet`, to write with
any Ray Data sink (``write_parquet`` to a directory or object store) or to iterate. ``scan_with_ray``
is the CLI's ``--engine ray``: start a local cluster or join one, read Parquet, score, write.
Ray is the optional ``ray`` extra; every node needs spoilerscan installed and the model directory
at the same path (the shipped model travels inside the wheel).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spoilerscan.archive.parquet import (
    DEFAULT_BATCH_ROWS,
    ArchiveStats,
    Columns,
    reader_for,
    score_table,
    write_streamed,
)
from spoilerscan.errors import InputError, SpoilerscanError
from spoilerscan.reading.document import Format
from spoilerscan.settings.resolve import Settings

if TYPE_CHECKING:
    import pyarrow as pa

INSTALL_HINT = "pip install 'spoilerscan[ray]'"


def require_ray() -> None:
    """Say how to get Ray in one line where it is missing."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise SpoilerscanError(f"--engine ray needs Ray Data: {INSTALL_HINT}") from None


@dataclass(frozen=True, slots=True)
class ScoringSettings:
    """Everything an actor needs to score like the single-process path (it must pickle)."""

    settings: Settings = field(default_factory=Settings)  # paths absolute, the same on every node
    columns: Columns = field(default_factory=Columns)
    input_format: Format = Format.text


class ScoreBatches:
    """The Ray Data actor: opens one runtime at start, then scores each batch of reviews given to it."""

    def __init__(self, settings: ScoringSettings, threads: int = 1) -> None:
        # The tokenizer's thread pool would otherwise size itself to the whole machine.
        os.environ.setdefault("RAYON_NUM_THREADS", str(threads))
        from spoilerscan.runtime import Runtime

        self.settings = settings
        self.runtime = Runtime.open(dataclasses.replace(settings.settings, threads=threads))
        self.threshold = self.runtime.threshold
        self.reader = reader_for(settings.input_format, self.runtime.settings.allowed_phrases)

    def __call__(self, batch: pa.Table) -> pa.Table:
        return score_table(batch, self.runtime.scorer, self.threshold, self.settings.columns, self.reader)


def score_dataset(ds: Any, settings: ScoringSettings | None = None, *, workers: int = 1, cpus_per_worker: int = 1,
                  batch_rows: int = DEFAULT_BATCH_ROWS) -> Any:
    """A lazy Dataset of scored sentences (schema in :mod:`spoilerscan.archive.parquet`) from a Dataset of reviews.

    ``workers`` actors, each reserving ``cpus_per_worker`` CPUs and running ONNX Runtime on as
    many threads, each get ``batch_rows`` reviews at a time. The id column is required: Ray
    batches do not know their row numbers.
    """
    import ray.data

    settings = settings or ScoringSettings()
    if settings.columns.id is None:
        raise SpoilerscanError("the Ray engine needs an id column (--id-column): batches on a cluster "
                               "have no row numbers")
    return ds.map_batches(ScoreBatches, batch_size=batch_rows, batch_format="pyarrow",
                          fn_constructor_kwargs={"settings": settings, "threads": cpus_per_worker},
                          compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=cpus_per_worker)


def connect(address: str | None, workers: int, cpus_per_worker: int, quiet: bool = True) -> None:
    """Join the cluster at ``address`` (or ``RAY_ADDRESS``), else start a local one sized for the workers.

    The local cluster gets one CPU more than the actors reserve, for Ray Data's read tasks: with
    every CPU held by an actor, reading would wait for ever.
    """
    import logging

    import ray

    # Ray Data reports every execution at INFO level; a command line wants warnings at most.
    logging.getLogger("ray.data").setLevel(logging.ERROR if quiet else logging.WARNING)
    address = address or os.environ.get("RAY_ADDRESS") or None
    options: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": not quiet,
                               "include_dashboard": False, "ignore_reinit_error": True}
    if address is None:
        options["num_cpus"] = workers * cpus_per_worker + 1
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise SpoilerscanError(f"cannot reach the Ray cluster at {address}: {str(error).splitlines()[0]}") from None


def read_reviews(paths: Sequence[str], columns: Columns) -> tuple[Any, pa.Schema]:
    """A Ray Dataset of the id and text columns of Parquet files, directories or URIs, and its schema
    (from the files' metadata, before any scoring); the columns are checked first."""
    import ray.data

    local = [p for p in paths if "://" not in p]
    for path in local:
        if not Path(path).exists():
            raise InputError(f"{path}: no such file")
    try:
        ds = ray.data.read_parquet(list(paths)).select_columns(columns.wanted())
        schema = ds.schema()
    except Exception as error:  # pyarrow and Ray raise many kinds for a bad file or a missing column
        raise InputError(f"{', '.join(paths)}: cannot read as Parquet with columns "
                         f"{', '.join(columns.wanted())} ({str(error).splitlines()[0]})") from None
    arrow_schema = schema.base_schema if hasattr(schema, "base_schema") else schema
    columns.check(arrow_schema, ", ".join(paths))
    return ds, arrow_schema


def scan_with_ray(paths: Sequence[str], target: str, settings: ScoringSettings, workers: int = 2,
                  cpus_per_worker: int = 1, address: str | None = None, batch_rows: int = DEFAULT_BATCH_ROWS,
                  quiet: bool = True) -> ArchiveStats | None:
    """The CLI's ``--engine ray``: score Parquet reviews on a Ray cluster.

    A ``target`` ending in ``.parquet`` is one file, streamed through this process in input order
    (the counts are returned); anything else is a directory or URI that the workers write to in
    parallel (``write_parquet``, one file per block, no order; returns None).
    """
    require_ray()
    import ray
    import ray.data

    connect(address, workers, cpus_per_worker, quiet)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = not quiet
        one_file = target.lower().endswith(".parquet")
        # Before any dataset exists: each dataset keeps a copy of the context it was made in, and a
        # busy machine finishes batches out of order.
        context.execution_options.preserve_order = one_file
        reviews, schema = read_reviews(paths, settings.columns)
        # A file is one read task and, unless large, one block: cut blocks to a batch each (streaming,
        # no shuffle) so that every actor gets work.
        blocks = reviews.repartition(target_num_rows_per_block=batch_rows)
        scored = score_dataset(blocks, settings, workers=workers, cpus_per_worker=cpus_per_worker,
                               batch_rows=batch_rows)
        if not one_file:
            scored.write_parquet(target if "://" in target else os.path.abspath(target))
            return None
        stats = ArchiveStats(reviews=reviews.count())
        output = settings.columns.output_schema(schema)
        batches = scored.iter_batches(batch_size=None, batch_format="pyarrow")
        write_streamed(Path(target), output, (table.cast(output) for table in batches), stats.count)
        return stats
    finally:
        ray.shutdown()
