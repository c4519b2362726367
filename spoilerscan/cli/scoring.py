"""The path every scoring command shares: load the detector, read the reviews, score them in
shared batches with a progress bar, honouring the project's ``[tool.spoilerscan]``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spoilerscan.cli import output
from spoilerscan.cli.options import Precision
from spoilerscan.cli.progress import ReviewProgress
from spoilerscan.reading.inputs import DEFAULT_MAX_INPUT_SIZE, REVIEW_SUFFIXES, STDIN, STDIN_NAME, Review
from spoilerscan.reading.inputs import iter_reviews as read_reviews
from spoilerscan.reading.text import Format

if TYPE_CHECKING:
    from spoilerscan.model.detect import Annotation, Detector
    from spoilerscan.reading.segment import Reading


def load_detector(model: Path | None, precision: Precision = Precision.auto, adapter: Path | None = None,
                  from_config: bool = True) -> Detector:
    """The detector for a command (ONNX Runtime; torch is not needed), with the ``--adapter`` given, else
    (``from_config``) the adapter of the nearest ``[tool.spoilerscan]``."""
    from spoilerscan.check.config import find_config, load_config
    from spoilerscan.model.detect import Detector

    if adapter is None and from_config:
        adapter = load_config(find_config()).adapter
    return Detector.load(model, precision=precision.value, adapter=adapter)


def max_input_size(option: int | None) -> int:
    """``--max-input-size``, else the nearest ``[tool.spoilerscan]``'s, else the default."""
    from spoilerscan.check.config import find_config, load_config, resolve_max_input_size

    return resolve_max_input_size(option, load_config(find_config()))


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


def annotated(detector: Detector, reviews: Iterator[Review], threshold: float | None, quiet: bool,
              progress: ReviewProgress, input_format: Format = Format.auto, known_spoilers: Path | None = None,
              max_size: int = DEFAULT_MAX_INPUT_SIZE) -> Iterator[tuple[Review, Annotation]]:
    """Read each review in its format and score them in shared batches, with a progress bar.

    Marked spoilers and pragmas are exempt, and so are the project's allowed phrases; the
    project's known spoilers (``allowed-phrases`` and ``known-spoilers`` of the nearest
    ``[tool.spoilerscan]``) and those of ``--spoilers`` are flagged, as in ``check``. A review
    that does not look like English gets a notice.
    """
    from spoilerscan.check.config import find_config, load_config
    from spoilerscan.model.detect import annotate_stream
    from spoilerscan.reading.inputs import read_known_spoilers
    from spoilerscan.reading.language import english_notices
    from spoilerscan.reading.markup import HIDING_STYLES
    from spoilerscan.reading.segment import read

    settings = load_config(find_config())
    reveals = [*settings.known_spoilers, *read_known_spoilers(known_spoilers, max_size)]
    if reveals:
        detector.set_known_spoilers(reveals)
    cut = detector.threshold if threshold is None else threshold
    checked = english_notices(reviews, lambda message: None if quiet else output.note(message),
                              lambda r: STDIN_NAME if r.name == STDIN else r.name)
    readings: Iterator[tuple[object, str | Reading]] = (
        (r, read(r.text, r.format(input_format), HIDING_STYLES, settings.allowed_phrases)) for r in checked)
    for review, _, annotation in annotate_stream(readings, progress.scorer(detector), cut):
        assert isinstance(review, Review)
        yield review, annotation
