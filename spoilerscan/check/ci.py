"""What a CI job gets beside ``check``'s report: the SARIF log as a file, a Markdown summary for the
job's page, and the counts as step outputs.

One run writes them all (``check --sarif-file``, ``--summary-file``, ``--outputs-file``), so the
GitHub Action scores each review once whatever ``--format`` prints. The summary and the outputs
are appended, as GitHub asks of ``$GITHUB_STEP_SUMMARY`` and ``$GITHUB_OUTPUT``; the SARIF log
replaces its file atomically.
"""

from __future__ import annotations

import re
from pathlib import Path

from spoilerscan.check.formats import counts, format_sarif, how_to_mark
from spoilerscan.check.gate import Report
from spoilerscan.errors import InputError
from spoilerscan.output.files import check_writable, write_atomically

MAX_ROWS = 100  # a job summary is for reading; the report and the SARIF log have every finding
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&!#])")


def _plain(text: str) -> str:
    """Text shown as itself in Markdown (and in a table cell): every character that means something escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_summary(report: Report) -> str:
    """A heading with the counts, a table of the findings (file, line, severity, score, sentence), the
    inputs that could not be read, and how to fix what was found."""
    lines = [f"### spoilerscan: {_plain(counts(report))}", ""]
    if report.findings:
        lines += ["| file | line | severity | score | sentence |", "| --- | ---: | --- | ---: | --- |"]
        lines += [f"| {_plain(f.path)} | {f.line} | {f.severity} | {f.score:.2f} | {_plain(f.text)} |"
                  for f in report.findings[:MAX_ROWS]]
        if len(report.findings) > MAX_ROWS:
            lines.append(f"| … | | | | {len(report.findings) - MAX_ROWS} more in the report |")
        lines += ["", f"To fix: {_plain(how_to_mark(report.styles, len(report.findings)))}."]
    if report.unreadable:
        lines += ["", "Could not be read:", ""]
        lines += [f"- {_plain(name)}: {_plain(report.reasons.get(name, 'unreadable'))}" for name in report.unreadable]
    return "\n".join(lines) + "\n\n"


def step_outputs(report: Report, sarif_file: Path | None = None) -> str:
    """``name=value`` lines, as ``$GITHUB_OUTPUT`` reads them: the counts, and the SARIF file when one was written."""
    failing = len(report.failing)
    lines = [f"failing={failing}", f"warnings={len(report.findings) - failing}"]
    if sarif_file is not None:
        lines.append(f"sarif-file={sarif_file}")
    return "".join(line + "\n" for line in lines)


def _append(path: Path, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        raise InputError(f"{path}: cannot write ({error.strerror or error})") from None


def check_ci_files(*paths: Path | None) -> None:
    """Fail now, in one line, where one of these files could not be written: before the reviews are scored."""
    for path in paths:
        if path is not None:
            check_writable(path)


def write_ci_files(report: Report, sarif_file: Path | None = None, summary_file: Path | None = None,
                   outputs_file: Path | None = None) -> None:
    """Write the SARIF log, append the Markdown summary and the step outputs (each where a path is given).

    The outputs come last and name the SARIF file only once it is written. A file that cannot be
    written is an InputError (one line, exit 2)."""
    if sarif_file is not None:
        write_atomically(sarif_file, format_sarif(report))
    if summary_file is not None:
        _append(summary_file, markdown_summary(report))
    if outputs_file is not None:
        _append(outputs_file, step_outputs(report, sarif_file))
