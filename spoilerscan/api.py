"""The Python API: what the commands do, as plain functions over one :class:`~spoilerscan.runtime.Runtime`.

Open a runtime once (:func:`open_runtime`: the nearest ``[tool.spoilerscan]`` with your options
over it, as the commands resolve them) and pass it to each call; a call given
:class:`~spoilerscan.settings.Settings` or nothing opens one for itself (loading the model each
time). The commands are thin layers over these functions, so a result here is the command's::

    import spoilerscan

    runtime = spoilerscan.open_runtime(threshold=0.5)
    safe = spoilerscan.redact("He dies at the end.", runtime, style="reddit")
    report = spoilerscan.check(text="He dies at the end.", runtime=runtime)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spoilerscan.check.gate import CheckOptions, Report, check_text, run_check
from spoilerscan.model.detect import BatchScorer, Scorer, annotate_stream
from spoilerscan.reading.document import Format
from spoilerscan.reading.inputs import STDIN_FILENAME, Review
from spoilerscan.reading.language import english_notices
from spoilerscan.reading.markup import RedactStyle
from spoilerscan.runtime import Runtime
from spoilerscan.settings import Settings, resolve

if TYPE_CHECKING:
    from spoilerscan.adapt.fit import AdaptReport, Units
    from spoilerscan.model.detect import Annotation

RuntimeLike = Runtime | Settings | None
ScoringWrapper = Callable[[BatchScorer, int | None], Scorer]


def open_runtime(config: Path | None = None, *, start: Path | None = None, **options: Any) -> Runtime:
    """Resolve the settings (``config``, else the nearest pyproject.toml with ``[tool.spoilerscan]`` upward
    from ``start``; ``options`` over it: ``model``, ``adapter``, ``precision``, ``threshold``,
    ``fail_threshold``, ``styles``, ``known_spoilers``, ``known_spoilers_file``, …) and open a runtime."""
    return Runtime.open(resolve(config, start=start, **options))


def runtime_of(runtime: RuntimeLike) -> Runtime:
    """``runtime`` as it is, or opened from these settings (None: the nearest config's)."""
    if isinstance(runtime, Runtime):
        return runtime
    return Runtime.open(runtime if runtime is not None else resolve())


def _plain(scorer: BatchScorer, reviews: int | None) -> Scorer:
    return scorer


def annotate_reviews(runtime: Runtime, reviews: Iterable[Review], input_format: Format | str = Format.auto,
                     scoring: ScoringWrapper = _plain, on_note: Callable[[str], None] = lambda message: None,
                     label: Callable[[Review], str] = lambda review: review.name
                     ) -> Iterator[tuple[Review, Annotation]]:
    """Read each review in its format and score them in shared batches: what redact, highlight and scan do.

    Marked spoilers, pragmas and the project's allowed phrases are exempt; the known spoilers are
    flagged. ``scoring`` may wrap the scorer (a progress bar); ``on_note`` hears a review that does
    not look like English (named by ``label``).
    """
    checked = english_notices(iter(reviews), on_note, label)
    readings = ((r, runtime.read_for_redaction(r.text, r.format(input_format))) for r in checked)
    for review, _, annotation in annotate_stream(readings, scoring(runtime.scorer, None), runtime.threshold):
        assert isinstance(review, Review)
        yield review, annotation


def annotate(text: str, runtime: RuntimeLike = None, *, input_format: Format | str = Format.text,
             name: str = "review") -> Annotation:
    """``text`` split into sentences and scored, spoilers marked at the runtime's threshold."""
    [(_, annotation)] = annotate_reviews(runtime_of(runtime), [Review(name, text)], input_format)
    return annotation


def redact(text: str, runtime: RuntimeLike = None, *, style: RedactStyle | str = RedactStyle.block,
           input_format: Format | str = Format.text) -> str:
    """``text`` with its spoiler sentences hidden in ``style``; every other byte comes back (``redact``)."""
    from spoilerscan.render import redact as redact_text

    return redact_text(text, annotate(text, runtime, input_format=input_format), RedactStyle(style))


def highlight(text: str, runtime: RuntimeLike = None, *, format: str = "markdown",
              input_format: Format | str = Format.text, title: str = "review") -> str:
    """``text`` with its spoiler sentences marked (``highlight``): ``markdown`` (<mark> tags), ``html`` (a
    standalone page titled ``title``) or ``plain`` (the text with each spoiler's score after it, as on a
    pipe)."""
    from spoilerscan import render

    annotation = annotate(text, runtime, input_format=input_format)
    if format == "html":
        return render.highlight_html(text, annotation, title=title)
    if format == "markdown":
        return render.highlight_markdown(text, annotation)
    if format == "plain":
        return render.highlight_plain(text, annotation)
    raise ValueError(f"unknown highlight format {format!r}: choose from markdown, html, plain")


def scan(text: str, runtime: RuntimeLike = None, *, name: str = "review",
         input_format: Format | str = Format.text) -> dict[str, Any]:
    """Every sentence of ``text`` with offsets, score and verdict, plus a summary: one review of ``scan``'s
    JSON (``{"reviews": [...]}``)."""
    from spoilerscan import render

    return render.findings(name, annotate(text, runtime, input_format=input_format, name=name))


def check(paths: Sequence[str | Path] = (), runtime: RuntimeLike = None, *, text: str | None = None,
          stdin_filename: str = STDIN_FILENAME, recursive: bool = False, input_format: Format | str = Format.auto,
          on_error: Callable[[str], None] = lambda message: None,
          scoring: Callable[[BatchScorer, int], Scorer] = lambda scorer, inputs: scorer,
          on_note: Callable[[str], None] = lambda message: None) -> Report:
    """``check`` of files (``paths``: files, folders with ``recursive``, globs, ``-`` for stdin; the
    project's include and exclude apply) or of one ``text`` (reported as ``stdin_filename``, whose
    suffix picks its format under ``auto``): the findings, and whether the build fails
    (``report.failing``).

    Unreadable inputs are listed in ``report.unreadable`` and told to ``on_error``; ``scoring`` may
    wrap the scorer (a progress bar); ``on_note`` hears a review that does not look like English.
    """
    opened = runtime_of(runtime)
    options = CheckOptions([str(p) for p in paths], recursive, stdin_filename, Format(input_format))
    if text is None:
        return run_check(opened, options, on_error, scoring, on_note)
    return check_text(opened, text, options)


@dataclass(frozen=True)
class AdaptResult:
    """What :func:`adapt` fitted: the held-out report, and the file written (None: refused)."""

    report: AdaptReport
    written: Path | None
    reviews: int


def adapt(data: Sequence[str], out: Path, runtime: RuntimeLike = None, *, unmarked_are_clean: bool = False,
          force: bool = False, folds: int = 5, on_skipped: Callable[[str], None] = lambda name: None,
          progress: Callable[[list[Any]], AbstractContextManager[Callable[[int], None] | None]] | None = None,
          on_read: Callable[[int], None] = lambda reviews: None,
          on_units: Callable[[Units, int], None] = lambda units, reviews: None) -> AdaptResult:
    """Fit a site adapter for the runtime's model on ``data`` (marked reviews, CSV/JSONL exports) and write it
    to ``out`` where it beats the model on held-out material (``force``: wherever there is enough).

    ``on_skipped`` hears each review left out for having no spoiler markup; ``progress`` may show
    the embedding (given the reviews' sentences, a context yielding a per-batch callback);
    ``on_read`` hears how many reviews were read, ``on_units`` the units before the fitting.
    Raises InputError when ``data`` holds no labelled review.
    """
    from spoilerscan.adapt.labels import site_reviews
    from spoilerscan.adapt.site import site_adapter, site_units
    from spoilerscan.errors import InputError
    from spoilerscan.output.files import check_writable

    check_writable(out)
    reviews = site_reviews(data, unmarked_are_clean, on_skipped)
    on_read(len(reviews))
    if not reviews:
        raise InputError(f"no labelled reviews in {', '.join(data)}")
    detector = runtime_of(runtime).detector
    sentences = [review.sentences for review in reviews]
    with progress(sentences) if progress is not None else nullcontext(None) as on_batch:
        units = site_units(reviews, detector, on_batch)
    on_units(units, len(reviews))
    report, fitted = site_adapter(units, detector, folds, force, {"reviews": len(reviews), "data": list(data)})
    if fitted is not None:
        fitted.save(out)
    return AdaptResult(report, out if fitted is not None else None, len(reviews))


__all__ = ["AdaptResult", "adapt", "annotate", "annotate_reviews", "check", "highlight", "open_runtime", "redact",
           "runtime_of", "scan"]
