"""The path every scoring command shares: open the runtime, read the reviews, score them in shared
batches with a progress bar (:mod:`spoilerscan.api` does the scoring)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spoilerscan.cli import output
from spoilerscan.cli.options import Precision
from spoilerscan.cli.progress import ReviewProgress
from spoilerscan.reading.document import Format
from spoilerscan.reading.inputs import DEFAULT_MAX_INPUT_SIZE, REVIEW_SUFFIXES, STDIN, STDIN_NAME, Review
from spoilerscan.reading.inputs import iter_reviews as read_reviews

if TYPE_CHECKING:
    from spoilerscan.model.detect import Annotation
    from spoilerscan.runtime import Runtime
    from spoilerscan.settings import Settings


def open_runtime(settings: Settings) -> Runtime:
    """The runtime a command scores with (ONNX Runtime; torch is not needed)."""
    from spoilerscan.runtime import Runtime

    return Runtime.open(settings)


def scoring_options(model: Path | None, adapter: Path | None, precision: Precision, threshold: float | None,
                    known_spoilers: Path | None, max_input_size: int | None = None) -> dict[str, Any]:
    """The scoring options every scoring command takes, as :func:`spoilerscan.settings.resolve` takes them."""
    return {"model": model, "adapter": adapter, "precision": precision.value, "threshold": threshold,
            "known_spoilers_file": known_spoilers, "max_input_size": max_input_size}


def no_reviews_in(names: Sequence[str]) -> str:
    return f"no review files in {', '.join(names)} (files ending in {', '.join(REVIEW_SUFFIXES)} are read)"


def iter_reviews(names: list[str], failures: list[str], progress: ReviewProgress | None = None,
                 max_size: int = DEFAULT_MAX_INPUT_SIZE) -> Iterator[Review]:
    """Readable reviews in order; unreadable ones are reported, counted (as done, on the progress bar),
    and skipped."""

    def failed(name: str, message: str) -> None:
        failures.append(name)
        output.error(message)
        if progress is not None:
            progress.skip()

    return read_reviews(names, failed, max_size)


def annotated(runtime: Runtime, reviews: Iterator[Review], quiet: bool, progress: ReviewProgress,
              input_format: Format = Format.auto) -> Iterator[tuple[Review, Annotation]]:
    """:func:`spoilerscan.api.annotate_reviews` with a progress bar, and a notice for each review that does
    not look like English."""
    from spoilerscan.api import annotate_reviews

    return annotate_reviews(runtime, reviews, input_format, lambda scorer, total: progress.scorer(scorer),
                            lambda message: None if quiet else output.note(message),
                            lambda r: STDIN_NAME if r.name == STDIN else r.name)
