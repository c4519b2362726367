"""The open documents the server checks: immutable snapshots, one per version.

Edits are applied here on the event loop (slicing one string per change); a check then works on
the snapshot it started with, so a result always knows which version it belongs to, and the
publisher can tell a stale result by comparing snapshots. The server keeps its own copy rather
than pygls's so that ranges in edits and in diagnostics go through the same :class:`LineTable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePath

from lsprotocol import types
from pygls.uris import to_fs_path

from spoilerscan.lsp.positions import Encoding, LineTable
from spoilerscan.reading.document import Format, format_for
from spoilerscan.reading.inputs import REVIEW_SUFFIXES

# Language ids whose documents are reviews, and how each is read ("text": Neovim's, Helix's and
# Emacs's name for plain text, which they send as the language id).
LANGUAGE_FORMATS = {"markdown": Format.markdown, "html": Format.html, "plaintext": Format.text, "text": Format.text}


def path_of(uri: str) -> Path | None:
    """The file a ``file:`` URI names (None for ``untitled:`` and other schemes)."""
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def is_review(uri: str, language_id: str | None) -> bool:
    """Whether the server checks this document: a review language id, or a suffix ``check`` reads."""
    return language_id in LANGUAGE_FORMATS or PurePath(uri).suffix.lower() in REVIEW_SUFFIXES


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One version of an open document."""

    uri: str
    version: int
    text: str
    language_id: str
    encoding: Encoding = Encoding.utf16
    path: Path | None = field(default=None)

    @cached_property
    def lines(self) -> LineTable:
        """Built once for this version, the first time a position is converted."""
        return LineTable(self.text, self.encoding)

    @property
    def format(self) -> Format:
        """How ``check`` would read the file: its language id if it is a review language, else its suffix."""
        known = LANGUAGE_FORMATS.get(self.language_id)
        return known if known is not None else format_for(PurePath(self.uri).name)

    @property
    def name(self) -> str:
        """The name findings are reported under: the file's path, else its URI."""
        return str(self.path) if self.path is not None else self.uri

    def changed(self, version: int, changes: Iterable[types.TextDocumentContentChangeEvent]) -> Snapshot:
        """The next version: each change applied in order to the text the previous one left."""
        current = self
        for change in changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start, end = current.lines.offset(change.range.start), current.lines.offset(change.range.end)
                start, end = min(start, end), max(start, end)
                text = current.text[:start] + change.text + current.text[end:]
            else:
                text = change.text
            current = Snapshot(self.uri, version, text, self.language_id, self.encoding, self.path)
        if current is self:
            current = Snapshot(self.uri, version, self.text, self.language_id, self.encoding, self.path)
        return current


class Documents:
    """The open review documents, by URI; documents of other languages are not kept."""

    def __init__(self) -> None:
        self._open: dict[str, Snapshot] = {}
        self.encoding = Encoding.utf16  # set once the client's encoding is negotiated

    def open(self, item: types.TextDocumentItem) -> Snapshot | None:
        if not is_review(item.uri, item.language_id):
            return None
        snapshot = Snapshot(item.uri, item.version, item.text, item.language_id, self.encoding, path_of(item.uri))
        self._open[item.uri] = snapshot
        return snapshot

    def change(self, params: types.DidChangeTextDocumentParams) -> Snapshot | None:
        current = self._open.get(params.text_document.uri)
        if current is None:
            return None
        snapshot = current.changed(params.text_document.version, params.content_changes)
        self._open[snapshot.uri] = snapshot
        return snapshot

    def close(self, uri: str) -> Snapshot | None:
        return self._open.pop(uri, None)

    def get(self, uri: str) -> Snapshot | None:
        return self._open.get(uri)

    def is_current(self, snapshot: Snapshot) -> bool:
        """Whether ``snapshot`` is still the latest version of an open document."""
        return self._open.get(snapshot.uri) is snapshot

    def __iter__(self) -> Iterator[Snapshot]:
        return iter(list(self._open.values()))

    def __len__(self) -> int:
        return len(self._open)
