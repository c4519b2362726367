"""Sentence embeddings by a shipped model's own ONNX encoder, computed once and kept on disk.

Why: retraining only the review head keeps the encoder a model ships exactly as it is (its int8
file stays valid and a new version is a head of half a megabyte), and the head trains in seconds
once every sentence is embedded. The embeddings come from the same code that scores at run time
(:class:`spoilerscan.model.detect.Detector`), so the head learns on what it will read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from spoilerscan.model.detect import Detector, SentenceScore
from spoilerscan.model.features import SentenceInput


def encoder_digest(directory: Path, precision: str = "fp32") -> str:
    """A short hash of a model directory's encoder file: a cache is only reused for the same encoder."""
    from spoilerscan.model.engines import ENCODER_FILES

    digest = hashlib.blake2b(digest_size=8)
    with (directory / ENCODER_FILES[precision]).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class EmbeddingStore:
    """text -> embedding by one model directory's encoder, filled on demand, saved as one .npz file."""

    def __init__(self, model: Path, cache: Path | None = None, precision: str = "fp32") -> None:
        self.model, self.precision = model, precision
        name = f"embeddings-{precision}-{encoder_digest(model, precision)}.npz"
        self.path = cache / name if cache is not None else None
        self.vectors: dict[str, np.ndarray] = {}
        if self.path is not None and self.path.is_file():
            with np.load(self.path, allow_pickle=False) as saved:
                self.vectors = dict(zip(_unpack(saved["texts"], saved["ends"]), saved["vectors"], strict=True))
        self._detector: Detector | None = None

    def __len__(self) -> int:
        return len(self.vectors)

    def ensure(self, texts: Sequence[str]) -> int:
        """Embed the texts not yet stored (saving the store when any were new); how many were new."""
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        if not missing:
            return 0
        if self._detector is None:
            self._detector = open_detector(self.model, self.precision)
        self.vectors.update(zip(missing, self._detector.embed(missing), strict=True))
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            texts_now = list(self.vectors)
            temporary = self.path.with_suffix(".tmp.npz")
            packed, ends = _pack(texts_now)
            np.savez(temporary, texts=packed, ends=ends, vectors=np.stack([self.vectors[t] for t in texts_now]))
            temporary.replace(self.path)
        return len(missing)

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows, in order (embedding whatever is missing first)."""
        self.ensure(texts)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self.vectors[t] for t in texts]).astype(np.float32, copy=False)


def _pack(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Texts as one UTF-8 byte array and each one's end offset (a fixed-width string array would pad every
    text to the longest)."""
    encoded = [t.encode() for t in texts]
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), np.cumsum([len(e) for e in encoded], dtype=np.int64)


def _unpack(packed: np.ndarray, ends: np.ndarray) -> list[str]:
    data = packed.tobytes()
    starts = [0, *ends[:-1].tolist()]
    return [data[start:end].decode() for start, end in zip(starts, ends.tolist(), strict=True)]


class StoredScorer:
    """A Detector whose sentence embeddings come from an :class:`EmbeddingStore` (filled on demand): scores
    are the detector's own, while each sentence is embedded once across evaluations of heads over one encoder."""

    def __init__(self, detector: Detector, store: EmbeddingStore) -> None:
        self.detector, self.store = detector, store

    def __getattr__(self, name: str) -> Any:  # threshold, fail_threshold, review_gate, precision, path
        return getattr(self.detector, name)

    def __call__(self, reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        texts = [s.text for review in reviews for s in review]
        return self.detector.score_embedded(reviews, self.store.matrix(texts))


_STORES: dict[tuple[Path, str], EmbeddingStore] = {}


def stored_scorer(detector: Detector, cache: Path) -> StoredScorer:
    """``detector`` reading embeddings from the store in ``cache`` for its encoder (one store per encoder file)."""
    assert detector.path is not None
    digest = encoder_digest(detector.path, detector.precision)
    key = (cache.resolve(), f"{digest}-{detector.precision}")
    if key not in _STORES:
        _STORES[key] = EmbeddingStore(detector.path, cache, detector.precision)
    return StoredScorer(detector, _STORES[key])


def open_detector(model: Path, precision: str = "fp32") -> Detector:
    """A model directory's detector as it runs, with no project's settings (through the runtime, as every
    front end opens one)."""
    from spoilerscan.runtime import Runtime
    from spoilerscan.settings import resolve

    detector: Detector = Runtime.open(resolve(find=False, model=model, precision=precision)).detector
    return detector
