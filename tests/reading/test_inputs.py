"""Reading reviews (files, globs, directories, stdin)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from spoilerscan.errors import EXIT_USAGE, InputError
from spoilerscan.reading import inputs
from spoilerscan.reading.inputs import STDIN, Selection, decode, expand_inputs, read_review


def test_decode_keeps_bom_and_crlf() -> None:
    assert decode(b"\xef\xbb\xbfHi.\r\nThere.", "r.md") == "\ufeffHi.\r\nThere."


def test_decode_refuses_binary() -> None:
    with pytest.raises(InputError, match=r"^r\.bin: binary file"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "r.bin")


def test_decode_names_the_bad_byte() -> None:
    with pytest.raises(InputError) as caught:
        decode("caf\u00e9 ok".encode("latin-1"), "latin.txt")
    assert str(caught.value) == "latin.txt: not UTF-8 text (byte 0xe9 at offset 3)"
    assert caught.value.exit_code == EXIT_USAGE


def test_decode_empty() -> None:
    assert decode(b"", "empty.md") == ""


def test_read_review(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_bytes(b"\xef\xbb\xbf# T\r\n")
    review = read_review(str(path))
    assert (review.name, review.text, review.path) == (str(path), "\ufeff# T\r\n", path)


def test_read_missing_file(tmp_path: Path) -> None:
    name = str(tmp_path / "nope.md")
    with pytest.raises(InputError, match=f"^{name}: no such file$"):
        read_review(name)


def test_read_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"is a directory.*--recursive"):
        read_review(str(tmp_path))


def test_read_binary_and_undecodable_files(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(bytes(range(256)))
    (tmp_path / "b.txt").write_bytes(b"ok \xff\xfe")
    with pytest.raises(InputError, match="binary"):
        read_review(str(tmp_path / "a.bin"))
    with pytest.raises(InputError, match=r"not UTF-8.*0xff at offset 3"):
        read_review(str(tmp_path / "b.txt"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_read_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.md"
    path.write_text("x")
    path.chmod(0)
    with pytest.raises(InputError, match="cannot read"):
        read_review(str(path))


def test_read_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbfFrom stdin.\r\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", fake)
    review = read_review(STDIN)
    assert (review.name, review.text, review.path) == ("-", "\ufeffFrom stdin.\r\n", None)


def test_read_stdin_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a\x00b")))
    with pytest.raises(InputError, match="<stdin>: binary"):
        read_review(STDIN)


# --- expanding arguments --------------------------------------------------------------------


@pytest.fixture()
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("a.md", "b.txt", "c.jpg", "sub/d.md", "sub/deeper/e.markdown", "sub/f.bin"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_nothing_means_stdin() -> None:
    assert list(expand_inputs([])) == [STDIN]


def test_names_pass_through_in_order(tree: Path) -> None:
    assert list(expand_inputs(["b.txt", "-", "a.md", "missing.md", "sub"])) == [
        "b.txt", "-", "a.md", "missing.md", "sub"]


def test_glob_expansion(tree: Path) -> None:
    assert list(expand_inputs(["*.md"])) == ["a.md"]
    assert list(expand_inputs(["**/*.md"])) == ["a.md", os.path.join("sub", "d.md")]
    assert list(expand_inputs(["s*"])) == ["sub"]  # a directory, kept (as the shell would) to be reported


def test_a_glob_that_matches_a_directory_reports_it_without_recursive(tree: Path) -> None:
    assert list(expand_inputs(["*"])) == ["a.md", "b.txt", "c.jpg", "sub"]
    with pytest.raises(InputError, match=r"sub: is a directory \(use --recursive"):
        read_review("sub")
    assert list(expand_inputs(["s*"], recursive=True)) == [
        os.path.join("sub", "d.md"), os.path.join("sub", "deeper", "e.markdown")]


def test_a_file_named_twice_in_any_spelling_is_read_once(tree: Path) -> None:
    (tree / "link.md").symlink_to(tree / "a.md")
    names = ["a.md", "./a.md", str(tree / "a.md"), "link.md", "b.txt", "*.md", "-", "-"]
    assert list(expand_inputs(names)) == ["a.md", "b.txt", "-"]


def test_a_directory_is_no_file_of_known_spoilers(tree: Path) -> None:
    with pytest.raises(InputError, match="sub: is a directory, not a file of known spoilers"):
        inputs.read_known_spoilers(Path("sub"))


def test_glob_without_matches_is_passed_on_to_be_reported(tree: Path) -> None:
    assert list(expand_inputs(["*.rst"])) == ["*.rst"]
    with pytest.raises(InputError, match=r"\*\.rst: no such file"):
        read_review("*.rst")


def test_existing_file_with_glob_characters_is_not_expanded(tree: Path) -> None:
    (tree / "[a].md").write_text("x")
    assert list(expand_inputs(["[a].md"])) == ["[a].md"]


def test_recursive_reads_review_files_in_directories(tree: Path) -> None:
    assert list(expand_inputs(["sub"], recursive=True)) == [
        os.path.join("sub", "d.md"), os.path.join("sub", "deeper", "e.markdown")]
    assert list(expand_inputs(["."], recursive=True)) == [
        "a.md", "b.txt", os.path.join("sub", "d.md"), os.path.join("sub", "deeper", "e.markdown")]


def test_directory_without_recursive_is_reported(tree: Path) -> None:
    assert list(expand_inputs(["sub"])) == ["sub"]
    with pytest.raises(InputError, match="sub: is a directory"):
        read_review("sub")


@pytest.mark.parametrize(("pattern", "path", "tree", "hit"), [
    ("*.md", "a/b/review.md", False, True),
    ("*.md", "a/b/review.txt", False, False),
    ("drafts", "reviews/drafts/x.md", True, True),
    ("drafts", "reviews/drafts/x.md", False, True),  # gitignore semantics (issue 11): a folder's files match
    ("*.md", "keep.md", False, True),
    ("reviews/drafts", "reviews/drafts/x.md", True, True),
    ("reviews/drafts", "old/reviews/drafts/x.md", True, False),
    ("posts/**/*.html", "posts/2024/05/a.html", False, True),
    ("posts/**/*.html", "posts/a.html", False, True),
    ("posts/*.html", "posts/2024/a.html", False, False),
    ("./reviews/", "reviews/a.md", True, True),
])
def test_glob_rules(pattern: str, path: str, tree: bool, hit: bool) -> None:
    """``tree``: as an exclude pattern (folders on the way count), else as an include pattern."""
    selection = Selection(exclude=(pattern,)) if tree else Selection(include=(pattern,))
    assert (selection.excluded(path) if tree else selection.included(path)) is hit


def test_negated_patterns_re_include() -> None:
    selection = Selection(include=("*.md", "!drafts/*.md"), exclude=("old", "!old/keep.md"))
    assert selection.included("a.md") and not selection.included("drafts/b.md")
    assert selection.excluded("old/x.md") and not selection.excluded("old/keep.md")



# --- atomic writes --------------------------------------------------------------------------
