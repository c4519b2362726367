"""``adapt``: fit a site adapter on the spoilers its writers marked, report it honestly, write it or refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from spoilerscan.cli import output, scoring
from spoilerscan.cli.options import ModelOpt, Precision, PrecisionOpt, QuietOpt
from spoilerscan.errors import EXIT_FINDINGS, InputError
from spoilerscan.output.files import check_writable

EXIT_REFUSED = EXIT_FINDINGS  # 1: the data does not support an adapter; nothing was written


def adapt(
    data: Annotated[list[str], typer.Argument(
        metavar="DATA", help="The site's labelled material: review files, directories (read recursively) or globs "
        "whose spoilers are marked, and CSV/JSONL exports with a text and a label column.", show_default=False)],
    out: Annotated[Path, typer.Option("--output", "-o", metavar="FILE", help="Where to write the adapter (JSON).",
                                      show_default=False)],
    unmarked_are_clean: Annotated[bool, typer.Option("--unmarked-are-clean", help="Count published reviews "
        "without any spoiler markup as clean (by default they are left out: their writers may not mark).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Write the adapter even where it does not beat the model "
        "on the held-out part (never with too little material).")] = False,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, metavar="N", help="Parts the material is cut "
        "into: each is scored by an adapter fitted on the others.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
    model: ModelOpt = None,
    precision: PrecisionOpt = Precision.auto,
    quiet: QuietOpt = False,
) -> None:
    """Fit an adapter to the site's own labels: a small head over the frozen model, kilobytes, no torch.

    Marked sentences of published reviews are spoilers and the rest of a review with marks is not;
    export rows are whole reviews, unless their text column is 'sentence' and a review_id column
    groups them as the sentences of a review. The report is
    out of fold: every unit is scored by an adapter that never saw its review. The adapter is
    written only with at least 20 spoiler and 100 clean units, and only where it beats the model on
    that held-out part with a 95% interval that loses at most 0.005 ROC-AUC (--force writes it
    anyway, given enough material). Use it with --adapter FILE or \\[tool.spoilerscan] adapter.

    Example: spoilerscan adapt reviews/ moderation.csv -o site-adapter.json

    Exit codes: 0 written, 1 refused (too little material, or no gain), 2 usage, input or model error.
    """
    from spoilerscan.adapt.fit import adapt as fit_adapter
    from spoilerscan.adapt.fit import fit, median_penalty, too_little
    from spoilerscan.adapt.labels import site_reviews
    from spoilerscan.adapt.site import site_units
    from spoilerscan.cli.progress import ReviewProgress
    from spoilerscan.model.adapter import Adapter, model_fingerprint

    skipped: list[str] = []
    with output.user_errors():
        check_writable(out)
        reviews = site_reviews(data, unmarked_are_clean, skipped.append)
        if skipped and not quiet:
            output.note(f"{len(skipped)} review(s) without spoiler markup left out (--unmarked-are-clean counts "
                        "them as clean)")
        if not reviews:
            raise InputError(f"no labelled reviews in {', '.join(data)}")
        detector = scoring.load_detector(model, precision, from_config=False)
        progress = ReviewProgress(output.stderr, quiet, len(reviews), "embedding")
        with progress.working([review.sentences for review in reviews]) as on_batch:
            units = site_units(reviews, detector, on_batch)
        if not quiet:
            output.stderr.print(f"fitting on {len(units.labels)} units ({int(units.labels.sum())} spoilers) from "
                                f"{len(reviews)} reviews, {folds}-fold…", style="dim", highlight=False, markup=False)
        report, fitted = fit_adapter(units, folds)
        if fitted is None and force and too_little(report) is None:
            fitted = fit(units, median_penalty(report.penalties))
        written = fitted is not None
        if fitted is not None:
            assert detector.path is not None
            summary = {**report.as_dict(), "reviews": len(reviews), "data": list(data), "precision": detector.precision,
                       "forced": not report.write}
            Adapter(1.0, fitted.weights, fitted.bias, report.thresholds["threshold"],
                    report.thresholds["fail_threshold"], model_fingerprint(detector.path), summary).save(out)
    if as_json:
        typer.echo(json.dumps({**report.as_dict(), "written": str(out) if written else None}, indent=2))
    elif not quiet or not written:
        print_report(report, out if written else None)
    if not written:
        raise typer.Exit(EXIT_REFUSED)


def print_report(report: object, written: Path | None) -> None:
    """The report as a person reads it, on stderr (stdout stays free for --json)."""
    from spoilerscan.adapt.fit import AdaptReport

    assert isinstance(report, AdaptReport)
    console = Console(stderr=True, highlight=False)
    if report.base:
        table = Table(title=f"held out ({report.folds}-fold): {report.units} units, {report.spoilers} spoilers")
        for column in ("", "model", "adapted", "difference", "95% interval"):
            table.add_column(column, justify="left" if not column else "right")
        for metric, name in (("roc_auc", "ROC-AUC"), ("pr_auc", "PR-AUC")):
            difference, low, high = report.difference[metric]
            table.add_row(name, f"{report.base[metric]:.3f}", f"{report.adapted[metric]:.3f}", f"{difference:+.3f}",
                          f"[{low:+.3f}, {high:+.3f}]")
        console.print(table)
        for name, cut in report.thresholds.items():
            rates = report.rates[name]
            console.print(f"{name.replace('_', ' ')} {cut:.3f}: {rates['clean_flagged']:.1%} of clean units flagged, "
                          f"{rates['spoilers_caught']:.1%} of spoilers caught", soft_wrap=True)
    verdict = f"written to {written}" if written is not None else "nothing written"
    console.print(f"{'adapter' if written else 'refused'}: {report.reason}; {verdict}", markup=False, soft_wrap=True)
