"""A site's labelled material as reviews: published reviews with marked spoilers, and label exports.

Two kinds of input, as a site has them:

- **Published reviews** (any file ``check`` reads: Markdown, HTML, text). A sentence mostly inside
  spoiler markup (``>!…!<``, ``||…||``, ``[spoiler]…[/spoiler]``, ``<details>``, ``class="spoiler"``)
  is a spoiler; the other sentences of a review that has marks are not. A review with no marks at
  all says nothing (its writer may simply not mark), so it counts as clean only when the site says
  so (``unmarked_are_clean``). The markup is taken out before the words are read, as the model
  will see them once they are published unmarked.
- **Exports** (CSV or JSONL) with a text column (``text``, ``sentence`` or ``review_text``) and a
  label (``is_spoiler``, ``spoiler`` or ``label``: 0/1, true/false). A row is a review, labelled as
  a whole, unless its text column is ``sentence`` and it has a ``review_id``: then rows sharing one
  are the sentences of that review, in order, each with its own label.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spoilerscan.errors import InputError
from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.document import Format, format_for
from spoilerscan.reading.inputs import DEFAULT_INCLUDE, STDIN, Selection, expand_inputs, read_review
from spoilerscan.reading.labels import parse_label
from spoilerscan.reading.markup import Region, Style, marked_regions
from spoilerscan.reading.segment import read
from spoilerscan.reading.text import parse

EXPORT_SUFFIXES = (".csv", ".jsonl")
TEXT_COLUMNS = ("text", "sentence", "review_text")
LABEL_COLUMNS = ("is_spoiler", "spoiler", "label")
REVIEW_COLUMN = "review_id"
# Markup that hides words a writer wrote (block and label styles replace them: nothing to learn from).
WRAPPING_STYLES = (Style.reddit, Style.discord, Style.bbcode, Style.discourse, Style.html)
# A wrapper's delimiters: what is not the hidden words themselves.
_OPENING = re.compile(r">!|\\?\|\\?\||\[[^\]\r\n]*\]|<[^<>]*>(?:\s*<summary\b[^>]*>.*?</summary\s*>)?",
                      re.IGNORECASE | re.DOTALL)
_CLOSING = re.compile(r"(?:!<|\\?\|\\?\||\[/[^\]\r\n]*\]|</[^<>]*>)\Z")

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True, slots=True)
class SiteReview:
    """One labelled review: its sentences as the model reads them, and what the site says of them.

    ``labels`` is per sentence where the site marked sentences (None: only ``label``, the review's,
    is known); ``key`` names the review stably (its folds and its place in messages).
    """

    sentences: tuple[SentenceInput, ...]
    label: int
    labels: tuple[int, ...] | None
    key: str


def spoiler_delimiters(text: str, fmt: Format) -> tuple[list[Region], list[tuple[int, int]]]:
    """Each spoiler wrapper's delimiters (``>!``, ``||``, ``[spoiler]``, a ``<summary>``'s words; tags are
    markup already) as regions to blank, and the [start, end) ranges of the words the wrappers hide."""
    delimiters: list[Region] = []
    hidden: list[tuple[int, int]] = []
    for region in marked_regions(parse(text, fmt), WRAPPING_STYLES):
        piece = text[region.start : region.end]
        opening, closing = _OPENING.match(piece), _CLOSING.search(piece)
        start = region.start + (opening.end() if opening else 0)
        end = max(start, region.start + (closing.start() if closing else len(piece)))
        delimiters += [Region(region.start, start, "delimiter"), Region(end, region.end, "delimiter")]
        if end > start:
            hidden.append((start, end))
    return delimiters, hidden


def marked_review(text: str, fmt: Format, key: str, unmarked_are_clean: bool) -> SiteReview | None:
    """A published review as labelled sentences; None for one without marks (unless those are clean).

    Redacted text (``████``, ``[spoiler]``) holds no words to learn from and is left out.
    """
    delimiters, hidden = spoiler_delimiters(text, fmt)
    if not hidden and not unmarked_are_clean:
        return None
    reading = read(text, fmt, (Style.block, Style.label), also_exempt=delimiters)
    sentences: list[SentenceInput] = []
    labels: list[int] = []
    for span in reading.sentences:
        overlap = sum(max(0, min(end, span.end) - max(start, span.start)) for start, end in hidden)
        sentences.append(SentenceInput(reading.scored_text(span), span.kind))
        labels.append(int(overlap * 2 >= span.end - span.start))
    if not sentences:
        return None
    return SiteReview(tuple(sentences), int(any(labels)), tuple(labels), key)


def _column(columns: Iterable[str], wanted: tuple[str, ...]) -> str | None:
    present = {c.strip().lower(): c for c in columns if c}
    return next((present[w] for w in wanted if w in present), None)


def _rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, row) of a CSV or JSONL export."""
    try:
        if path.suffix.lower() == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                for number, row in enumerate(csv.DictReader(handle), 2):
                    yield f"{path}:{number}", row
            return
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        row = json.loads(line)
                    except ValueError:
                        raise InputError(f"{path}:{number}: not a JSON object") from None
                    if not isinstance(row, dict):
                        raise InputError(f"{path}:{number}: not a JSON object")
                    yield f"{path}:{number}", row
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from None


