"""``check`` output formats: the format enum beside its formatters, and the stderr summary.

Positions are 1-based lines and columns counted in characters; see docs/check.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from rich.text import Text

from spoilerscan import __version__
from spoilerscan.reading import markup
from spoilerscan.reading.markup import IGNORE_PRAGMA, Style

if TYPE_CHECKING:
    from spoilerscan.check.gate import Report

RULE_ID = "unmarked-spoiler"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"


class CheckFormat(StrEnum):
    """``check --format``: each one's formatter is in :data:`FORMATTERS`."""

    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


def how_to_mark(styles: Sequence[Style], count: int = 1) -> str:
    """The hint that ends each message: how to mark the sentence (``count`` of them), or how to let it pass."""
    return markup.how_to_mark(styles, IGNORE_PRAGMA, count)


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]


def format_text(report: Report) -> Text:
    """Compiler-style lines, ``path:line:col: error: …``; styled, for a terminal that shows colour."""
    out = Text()
    for f in report.findings:
        out.append(f.path, style="bold")
        out.append(f":{f.line}:{f.column}:", style="dim")
        out.append(f" {f.severity}:", style="bold red" if f.failing else "bold yellow")
        out.append(f" {f.label}: ")
        out.append(_clip(f.text), style="red" if f.failing else "yellow")
        out.append("\n")
    return out


def as_dict(report: Report) -> dict[str, Any]:
    """The JSON document: findings with 1-based positions (end column exclusive) and a summary."""
    return {
        "version": 1,
        "threshold": report.threshold,
        "fail_threshold": report.fail_threshold,
        "review_gate": None if report.gate is None else report.gate.as_dict(),
        "findings": [
            {"path": f.path, "line": f.line, "column": f.column, "end_line": f.end_line, "end_column": f.end_column,
             "start": f.start, "end": f.end, "score": round(f.score, 6), "severity": f.severity, "text": f.text}
            for f in report.findings
        ],
        "files": [{"path": r.path, "sentences": r.sentences, "findings": len(r.findings),
                   "fail_threshold": r.fail_threshold} for r in report.files],
        "summary": {
            "files": len(report.files),
            "sentences": sum(r.sentences for r in report.files),
            "findings": len(report.findings),
            "errors": len(report.failing),
            "warnings": len(report.findings) - len(report.failing),
            "unreadable": list(report.unreadable),
        },
    }


def format_json(report: Report) -> str:
    return json.dumps(as_dict(report), ensure_ascii=False, indent=2) + "\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_github(report: Report) -> str:
    """GitHub Actions workflow commands: each finding shows inline on the pull request's diff.

    Paths are relative to the repository root (:attr:`Report.root`), as GitHub maps them."""
    hint = how_to_mark(report.styles)
    root = _root(report)
    lines = []
    for f in report.findings:
        path = _under_root(f.path, root) or f.path.replace(os.sep, "/")
        properties = {"file": path, "line": f.line, "col": f.column, "endLine": f.end_line,
                      "endColumn": f.end_column, "title": _capital(f.label)}
        fields = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
        lines.append(f"::{f.severity} {fields}::{_escape_data(_clip(f.text))} ({hint})")
    return "".join(line + "\n" for line in lines)


def _root(report: Report) -> Path:
    return Path(os.path.abspath(report.root if report.root is not None else Path.cwd()))


def _under_root(path: str, root: Path) -> str | None:
    """``path`` (relative to the current directory, or absolute) relative to ``root``, in POSIX form;
    None when it lies outside."""
    try:
        return Path(os.path.abspath(path)).relative_to(root).as_posix()
    except ValueError:
        return None


def _folder_uri(folder: Path) -> str:
    uri = folder.as_uri()
    return uri if uri.endswith("/") else uri + "/"  # a base URI names a folder: it ends with '/'


def _artifact(path: str, root: Path) -> dict[str, str]:
    """A SARIF artifact location: relative to ``%SRCROOT%`` (percent-encoded), else an absolute file URI."""
    relative = _under_root(path, root)
    if relative is None:
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}


def as_sarif(report: Report) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; columns are counted in Unicode code points."""
    hint = how_to_mark(report.styles)
    root = _root(report)
    rule = {
        "id": RULE_ID,
        "name": "UnmarkedSpoiler",
        "shortDescription": {"text": "A review gives the story away in a sentence that is not marked as a spoiler."},
        "fullDescription": {"text": "spoilerscan's model scored this unmarked sentence as a spoiler. Readers see "
                                    "it before they choose to."},
        "help": {"text": f"To fix: {hint}. Rules for marked text: docs/check.md."},
        "defaultConfiguration": {"level": "error"},
    }
    results = []
    for f in report.findings:
        results.append({
            "ruleId": RULE_ID,
            "ruleIndex": 0,
            "level": f.severity,
            "message": {"text": f"{_capital(f.label)}: {_clip(f.text)}"},
            "locations": [{"physicalLocation": {
                "artifactLocation": _artifact(f.path, root),
                "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line,
                           "endColumn": f.end_column},
            }}],
            "rank": round(f.score * 100, 2),
            "properties": {"score": round(f.score, 6)},
        })
    invocation: dict[str, Any] = {"executionSuccessful": not report.unreadable}
    if report.unreadable:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": f"could not read {name}: {report.reasons[name]}"
                                           if report.reasons.get(name) else f"could not read {name}"},
             "locations": [{"physicalLocation": {"artifactLocation": _artifact(name, root)}}]}
            for name in report.unreadable]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "spoilerscan", "version": __version__, "semanticVersion": __version__,
                                "rules": [rule]}},
            "invocations": [invocation],
            "originalUriBaseIds": {SRCROOT: {"uri": _folder_uri(root)}},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"threshold": report.threshold, "failThreshold": report.fail_threshold},
        }],
    }


def format_sarif(report: Report) -> str:
    return json.dumps(as_sarif(report), ensure_ascii=False, indent=2) + "\n"


FORMATTERS: dict[CheckFormat, Callable[[Report], str]] = {
    CheckFormat.text: lambda report: format_text(report).plain,
    CheckFormat.json: format_json,
    CheckFormat.github: format_github,
    CheckFormat.sarif: format_sarif,
}


def counts(report: Report) -> str:
    """What was found, in how many files: the summary line without its hint."""
    files = len(report.files)
    hit = sum(1 for r in report.files if r.findings)
    unread = f"; {len(report.unreadable)} could not be read" if report.unreadable else ""
    if not report.findings:
        return f"no unmarked spoilers in {files} file{'s' if files != 1 else ''}{unread}"
    errors, warnings = len(report.failing), len(report.findings) - len(report.failing)
    parts = ", ".join(part for part in (f"{errors} failing" if errors else "",
                                        f"{warnings} below the fail threshold" if warnings else "") if part)
    return (f"{len(report.findings)} unmarked spoiler{'s' if len(report.findings) != 1 else ''} ({parts}) "
            f"in {hit} of {files} file{'s' if files != 1 else ''}{unread}")


def summary(report: Report) -> str:
    """One line for stderr: what was found, in how many files, and how to fix it."""
    if not report.findings:
        return counts(report)
    return f"{counts(report)}; to fix: {how_to_mark(report.styles, len(report.findings))}"
