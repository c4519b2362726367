"""``adapt``: fit a site adapter on the spoilers its writers marked, report it honestly, write it or refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from spoilerscan.cli import output
from spoilerscan.cli.options import ModelOpt, Precision, PrecisionOpt, QuietOpt
from spoilerscan.errors import EXIT_FINDINGS

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
    from spoilerscan.api import adapt as fit_adapter
    from spoilerscan.cli.progress import ReviewProgress
    from spoilerscan.settings import resolve

    skipped: list[str] = []

    def read(reviews: int) -> None:
        if skipped and not quiet:
            output.note(f"{len(skipped)} review(s) without spoiler markup left out (--unmarked-are-clean counts "
                        "them as clean)")

    def fitting(units: Any, reviews: int) -> None:
        if not quiet:
            output.stderr.print(f"fitting on {len(units.labels)} units ({int(units.labels.sum())} spoilers) from "
                                f"{reviews} reviews, {folds}-fold…", style="dim", highlight=False, markup=False)

    with output.user_errors():
        settings = resolve(find=False, model=model, precision=precision.value)
        result = fit_adapter(data, out, settings, unmarked_are_clean=unmarked_are_clean, force=force, folds=folds,
                             on_skipped=skipped.append, progress=lambda sentences: ReviewProgress(
                                 None, quiet, len(sentences), "embedding").working(sentences),
                             on_read=read, on_units=fitting)
    report, written = result.report, result.written is not None
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
