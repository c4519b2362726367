"""The spoiler detector: a fine-tuned sequence classifier that scores sentences.

``Detector.load()`` opens the model shipped in ``models/``; ``score`` gives spoiler
probabilities for sentences and ``annotate`` splits and scores a whole review.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spoilerscan.errors import ModelError
from spoilerscan.segment import Span, neighbour_context, split_sentences

if TYPE_CHECKING:
    import torch

METADATA_FILE = "spoilerscan.json"
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", METADATA_FILE)
MODEL_DIR_NAME = "spoiler-minilm"
DEFAULT_BATCH_SIZE = 32
# Padding lengths to a multiple of 16 keeps the number of distinct tensor shapes small: with
# every length its own shape, CPU memory grew with each new shape (758 MB at 0.25 MB of input,
# 969 MB at 1 MB); the extra padding costs little.
PAD_MULTIPLE = 16

# A callable that scores sentences; tests inject deterministic ones through the same API.
Scorer = Callable[[list[str]], list[float]]
# Sentences scored together across reviews: large enough to batch well, small enough to stream.
STREAM_CHUNK_SENTENCES = 2048


def default_model_path() -> Path:
    """The shipped model: inside the installed wheel, or ``models/`` of a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "models" / MODEL_DIR_NAME, package.parent / "models" / MODEL_DIR_NAME):
        if candidate.is_dir():
            return candidate
    return package.parent / "models" / MODEL_DIR_NAME


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    text: str
    start: int
    end: int
    score: float
    is_spoiler: bool


@dataclass(frozen=True, slots=True)
class Annotation:
    """A review's sentences with their scores; offsets index the original text."""

    sentences: list[ScoredSentence] = field(default_factory=list)
    threshold: float = 0.5

    @property
    def spoilers(self) -> list[ScoredSentence]:
        return [s for s in self.sentences if s.is_spoiler]


def annotate_with(text: str, scorer: Scorer, threshold: float, spans: Sequence[Span] | None = None,
                  context: bool = False) -> Annotation:
    """Split ``text`` (unless spans are given), score each sentence, and mark the spoilers.

    With ``context`` the scorer also gets each sentence's neighbours in its paragraph.
    """
    spans = split_sentences(text) if spans is None else spans
    texts = [text[s.start : s.end] for s in spans]
    if not texts:
        scores: list[float] = []
    elif context:
        scores = scorer(texts, neighbour_context(texts, [s.block for s in spans]))  # type: ignore[call-arg]
    else:
        scores = scorer(texts)
    return Annotation(
        [
            ScoredSentence(t, s.start, s.end, score, score >= threshold)
            for t, s, score in zip(texts, spans, scores, strict=True)
        ],
        threshold,
    )


def annotate_stream(texts: Iterable[tuple[object, str]], scorer: Scorer, threshold: float,
                    chunk_sentences: int = STREAM_CHUNK_SENTENCES,
                    context: bool = False) -> Iterator[tuple[object, str, Annotation]]:
    """Annotate many reviews in order, scoring their sentences together in bounded chunks.

    Takes and yields ``(key, text)`` pairs (plus the annotation), so that batches span reviews
    and memory stays flat however many reviews stream through.
    """
    pending: list[tuple[object, str, list[Span]]] = []
    count = 0

    def flush() -> Iterator[tuple[object, str, Annotation]]:
        sentences = [text[s.start : s.end] for _, text, spans in pending for s in spans]
        if not sentences:
            scores: Iterator[float] = iter([])
        elif context:
            groups = [(n, s.block) for n, (_, _, spans) in enumerate(pending) for s in spans]
            scores = iter(scorer(sentences, neighbour_context(sentences, groups)))  # type: ignore[call-arg]
        else:
            scores = iter(scorer(sentences))
        for key, text, spans in pending:
            chunk = [next(scores) for _ in spans]
            yield key, text, annotate_with(text, lambda _, chunk=chunk: chunk, threshold, spans)
        pending.clear()

    for key, text in texts:
        spans = split_sentences(text)
        pending.append((key, text, spans))
        count += len(spans)
        if count >= chunk_sentences:
            yield from flush()
            count = 0
    yield from flush()


