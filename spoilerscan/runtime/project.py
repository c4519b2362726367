"""What a run judges reviews with, resolved once from its settings and its detector.

Thresholds, the markup that counts as marked, allowed phrases and the known spoilers (embedded
once): the same :class:`Project` for the commands, the service's requests and the editor's checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from spoilerscan.model.detect import KnownSpoilers
from spoilerscan.model.review_gate import ReviewGate
from spoilerscan.reading.document import Format
from spoilerscan.reading.markup import ALL_STYLES, HIDING_STYLES, Style
from spoilerscan.reading.segment import Reading, read
from spoilerscan.settings.resolve import Settings


class ProjectDetector(Protocol):
    """What resolving a project needs of a detector (:class:`~spoilerscan.model.detect.Detector` is one)."""

    threshold: float
    fail_threshold: float

    def known_spoilers(self, reveals: list[str]) -> KnownSpoilers: ...


@dataclass(frozen=True)
class Project:
    """Settings every request is read and judged with.

    ``threshold`` flags a sentence for annotate and redact (the option, else the model's, as the
    commands do); ``check_threshold`` reports a finding and ``fail_threshold`` fails a check (option,
    else config, else the model's, as ``check`` resolves them); ``styles`` is the markup ``check``
    counts as marked; ``known`` the project's known spoilers.
    """

    threshold: float
    check_threshold: float
    fail_threshold: float
    styles: tuple[Style, ...] = ALL_STYLES
    allowed_phrases: tuple[str, ...] = ()
    known: KnownSpoilers | None = None
    config: Path | None = None
    gate: ReviewGate | None = None  # check's length-aware fail cut, unless a fail threshold was set

    @classmethod
    def resolve(cls, detector: ProjectDetector, settings: Settings | None = None) -> Project:
        """Options over config over the model's own, as the commands resolve them."""
        settings = settings if settings is not None else Settings()
        reveals = list(settings.reveals)
        report_at, fail_at = settings.thresholds(detector.threshold, detector.fail_threshold)
        return cls(detector.threshold if settings.threshold is None else settings.threshold, report_at, fail_at,
                   settings.check_styles, settings.allowed_phrases,
                   detector.known_spoilers(reveals) if reveals else None, settings.source,
                   settings.gate(getattr(detector, "review_gate", None)))

    def read_for_redaction(self, text: str, fmt: Format | str) -> Reading:
        """``text`` as ``redact``, ``highlight`` and ``scan`` read it: every hiding markup is exempt."""
        return read(text, fmt, HIDING_STYLES, self.allowed_phrases)

    def read_for_check(self, text: str, fmt: Format | str) -> Reading:
        """``text`` as ``check`` reads it: the project's styles are exempt."""
        return read(text, fmt, self.styles, self.allowed_phrases)
