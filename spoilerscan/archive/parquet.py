"""Parquet archives in and out: score a table of reviews, one output row per sentence.

An archive is read in record batches (``ParquetFile.iter_batches``) and written a batch at a time
(``ParquetWriter``), so memory stays flat however large the file. Every review yields one row per
sentence it has (a review with no sentences, or a null text, yields none):

=========  ==============================  ==================================================
column     type                            meaning
=========  ==============================  ==================================================
<id>       the id column's own type        the review's id (``--id-column``), or ``row``:
                                           int64, its row number in the input (from 0)
sentence   int32                           the sentence's index within its review
start      int32                           character offset of its start in the review text
end        int32                           character offset of its end (exclusive)
text       string                          the sentence as written (``text[start:end]``)
score      float32                         spoiler probability
spoiler    bool                            at or above the threshold, or a known spoiler
=========  ==============================  ==================================================

Rows per sentence rather than a list column per review: spoilers are then one filter away
(``WHERE spoiler``) in any engine that reads Parquet, and a join on the id brings back the review.
:func:`score_table` is the one scoring step, shared by the single-process path here and by the
Ray Data actors (:mod:`spoilerscan.archive.distributed`). pyarrow is the optional ``parquet`` extra.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spoilerscan.errors import InputError, SpoilerscanError
from spoilerscan.output.files import replacement_mode
from spoilerscan.reading.document import Format

if TYPE_CHECKING:
    import pyarrow as pa

    from spoilerscan.model.detect import Scorer
    from spoilerscan.reading.segment import Reading

PARQUET_SUFFIXES = (".parquet", ".pq")
ROW_COLUMN = "row"
DEFAULT_BATCH_ROWS = 256  # reviews read, scored and written at a time
INSTALL_HINT = "pip install 'spoilerscan[parquet]'"


def require_pyarrow() -> None:
    """Parquet needs the optional pyarrow; say how to get it in one line where it is missing."""
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise SpoilerscanError(f"Parquet input needs pyarrow: {INSTALL_HINT}") from None


def is_parquet_name(name: str) -> bool:
    return name.lower().endswith(PARQUET_SUFFIXES)


@dataclass(frozen=True, slots=True)
class Columns:
    """Which input columns hold each review's text and its id (None: number the rows)."""

    text: str = "text"
    id: str | None = None

    def wanted(self) -> list[str]:
        return [self.text] if self.id is None else [self.id, self.text]

    def check(self, schema: pa.Schema, source: str) -> None:
        """Refuse a missing column, or a text column that does not hold strings, in one line."""
        import pyarrow as pa

        for name in self.wanted():
            if schema.get_field_index(name) < 0:
                raise InputError(f"{source}: no column {name!r} (columns: {', '.join(schema.names)})")
        kind = schema.field(self.text).type
        is_view = getattr(pa.types, "is_string_view", lambda _: False)  # pyarrow 16 and later
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or is_view(kind)):
            raise InputError(f"{source}: column {self.text!r} holds {kind}, not text")

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        """The schema of the scored sentences, given the input's (for the id column's type)."""
        import pyarrow as pa

        key = pa.field(ROW_COLUMN, pa.int64()) if self.id is None else schema.field(self.id)
        return pa.schema([key, ("sentence", pa.int32()), ("start", pa.int32()), ("end", pa.int32()),
                          ("text", pa.string()), ("score", pa.float32()), ("spoiler", pa.bool_())])


def reader_for(input_format: Format = Format.text, allowed_phrases: Sequence[str] = ()) -> Callable[[str], Reading]:
    """How every review of an archive is read: marked spoilers, pragmas and allowed phrases exempt,
    as in the other commands. ``auto`` means plain text here: a table cell has no file suffix."""
    from spoilerscan.reading.markup import HIDING_STYLES
    from spoilerscan.reading.segment import read

    fmt = Format.text if input_format is Format.auto else input_format
    phrases = tuple(allowed_phrases)
    return lambda text: read(text, fmt, HIDING_STYLES, phrases)


