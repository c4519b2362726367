"""The spoiler detector: it reads a whole review and scores each of its sentences.

Each sentence is embedded once, on its own, by a fine-tuned sentence encoder; a small sequence
model (the review head) then reads the review's embeddings in order, with where each sentence
sits and what kind of block it is in (:mod:`spoilerscan.model.features`), and gives every sentence a
calibrated spoiler probability. A review's own score is its highest sentence probability.
Sentences close in meaning to a known spoiler of the work (``known_spoilers``) are flagged
whatever the model says. ``Detector.load()`` opens the model shipped in ``models/``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np

from spoilerscan.errors import ModelError
from spoilerscan.model.adapter import Adapter
from spoilerscan.model.engines import ENCODER_FILES, HEAD_FILE, TOKENIZER_FILE, OnnxModel
from spoilerscan.model.features import SentenceInput, structure_features
from spoilerscan.model.review_gate import ReviewGate
from spoilerscan.model.thresholds import sigmoid
from spoilerscan.reading.document import BlockKind, Format
from spoilerscan.reading.segment import Reading, Span, read

METADATA_FILE = "spoilerscan.json"
REQUIRED_FILES = (HEAD_FILE, TOKENIZER_FILE, METADATA_FILE)
MODEL_DIR_NAME = "spoiler-review"
PRECISIONS = ("auto", "fp32", "int8")
DEFAULT_BATCH_SIZE = 64
# Sentences tokenized in one call and sorted by token count before batching: the tokenizer runs
# in parallel over them, and batches of similar length carry little padding.
TOKENIZE_CHUNK = 4096
# Reviews scored together: enough sentences to batch well, few enough to stream.
STREAM_CHUNK_SENTENCES = 2048
# The review head reads a review of more sentences than HEAD_WINDOW in windows of that many, each with
# HEAD_CONTEXT sentences of the review on either side read along and then dropped, so that a very long
# review's memory is bounded by the window, not by the review (a 10 MB review has about 80,000 sentences;
# read whole, the head alone took about 350 MB). Structure features are of the whole review.
HEAD_WINDOW = 4096
HEAD_CONTEXT = 256
# Cosine similarity from which a sentence counts as saying a known spoiler (see the model card).
DEFAULT_KNOWN_SIMILARITY = 0.7


def default_model_path() -> Path:
    """The shipped model: inside the installed wheel, or ``models/`` of a source checkout."""
    package = Path(__file__).resolve().parent.parent  # spoilerscan/
    for candidate in (package / "models" / MODEL_DIR_NAME, package.parent / "models" / MODEL_DIR_NAME):
        if candidate.is_dir():
            return candidate
    return package.parent / "models" / MODEL_DIR_NAME


def check_model_directory(directory: Path) -> None:
    """Fail with a clear message unless ``directory`` holds every file a spoilerscan model needs."""
    if not directory.is_dir():
        raise ModelError(f"model directory not found: {directory}")
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if not any((directory / name).is_file() for name in ENCODER_FILES.values()):
        missing.append(" or ".join(ENCODER_FILES.values()))
    if missing:
        raise ModelError(f"model directory {directory} is incomplete: missing {', '.join(missing)}")


class SentenceScore(NamedTuple):
    """A sentence's spoiler probability, and the known spoiler it restates, if any."""

    probability: float
    known: str | None = None


class Scorer(Protocol):
    """Scores the sentences of whole reviews: what annotation and ``check`` need of a detector."""

    def __call__(self, reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]: ...


class BatchScorer(Scorer, Protocol):
    """A Scorer that tells how many sentences each of its batches scored (for a progress bar);
    :class:`Detector` is one."""

    def score_reviews(self, reviews: Sequence[Sequence[SentenceInput]],
                      on_batch: Callable[[int], None] | None = None) -> list[list[SentenceScore]]: ...