class Detector:
    """Scores sentences with a Hugging Face sequence classifier (label 1 = spoiler)."""

    def __init__(self, model: Any, tokenizer: Any, threshold: float, max_length: int = 128,
                 path: Path | None = None, context: bool = False) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.threshold = threshold
        self.max_length = max_length
        self.path = path
        self.context = context  # the model reads each sentence with its neighbours
        self.quantized = False

    @classmethod
    def load(cls, path: str | Path | None = None, *, quantize: bool | None = None) -> Detector:
        """Load a model directory written by ``spoilerscan train`` (default: the shipped one).

        ``quantize`` applies torch dynamic int8 quantisation to the linear layers (faster on CPU);
        by default it is on only where the model's recorded accuracy check allowed it.
        """
        directory = Path(path) if path is not None else default_model_path()
        if not directory.is_dir():
            raise ModelError(f"model directory not found: {directory}")
        missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
        if missing:
            raise ModelError(f"model directory {directory} is incomplete: missing {', '.join(missing)}")
        try:
            metadata = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
            threshold = float(metadata["threshold"])
            max_length = int(metadata.get("max_length", 128))
            context = bool(metadata.get("context", False))
            if quantize is None:
                quantize = bool(metadata.get("int8_default", False))
        except (ValueError, KeyError, TypeError) as error:
            raise ModelError(f"model directory {directory}: bad {METADATA_FILE} ({error})") from None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            tokenizer = AutoTokenizer.from_pretrained(directory)
            model = AutoModelForSequenceClassification.from_pretrained(directory, dtype=torch.float32)
        except Exception as error:  # corrupt files surface as many exception types
            raise ModelError(f"model directory {directory} could not be loaded: {error}".splitlines()[0]) from None
        model.eval()
        if model.config.num_labels != 2:
            raise ModelError(f"model directory {directory}: expected a 2-label spoiler classifier, "
                             f"found {model.config.num_labels} labels")
        if quantize:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        detector = cls(model, tokenizer, threshold, max_length, directory, context)
        detector.quantized = quantize
        return detector

    def encode(self, sentences: list[str], contexts: list[str] | None = None) -> dict[str, Any]:
        """Token ids for the model: a sentence, or (for context models) a sentence-context pair."""
        if self.context:
            pair = contexts if contexts is not None else [""] * len(sentences)
            return self.tokenizer(sentences, pair, truncation=True, max_length=self.max_length)
        return self.tokenizer(sentences, truncation=True, max_length=self.max_length)

    def _forward(self, batch: list[str], contexts: list[str] | None) -> torch.Tensor:
        import torch

        encoded = self.tokenizer.pad(self.encode(batch, contexts), pad_to_multiple_of=PAD_MULTIPLE,
                                     return_tensors="pt")
        with torch.inference_mode():
            logits = self.model(**encoded).logits
        return torch.softmax(logits.float(), dim=-1)[:, 1]

    def score(self, sentences: list[str], contexts: list[str] | None = None,
              batch_size: int = DEFAULT_BATCH_SIZE, on_batch: Callable[[int], None] | None = None) -> list[float]:
        """Spoiler probability of each sentence, in input order.

        ``contexts`` (neighbouring sentences) are read only by context models. Sentences are
        batched in length order so that padding stays small; ``on_batch`` hears how many
        sentences each finished batch held (for progress bars).
        """
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        scores = [0.0] * len(sentences)
        for begin in range(0, len(order), batch_size):
            indices = order[begin : begin + batch_size]
            batch_contexts = [contexts[i] for i in indices] if contexts is not None else None
            probabilities = self._forward([sentences[i] for i in indices], batch_contexts).tolist()
            for index, probability in zip(indices, probabilities, strict=True):
                scores[index] = float(probability)
            if on_batch is not None:
                on_batch(len(indices))
        return scores

    def annotate(self, text: str, threshold: float | None = None) -> Annotation:
        """Split a review into sentences and score them against the threshold."""
        return annotate_with(text, self.score, self.threshold if threshold is None else threshold,
                             context=self.context)
