"""Quick fixes for a finding: *Mark as spoiler*, *Ignore this sentence*, *Add to allowed phrases*.

They are built from what the diagnostic carries in ``data`` (its span, the run of flagged
sentences around it, the version it was found in) and from the latest result for the document,
so no fix scores anything again. A fix is offered only while the document is still at the
version the diagnostic was found in; its edit names that version, so a client that has moved on
refuses it instead of applying it in the wrong place.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

from spoilerscan.lsp.checking import CheckResult
from spoilerscan.lsp.diagnostics import SOURCE, DiagnosticsFeature, to_diagnostic
from spoilerscan.lsp.documents import Documents
from spoilerscan.lsp.edits import allowed_phrase_insertion, ignore_insertion, mark_change
from spoilerscan.lsp.positions import LineTable
from spoilerscan.reading.markup import IGNORE_PRAGMA, MARKUP, RedactStyle, Style

log = logging.getLogger(__name__)
QUICK_FIX = types.CodeActionKind.QuickFix
_WORDY = re.compile(r"[^\W_]")
MAX_PHRASE_CHARS = 300


def _style_hint(style: RedactStyle) -> str:
    return MARKUP[Style(style.value)].hint


def _spans(data: Any) -> tuple[int, int, list[tuple[int, int]]] | None:
    """(start, end, group) from a diagnostic's data, if it is ours and well formed."""
    try:
        start, end = int(data["start"]), int(data["end"])
        group = [(int(s), int(e)) for s, e in data.get("group") or [[start, end]]]
    except (KeyError, TypeError, ValueError):
        return None
    return start, end, group


class CodeActionsFeature:
    """Answers ``textDocument/codeAction`` for spoilerscan's diagnostics."""

    def __init__(self, documents: Documents, diagnostics: DiagnosticsFeature,
                 versioned_edits: Callable[[], bool] = lambda: True) -> None:
        self.documents = documents
        self.diagnostics = diagnostics
        self._versioned = versioned_edits

    def _edit(self, uri: str, version: int | None, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        if self._versioned():
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), list(edits))])
        return types.WorkspaceEdit(changes={uri: list(edits)})

    def _current(self, uri: str) -> CheckResult | None:
        result = self.diagnostics.results.get(uri)
        snapshot = self.documents.get(uri)
        return result if result is not None and snapshot is not None and result.snapshot is snapshot else None

    async def actions(self, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        result = self._current(uri)
        if result is None:
            return None
        version = result.snapshot.version
        lines = result.snapshot.lines
        asked: list[tuple[types.Diagnostic, tuple[int, int, list[tuple[int, int]]]]] = []
        for diagnostic in params.context.diagnostics:
            spans = _spans(diagnostic.data) if diagnostic.source == SOURCE else None
            if spans is not None and isinstance(diagnostic.data, dict) and diagnostic.data.get("version") == version:
                asked.append((diagnostic, spans))
        if not asked:  # a client that sends no context: the findings under the cursor
            start, end = lines.offset(params.range.start), lines.offset(params.range.end)
            asked = [(diagnostic, (f.start, f.end, list(result.groups[i])))
                     for i in result.at(start, end)
                     for f, diagnostic in [(result.findings[i], to_diagnostic(result, i))]]
        selection = (lines.offset(params.range.start), lines.offset(params.range.end))
        actions: list[types.CodeAction] = []
        for diagnostic, (start, end, group) in asked:
            actions += await self._for_finding(result, diagnostic, start, end, group, selection)
        return actions or None

    async def _for_finding(self, result: CheckResult, diagnostic: types.Diagnostic, start: int, end: int,
                           group: Sequence[tuple[int, int]], selection: tuple[int, int]) -> list[types.CodeAction]:
        snapshot = result.snapshot
        lines = snapshot.lines
        actions = []
        style = result.mark_style
        if style is not None:  # read as redact reads (once per version) and redacted in a worker thread
            change = await asyncio.to_thread(lambda: mark_change(snapshot.text, result.redaction_reading, group, style))
            if change is not None:
                count = len(group)
                what = "as spoiler" if count == 1 else f"{count} sentences as spoiler"
                actions.append(types.CodeAction(
                    title=f"Mark {what} ({_style_hint(style)})", kind=QUICK_FIX, diagnostics=[diagnostic],
                    is_preferred=True,
                    edit=self._edit(snapshot.uri, snapshot.version,
                                    [types.TextEdit(lines.range(change[0], change[1]), change[2])])))
        at, pragma = ignore_insertion(snapshot.text, result.document, start)
        actions.append(types.CodeAction(
            title=f"Ignore this sentence ({IGNORE_PRAGMA})", kind=QUICK_FIX, diagnostics=[diagnostic],
            edit=self._edit(snapshot.uri, snapshot.version, [types.TextEdit(lines.range(at, at), pragma)])))
        allow = await asyncio.to_thread(self._allow_phrase, result, start, end, selection)
        if allow is not None:
            allow.diagnostics = [diagnostic]
            actions.append(allow)
        return actions

    def _allow_phrase(self, result: CheckResult, start: int, end: int,
                      selection: tuple[int, int]) -> types.CodeAction | None:
        """*Add to allowed phrases* of the document's pyproject.toml: the selected words of the finding,
        else the whole sentence when none of it is marked (blocking file read: a worker thread)."""
        config = result.config
        if config is None:
            return None
        text = result.snapshot.text
        chosen = (max(selection[0], start), min(selection[1], end))
        if chosen[0] < chosen[1]:
            phrase = " ".join(text[chosen[0] : chosen[1]].split())
        else:
            finding = next((f for f in result.findings if f.start == start), None)
            phrase = finding.text if finding is not None and "…" not in finding.text else ""
        if not _WORDY.search(phrase) or len(phrase) > MAX_PHRASE_CHARS:
            return None
        try:
            toml = Path(config).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            log.warning("cannot read %s to add an allowed phrase", config)
            return None
        insertion = allowed_phrase_insertion(toml, phrase)
        if insertion is None:
            return None
        at, new_text = insertion
        uri = from_fs_path(str(config)) or config.as_uri()
        table = LineTable(toml, result.snapshot.encoding)
        shown = phrase if len(phrase) <= 40 else phrase[:39] + "…"
        return types.CodeAction(title=f"Add '{shown}' to allowed phrases ({config.name})", kind=QUICK_FIX,
                                edit=self._edit(uri, None, [types.TextEdit(table.range(at, at), new_text)]))
