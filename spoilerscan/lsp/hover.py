"""Hover on a finding: its score against the two thresholds, the known spoiler it restates, the fixes."""

from __future__ import annotations

from lsprotocol import types

from spoilerscan.check.formats import how_to_mark
from spoilerscan.check.gate import Finding
from spoilerscan.lsp.checking import CheckResult
from spoilerscan.lsp.diagnostics import DiagnosticsFeature
from spoilerscan.lsp.documents import Documents


def explain(finding: Finding, result: CheckResult, markdown: bool = True) -> str:
    """Why this sentence is a finding, in a few lines."""
    project = result.project
    bold = (lambda text: f"**{text}**") if markdown else (lambda text: text)
    code = (lambda text: f"`{text}`") if markdown else (lambda text: text)
    # with the model's review gate, the cut is this review's: by its length, or its top sentence's own score
    # where that one stands out from the rest (docs/check.md)
    cut, named = ((project.fail_threshold, "the fail threshold") if result.fail_cut is None
                  else (result.fail_cut, "this review's fail cut"))
    if finding.known is not None:
        why = f"It restates a known spoiler of the work: “{finding.known}”, so it fails whatever its score."
    elif finding.failing:
        why = f"At or above {named} {cut:.2f}: `check` fails on it."
    else:
        why = (f"Between the report threshold {project.check_threshold:.2f} and {named} "
               f"{cut:.2f}: a warning, `check` still passes.")
    if not markdown:
        why = why.replace("`", "")
    severity = "error" if finding.failing else "warning"
    lines = [
        f"{bold('spoilerscan: unmarked spoiler')} ({severity})",
        f"Score {bold(f'{finding.score:.2f}')}: reported from {project.check_threshold:.2f}, "
        f"fails from {cut:.2f}.",
        why,
        f"To fix: {how_to_mark(project.styles)}.",
    ]
    if result.config is not None:
        lines.append(f"Settings: {code(str(result.config))}")
    return "\n\n".join(lines)


class HoverFeature:
    """Answers ``textDocument/hover`` over a finding of the document's current version."""

    def __init__(self, documents: Documents, diagnostics: DiagnosticsFeature, markdown: bool = True) -> None:
        self.documents = documents
        self.diagnostics = diagnostics
        self.markdown = markdown

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        snapshot = self.documents.get(params.text_document.uri)
        result = self.diagnostics.results.get(params.text_document.uri)
        if snapshot is None or result is None or result.snapshot is not snapshot:
            return None
        offset = snapshot.lines.offset(params.position)
        found = [i for i in result.at(offset, offset) if result.findings[i].end > offset]  # the end is outside
        if not found:
            return None
        index = found[0]
        kind = types.MarkupKind.Markdown if self.markdown else types.MarkupKind.PlainText
        return types.Hover(contents=types.MarkupContent(kind, explain(result.findings[index], result, self.markdown)),
                           range=result.ranges[index])
