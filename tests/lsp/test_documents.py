"""Open documents: which are reviews, how they are read, and edits applied in the client's units."""

from __future__ import annotations

import pytest
from lsprotocol import types

from spoilerscan.lsp.documents import Documents, Snapshot, is_review
from spoilerscan.lsp.positions import Encoding
from spoilerscan.reading.document import Format


def change(start: tuple[int, int], end: tuple[int, int], text: str) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(*start), types.Position(*end)), text=text)


@pytest.mark.parametrize(("uri", "language", "served"), [
    ("file:///r/review.md", "markdown", True),
    ("file:///r/page.html", "html", True),
    ("untitled:Untitled-1", "plaintext", True),
    ("untitled:notes", "text", True),  # Neovim's and Emacs's plain text
    ("file:///r/notes.rst", "restructuredtext", True),  # a suffix check reads
    ("file:///r/notes.TXT", "something", True),
    ("file:///r/code.py", "python", False),
    ("file:///r/pyproject.toml", "toml", False),
])
def test_reviews_are_the_documents_check_would_read(uri: str, language: str, served: bool) -> None:
    assert is_review(uri, language) is served


@pytest.mark.parametrize(("uri", "language", "expected"), [
    ("file:///r/a.txt", "markdown", Format.markdown),  # the editor says Markdown
    ("untitled:1", "html", Format.html),
    ("file:///r/a.md", "plaintext", Format.text),
    ("file:///r/a.htm", "xhtml", Format.html),  # not a review language: by suffix, as check reads it
    ("file:///r/a.rst", "restructuredtext", Format.text),
])
def test_a_document_is_read_by_its_language_else_its_suffix(uri: str, language: str, expected: Format) -> None:
    assert Snapshot(uri, 1, "", language).format is expected


def test_incremental_changes_count_utf16_units() -> None:
    documents = Documents()
    documents.encoding = Encoding.utf16
    documents.open(types.TextDocumentItem("file:///r/a.md", "markdown", 1, "I 😀 it.\r\nHe dies.\n"))
    # "it" sits after an emoji: UTF-16 column 5, code-point column 4.
    after = documents.change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri="file:///r/a.md", version=2),
        [change((0, 5), (0, 7), "loved"), change((1, 3), (1, 7), "lives")]))
    assert after is not None and after.version == 2
    assert after.text == "I 😀 loved.\r\nHe lives.\n"
    assert documents.get("file:///r/a.md") is after


def test_utf8_and_whole_text_changes() -> None:
    documents = Documents()
    documents.encoding = Encoding.utf8
    documents.open(types.TextDocumentItem("file:///r/a.md", "markdown", 1, "Café ending."))
    after = documents.change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri="file:///r/a.md", version=2), [change((0, 6), (0, 12), "end")]))
    assert after is not None and after.text == "Café end."
    whole = documents.change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri="file:///r/a.md", version=3),
        [types.TextDocumentContentChangeWholeDocument(text="New.")]))
    assert whole is not None and whole.text == "New." and whole.lines.text == "New."


def test_a_snapshot_is_current_until_the_next_version_or_close() -> None:
    documents = Documents()
    first = documents.open(types.TextDocumentItem("file:///r/a.md", "markdown", 1, "One."))
    assert first is not None and documents.is_current(first)
    second = documents.change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri="file:///r/a.md", version=2), [change((0, 0), (0, 0), "Two. ")]))
    assert second is not None and not documents.is_current(first) and documents.is_current(second)
    assert first.text == "One." and second.text == "Two. One."  # the old snapshot is untouched
    documents.close("file:///r/a.md")
    assert not documents.is_current(second) and len(documents) == 0


def test_documents_of_other_languages_are_not_kept() -> None:
    documents = Documents()
    assert documents.open(types.TextDocumentItem("file:///r/a.py", "python", 1, "x = 1")) is None
    assert documents.change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri="file:///r/a.py", version=2), [change((0, 0), (0, 0), "y")])) is None
