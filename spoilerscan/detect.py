"""The spoiler detector: a fine-tuned sequence classifier that scores sentences.

``Detector.load()`` opens the model shipped in ``models/``; ``score`` gives spoiler
probabilities for sentences and ``annotate`` splits and scores a whole review.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from spoilerscan.engines import ENGINE_NAMES, Engine, TorchEngine, load_onnx_engine
from spoilerscan.errors import ModelError
from spoilerscan.segment import Reading, Span, neighbour_context, read
from spoilerscan.text import BlockKind, Format

METADATA_FILE = "spoilerscan.json"
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", METADATA_FILE)
MODEL_DIR_NAME = "spoiler-minilm"
DEFAULT_BATCH_SIZE = 32

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


def check_model_directory(directory: Path) -> None:
    """Fail with a clear message unless ``directory`` holds every file a spoilerscan model needs."""
    if not directory.is_dir():
        raise ModelError(f"model directory not found: {directory}")
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        raise ModelError(f"model directory {directory} is incomplete: missing {', '.join(missing)}")


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A scored sentence: ``text`` is the original ``[start, end)``; block and kind as in :class:`Span`."""

    text: str
    start: int
    end: int
    score: float
    is_spoiler: bool
    block: int = 0
    kind: BlockKind = BlockKind.paragraph
    part: int = 0


@dataclass(frozen=True, slots=True)
class Annotation:
    """A review's sentences with their scores; offsets index the original text.

    ``reading`` is how the review was read (its document and what was exempt), for renderers.
    """

    sentences: list[ScoredSentence] = field(default_factory=list)
    threshold: float = 0.5
    reading: Reading | None = field(default=None, compare=False, repr=False)

    @property
    def spoilers(self) -> list[ScoredSentence]:
        return [s for s in self.sentences if s.is_spoiler]


def annotate_with(text: str, scorer: Scorer, threshold: float, spans: Sequence[Span] | None = None,
                  context: bool = False, fmt: Format | str = Format.text, reading: Reading | None = None) -> Annotation:
    """Read ``text`` in format ``fmt`` (unless a reading or spans are given), score each sentence, mark spoilers.

    Spoiler markup, warning sections, pragmas and allowed phrases are exempt (see
    :func:`spoilerscan.segment.read`). With ``context`` the scorer also gets each sentence's
    neighbours in its paragraph.
    """
    reading = reading if reading is not None else read(text, fmt)
    spans = reading.sentences if spans is None else spans
    texts = [reading.scored_text(s) for s in spans]
    if not texts:
        scores: list[float] = []
    elif context:
        scores = scorer(texts, neighbour_context(texts, [s.block for s in spans]))  # type: ignore[call-arg]
    else:
        scores = scorer(texts)
    return _annotation(reading, spans, scores, threshold)


def _annotation(reading: Reading, spans: Sequence[Span], scores: Iterable[float], threshold: float) -> Annotation:
    text = reading.text
    return Annotation(
        [
            ScoredSentence(text[s.start : s.end], s.start, s.end, score, score >= threshold, s.block, s.kind, s.part)
            for s, score in zip(spans, scores, strict=True)
        ],
        threshold,
        reading,
    )


def annotate_stream(texts: Iterable[tuple[object, str | Reading]], scorer: Scorer, threshold: float,
                    chunk_sentences: int = STREAM_CHUNK_SENTENCES,
                    context: bool = False) -> Iterator[tuple[object, str, Annotation]]:
    """Annotate many reviews in order, scoring their sentences together in bounded chunks.

    Takes ``(key, text)`` pairs (plain text, read with :func:`spoilerscan.segment.read`) or
    ``(key, reading)`` pairs, and yields ``(key, text, annotation)``, so that batches span
    reviews and memory stays flat however many reviews stream through.
    """
    pending: list[tuple[object, Reading]] = []
    count = 0

    def flush() -> Iterator[tuple[object, str, Annotation]]:
        sentences = [reading.scored_text(s) for _, reading in pending for s in reading.sentences]
        if not sentences:
            scores: Iterator[float] = iter([])
        elif context:
            groups = [(n, s.block) for n, (_, reading) in enumerate(pending) for s in reading.sentences]
            scores = iter(scorer(sentences, neighbour_context(sentences, groups)))  # type: ignore[call-arg]
        else:
            scores = iter(scorer(sentences))
        for key, reading in pending:
            chunk = [next(scores) for _ in reading.sentences]
            yield key, reading.text, _annotation(reading, reading.sentences, chunk, threshold)
        pending.clear()

    for key, item in texts:
        reading = read(item) if isinstance(item, str) else item
        pending.append((key, reading))
        count += len(reading.sentences)
        if count >= chunk_sentences:
            yield from flush()
            count = 0
    yield from flush()