def sentence_scorer(score: Callable[[list[str]], Sequence[float]]) -> Scorer:
    """A Scorer from a function that scores sentences one by one (tests, simple custom models)."""

    def scorer(reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        flat = score([s.text for review in reviews for s in review])
        scores = iter(flat)
        return [[SentenceScore(float(next(scores))) for _ in review] for review in reviews]

    return scorer


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A scored sentence: ``text`` is the original ``[start, end)``; block and kind as in :class:`Span`.

    ``known`` is the known spoiler the sentence restates (it is then a spoiler whatever its score).
    """

    text: str
    start: int
    end: int
    score: float
    is_spoiler: bool
    block: int = 0
    kind: BlockKind = BlockKind.paragraph
    part: int = 0
    known: str | None = None


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

    @property
    def score(self) -> float:
        """The review's spoiler score: its most likely spoiler sentence's probability."""
        return max((s.score for s in self.sentences), default=0.0)


def model_inputs(reading: Reading, spans: Sequence[Span] | None = None) -> list[SentenceInput]:
    """What the model reads of a review: each sentence's unexempt text and its block's kind."""
    return [SentenceInput(reading.scored_text(s), s.kind) for s in (reading.sentences if spans is None else spans)]


def annotation_of(reading: Reading, scores: Iterable[SentenceScore], threshold: float,
                  spans: Sequence[Span] | None = None) -> Annotation:
    """The annotation of a review from its sentences' scores (in the order of ``spans``, default every
    sentence of the reading): a sentence is a spoiler from ``threshold``, or when it restates a known one."""
    text = reading.text
    spans = reading.sentences if spans is None else spans
    return Annotation(
        [
            ScoredSentence(text[s.start : s.end], s.start, s.end, score.probability,
                           score.probability >= threshold or score.known is not None, s.block, s.kind, s.part,
                           score.known)
            for s, score in zip(spans, scores, strict=True)
        ],
        threshold,
        reading,
    )


def annotate_with(text: str, scorer: Scorer, threshold: float, spans: Sequence[Span] | None = None,
                  fmt: Format | str = Format.text, reading: Reading | None = None) -> Annotation:
    """Read ``text`` in format ``fmt`` (unless a reading is given), score its sentences, mark spoilers.

    Spoiler markup, pragmas and allowed phrases are exempt (see :func:`spoilerscan.reading.segment.read`).
    """
    reading = reading if reading is not None else read(text, fmt)
    spans = reading.sentences if spans is None else spans
    scores = scorer([model_inputs(reading, spans)])[0] if spans else []
    return annotation_of(reading, scores, threshold, spans)


def annotate_stream(texts: Iterable[tuple[object, str | Reading]], scorer: Scorer, threshold: float,
                    chunk_sentences: int = STREAM_CHUNK_SENTENCES) -> Iterator[tuple[object, str, Annotation]]:
    """Annotate many reviews in order, scoring the sentences of several reviews together.

    Takes ``(key, text)`` pairs (plain text, read with :func:`spoilerscan.reading.segment.read`) or
    ``(key, reading)`` pairs, and yields ``(key, text, annotation)``. Reviews are scored in
    groups of about ``chunk_sentences`` sentences, so batches span reviews and memory stays flat
    however many reviews stream through.
    """
    pending: list[tuple[object, Reading]] = []
    count = 0

    def flush() -> Iterator[tuple[object, str, Annotation]]:
        scored = scorer([model_inputs(reading) for _, reading in pending])
        for (key, reading), scores in zip(pending, scored, strict=True):
            yield key, reading.text, annotation_of(reading, scores, threshold)
        pending.clear()

    for key, item in texts:
        reading = read(item) if isinstance(item, str) else item
        pending.append((key, reading))
        count += len(reading.sentences)
        if count >= chunk_sentences:
            yield from flush()
            count = 0
    if pending:
        yield from flush()


class EmbeddingCache:
    """The most recently used sentence embeddings, by text: a long-lived process (an editor's language
    server) re-scores a review after each edit, and most of its sentences have not changed. The encoder
    is nearly all of the cost of scoring, so a hit saves nearly all of it; the head still reads the
    whole review, so scores are the same as without the cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, text: str) -> np.ndarray | None:
        vector = self._vectors.get(text)
        if vector is None:
            self.misses += 1
            return None
        self._vectors.move_to_end(text)
        self.hits += 1
        return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        self._vectors[text] = vector
        self._vectors.move_to_end(text)
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)


@dataclass(frozen=True)
class KnownSpoilers:
    """Plain-language reveals of the work under review, embedded once by the detector's encoder."""

    texts: tuple[str, ...]
    embeddings: np.ndarray  # (len(texts), dim), unit length
    similarity: float  # cosine from which a sentence restates one of them

    def match(self, embeddings: np.ndarray) -> list[str | None]:
        """For each embedded sentence, the known spoiler it is closest to if close enough."""
        if not self.texts or not len(embeddings):
            return [None] * len(embeddings)
        cosine = embeddings @ self.embeddings.T
        best = cosine.argmax(axis=1)
        return [self.texts[b] if cosine[i, b] >= self.similarity else None for i, b in enumerate(best)]


