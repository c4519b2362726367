"""redact and highlight through CliRunner: byte-for-byte output, styles, files, errors.

The tiny model's probabilities all lie strictly between 0 and 1, so ``--threshold 0`` flags every
sentence and ``--threshold 1`` flags none: the outcomes are deterministic.
"""


from __future__ import annotations

import html
import json
import os
import re
import stat
from pathlib import Path

import pytest

from spoilerscan.cli import app
from spoilerscan.model.detect import Detector
from spoilerscan.reading.segment import split_sentences
from spoilerscan.render import RedactStyle
from tests.cli.conftest import MESSY, MESSY_BYTES, everything_flagged, one_error_line, run, spoilerscan

# --- redact ---------------------------------------------------------------------------------


def test_nothing_flagged_gives_the_input_back_byte_for_byte(review: Path, model: str) -> None:
    result = run("redact", review, "--model", model, "--threshold", "1", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == MESSY_BYTES
    assert result.stderr == ""


def test_redact_to_a_file_keeps_bom_crlf_and_markdown(review: Path, model: str, tmp_path: Path) -> None:
    out = tmp_path / "safe.md"
    result = run("redact", review, "-m", model, "-t", "0", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == b""
    written = out.read_bytes()
    assert written == everything_flagged(MESSY).encode("utf-8")
    assert written.startswith(b"\xef\xbb\xbf# ")
    assert written.count(b"\r\n") == MESSY_BYTES.count(b"\r\n")
    assert b"\n" not in written.replace(b"\r\n", b"")
    assert written.endswith(b"\r\n")
    text = written.decode("utf-8")
    assert len(text) == len(MESSY)  # block style keeps every length
    assert not set(text) - set(MESSY) - {"\u2588"}


@pytest.mark.parametrize("style", list(RedactStyle))
def test_every_style(review: Path, model: str, style: RedactStyle) -> None:
    result = run("redact", review, "-m", model, "-t", "0", "--style", style.value, "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == everything_flagged(MESSY, style).encode("utf-8")


def test_summary_goes_to_stderr_not_stdout(review: Path, model: str) -> None:
    result = run("redact", review, "-m", model, "-t", "0")
    assert result.exit_code == 0
    assert result.stdout_bytes == everything_flagged(MESSY).encode("utf-8")
    assert result.stderr.strip() == f"{len(split_sentences(MESSY, 'markdown'))} spoiler sentence(s) found"


def test_a_quiet_redact_does_not_import_rich(review: Path, model: str) -> None:
    """rich draws messages and the progress bar on stderr; a --quiet run writes neither, so it does not
    pay for importing rich (start-up time)."""
    from tests.cli.test_help import imported_by

    loaded, stdout = imported_by("redact", str(review), "--model", model, "--threshold", "0", "--quiet")
    assert "\u2588" in stdout  # it did score and redact
    assert not {m for m in loaded if m.split(".")[0] == "rich"}
    loud, _ = imported_by("redact", str(review), "--model", model, "--threshold", "0")
    assert "rich.console" in loud  # (the summary line is rich's)


def test_stdin(model: str) -> None:
    result = run("redact", "-", "-m", model, "-t", "1", "-q", input=MESSY_BYTES)
    assert result.exit_code == 0
    assert result.stdout_bytes == MESSY_BYTES
    result = run("redact", "-m", model, "-t", "0", "-q", input=MESSY_BYTES)  # no path also means stdin
    assert result.stdout_bytes == everything_flagged(MESSY, fmt="text").encode("utf-8")  # stdin is plain text
    result = run("redact", "--input-format", "markdown", "-m", model, "-t", "0", "-q", input=MESSY_BYTES)
    assert result.stdout_bytes == everything_flagged(MESSY).encode("utf-8")


def test_empty_file_gives_empty_output(tmp_path: Path, model: str) -> None:
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    for command in (["redact"], ["highlight", "--format", "markdown"]):
        result = run(*command, empty, "-m", model, "-t", "0", "-q")
        assert result.exit_code == 0
        assert result.stdout_bytes == b""
        assert result.stderr == ""


def test_whitespace_only_file_comes_back_unchanged(tmp_path: Path, model: str) -> None:
    blank = tmp_path / "blank.md"
    blank.write_bytes(b"\xef\xbb\xbf\r\n \t\r\n")
    result = run("redact", blank, "-m", model, "-t", "0", "-q")
    assert (result.exit_code, result.stdout_bytes) == (0, b"\xef\xbb\xbf\r\n \t\r\n")


def test_several_files_one_bad(tmp_path: Path, model: str) -> None:
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text("First review. It is good.")
    second.write_text("Second review.")
    missing = tmp_path / "missing.md"
    result = run("redact", first, missing, second, "-m", model, "-t", "1", "-q")
    assert result.exit_code == 2
    # Several reviews to stdout: each one after a "==> name <==" line, parted by a blank line (issue 11, item 6).
    assert result.stdout == f"==> {first} <==\nFirst review. It is good.\n\n==> {second} <==\nSecond review."
    assert one_error_line(result) == f"spoilerscan: error: {missing}: no such file"


@pytest.mark.parametrize(("content", "message"), [
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary file"),
    (b"caf\xe9 au lait", "not UTF-8 text (byte 0xe9 at offset 3)"),
])
def test_binary_and_undecodable_files(tmp_path: Path, model: str, content: bytes, message: str) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(content)
    good = tmp_path / "good.md"
    good.write_text("Fine.")
    result = run("redact", bad, good, "-m", model, "-t", "1", "-q")
    assert result.exit_code == 2
    assert result.stdout == f"==> {good} <==\nFine."
    assert message in one_error_line(result)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_is_named_not_called_binary(tmp_path: Path, model: str, encoding: str) -> None:
    wide = tmp_path / "wide.md"
    wide.write_bytes("A review. He dies.\n".encode(encoding))
    result = run("redact", wide, "-m", model, "-t", "1")
    assert result.exit_code == 2
    name = "UTF-32" if encoding.startswith("utf-32") else "UTF-16"
    assert one_error_line(result) == f"spoilerscan: error: {wide}: {name} text; save it as UTF-8"


def test_an_error_is_one_stderr_line_without_a_summary_after_it(tmp_path: Path, model: str) -> None:
    good = tmp_path / "good.md"
    good.write_text("Fine.")
    for command in (["redact"], ["highlight", "-f", "markdown"], ["scan"]):
        result = run(*command, tmp_path / "missing.md", good, "-m", model, "-t", "1")
        assert result.exit_code == 2
        assert one_error_line(result) == f"spoilerscan: error: {tmp_path / 'missing.md'}: no such file"
    result = run("redact", good, "-m", model, "-t", "1")
    assert (result.exit_code, result.stderr) == (0, "0 spoiler sentence(s) found\n")  # a clean run keeps it


def test_directory_needs_recursive(tmp_path: Path, model: str) -> None:
    (tmp_path / "reviews" / "deeper").mkdir(parents=True)
    (tmp_path / "reviews" / "one.md").write_text("One.")
    (tmp_path / "reviews" / "deeper" / "two.txt").write_text("Two.")
    (tmp_path / "reviews" / "image.png").write_bytes(b"\x89PNG\x00")
    result = run("redact", tmp_path / "reviews", "-m", model, "-t", "1", "-q")
    assert result.exit_code == 2
    assert "is a directory" in one_error_line(result)
    result = run("redact", tmp_path / "reviews", "--recursive", "-m", model, "-t", "1", "-q")
    assert result.exit_code == 0
    reviews = tmp_path / "reviews"  # a folder's files before its sub-folders
    assert result.stdout == f"==> {reviews / 'one.md'} <==\nOne.\n\n==> {reviews / 'deeper' / 'two.txt'} <==\nTwo."


def test_glob_argument(tmp_path: Path, model: str) -> None:
    (tmp_path / "a.md").write_text("A one.")
    (tmp_path / "b.md").write_text("B two.")
    (tmp_path / "c.txt").write_text("C three.")
    result = run("redact", str(tmp_path / "*.md"), "-m", model, "-t", "1", "-q")
    assert (result.exit_code, result.stdout) == (0, f"==> {tmp_path / 'a.md'} <==\nA one.\n\n"
                                                    f"==> {tmp_path / 'b.md'} <==\nB two.")


def test_in_place(tmp_path: Path, model: str) -> None:
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_bytes(MESSY_BYTES)
    second.write_bytes(b"He dies.\r\n")
    result = run("redact", first, second, "--in-place", "-m", model, "-t", "0", "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == b""
    assert first.read_bytes() == everything_flagged(MESSY).encode("utf-8")
    assert second.read_bytes() == ("\u2588" * 8 + "\r\n").encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.md"]  # no temporary files left


def fingerprint(path: Path) -> tuple[int, int, bytes]:
    status = path.stat()
    return status.st_ino, status.st_mtime_ns, path.read_bytes()


def test_in_place_leaves_files_without_spoilers_untouched(tmp_path: Path, model: str) -> None:
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_bytes(MESSY_BYTES)
    second.write_bytes(b"Fine.\r\n")
    before = fingerprint(first), fingerprint(second)
    result = run("redact", first, second, "--in-place", "-m", model, "-t", "1", "-q")
    assert result.exit_code == 0, result.output
    assert (fingerprint(first), fingerprint(second)) == before  # same inode, same mtime, same bytes
    result = run("redact", first, "--in-place", "-m", model, "-t", "0", "-q")
    assert result.exit_code == 0, result.output
    assert fingerprint(first)[0] != before[0][0]  # rewritten: a new file put in place atomically


def test_in_place_backup_keeps_each_rewritten_original(tmp_path: Path, model: str) -> None:
    changed = tmp_path / "a.md"
    changed.write_bytes(MESSY_BYTES)
    changed.chmod(0o640)
    result = run("redact", changed, "--in-place", "--backup", ".orig", "-m", model, "-t", "0", "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.md.orig").read_bytes() == MESSY_BYTES
    assert stat.S_IMODE((tmp_path / "a.md.orig").stat().st_mode) == 0o640
    assert changed.read_bytes() == everything_flagged(MESSY).encode("utf-8")
    clean = tmp_path / "clean.md"
    clean.write_bytes(b"Fine.\n")
    result = run("redact", clean, "--in-place", "--backup", ".orig", "-m", model, "-t", "1", "-q")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "clean.md.orig").exists()  # nothing rewritten, nothing to back up


@pytest.mark.parametrize(("args", "message"), [
    (["--backup", ".orig"], "--backup goes with --in-place"),
    (["--in-place", "--backup", ""], "expected a file name suffix"),
    (["--in-place", "--backup", "/tmp/x"], "expected a file name suffix"),
])
def test_backup_needs_in_place_and_a_suffix(review: Path, model: str, args: list[str], message: str) -> None:
    result = run("redact", review, *args, "-m", model)
    assert result.exit_code == 2  # (the installed command says it in one line: main() formats usage errors)
    assert message in " ".join(result.stderr.split())


@pytest.fixture()
def no_model_load(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Errors reported before the model was asked for; loading it fails the test."""
    import spoilerscan.runtime.runtime as runtime
    from spoilerscan import cli

    reported: list[str] = []
    real_error = cli.output.error

    def record(message: str) -> None:
        reported.append(message)
        real_error(message)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded although the output cannot be written")

    monkeypatch.setattr(cli.output, "error", record)
    monkeypatch.setattr(runtime, "load_detector", refuse)
    return reported


@pytest.mark.parametrize("command", [["redact"], ["highlight", "-f", "html"], ["scan"]])
@pytest.mark.parametrize(("target", "reason"), [("missing/out.txt", "No such file or directory"),
                                                 ("folder", "Is a directory"),
                                                 ("file.txt/out.txt", "Not a directory")])
def test_an_unwritable_output_fails_before_the_model_loads(tmp_path: Path, review: Path, no_model_load: list[str],
                                                           command: list[str], target: str, reason: str) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("x")
    result = run(*command, review, "-o", tmp_path / target)
    assert result.exit_code == 2
    assert one_error_line(result) == f"spoilerscan: error: {tmp_path / target}: cannot write ({reason})"


def test_an_unwritable_in_place_file_is_reported_before_scoring(tmp_path: Path, model: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from spoilerscan import cli

    locked, fine = tmp_path / "locked.md", tmp_path / "fine.md"
    locked.write_text("He dies.\n")
    fine.write_text("She lives.\n")
    import spoilerscan.runtime.runtime as runtime

    real_access, real_load = os.access, runtime.load_detector
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != locked and real_access(path, mode))
    events: list[str] = []
    monkeypatch.setattr(cli.output, "error", lambda message: events.append(f"error: {message}"))
    monkeypatch.setattr(runtime, "load_detector", lambda *a, **k: events.append("load") or real_load(*a, **k))
    result = run("redact", locked, fine, "--in-place", "-m", model, "-t", "0", "-q")
    assert result.exit_code == 2
    assert events == [f"error: {locked}: cannot write (Permission denied)", "load"]
    assert locked.read_text() == "He dies.\n"  # skipped
    assert fine.read_text() == "\u2588" * 10 + "\n"  # the others are still done


def test_in_place_refuses_stdin(model: str) -> None:
    result = run("redact", "-", "--in-place", "-m", model, input=b"x")
    assert result.exit_code == 2


def test_output_takes_one_input(tmp_path: Path, review: Path, model: str) -> None:
    (tmp_path / "other.md").write_text("Other.")
    result = run("redact", review, tmp_path / "other.md", "-o", tmp_path / "out.md", "-m", model)
    assert result.exit_code == 2
    assert not (tmp_path / "out.md").exists()


def test_unknown_style(review: Path, model: str) -> None:
    result = run("redact", review, "--style", "spoilertag", "-m", model)
    assert result.exit_code == 2
    assert "spoilertag" in result.stderr
    assert result.stdout_bytes == b""


@pytest.mark.parametrize("value", ["-0.1", "1.5", "half"])
def test_bad_threshold(review: Path, model: str, value: str) -> None:
    assert run("redact", review, "--threshold", value, "-m", model).exit_code == 2


def test_marked_spoilers_survive_every_command(tmp_path: Path, model: str) -> None:
    """issue 11, item 3: marked text is not scored, rewritten or reported."""
    path = tmp_path / "marked.md"
    path.write_text("Fine film. >!He dies at the end.!< And ||she lives||.\n", encoding="utf-8")
    for style in RedactStyle:
        out = run("redact", path, "-m", model, "-t", "0", "-q", "--style", style.value).stdout
        assert ">!He dies at the end.!<" in out and "||she lives||" in out, out
    found = json.loads(run("scan", path, "-m", model, "-t", "0", "-q").stdout)["reviews"][0]["sentences"]
    assert [s["text"] for s in found] == ["Fine film.", "And ||she lives||."]


def test_pragmas_and_allowed_phrases_are_honoured_by_redact(tmp_path: Path, model: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.spoilerscan]\nallowed-phrases = ["Nobody Dies Today"]\n')
    monkeypatch.chdir(tmp_path)
    text = "I watched Nobody Dies Today. <!-- spoilerscan: ignore --> He dies. She dies.\n"
    out = run("redact", "-", "-m", model, "-t", "0", "-q", "--style", "label", input=text).stdout
    assert out == "[spoiler] Nobody Dies Today. <!-- spoilerscan: ignore --> He dies. [spoiler]\n"


def test_highlight_html_refuses_several_reviews_in_one_stream(tmp_path: Path, review: Path, model: str) -> None:
    """issue 6: two HTML documents in one stream would be one broken page."""
    other = tmp_path / "other.md"
    other.write_text("Other.")
    result = run("highlight", review, other, "--format", "html", "-m", model)
    assert result.exit_code == 2 and result.stdout == ""
    installed = spoilerscan("highlight", review, other, "--format", "html", "-m", model)
    assert installed.returncode == 2 and installed.stdout == b""
    assert installed.stderr.decode().startswith("spoilerscan: error: ") and installed.stderr.count(b"\n") == 1
    assert b"would be 2 HTML documents in one stream" in installed.stderr
    assert run("highlight", review, other, "--format", "markdown", "-m", model, "-t", "1", "-q").stdout_bytes == (
        f"==> {review} <==\n{MESSY}\n==> {other} <==\nOther.".encode())


def test_input_format_option_is_documented() -> None:
    for command in ("redact", "highlight", "scan", "check"):
        text = " ".join(run(command, "--help").stdout.split())
        assert "--input-format" in text and "auto" in text and "markdown" in text and "html" in text


# --- model directory problems ---------------------------------------------------------------


def damage_truncated_encoder(directory: Path) -> None:
    encoder = directory / "encoder.onnx"
    encoder.write_bytes(encoder.read_bytes()[:100])


def damage_head_not_onnx(directory: Path) -> None:
    (directory / "head.onnx").write_text("not an ONNX graph")


def damage_swapped_graphs(directory: Path) -> None:
    head = (directory / "head.onnx").read_bytes()
    (directory / "head.onnx").write_bytes((directory / "encoder.onnx").read_bytes())
    (directory / "encoder.onnx").write_bytes(head)


def damage_missing_head(directory: Path) -> None:
    (directory / "head.onnx").unlink()


def damage_missing_encoders(directory: Path) -> None:
    (directory / "encoder.onnx").unlink()
    (directory / "encoder-int8.onnx").unlink()


def damage_missing_metadata(directory: Path) -> None:
    (directory / "spoilerscan.json").unlink()


def damage_bad_metadata(directory: Path) -> None:
    (directory / "spoilerscan.json").write_text("{not json")


def damage_metadata_without_threshold(directory: Path) -> None:
    (directory / "spoilerscan.json").write_text('{"max_length": 64}')


def damage_bad_tokenizer(directory: Path) -> None:
    (directory / "tokenizer.json").write_text("{")


def damage_missing_tokenizer(directory: Path) -> None:
    (directory / "tokenizer.json").unlink()


@pytest.mark.parametrize(("damage", "message"), [
    (damage_truncated_encoder, "encoder.onnx could not be loaded"),
    (damage_head_not_onnx, "head.onnx could not be loaded"),
    (damage_swapped_graphs, "encoder.onnx is not a sentence encoder"),
    (damage_missing_head, "incomplete: missing head.onnx"),
    (damage_missing_encoders, "incomplete: missing encoder.onnx or encoder-int8.onnx"),
    (damage_missing_metadata, "incomplete: missing spoilerscan.json"),
    (damage_bad_metadata, "bad spoilerscan.json"),
    (damage_metadata_without_threshold, "bad spoilerscan.json"),
    (damage_bad_tokenizer, "bad tokenizer"),
    (damage_missing_tokenizer, "incomplete: missing tokenizer.json"),
])
@pytest.mark.parametrize("command", ["redact", "scan", "check"])
def test_corrupt_model_directory(tiny_model_copy: Path, review: Path, damage, message: str, command: str) -> None:
    damage(tiny_model_copy)
    result = run(command, review, "--model", tiny_model_copy)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert str(tiny_model_copy) in line
    assert message in line
    assert result.stdout_bytes == b""
    assert review.read_bytes() == MESSY_BYTES


def test_missing_model_directory(tmp_path: Path, review: Path) -> None:
    result = run("redact", review, "--model", tmp_path / "no-model")
    assert result.exit_code == 2
    assert one_error_line(result) == f"spoilerscan: error: model directory not found: {tmp_path / 'no-model'}"


# --- highlight ------------------------------------------------------------------------------


def test_highlight_markdown(review: Path, model: str) -> None:
    result = run("highlight", review, "--format", "markdown", "-m", model, "-t", "0", "-q")
    assert result.exit_code == 0
    out = result.stdout_bytes.decode("utf-8")
    assert out.count("<mark ") == len(split_sentences(MESSY, "markdown"))
    assert out.startswith("\ufeff# <mark")
    assert out.replace("\r\n", "") .count("\n") == 0  # line endings are still CRLF
    result = run("highlight", review, "--format", "markdown", "-m", model, "-t", "1", "-q")
    assert result.stdout_bytes == MESSY_BYTES


def test_highlight_html_to_a_file(review: Path, model: str, tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    result = run("highlight", review, "-f", "html", "-o", out, "-m", model, "-t", "0", "-q")
    assert result.exit_code == 0
    page = out.read_bytes().decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # Every sentence is marked (one whose link or image brackets part it, piece by piece).
    assert page.count('<mark class="spoiler"') >= len(split_sentences(MESSY, "markdown"))
    body = re.sub(r'<mark class="spoiler" title="spoiler score [0-9.]+" data-score="[0-9.]+" tabindex="0">|</mark>',
                  "", page.split('<div id="review" class="review" tabindex="-1">', 1)[1].split("</div>", 1)[0])
    assert html.unescape(body) == MESSY
    assert "&quot;I see dead people,&quot;" in page
    assert "<title>review.md</title>" in page and str(tmp_path) not in page  # its name, not where it lies


def test_highlight_terminal(review: Path, model: str) -> None:
    score = Detector.load(model).annotate(MESSY, fmt="markdown").sentences[1].score
    result = run("highlight", review, "-m", model, "-t", "0", "-q")
    assert result.exit_code == 0
    assert f"Dr. Crowe meets Cole. [{score:.2f}]" in result.stdout
    result = run("highlight", review, "-m", model, "-t", "1", "-q")
    assert "[0." not in result.stdout
    assert "Crowe was dead all along!" in result.stdout


@pytest.mark.parametrize("command", ["redact", "highlight", "scan"])
def test_a_directory_without_reviews_is_said_not_silent(tmp_path: Path, model: str, command: str) -> None:
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    result = run(command, "-r", tmp_path, "-m", model)
    assert result.exit_code == 0
    assert f"spoilerscan: note: no review files in {tmp_path} (files ending in .md" in result.stderr
    assert "no review files" not in run(command, "-r", tmp_path, "-m", model, "-q").stderr


def test_help_paragraphs_are_wrapped_by_the_terminal_not_by_the_docstring() -> None:
    import typer.main

    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        assert command.help and "\n" not in command.help.replace("\n\n", ""), name


def test_highlight_into_a_pipe_keeps_every_byte_but_adds_the_scores(tmp_path: Path, model: str) -> None:
    text = "\tTabbed line.\rLone CR line.\r\nEsc \x1b[31m here.\x0c\n"
    source = tmp_path / "controls.txt"
    source.write_bytes(text.encode())
    result = run("highlight", source, "-m", model, "-t", "1", "-q")  # CliRunner's stdout is no terminal
    assert result.exit_code == 0
    assert result.stdout_bytes == text.encode()