def score_table(table: pa.Table | pa.RecordBatch, scorer: Scorer, threshold: float, columns: Columns,
                reader: Callable[[str], Reading] | None = None, first_row: int = 0) -> pa.Table:
    """Score the reviews of one batch of rows; one output row per sentence (see the module's table).

    ``first_row`` numbers the rows when there is no id column.
    """
    import pyarrow as pa

    from spoilerscan.model.detect import annotate_stream

    reader = reader or reader_for()
    texts = table.column(columns.text).to_pylist()
    keys = list(range(first_row, first_row + len(texts))) if columns.id is None else \
        table.column(columns.id).to_pylist()
    rows: dict[str, list[Any]] = {name: [] for name in ("key", "sentence", "start", "end", "text", "score", "spoiler")}
    pairs = ((key, reader(text or "")) for key, text in zip(keys, texts, strict=True))
    for key, _, annotation in annotate_stream(pairs, scorer, threshold):
        for index, sentence in enumerate(annotation.sentences):
            rows["key"].append(key)
            rows["sentence"].append(index)
            rows["start"].append(sentence.start)
            rows["end"].append(sentence.end)
            rows["text"].append(sentence.text)
            rows["score"].append(sentence.score)
            rows["spoiler"].append(sentence.is_spoiler)
    schema = columns.output_schema(table.schema)
    arrays = [pa.array(rows[name], type=field.type) for name, field in zip(rows, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


def open_parquet(path: Path) -> Any:
    """A ``pyarrow.parquet.ParquetFile``, or one InputError line for a missing or non-Parquet file."""
    require_pyarrow()
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a Parquet file")
    try:
        return pq.ParquetFile(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(f"{path}: not a Parquet file ({str(error).splitlines()[0]})") from None


def iter_batches(source: Any, columns: Columns, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The id and text columns of an open Parquet file, ``batch_rows`` rows at a time (streamed)."""
    return source.iter_batches(batch_size=batch_rows, columns=columns.wanted())


@dataclass(slots=True)
class ArchiveStats:
    """What a scan wrote, counted as it went."""

    reviews: int = 0
    sentences: int = 0
    spoilers: int = 0

    def count(self, table: pa.Table) -> None:
        """Count the sentences of one scored table."""
        self.sentences += table.num_rows
        self.spoilers += table.column("spoiler").to_pylist().count(True)


def write_streamed(target: Path, schema: pa.Schema, tables: Iterator[pa.Table],
                   on_table: Callable[[pa.Table], None] | None = None) -> None:
    """Write tables to one Parquet file as they come, through a temporary file beside ``target``
    that replaces it only when all is written: a failed run leaves an existing file as it was."""
    import pyarrow.parquet as pq

    real = Path(os.path.realpath(target))  # a symlink is followed: its target is replaced, the link stays
    try:
        mode = replacement_mode(real)
        handle, temporary = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
        os.close(handle)
    except OSError as error:
        raise InputError(f"{target}: cannot write ({error.strerror})") from None
    try:
        with pq.ParquetWriter(temporary, schema) as writer:
            for table in tables:
                writer.write_table(table)
                if on_table is not None:
                    on_table(table)
        try:
            os.chmod(temporary, mode)
            os.replace(temporary, real)
        except OSError as error:
            raise InputError(f"{target}: cannot write ({error.strerror})") from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def scan_parquet(source: Path, target: Path, scorer: Scorer, threshold: float, columns: Columns,
                 reader: Callable[[str], Reading] | None = None, batch_rows: int = DEFAULT_BATCH_ROWS) -> ArchiveStats:
    """Score every review of a Parquet file into a Parquet file of sentences, a record batch at a time.

    Columns are checked before any scoring; a progress bar is the scorer's business (ReviewProgress).
    """
    parquet = open_parquet(source)
    columns.check(parquet.schema_arrow, str(source))
    stats = ArchiveStats()

    def scored() -> Iterator[pa.Table]:
        for batch in iter_batches(parquet, columns, batch_rows):
            table = score_table(batch, scorer, threshold, columns, reader, first_row=stats.reviews)
            stats.reviews += batch.num_rows
            yield table

    write_streamed(target, columns.output_schema(parquet.schema_arrow), scored(), stats.count)
    return stats
