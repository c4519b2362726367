"""What a CI job gets beside the report (check/ci.py, ``check --sarif-file/--summary-file/--outputs-file``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoilerscan import check, cli
from spoilerscan.check import check_texts
from spoilerscan.check.ci import MAX_ROWS, markdown_summary, step_outputs
from tests.checkstub import KeywordDetector, keyword_scorer, one_error_line, write
from tests.tools import assert_valid_sarif

runner = CliRunner()


@pytest.fixture()
def detector(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> KeywordDetector:
    stub = KeywordDetector()
    monkeypatch.setattr(cli.scoring, "load_detector", lambda *args, **kwargs: stub)
    monkeypatch.chdir(tmp_path)
    return stub


def report_of(texts: list[tuple[str, str]], fail_at: float = 0.5) -> check.Report:
    return check.Report(list(check_texts(texts, keyword_scorer, 0.5, fail_at)), 0.5, fail_at)


def test_the_summary_is_a_table_that_shows_text_as_written() -> None:
    summary = markdown_summary(report_of([("posts/a|b.md", "Fine. In the end *the <b>hero</b>* dies | sadly.")]))
    lines = summary.rstrip("\n").splitlines()
    assert lines[0] == "### spoilerscan: 1 unmarked spoiler (1 failing) in 1 of 1 file"
    assert lines[2:4] == ["| file | line | severity | score | sentence |", "| --- | ---: | --- | ---: | --- |"]
    assert lines[4] == (r"| posts/a\|b.md | 1 | error | 0.90 | In the end \*the \<b\>hero\</b\>\* dies \| sadly. |")
    assert lines[-1] == (r"To fix: mark it as a spoiler (\>\!…\!\<), or put \<\!-- spoilerscan: ignore --\> before it "
                         "if it is fine.")


def test_a_long_summary_is_cut_and_says_so_and_a_clean_one_has_no_table() -> None:
    many = report_of([(f"r{n}.md", "He dies.") for n in range(MAX_ROWS + 5)])
    lines = markdown_summary(many).rstrip("\n").splitlines()
    assert sum(line.startswith("| r") for line in lines) == MAX_ROWS
    assert "| … | | | | 5 more in the report |" in lines
    assert "mark them as spoilers" in lines[-1] and "before each one that is fine" in lines[-1]
    assert markdown_summary(report_of([("ok.md", "Fine.")])) == "### spoilerscan: no unmarked spoilers in 1 file\n\n\n"


def test_step_outputs_count_failing_and_warnings() -> None:
    texts = [("a.md", "He dies. Fine. She dies too.")]  # two findings scored 0.9
    assert step_outputs(report_of(texts, fail_at=0.5)) == "failing=2\nwarnings=0\n"
    outputs = step_outputs(report_of(texts, fail_at=0.95), Path("out.sarif"))
    assert outputs == "failing=0\nwarnings=2\nsarif-file=out.sarif\n"


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