class Detector:
    """Scores the sentences of reviews with the review model (probability that a sentence spoils).

    ``threshold`` is where a sentence counts as a spoiler (redact, highlight, scan, check's
    warnings); ``fail_threshold`` is the high-precision cut from which ``check`` fails a build.
    Both were chosen on dev data when the model was trained (see its card).
    """

    def __init__(self, model: OnnxModel, threshold: float, fail_threshold: float | None = None,
                 path: Path | None = None, known_similarity: float = DEFAULT_KNOWN_SIMILARITY,
                 adapter: Adapter | None = None, review_gate: ReviewGate | None = None,
                 cache: EmbeddingCache | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.model = model
        self.adapter = adapter  # a site's head over this model; its thresholds replace the model's
        self.threshold = threshold if adapter is None else adapter.threshold
        fail = threshold if fail_threshold is None else fail_threshold
        self.fail_threshold = fail if adapter is None else adapter.fail_threshold
        self.path = path
        # check's length-aware review decision; an adapter's scores are on its own scale, so not with one
        self.review_gate = review_gate if adapter is None else None
        self.known_similarity = known_similarity
        self.no_known = KnownSpoilers((), np.zeros((0, 0), np.float32), known_similarity)
        self.cache = cache  # long-lived callers keep embeddings between calls; see EmbeddingCache
        self.batch_size = batch_size  # sentences an encoder run takes, unless embed is told

    @property
    def precision(self) -> str:
        return self.model.precision

    @classmethod
    def load(cls, path: str | Path | None = None, *, precision: str = "auto", threads: int | None = None,
             adapter: str | Path | None = None, spinning: bool = False, cache: EmbeddingCache | None = None,
             batch_size: int = DEFAULT_BATCH_SIZE) -> Detector:
        """Load a model directory written by ``spoilerscan train`` (default: the shipped one).

        ``precision`` picks the encoder: ``fp32``, ``int8`` (faster; shipped only where its
        recorded precision rule passed) or ``auto``: the one the model's card made the default.
        ``threads``: ONNX Runtime's threads (default: the cores this process may use); ``spinning``:
        whether its idle threads spin (see :meth:`OnnxModel.load`).
        ``adapter``: a file ``spoilerscan adapt`` wrote for this model (refused on any other).
        ``cache``: embeddings kept between calls; ``batch_size``: sentences an encoder run takes.
        Front ends open one through :class:`spoilerscan.runtime.Runtime`, never directly.
        """
        directory = Path(path) if path is not None else default_model_path()
        if precision not in PRECISIONS:
            raise ModelError(f"unknown precision {precision!r}: choose from {', '.join(PRECISIONS)}")
        check_model_directory(directory)
        try:
            metadata = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
            threshold = float(metadata["threshold"])
            fail_threshold = float(metadata.get("fail_threshold", threshold))
            max_length = int(metadata.get("max_length", 128))
            similarity = float(metadata.get("known_similarity", DEFAULT_KNOWN_SIMILARITY))
            default = str(metadata.get("precision", "fp32"))
            gate = ReviewGate.from_metadata(metadata.get("review_gate"), threshold)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ModelError(f"model directory {directory}: bad {METADATA_FILE} ({error})") from None
        if precision == "auto":
            precision = default if (directory / ENCODER_FILES.get(default, "")).is_file() else \
                next(p for p, name in ENCODER_FILES.items() if (directory / name).is_file())
        fitted = Adapter.load(Path(adapter)) if adapter is not None else None
        model = OnnxModel.load(directory, precision, max_length, threads, spinning)
        if fitted is not None:
            fitted.check_fits(directory, model.embedding_size, adapter or "adapter")
        return cls(model, threshold, fail_threshold, directory, similarity, fitted, gate, cache, batch_size)

    def embed(self, sentences: Sequence[str], batch_size: int | None = None,
              on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit-length embeddings, in input order.

        Sentences are tokenized a chunk at a time and run as :meth:`OnnxModel.runs` cuts them (fp32 in
        batches of one padded width, so that batches carry little padding). A sentence
        that occurs several times is encoded once: reviews rarely repeat one, hostile input does
        (``"a\\n\\n"`` a hundred thousand times is one encoder run, not a hundred thousand). The int8
        encoder runs each sentence alone, whatever ``batch_size`` says: its dynamic quantisation scales a
        run's activations together, so in a batch a sentence's score would move with its companions.
        """
        distinct = list(dict.fromkeys(sentences))
        if len(distinct) < len(sentences):
            vectors = self.embed(distinct, batch_size, on_batch)
            where = {text: row for row, text in enumerate(distinct)}
            if on_batch is not None:
                on_batch(len(sentences) - len(distinct))
            return vectors[[where[text] for text in sentences]] if len(vectors) else vectors
        batch_size = batch_size or self.batch_size
        embeddings: np.ndarray | None = None
        for start in range(0, len(sentences), TOKENIZE_CHUNK):
            tokens = self.model.tokenize(sentences[start : start + TOKENIZE_CHUNK])
            for rows, batch in self.model.runs(tokens, batch_size):
                if embeddings is None:
                    embeddings = np.empty((len(sentences), batch.shape[1]), dtype=np.float32)
                embeddings[start + rows] = batch
                if on_batch is not None:
                    on_batch(len(rows))
        return embeddings if embeddings is not None else np.zeros((0, 0), dtype=np.float32)

    def embed_cached(self, sentences: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """:meth:`embed`, taking what it can from :attr:`cache` (and filling it) when there is one."""
        if self.cache is None or not sentences:
            return self.embed(sentences, on_batch=on_batch)
        found = [self.cache.get(text) for text in sentences]
        missing = list(dict.fromkeys(text for text, vector in zip(sentences, found, strict=True) if vector is None))
        fresh = dict(zip(missing, self.embed(missing, on_batch=on_batch), strict=True)) if missing else {}
        for text, vector in fresh.items():
            self.cache.put(text, vector)
        if on_batch is not None and len(sentences) > len(missing):
            on_batch(len(sentences) - len(missing))
        return np.stack([vector if vector is not None else fresh[text]
                         for text, vector in zip(sentences, found, strict=True)])

    def known_spoilers(self, reveals: Sequence[str]) -> KnownSpoilers:
        """These reveals, embedded, as the detector matches sentences against them."""
        texts = tuple(dict.fromkeys(r.strip() for r in reveals if r.strip()))
        return KnownSpoilers(texts, self.embed(texts), self.known_similarity)

    def score_reviews(self, reviews: Sequence[Sequence[SentenceInput]],
                      on_batch: Callable[[int], None] | None = None,
                      known: KnownSpoilers | None = None) -> list[list[SentenceScore]]:
        """Each review's sentence scores, in order, sentences that restate one of ``known`` flagged.
        Sentences of all reviews are embedded together."""
        embeddings = self.embed_cached([s.text for review in reviews for s in review], on_batch=on_batch)
        return self.score_embedded(reviews, embeddings, known)

    def score_embedded(self, reviews: Sequence[Sequence[SentenceInput]], embeddings: np.ndarray,
                       known: KnownSpoilers | None = None) -> list[list[SentenceScore]]:
        """Scores of reviews whose sentences are already embedded (``embeddings``: one row per sentence,
        reviews in order), matched against ``known`` (default: none)."""
        matched = (self.no_known if known is None else known).match(embeddings)
        results: list[list[SentenceScore]] = []
        begin = 0
        for review, logits in zip(reviews, self.head_logits(reviews, embeddings), strict=True):
            end = begin + len(review)
            if self.adapter is not None and len(review):
                logits = self.adapter.logits(embeddings[begin:end], logits)
            probabilities = sigmoid(logits)
            results.append([SentenceScore(float(p), k) for p, k in zip(probabilities, matched[begin:end], strict=True)])
            begin = end
        return results

    def head_logits(self, reviews: Sequence[Sequence[SentenceInput]], embeddings: np.ndarray) -> list[np.ndarray]:
        """The model's own calibrated logit of each sentence, per review, from the reviews' embeddings (no
        adapter): what an adapter is fitted on, beside the embeddings."""
        out: list[np.ndarray] = []
        begin = 0
        for review in reviews:
            end = begin + len(review)
            out.append(self._review_logits(embeddings[begin:end], structure_features(review))
                       if end > begin else np.zeros(0))
            begin = end
        return out

    def _review_logits(self, embeddings: np.ndarray, features: np.ndarray) -> np.ndarray:
        """One review's logits; a review longer than HEAD_WINDOW is read in windows with HEAD_CONTEXT sentences
        of context on each side (the bidirectional head's state carries little further than that)."""
        count = len(embeddings)
        if count <= HEAD_WINDOW:
            return self.model.logits(np.concatenate([embeddings, features], axis=1))
        parts = []
        for start in range(0, count, HEAD_WINDOW):
            stop = min(count, start + HEAD_WINDOW)
            low, high = max(0, start - HEAD_CONTEXT), min(count, stop + HEAD_CONTEXT)
            logits = self.model.logits(np.concatenate([embeddings[low:high], features[low:high]], axis=1))
            parts.append(logits[start - low : stop - low])
        return np.concatenate(parts)

    def __call__(self, reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        return self.score_reviews(reviews)

    def score(self, sentences: list[str]) -> list[float]:
        """Spoiler probability of each sentence read as a review of its own (one paragraph)."""
        return [scores[0].probability for scores in self.score_reviews([[SentenceInput(s)] for s in sentences])]

    def annotate(self, text: str, threshold: float | None = None, fmt: Format | str = Format.text) -> Annotation:
        """Read a review in format ``fmt`` (markdown, html, text), split it and score its sentences."""
        return annotate_with(text, self, self.threshold if threshold is None else threshold, fmt=fmt)
