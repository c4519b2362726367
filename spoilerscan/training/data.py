"""Read labelled spoiler data (CSV, JSONL, Goodreads reviews, Reddit comments) as whole reviews.

The review model reads a review's sentences in order, so every format becomes a list of
:class:`LabelledReview`: a Reddit comment or a Goodreads review is one; TV Tropes entries of one
show's page are grouped into reviews of at most :data:`TROPES_REVIEW_SENTENCES` sentences (each
entry whole, in the file's order); a file of loose sentences gives one-sentence reviews. Files
that come without a split are split by a stable hash of each review's text, so the held-out part
never changes between runs (for loose sentences that is the sentence's own hash, as before).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from spoilerscan.errors import DataFormatError
from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.document import BlockKind, Format
from spoilerscan.reading.labels import parse_label
from spoilerscan.reading.markup import MARKUP, Style, marked_regions
from spoilerscan.reading.segment import read

Split = Literal["train", "dev", "test"]
TEXT_COLUMNS = ("sentence", "text")
LABEL_COLUMNS = ("spoiler", "label")
# A JSONL record with one of these labels is a whole review labelled as a whole (IMDB's author flag,
# a tweet): its sentences are read from its text, with no label each.
REVIEW_LABEL_COLUMNS = ("is_spoiler",)
REVIEW_TEXT_COLUMNS = ("text", "review_text")
REVIEW_ID_COLUMNS = ("review_id", "id")
REDDIT_COLUMNS = ("Comment", "Comment Type")
CATEGORY_COLUMN = "category"
# TV Tropes reviews: a page's entries, grouped up to this many sentences.
TROPES_REVIEW_SENTENCES = 30
# The backslash escapes of Reddit's Markdown.
_MARKDOWN_ESCAPE = re.compile(r"\\([\\>*_\-#!\[\]()~`.])")

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True, slots=True)
class LabelledReview:
    """A review's sentences in order with their labels (1 = spoiler).

    ``label`` is the review-level label where the data states one (a Reddit comment's type, a
    Goodreads review's ``has_spoiler``); ``title`` the work's name where known (TV Tropes page);
    ``category`` a row's category in a challenge file (one-sentence reviews only).
    """

    sentences: tuple[SentenceInput, ...]
    labels: tuple[int, ...]
    source: str
    label: int | None = None
    title: str = ""
    category: str = ""
    name: str = ""  # a record's own id, where it has one (its hash split is decided by it)
    sentence_labels: bool = True  # False: only ``label`` is known; ``labels`` are placeholders (never train)

    @property
    def review_label(self) -> int:
        """Whether the review spoils: its stated label, else whether any sentence does."""
        return self.label if self.label is not None else int(any(self.labels))

    @property
    def key(self) -> str:
        """The text its hash split is decided by: its id where the data gives one, else its words."""
        return self.name or " ".join(s.text for s in self.sentences)


def sentence_rows(reviews: Iterable[LabelledReview]) -> Iterator[tuple[str, int]]:
    """(text, label) of every sentence of the reviews, in order."""
    for review in reviews:
        yield from zip((s.text for s in review.sentences), review.labels, strict=True)


def split_of(text: str, dev_share: int = 15, test_share: int = 15) -> Split:
    """Assign a review (or sentence) to train/dev/test by a stable hash of its text (percent shares)."""
    bucket = int.from_bytes(hashlib.blake2b(text.strip().encode(), digest_size=8).digest()) % 100
    if bucket < test_share:
        return "test"
    if bucket < test_share + dev_share:
        return "dev"
    return "train"


def source_name(path: Path) -> str:
    """A short dataset name for reports: ``goodreads/sentences`` for .../goodreads/sentences.csv."""
    return f"{path.parent.name}/{path.stem}" if path.parent.name else path.stem


def _pick(columns: Iterable[str], wanted: tuple[str, ...]) -> str | None:
    present = {c.strip().lower(): c for c in columns}
    return next((present[w] for w in wanted if w in present), None)


def reddit_sentences(comment: str, is_spoiler_comment: bool) -> Iterator[tuple[str, int, BlockKind]]:
    """Sentences of a Reddit comment, labelled 1 where mostly inside ``>!…!<`` markup.

    The markup is found as ``check`` finds it (markup.py); it is then removed, so the model
    learns from the words alone.
    """
    opening, closing = MARKUP[Style.reddit].wrap or ("", "")
    clean: list[str] = []
    hidden: list[tuple[int, int]] = []
    length = 0
    cursor = 0
    for match in [*marked_regions(comment, [Style.reddit]), None]:
        before = comment[cursor : match.start if match else len(comment)]
        inside = comment[match.start + len(opening) : match.end - len(closing)] if match else ""
        for piece, secret in ((before, False), (inside, True)):
            piece = _MARKDOWN_ESCAPE.sub(r"\1", piece).replace(opening, "").replace(closing, "")
            if secret:
                hidden.append((length, length + len(piece)))
            clean.append(piece)
            length += len(piece)
        if match:
            cursor = match.end
    text = "".join(clean)
    reading = read(text, Format.markdown, styles=())
    for span in reading.sentences:
        overlap = sum(max(0, min(end, span.end) - max(start, span.start)) for start, end in hidden)
        label = int(is_spoiler_comment and overlap * 2 >= span.end - span.start)
        yield reading.scored_text(span), label, span.kind


def _review(texts: Iterable[str], labels: Iterable[int], source: str, label: int | None = None, title: str = "",
            category: str = "") -> LabelledReview:
    return LabelledReview(tuple(SentenceInput(t) for t in texts), tuple(labels), source, label, title, category)


def _page_reviews(entries: dict[tuple[str, str], list[tuple[str, int]]], source: str,
                  per_entry: bool) -> Iterator[LabelledReview]:
    """TV Tropes entries grouped by page into reviews of whole entries (or each entry alone)."""
    chunk: list[tuple[str, int]] = []
    page = ""
    for (entry_page, _), rows in [*entries.items(), (("", ""), [])]:
        if chunk and (per_entry or entry_page != page or len(chunk) + len(rows) > TROPES_REVIEW_SENTENCES):
            yield _review((t for t, _ in chunk), (label for _, label in chunk), source, title=_words(page))
            chunk = []
        page = entry_page
        chunk += rows


def _words(name: str) -> str:
    """'BreakingBad' -> 'Breaking Bad' (TV Tropes page names are CamelCase)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)


