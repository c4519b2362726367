"""Read labelled spoiler data (CSV, JSONL, Goodreads reviews, Reddit comments) for training.

Every format becomes a list of :class:`LabelledSentence`. Files that come without a split are
split by a stable hash of each sentence, so the held-out part never changes between runs and
a sentence that occurs twice can never sit on both sides of the split.
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
from spoilerscan.markup import MARKUP, Style, marked_regions
from spoilerscan.segment import neighbour_context, split_sentences

Split = Literal["train", "dev", "test"]
TEXT_COLUMNS = ("sentence", "text")
LABEL_COLUMNS = ("spoiler", "label")
REDDIT_COLUMNS = ("Comment", "Comment Type")
_TRUE = {"1", "true", "yes", "spoiler"}
_FALSE = {"0", "false", "no", "non-spoiler"}
# The backslash escapes of Reddit's Markdown.
_MARKDOWN_ESCAPE = re.compile(r"\\([\\>*_\-#!\[\]()~`.])")

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True, slots=True)
class LabelledSentence:
    text: str
    label: int
    source: str
    context: str = ""  # neighbouring sentences of the same paragraph or entry, where known


def parse_label(value: object, where: str) -> int:
    """0/1, true/false in any case, or JSON booleans; anything else names its place."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value in (0, 1):
        return value
    token = str(value).strip().lower()
    if token in _TRUE:
        return 1
    if token in _FALSE:
        return 0
    raise DataFormatError(f"{where}: cannot read label {value!r} (expected 0/1 or true/false)")


def split_of(text: str, dev_share: int = 15, test_share: int = 15) -> Split:
    """Assign a sentence to train/dev/test by a stable hash of its text (percent shares)."""
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


def reddit_sentences(comment: str, is_spoiler_comment: bool) -> Iterator[tuple[str, int, str]]:
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
    spans = split_sentences(text)
    contexts = neighbour_context([text[s.start : s.end] for s in spans], [s.block for s in spans])
    for span, context in zip(spans, contexts, strict=True):
        inside = sum(max(0, min(end, span.end) - max(start, span.start)) for start, end in hidden)
        label = int(is_spoiler_comment and inside * 2 >= span.end - span.start)
        yield text[span.start : span.end], label, context


def _read_csv(path: Path, source: str) -> Iterator[LabelledSentence]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        text_col, label_col = _pick(columns, TEXT_COLUMNS), _pick(columns, LABEL_COLUMNS)
        reddit = all(c in columns for c in REDDIT_COLUMNS)
        # TV Tropes rows of one page and trope are the sentences of one entry, in order.
        grouped = {"page", "trope"} <= set(columns)
        entries: dict[tuple[str, str], list[LabelledSentence]] = {}
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
                for text, label, context in reddit_sentences(row["Comment"] or "", kind == "spoiler"):
                    yield LabelledSentence(text, label, source, context)
                continue
            assert text_col is not None and label_col is not None
            text = (row.get(text_col) or "").strip()
            if not text:
                continue
            sentence = LabelledSentence(text, parse_label(row.get(label_col), where), source)
            if grouped:
                entries.setdefault((row["page"], row["trope"]), []).append(sentence)
            else:
                yield sentence
        for members in entries.values():
            contexts = neighbour_context([m.text for m in members], [0] * len(members))
            yield from (LabelledSentence(m.text, m.label, m.source, c) for m, c in zip(members, contexts, strict=True))


def _read_jsonl(path: Path, source: str) -> Iterator[LabelledSentence]:
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
                texts = [str(pair[1]).strip() for pair in pairs]
                contexts = neighbour_context(texts, [0] * len(texts))
                for pair, text, context in zip(pairs, texts, contexts, strict=True):
                    yield LabelledSentence(text, parse_label(pair[0], where), source, context)
                continue
            text_key, label_key = _pick(record, TEXT_COLUMNS), _pick(record, LABEL_COLUMNS)
            if text_key is None or label_key is None:
                raise DataFormatError(
                    f"{where}: keys {sorted(record)} lack {'/'.join(TEXT_COLUMNS)} "
                    f"and {'/'.join(LABEL_COLUMNS)} (or review_sentences)"
                )
            text = str(record[text_key]).strip()
            if text:
                yield LabelledSentence(text, parse_label(record[label_key], where), source)


def load_labelled(path: Path, split: Split | None = None) -> list[LabelledSentence]:
    """Read one labelled file; with ``split``, keep only that hash-split part of it."""
    if not path.is_file():
        raise DataFormatError(f"{path}: no such data file")
    source = source_name(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            rows = list(_read_csv(path, source))
        elif suffix in {".jsonl", ".json"}:
            rows = list(_read_jsonl(path, source))
        else:
            raise DataFormatError(f"{path}: unknown data format (expected .csv or .jsonl)")
    except UnicodeDecodeError as error:
        raise DataFormatError(f"{path}: not UTF-8 ({error.reason})") from None
    if not rows:
        raise DataFormatError(f"{path}: no labelled sentences")
    if split is not None:
        rows = [row for row in rows if split_of(row.text) == split]
        if not rows:  # a tiny file can have an empty part; callers need at least one row
            raise DataFormatError(f"{path}: none of its sentences fall in the {split} part of the hash split")
    return rows
