"""One check of a document version: exactly `check`'s findings, the model awaited off the event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from lsprotocol import types
from typer.testing import CliRunner

from spoilerscan.check.formats import RULE_ID
from spoilerscan.check.gate import check_texts
from spoilerscan.cli import app
from spoilerscan.errors import InputError
from spoilerscan.lsp.checking import Checker, CheckResult, adjacent_groups, mark_style
from spoilerscan.lsp.diagnostics import TOO_LARGE, DiagnosticsFeature
from spoilerscan.lsp.documents import Documents, Snapshot
from spoilerscan.lsp.models import ModelPool
from spoilerscan.lsp.positions import Encoding
from spoilerscan.lsp.projects import Projects
from spoilerscan.lsp.settings import Settings
from spoilerscan.model.detect import Detector, sentence_scorer
from spoilerscan.reading.markup import RedactStyle, Style
from spoilerscan.reading.segment import read
from spoilerscan.settings import Settings as CoreSettings
from tests.lsp.test_diagnostics import Recorder
from tests.lsp.test_models import one_thread

REPO = Path(__file__).parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.md"))


def snapshot_of(path: Path, text: str | None = None, encoding: Encoding = Encoding.utf16) -> Snapshot:
    return Snapshot(path.as_uri(), 1, path.read_text(encoding="utf-8") if text is None else text, "markdown",
                    encoding, path)


def checker(model: Path, settings: Settings | None = None, loader: ModelPool | None = None) -> Checker:
    chosen = dataclasses.replace(settings or Settings(), model=model)
    return Checker(loader or ModelPool(one_thread), Projects(), lambda: chosen,
                   lambda: [])


def run_check(check: Checker, snapshot: Snapshot) -> CheckResult:
    async def scenario() -> CheckResult:
        try:
            return await check(snapshot)
        finally:
            check.models.stop()

    return asyncio.run(scenario())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_the_findings_are_checks_findings(example: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    review = tmp_path / example.name
    review.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    detector = Detector.load(tiny_model_dir, threads=1)
    scores = sorted(s.score for s in detector.annotate(review.read_text(encoding="utf-8"), fmt="markdown").sentences)
    report_at, fail_at = scores[len(scores) // 3], scores[2 * len(scores) // 3]
    config = tmp_path / "pyproject.toml"
    config.write_text(f"[tool.spoilerscan]\nthreshold = {report_at!r}\n"
                                             f"fail-threshold = {fail_at!r}\n", encoding="utf-8")
    result = run_check(checker(tiny_model_dir), snapshot_of(review, encoding=Encoding.utf32))
    output = CliRunner().invoke(app, ["check", str(review), "-m", str(tiny_model_dir), "--config", str(config), "-f",
                                      "json", "-q"])
    expected = json.loads(output.stdout)["findings"]
    assert {f["severity"] for f in expected} == {"error", "warning"}, "the thresholds give both kinds of finding"
    assert [(f.start, f.end, round(f.score, 6), f.severity, f.text) for f in result.findings] == \
        [(f["start"], f["end"], f["score"], f["severity"], f["text"]) for f in expected]
    # UTF-32 columns from 0 are check's columns from 1 (no BOM, no wide characters to count)
    assert [(r.start.line + 1, r.start.character + 1, r.end.line + 1, r.end.character + 1) for r in result.ranges] == \
        [(f["line"], f["column"], f["end_line"], f["end_column"]) for f in expected]


def test_a_document_opened_while_the_model_loads_is_checked_when_it_is_ready(tiny_model_dir: Path,
                                                                             tmp_path: Path) -> None:
    gate = threading.Event()

    def slow_load(settings: CoreSettings) -> Detector:
        gate.wait(60)
        return one_thread(settings)

    review = tmp_path / "review.md"
    review.write_text("A quiet film. He was dead all along.", encoding="utf-8")
    pool = ModelPool(slow_load)
    check = checker(tiny_model_dir, Settings(threshold=0.0), pool)

    async def scenario() -> tuple[bool, CheckResult]:
        try:
            pending = asyncio.ensure_future(check(snapshot_of(review)))
            await asyncio.sleep(0.05)  # let the check reach the model (this is not a timing assertion)
            waiting = not pending.done()
            gate.set()
            return waiting, await asyncio.wait_for(pending, 60)
        finally:
            pool.stop()

    waiting, result = asyncio.run(scenario())
    assert waiting
    assert [f.text for f in result.findings] == ["A quiet film.", "He was dead all along."]


def test_a_binary_document_is_refused_as_check_refuses_it(tmp_path: Path, tiny_model_dir: Path) -> None:
    review = tmp_path / "review.md"
    review.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="binary"):
        run_check(checker(tiny_model_dir), snapshot_of(review, "He dies.\x00\x00"))


def groups_of(text: str, flagged: Sequence[str]) -> list[list[str]]:
    scorer = sentence_scorer(lambda sentences: [1.0 if s in flagged else 0.0 for s in sentences])
    report = next(check_texts([("r.md", text)], scorer, 0.5, 0.9))
    reading = read(text, "markdown")
    return [[text[s:e] for s, e in group] for group in adjacent_groups(reading, report.findings)]


def test_adjacent_flagged_sentences_of_a_paragraph_form_one_group() -> None:
    text = "Fine. He dies. She lives. Fine again. It was a dream.\n\nThe dog too.\n\n- The cat too."
    flagged = ["He dies.", "She lives.", "It was a dream.", "The dog too.", "The cat too."]
    assert groups_of(text, flagged) == [["He dies.", "She lives."], ["He dies.", "She lives."], ["It was a dream."],
                                        ["The dog too."], ["The cat too."]]


@pytest.mark.parametrize(("styles", "expected"), [
    (tuple(Style), RedactStyle.reddit),  # the default, all styles: the first inline one, as check's hint says
    ((Style.block, Style.discord), RedactStyle.discord),
    ((Style.discourse,), RedactStyle.bbcode),  # Discourse renders [spoiler]…[/spoiler]
    ((Style.warning, Style.label), RedactStyle.label),
    ((Style.warning,), None),  # only warning sections: nothing to wrap a sentence in
])
def test_mark_as_spoiler_writes_the_projects_style(styles: tuple[Style, ...], expected: RedactStyle | None) -> None:
    assert mark_style(styles) is expected


def test_a_document_over_the_max_input_size_is_not_read_or_scored(tmp_path: Path, tiny_model_dir: Path) -> None:
    """The workspace's max-input-size (1 KiB here) bounds a document as it bounds `check`'s files: one
    warning diagnostic names the setting, the model is not even loaded; a version back under it is checked."""
    (tmp_path / "pyproject.toml").write_text('[tool.spoilerscan]\nmax-input-size = "1K"\n', encoding="utf-8")
    review = tmp_path / "review.md"
    review.write_text("x", encoding="utf-8")
    loads: list[CoreSettings] = []

    def load(settings: CoreSettings) -> Detector:
        loads.append(settings)
        return one_thread(settings)

    pool = ModelPool(load)
    check = checker(tiny_model_dir, Settings(threshold=0.0), pool)
    documents = Documents()
    recorder = Recorder()
    diagnostics = DiagnosticsFeature(documents, check, recorder, lambda: 0.0)
    published: list[list[types.Diagnostic]] = []
    recorder.publish = lambda uri, version, found: published.append(found)  # type: ignore[method-assign]
    big = "Ça va. " * 146  # 1,168 bytes in UTF-8, 1,022 characters: over the limit only as bytes
    assert len(big) <= 1024 < len(big.encode("utf-8"))

    async def scenario() -> None:
        try:
            snapshot = documents.open(types.TextDocumentItem(review.as_uri(), "markdown", 1, big))
            assert snapshot is not None
            diagnostics.opened(snapshot)
            await asyncio.wait_for(diagnostics.idle(), 60)
            assert loads == [] and review.as_uri() not in diagnostics.results
            smaller = documents.change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=review.as_uri(), version=2),
                [types.TextDocumentContentChangeWholeDocument(text="A quiet film. He was dead all along.")]))
            assert smaller is not None
            diagnostics.changed(smaller)
            await asyncio.wait_for(diagnostics.idle(), 60)
        finally:
            pool.stop()

    asyncio.run(scenario())
    [too_large], after = published
    assert too_large.code == TOO_LARGE and too_large.severity == types.DiagnosticSeverity.Warning
    assert too_large.message == (f"{review}: not checked: larger than the maximum input size (1,024 bytes); "
                                 "raise it with max-input-size in [tool.spoilerscan]")
    assert recorder.shown == [] and len(loads) == 1
    assert after and {d.code for d in after} == {RULE_ID}  # threshold 0: the smaller version is scored