def _read_csv(path: Path, source: str, per_entry: bool) -> Iterator[LabelledReview]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        text_col, label_col = _pick(columns, TEXT_COLUMNS), _pick(columns, LABEL_COLUMNS)
        category_col = _pick(columns, (CATEGORY_COLUMN,))
        reddit = all(c in columns for c in REDDIT_COLUMNS)
        # TV Tropes rows of one page and trope are the sentences of one entry, in order.
        grouped = {"page", "trope"} <= set(columns)
        entries: dict[tuple[str, str], list[tuple[str, int]]] = {}
        if not reddit and (text_col is None or label_col is None):
            raise DataFormatError(
                f"{path}:1: columns {columns} lack a text column ({'/'.join(TEXT_COLUMNS)}) "
                f"and a label column ({'/'.join(LABEL_COLUMNS)}), and are not Reddit's "
                f"({', '.join(REDDIT_COLUMNS)})"
            )
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if reddit:
                kind = (row.get("Comment Type") or "").strip().lower()
                if kind not in {"spoiler", "non-spoiler"}:
                    raise DataFormatError(f"{where}: unknown Comment Type {kind!r}")
                found = list(reddit_sentences(row["Comment"] or "", kind == "spoiler"))
                if found:
                    yield LabelledReview(tuple(SentenceInput(t, k) for t, _, k in found),
                                         tuple(label for _, label, _ in found), source, int(kind == "spoiler"))
                continue
            assert text_col is not None and label_col is not None
            text = (row.get(text_col) or "").strip()
            if not text:
                continue
            label = parse_label(row.get(label_col), where)
            if grouped:
                entries.setdefault((row["page"], row["trope"]), []).append((text, label))
            else:
                yield _review([text], [label], source, category=(row.get(category_col) or "").strip()
                              if category_col else "")
        yield from _page_reviews(entries, source, per_entry)