def _open_engine(directory: Path, max_length: int, quantize: bool, engine: str, onnx_allowed: bool,
                 on_export: Callable[[], None] | None) -> tuple[Engine, str | None]:
    """The engine that runs the model, and why auto settled for torch if it did."""
    if quantize and engine == "onnx":
        raise ModelError("int8 runs on the torch engine; use fp32 with the onnx engine")
    fallback = None
    if not quantize and (engine == "onnx" or (engine == "auto" and onnx_allowed)):
        try:
            return load_onnx_engine(directory, max_length, on_export), None
        except (ImportError, ModelError) as error:
            reason = str(error).splitlines()[0]
            if engine == "onnx":
                raise ModelError(reason) from None
            fallback = f"running on torch, not ONNX Runtime: {reason}"
    return TorchEngine.load(directory, max_length, quantize), fallback


class Detector:
    """Scores sentences with a fine-tuned sequence classifier (label 1 = spoiler)."""

    def __init__(self, engine: Engine, threshold: float, path: Path | None = None, context: bool = False,
                 max_length: int = 128) -> None:
        self.engine = engine
        self.threshold = threshold
        self.max_length = max_length
        self.path = path
        self.context = context  # the model reads each sentence with its neighbours
        self.fallback: str | None = None  # why auto did not get the fast engine, if it did not

    @property
    def quantized(self) -> bool:
        return self.engine.precision == "int8"

    @classmethod
    def load(cls, path: str | Path | None = None, *, quantize: bool | None = None, engine: str = "auto",
             on_export: Callable[[], None] | None = None) -> Detector:
        """Load a model directory written by ``spoilerscan train`` (default: the shipped one).

        ``quantize`` applies torch dynamic int8 quantisation to the linear layers (faster on CPU);
        by default it is on only where the model's recorded accuracy check allowed it. ``engine``
        picks what runs fp32: ``onnx`` (ONNX Runtime, fast to start; exported and cached on first
        use, when ``on_export`` is called), ``torch``, or ``auto``: onnx where it can (and where the
        model's recorded accuracy check did not rule it out), else torch.
        """
        directory = Path(path) if path is not None else default_model_path()
        if engine not in ENGINE_NAMES:
            raise ModelError(f"unknown engine {engine!r}: choose from {', '.join(ENGINE_NAMES)}")
        check_model_directory(directory)
        try:
            metadata = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
            threshold = float(metadata["threshold"])
            max_length = int(metadata.get("max_length", 128))
            context = bool(metadata.get("context", False))
            if quantize is None:
                quantize = bool(metadata.get("int8_default", False))
            # ONNX Runtime runs the same fp32 arithmetic; only a failed recorded check turns it off.
            onnx_allowed = metadata.get("onnx_default", True) is not False
        except (ValueError, KeyError, TypeError) as error:
            raise ModelError(f"model directory {directory}: bad {METADATA_FILE} ({error})") from None
        try:
            config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
            labels = len(config.get("id2label", {"0": "", "1": ""}))
        except (ValueError, TypeError, AttributeError) as error:
            raise ModelError(f"model directory {directory} could not be loaded: bad config.json ({error})") from None
        if labels != 2:
            raise ModelError(f"model directory {directory}: expected a 2-label spoiler classifier, "
                             f"found {labels} labels")
        runner, fallback = _open_engine(directory, max_length, bool(quantize), engine, onnx_allowed, on_export)
        detector = cls(runner, threshold, directory, context, max_length)
        detector.fallback = fallback
        return detector

    def score(self, sentences: list[str], contexts: list[str] | None = None,
              batch_size: int = DEFAULT_BATCH_SIZE, on_batch: Callable[[int], None] | None = None) -> list[float]:
        """Spoiler probability of each sentence, in input order.

        ``contexts`` (neighbouring sentences) are read only by context models. Sentences are
        batched in length order so that padding stays small; ``on_batch`` hears how many
        sentences each finished batch held (for progress bars).
        """
        if self.context and contexts is None:
            contexts = [""] * len(sentences)
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        scores = [0.0] * len(sentences)
        for begin in range(0, len(order), batch_size):
            indices = order[begin : begin + batch_size]
            pairs = [contexts[i] for i in indices] if self.context and contexts is not None else None
            probabilities = self.engine.probabilities(self.engine.encode([sentences[i] for i in indices], pairs))
            for index, probability in zip(indices, probabilities, strict=True):
                scores[index] = float(probability)
            if on_batch is not None:
                on_batch(len(indices))
        return scores

    def annotate(self, text: str, threshold: float | None = None, fmt: Format | str = Format.text) -> Annotation:
        """Read a review in format ``fmt`` (markdown, html, text), split it and score its sentences."""
        return annotate_with(text, self.score, self.threshold if threshold is None else threshold,
                             context=self.context, fmt=fmt)
