"""Hover explains a finding by why it is one: the fail threshold, the band below it, or a known spoiler."""

from __future__ import annotations

import dataclasses

from lsprotocol import types

from spoilerscan.check.gate import Finding
from spoilerscan.lsp.checking import CheckResult
from spoilerscan.lsp.diagnostics import DiagnosticsFeature
from spoilerscan.lsp.documents import Documents, Snapshot
from spoilerscan.lsp.hover import HoverFeature, explain
from spoilerscan.reading.markup import Style
from spoilerscan.reading.text import parse
from spoilerscan.runtime import Project

TEXT = "Fine. He dies. She lives."
PROJECT = Project(0.5, 0.4, 0.8, (Style.discord,))


def finding(text: str, score: float, known: str | None = None) -> Finding:
    start = TEXT.index(text)
    return Finding("r.md", start, start + len(text), 1, start + 1, 1, start + len(text) + 1, score, text,
                   score >= PROJECT.fail_threshold or known is not None, known)


class Quiet:
    def publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        pass

    def show(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        pass


def result_of(snapshot: Snapshot, findings: list[Finding]) -> CheckResult:
    """What a check of the snapshot with these findings would have left (no model needed to explain them)."""
    return CheckResult(snapshot, PROJECT, findings, [], snapshot.lines.ranges([(f.start, f.end) for f in findings]),
                       3, parse(TEXT))


async def never_checked(snapshot: Snapshot) -> CheckResult:
    raise AssertionError("hover never checks")


def hover_at(offset: int, markdown: bool = True) -> types.Hover | None:
    documents = Documents()
    snapshot = documents.open(types.TextDocumentItem("file:///r.md", "markdown", 3, TEXT))
    assert snapshot is not None
    diagnostics = DiagnosticsFeature(documents, never_checked, Quiet(), lambda: 0.0)
    diagnostics.results[snapshot.uri] = result_of(snapshot, [finding("He dies.", 0.91), finding("She lives.", 0.55)])
    feature = HoverFeature(documents, diagnostics, markdown)
    return feature.hover(types.HoverParams(types.TextDocumentIdentifier(snapshot.uri),
                                           snapshot.lines.position(offset)))


def test_hover_over_a_failing_finding() -> None:
    hover = hover_at(TEXT.index("dies"))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.range == types.Range(types.Position(0, 6), types.Position(0, 14))
    assert hover.contents.value.splitlines()[::2] == [
        "**spoilerscan: unmarked spoiler** (error)",
        "Score **0.91**: reported from 0.40, fails from 0.80.",
        "At or above the fail threshold 0.80: `check` fails on it.",
        "To fix: mark it as a spoiler (||…||), or put <!-- spoilerscan: ignore --> before it if it is fine.",
    ]


def test_hover_over_a_warning_in_plain_text() -> None:
    hover = hover_at(TEXT.index("lives"), markdown=False)
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.PlainText
    assert "Between the report threshold 0.40 and the fail threshold 0.80: a warning, check still passes." \
        in hover.contents.value and "*" not in hover.contents.value


def test_no_hover_outside_findings_or_just_after_one() -> None:
    assert hover_at(1) is None
    assert hover_at(TEXT.index(" She")) is None  # the end of "He dies." is not inside it


def test_a_known_spoiler_is_named() -> None:
    reveal = finding("He dies.", 0.1, known="Bruce Willis is a ghost")
    text = explain(reveal, result_of(Snapshot("file:///r.md", 3, TEXT, "markdown"), [reveal]))
    assert "It restates a known spoiler of the work: “Bruce Willis is a ghost”, so it fails whatever its score." in text


def test_a_finding_failed_by_the_review_gate_names_this_reviews_cut() -> None:
    reveal = dataclasses.replace(finding("He dies.", 0.45), failing=True)  # under 0.8, failed by the gate
    snapshot = Snapshot("file:///r.md", 3, TEXT, "markdown")
    result = dataclasses.replace(result_of(snapshot, [reveal]), fail_cut=0.45)
    text = explain(reveal, result)
    assert "fails from 0.45." in text and "At or above this review's fail cut 0.45: `check` fails on it." in text