def _read_jsonl(path: Path, source: str) -> Iterator[LabelledReview]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataFormatError(f"{where}: not valid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise DataFormatError(f"{where}: expected a JSON object per line")
            if "review_sentences" in record:
                pairs = record["review_sentences"]
                if not (isinstance(pairs, list) and all(isinstance(p, list) and len(p) == 2 for p in pairs)):
                    raise DataFormatError(f"{where}: review_sentences needs [label, text] pairs")
                pairs = [pair for pair in pairs if str(pair[1]).strip()]  # no empty sentences
                if pairs:
                    stated = record.get("has_spoiler")
                    yield _review((str(p[1]).strip() for p in pairs), (parse_label(p[0], where) for p in pairs),
                                  source, label=None if stated is None else parse_label(stated, where))
                continue
            review_label = _pick(record, REVIEW_LABEL_COLUMNS)
            if review_label is not None and (text_key := _pick(record, REVIEW_TEXT_COLUMNS)) is not None:
                whole = _whole_review(str(record[text_key]), parse_label(record[review_label], where), source,
                                      str(record.get(_pick(record, REVIEW_ID_COLUMNS) or "", "")))
                if whole is not None:
                    yield whole
                continue
            text_key, label_key = _pick(record, TEXT_COLUMNS), _pick(record, LABEL_COLUMNS)
            if text_key is None or label_key is None:
                raise DataFormatError(
                    f"{where}: keys {sorted(record)} lack {'/'.join(TEXT_COLUMNS)} "
                    f"and {'/'.join(LABEL_COLUMNS)} (or review_sentences)"
                )
            text = str(record[text_key]).strip()
            if text:
                yield _review([text], [parse_label(record[label_key], where)], source)


def _whole_review(text: str, label: int, source: str, name: str) -> LabelledReview | None:
    """A review labelled only as a whole: its sentences as spoilerscan reads plain text."""
    reading = read(text, Format.text)
    sentences = tuple(SentenceInput(reading.scored_text(s), s.kind) for s in reading.sentences)
    if not sentences:
        return None
    return LabelledReview(sentences, (0,) * len(sentences), source, label, name=name, sentence_labels=False)


def half_split(text: str) -> Split:
    """Reviews labelled only as a whole never train: half of them (by a stable hash of the id) is dev, where
    the review gate was calibrated, the other half is the held-out test part."""
    bucket = int.from_bytes(hashlib.blake2b(text.strip().encode(), digest_size=8).digest()) % 100
    return "dev" if bucket < 50 else "test"


def load_reviews(path: Path, split: Split | None = None, per_entry: bool = False) -> list[LabelledReview]:
    """Read one labelled file as reviews; with ``split``, keep only that hash-split part of it.

    ``per_entry`` makes each TV Tropes entry a review of its own instead of grouping a page's
    entries (the grouping training uses; see :mod:`spoilerscan.model.features` for why).
    """
    if path.is_dir():
        raise DataFormatError(f"{path}: is a directory, not a data file")
    if not path.is_file():
        raise DataFormatError(f"{path}: no such data file")
    source = source_name(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            reviews = list(_read_csv(path, source, per_entry))
        elif suffix in {".jsonl", ".json"}:
            reviews = list(_read_jsonl(path, source))
        else:
            raise DataFormatError(f"{path}: unknown data format (expected .csv or .jsonl)")
    except UnicodeDecodeError as error:
        raise DataFormatError(f"{path}: not UTF-8 ({error.reason})") from None
    if not reviews:
        raise DataFormatError(f"{path}: no labelled sentences")
    if split is not None:
        reviews = [review for review in reviews
                   if (split_of(review.key) if review.sentence_labels else half_split(review.key)) == split]
        if not reviews:  # a tiny file can have an empty part; callers need at least one review
            raise DataFormatError(f"{path}: none of its reviews fall in the {split} part of the hash split")
    return reviews


def has_entries(path: Path) -> bool:
    """Whether a CSV file groups its sentences into TV Tropes entries (page and trope columns)."""
    if path.suffix.lower() != ".csv":
        return False
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return {"page", "trope"} <= set(next(csv.reader(handle), []))
