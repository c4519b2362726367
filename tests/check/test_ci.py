"""What a CI job gets beside the report (check/ci.py): the Markdown summary and the step outputs."""

from __future__ import annotations

from pathlib import Path

from spoilerscan import check
from spoilerscan.check import check_texts
from spoilerscan.check.ci import MAX_ROWS, markdown_summary, step_outputs
from tests.helpers.checkstub import keyword_scorer


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