def export_reviews(path: Path) -> Iterator[SiteReview]:
    """Labelled reviews of a CSV or JSONL export (see the module's docstring for the columns)."""
    grouped: dict[str, list[tuple[str, int]]] = {}
    for where, row in _rows(path):  # columns per row: JSONL records need not all have the same keys
        text_column, label_column = _column(row, TEXT_COLUMNS), _column(row, LABEL_COLUMNS)
        if text_column is None or label_column is None:
            raise InputError(f"{where}: needs a text column ({', '.join(TEXT_COLUMNS)}) and a label column "
                             f"({', '.join(LABEL_COLUMNS)}); it has {', '.join(map(str, row)) or 'none'}")
        text, label = row.get(text_column), parse_label(row.get(label_column), where)
        if not isinstance(text, str):
            raise InputError(f"{where}: '{text_column}' is not text")
        group = row.get(REVIEW_COLUMN) if text_column.strip().lower() == "sentence" else None
        if group is not None and str(group).strip():
            grouped.setdefault(str(group), []).append((text, label))
            continue
        reading = read(text, Format.text)
        sentences = tuple(SentenceInput(reading.scored_text(s), s.kind) for s in reading.sentences)
        if sentences:
            yield SiteReview(sentences, label, None, text)
    for group, rows in grouped.items():
        sentences = tuple(SentenceInput(" ".join(text.split())) for text, _ in rows if text.strip())
        labels = tuple(label for text, label in rows if text.strip())
        if sentences:
            yield SiteReview(sentences, int(any(labels)), labels, f"{path}#{group}")


def site_reviews(names: Iterable[str], unmarked_are_clean: bool = False,
                 on_skip: Callable[[str], None] = lambda message: None) -> list[SiteReview]:
    """Every labelled review of these inputs: exports by suffix, anything else a published review
    (directories are read recursively). Unreadable files raise InputError; unmarked reviews that
    are not counted clean are passed to ``on_skip``."""
    reviews: list[SiteReview] = []
    selection = Selection((*DEFAULT_INCLUDE, *(f"*{suffix}" for suffix in EXPORT_SUFFIXES)))
    for name in expand_inputs(list(names), recursive=True, selection=selection):
        if name == STDIN:
            raise InputError("adapt reads files and directories, not stdin")
        path = Path(name)
        if path.suffix.lower() in EXPORT_SUFFIXES:
            if not path.is_file():
                raise InputError(f"{name}: no such file")
            reviews.extend(export_reviews(path))
            continue
        review = read_review(name)
        labelled = marked_review(review.text, format_for(name), name, unmarked_are_clean)
        if labelled is None:
            on_skip(name)
        else:
            reviews.append(labelled)
    return reviews
