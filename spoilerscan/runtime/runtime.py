"""The runtime every front end opens from its settings: the detector, and what reviews are judged with.

:func:`load_detector` is the one place a :class:`~spoilerscan.model.detect.Detector` is built for
a front end (the model, its precision, the adapter, the threads, the encoder batch and the
embedding cache, all from :class:`~spoilerscan.settings.Settings`); :class:`Runtime` holds it with
the :class:`~spoilerscan.runtime.project.Project` (thresholds, review gate, styles, allowed
phrases and the known spoilers, embedded once). A runtime is immutable once open: the detector is
never changed after loading and the known spoilers travel with each scoring call, so one runtime
can serve many threads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spoilerscan.model.detect import EmbeddingCache, KnownSpoilers, SentenceScore
from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.document import Format
from spoilerscan.reading.inputs import Selection
from spoilerscan.reading.segment import Reading
from spoilerscan.runtime.project import Project
from spoilerscan.settings.resolve import Settings

if TYPE_CHECKING:
    from spoilerscan.model.detect import Detector

DetectorLoader = Callable[[Settings], Any]


def load_detector(settings: Settings) -> Detector:
    """The detector ``settings`` name (ONNX Runtime; torch is not needed)."""
    from spoilerscan.model.detect import Detector

    cache = EmbeddingCache(settings.cache_sentences) if settings.cache_sentences else None
    return Detector.load(settings.model, precision=settings.precision, threads=settings.threads,
                         adapter=settings.adapter, spinning=settings.spinning, cache=cache,
                         batch_size=settings.encoder_batch)


@dataclass(frozen=True, slots=True)
class KnownScorer:
    """A detector that matches sentences against the runtime's known spoilers: a BatchScorer."""

    detector: Any
    known: KnownSpoilers | None

    def __call__(self, reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        return self.score_reviews(reviews)

    def score_reviews(self, reviews: Sequence[Sequence[SentenceInput]],
                      on_batch: Callable[[int], None] | None = None) -> list[list[SentenceScore]]:
        result: list[list[SentenceScore]] = self.detector.score_reviews(reviews, on_batch=on_batch, known=self.known)
        return result


@dataclass(frozen=True, slots=True, eq=False)
class Runtime:
    """An open detector and the project its reviews are judged by, from one :class:`Settings`."""

    settings: Settings
    detector: Any  # a Detector (tests give stand-ins)
    project: Project

    @classmethod
    def open(cls, settings: Settings | None = None, load: DetectorLoader | None = None) -> Runtime:
        """Load the detector ``settings`` name and resolve the project (the known spoilers are embedded
        now). ``load`` builds the detector (default: :func:`load_detector`; tests pass stand-ins)."""
        settings = settings if settings is not None else Settings()
        detector = (load or load_detector)(settings)
        return cls(settings, detector, Project.resolve(detector, settings))

    def rejudged(self, settings: Settings) -> Runtime:
        """A runtime with the same detector judging by other settings (another project's config, an
        editor's new thresholds); the detector must be the one those settings name."""
        if settings.scores_with() != self.settings.scores_with():
            raise ValueError("these settings name another model or adapter: open a new runtime")
        return Runtime(settings, self.detector, Project.resolve(self.detector, settings))

    @property
    def threshold(self) -> float:
        """Where redact, highlight and scan flag a sentence (the option, else the model's)."""
        return self.project.threshold

    @property
    def scorer(self) -> KnownScorer:
        """The detector scoring whole reviews, flagging sentences that restate a known spoiler."""
        return KnownScorer(self.detector, self.project.known)

    @property
    def selection(self) -> Selection:
        return self.settings.selection

    def read_for_redaction(self, text: str, fmt: Format | str) -> Reading:
        return self.project.read_for_redaction(text, fmt)

    def read_for_check(self, text: str, fmt: Format | str) -> Reading:
        return self.project.read_for_check(text, fmt)
