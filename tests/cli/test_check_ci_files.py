"""``check --sarif-file/--summary-file/--outputs-file``: the files a CI job reads, written by the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoilerscan import cli
from tests.helpers.checkstub import KeywordDetector, one_error_line, stub_in_empty_folder, write
from tests.helpers.tools import assert_valid_sarif

runner = CliRunner()


@pytest.fixture()
def detector(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> KeywordDetector:
    """The keyword stub as the command's model, run from an empty directory (no pyproject above it)."""
    return stub_in_empty_folder(monkeypatch, tmp_path)


def test_the_command_writes_sarif_appends_the_summary_and_the_outputs(detector: KeywordDetector,
                                                                     tmp_path: Path) -> None:
    write(tmp_path, "a.md", "Fine. He dies.\n")
    (tmp_path / "summary.md").write_text("earlier step\n", encoding="utf-8")
    result = runner.invoke(cli.app, ["check", "a.md", "--format", "github", "--sarif-file", "out.sarif",
                                     "--summary-file", "summary.md", "--outputs-file", "outputs.txt"])
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("::error file=a.md,line=1,col=7,")  # --format still decides stdout
    sarif = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    assert_valid_sarif(sarif)
    assert sarif == json.loads(runner.invoke(cli.app, ["check", "a.md", "-f", "sarif"]).stdout)
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("earlier step\n### spoilerscan: 1 unmarked spoiler (1 failing) in 1 of 1 file\n")
    assert (tmp_path / "outputs.txt").read_text(encoding="utf-8") == "failing=1\nwarnings=0\nsarif-file=out.sarif\n"


def test_an_unreadable_input_is_in_every_file_with_its_reason(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "a.md", "Fine.\n")
    write(tmp_path, "bad.txt", b"\x00\x01binary")
    result = runner.invoke(cli.app, ["check", "a.md", "bad.txt", "--sarif-file", "out.sarif", "--summary-file",
                                     "summary.md", "--outputs-file", "outputs.txt"])
    assert result.exit_code == 2
    sarif = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    assert_valid_sarif(sarif)
    [note] = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"] == "could not read bad.txt: binary file (contains NUL bytes), not a text review"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "bad.txt", "uriBaseId": "%SRCROOT%"}
    assert "- bad.txt: binary file (contains NUL bytes), not a text review" in (tmp_path / "summary.md").read_text()
    assert (tmp_path / "outputs.txt").read_text(encoding="utf-8") == "failing=0\nwarnings=0\nsarif-file=out.sarif\n"


def test_a_file_that_cannot_be_written_is_one_line_and_exit_2_before_scoring(detector: KeywordDetector,
                                                                            tmp_path: Path) -> None:
    write(tmp_path, "a.md", "Fine.\n")
    for option in ("--sarif-file", "--summary-file", "--outputs-file"):
        result = runner.invoke(cli.app, ["check", "a.md", option, "no/such/folder/file"])
        assert result.exit_code == 2, (option, result.output)
        assert detector.calls == [], option  # nothing was scored
        line = one_error_line(result.stderr)
        assert line.startswith("spoilerscan: error: no/such/folder/file: cannot write ("), option
