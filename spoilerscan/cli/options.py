"""Options that several commands share, declared once so that their names and help agree."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from spoilerscan.reading.document import Format
from spoilerscan.reading.inputs import DEFAULT_MAX_INPUT_SIZE, parse_size


class Precision(StrEnum):
    auto = "auto"
    fp32 = "fp32"
    int8 = "int8"


Paths = Annotated[list[str] | None, typer.Argument(
    metavar="PATH", help="Review files, directories (with --recursive) or globs; '-' or nothing reads stdin.",
    show_default=False)]
ThresholdOpt = Annotated[float | None, typer.Option(
    "--threshold", "-t", min=0.0, max=1.0, metavar="SCORE",
    help="Spoiler score cut-off \\[default: the model's own].", show_default=False)]
ModelOpt = Annotated[Path | None, typer.Option(
    "--model", "-m", metavar="DIR", help="Model directory \\[default: the shipped model].", show_default=False)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary on stderr.")]
RecursiveOpt = Annotated[bool, typer.Option("--recursive", "-r", help="Read review files inside directories.")]
KnownSpoilersOpt = Annotated[Path | None, typer.Option(
    "--spoilers", metavar="FILE", help="A file of known spoilers of the work under review, one plain sentence a "
    "line ('#' starts a comment): sentences that say the same are flagged whatever the model scores (added to the "
    "config's known-spoilers).", show_default=False)]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="FILE", help="Write to this file instead of stdout (one input only).",
    show_default=False)]
InputFormatOpt = Annotated[Format, typer.Option(
    "--input-format", help="How to read the reviews' structure: markdown (CommonMark), html, text, or auto: "
    "by file suffix (.md/.markdown, .html/.htm; anything else and stdin are text).")]
AdapterOpt = Annotated[Path | None, typer.Option(
    "--adapter", metavar="FILE", help="A site adapter written by 'spoilerscan adapt' for this model \\[default: "
    "the config's adapter, else none].", show_default=False)]
PrecisionOpt = Annotated[Precision, typer.Option(
    "--precision", help="The sentence encoder to run: int8 (faster) or fp32; auto: the one the model card's "
                        "precision rule made the default.")]


def _size(value: str | int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    try:
        return parse_size(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


MaxInputSizeOpt = Annotated[int | None, typer.Option(
    "--max-input-size", metavar="SIZE", parser=_size, help="Refuse an input (a file, stdin, a JSONL line, a "
    f"known-spoiler file) larger than this: 5M, 512K, or bytes \\[default: config, else "
    f"{DEFAULT_MAX_INPUT_SIZE // 2**20}M].", show_default=False)]
ForceOpt = Annotated[bool, typer.Option("--force", help="With --in-place: also rewrite a file that has other hard "
                                        "links (this name gets the new text, the others keep the old).")]
