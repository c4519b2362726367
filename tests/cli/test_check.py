"""The ``spoilerscan check`` command: exit codes, formats end to end, config, hook and docs.

The CLI tests swap a keyword stub (checkstub.py) in for the model loader; a few subprocess runs
use the tiny model with thresholds of 0 and 1.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from spoilerscan import check, cli
from spoilerscan.settings.config import CONFIG_KEYS
from tests.helpers.checkstub import KeywordDetector, one_error_line, stub_in_empty_folder, write, write_pyproject
from tests.helpers.tools import sarif_schema

FIXTURES = Path(__file__).parents[1] / "fixtures"
REPO = Path(__file__).parents[2]
runner = CliRunner()


@pytest.fixture()
def detector(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> KeywordDetector:
    """The keyword stub as the CLI's model, run from an empty directory (no pyproject above it)."""
    return stub_in_empty_folder(monkeypatch, tmp_path)


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(cli.app, ["check", *args], input=input)


@pytest.mark.parametrize(("content", "code"), [
    ("The acting is great. I loved the score.\n", 0),
    ("The acting is great. In the end the mentor dies.\n", 1),
    ("The acting is great. In the end >!the mentor dies!<.\n", 0),
    (b"\x00\x01binary\x00", 2),
    (b"caf\xe9 dies", 2),
])
def test_exit_codes(detector: KeywordDetector, tmp_path: Path, content: str | bytes, code: int) -> None:
    result = run(write(tmp_path, "review.md", content))
    assert result.exit_code == code, result.output
    if code == 2:
        one_error_line(result.stderr)
    else:
        assert ("review.md:1:22: error: unmarked spoiler (score 0.90): In the end the mentor dies." in result.stdout) \
            is (code == 1)


def test_whole_fixtures_marked_and_unmarked(detector: KeywordDetector) -> None:
    assert run(str(FIXTURES / "check_marked.md")).exit_code == 0
    result = run(str(FIXTURES / "check_unmarked.md"), "--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == (4, 1, 5, 28)


@pytest.mark.parametrize("args", [
    ["missing.md"],
    ["folder"],  # a directory without --recursive
    ["review.md", "--format", "xml"],
    ["review.md", "--fail-threshold", "2"],
    ["review.md", "--style", "spoilers"],
    ["review.md", "--config", "nope.toml"],
])
def test_usage_and_input_errors_exit_2_in_one_line(detector: KeywordDetector, tmp_path: Path,
                                                   args: list[str]) -> None:
    write(tmp_path, "review.md", "He dies.\n")
    (tmp_path / "folder").mkdir()
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_input_errors_still_report_the_readable_files_and_exit_2(detector: KeywordDetector, tmp_path: Path) -> None:
    result = run(write(tmp_path, "a.md", "He dies.\n"), "missing.md", "--exit-zero")
    assert result.exit_code == 2
    assert "a.md:1:1: error:" in result.stdout
    assert one_error_line(result.stderr) == "spoilerscan: error: missing.md: no such file"
    assert result.stderr == "spoilerscan: error: missing.md: no such file\n"  # no summary after an error
    write(tmp_path, "wide.md", "\ufeffHe dies.\n".encode("utf-16-le"))
    result = run("a.md", "wide.md")
    assert (result.exit_code, result.stderr) == (2, "spoilerscan: error: wide.md: UTF-16 text; save it as UTF-8\n")


def test_bad_config_exits_2_in_one_line(detector: KeywordDetector, tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.spoilerscan]\nthreshhold = 0.5\n")
    result = run(write(tmp_path, "a.md", "Fine.\n"))
    assert result.exit_code == 2
    assert "unknown key 'threshhold'" in one_error_line(result.stderr)


def test_exit_zero_reports_without_failing(detector: KeywordDetector, tmp_path: Path) -> None:
    result = run(write(tmp_path, "a.md", "He dies.\n"), "--exit-zero")
    assert result.exit_code == 0
    assert "a.md:1:1: error: unmarked spoiler" in result.stdout


def test_fail_threshold_separate_from_reporting_threshold(detector: KeywordDetector, tmp_path: Path) -> None:
    name = write(tmp_path, "a.md", "He dies.\n")
    result = run(name, "--fail-threshold", "0.95")
    assert result.exit_code == 0 and "a.md:1:1: warning: unmarked spoiler" in result.stdout
    assert run(name, "--fail-threshold", "0.9").exit_code == 1
    assert run(name, "--threshold", "0.95").exit_code == 0  # nothing reported, nothing fails


def test_the_fail_threshold_defaults_to_the_models(detector: KeywordDetector, tmp_path: Path) -> None:
    detector.fail_threshold = 0.95  # the model's own: few clean reviews reach it
    name = write(tmp_path, "a.md", "He dies.\n")
    result = run(name, "-f", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert (document["threshold"], document["fail_threshold"]) == (0.5, 0.95)
    assert [f["severity"] for f in document["findings"]] == ["warning"]
    assert run(name, "--fail-threshold", "0.9").exit_code == 1
    write_pyproject(tmp_path, "[tool.spoilerscan]\nfail-threshold = 0.9\n")
    assert run(name).exit_code == 1  # the config's over the model's
    detector.fail_threshold = 0.3  # below the report threshold: raised to it
    (tmp_path / "pyproject.toml").unlink()
    assert json.loads(run(name, "-f", "json", "-t", "0.6").stdout)["fail_threshold"] == 0.6


def test_text_format_is_compiler_style(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "a.md", "Fine.\n\nSo it goes: the dog dies.\n")
    result = run("a.md", "--format", "text")
    assert result.stdout.splitlines() == ["a.md:3:1: error: unmarked spoiler (score 0.90): So it goes: the dog dies."]
    assert "1 unmarked spoiler" in result.stderr
    assert run("a.md", "-q").stderr == ""


def test_text_format_is_coloured_only_on_a_terminal(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "a.md", "He dies.\n")
    plain = runner.invoke(cli.app, ["check", "a.md"], env={"FORCE_COLOR": None, "TTY_COMPATIBLE": None})
    assert "\x1b[" not in plain.stdout and "He dies." in plain.stdout
    coloured = runner.invoke(cli.app, ["check", "a.md"], env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert "\x1b[" in coloured.stdout and "He dies." in coloured.stdout


def test_json_format_parses_back(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "a.md", "Fine. He dies.\n")
    write(tmp_path, "b.md", ">!She dies.!< Fine.\n")
    result = run("a.md", "b.md", "-f", "json")
    document = json.loads(result.stdout)
    assert result.exit_code == 1
    assert document["findings"] == [{"path": "a.md", "line": 1, "column": 7, "end_line": 1, "end_column": 15,
                                     "start": 6, "end": 14, "score": 0.9, "severity": "error", "text": "He dies."}]
    assert document["summary"] == {"files": 2, "sentences": 3, "findings": 1, "errors": 1, "warnings": 0,
                                   "unreadable": []}


def test_github_format_parses_back(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "posts/a.md", "Fine.\n\nHe dies\nat last.\n")
    result = run("posts/a.md", "-f", "github")
    [line] = result.stdout.splitlines()
    match = re.fullmatch(r"::(error|warning) (?P<props>[^:]*)::(?P<message>.*)", line)
    assert match is not None, line
    props = dict(part.split("=", 1) for part in match["props"].split(","))
    assert props == {"file": "posts/a.md", "line": "3", "col": "1", "endLine": "4", "endColumn": "9",
                     "title": "Unmarked spoiler (score 0.90)"}
    assert match["message"].startswith("He dies at last.")


def test_sarif_format_from_the_command_is_schema_valid(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "my reviews/a.md", "\ufeffHe dies.\r\nFine.\r\n")
    result = run("my reviews/a.md", "--format", "sarif", "--fail-threshold", "0.95")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    schema = sarif_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    [item] = document["runs"][0]["results"]
    assert item["level"] == "warning"
    location = item["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "my%20reviews/a.md", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 9}


def sarif_of(result: Any) -> dict[str, Any]:
    """The SARIF log a run wrote, checked against the official schema."""
    document = json.loads(result.stdout)
    schema = sarif_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    return document


def artifacts(document: dict[str, Any]) -> list[dict[str, str]]:
    return [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in document["runs"][0]["results"]]


def test_sarif_paths_are_relative_to_the_git_root_from_any_directory(detector: KeywordDetector, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Code scanning maps a result to a file by its path from the repository root (%SRCROOT%)."""
    site = tmp_path / "site"
    (site / ".git").mkdir(parents=True)
    write(site, "reviews/caf\u00e9 #1.md", "He dies.\n")
    monkeypatch.chdir(site / "reviews")
    document = sarif_of(run("caf\u00e9 #1.md", "--format", "sarif"))
    assert document["runs"][0]["originalUriBaseIds"] == {"%SRCROOT%": {"uri": site.as_uri() + "/"}}
    assert artifacts(document) == [{"uri": "reviews/caf%C3%A9%20%231.md", "uriBaseId": "%SRCROOT%"}]
    github = run("caf\u00e9 #1.md", "--format", "github").stdout
    assert github.startswith("::error file=reviews/caf\u00e9 #1.md,line=1,")  # GitHub maps from the root too
    # From outside the repository, with its config: the root is the config's repository.
    write_pyproject(site, "[tool.spoilerscan]\nthreshold = 0.5\n")
    monkeypatch.chdir(tmp_path)
    document = sarif_of(run(str(site / "reviews" / "caf\u00e9 #1.md"), "--config", str(site / "pyproject.toml"),
                            "-f", "sarif"))
    assert artifacts(document) == [{"uri": "reviews/caf%C3%A9%20%231.md", "uriBaseId": "%SRCROOT%"}]
    # Without either, the current directory is the root; a file outside it keeps an absolute URI.
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    document = sarif_of(run(str(site / "reviews" / "caf\u00e9 #1.md"), "-f", "sarif"))
    assert document["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == (tmp_path / "elsewhere").as_uri() + "/"
    assert artifacts(document) == [{"uri": (site / "reviews" / "caf\u00e9 #1.md").as_uri()}]
    assert "%C3%A9%20%231.md" in artifacts(document)[0]["uri"]


def test_sarif_names_stdin_by_its_file_name(detector: KeywordDetector, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "posts").mkdir()
    monkeypatch.chdir(tmp_path / "posts")
    assert artifacts(sarif_of(run("-f", "sarif", input="He dies.\n"))) == [{"uri": "posts/stdin",
                                                                          "uriBaseId": "%SRCROOT%"}]
    named = sarif_of(run("-f", "sarif", "--stdin-filename", "new post.md", input="He dies.\n"))
    assert artifacts(named) == [{"uri": "posts/new%20post.md", "uriBaseId": "%SRCROOT%"}]
    assert run(input="He dies.\n").stdout.startswith("stdin:1:1: error:")


def test_stdin_with_a_file_name(detector: KeywordDetector) -> None:
    result = run("--stdin-filename", "post.md", input="Fine.\nHe dies.\n")
    assert result.exit_code == 1
    assert result.stdout.startswith("post.md:2:1: error:")


def test_pragmas_through_the_command(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "a.md", "<!-- spoilerscan: ignore -->\nHe dies, says the title.\n\n"
                            "<!-- spoilerscan: off -->\nShe dies.\n<!-- spoilerscan: on -->\nFine.\n")
    assert run("a.md").exit_code == 0
    write(tmp_path, "b.md", "He dies, says the title.\n\nShe dies.\n\nFine.\n")
    assert run("b.md").exit_code == 1


def test_config_is_honoured_and_options_override_it(detector: KeywordDetector, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "reviews/a.md", "I watched Nobody Dies Today.\n")
    write(tmp_path, "reviews/b.md", "Fine. ||She dies.||\n")
    write(tmp_path, "reviews/drafts/c.md", "He dies.\n")
    write_pyproject(tmp_path, '[tool.spoilerscan]\nallowed-phrases = ["Nobody Dies Today"]\n'
                              'exclude = ["drafts"]\nstyle = ["discord"]\nfail-threshold = 0.95\n')
    result = run("reviews", "-r", "-f", "json")
    assert result.exit_code == 0
    assert [f["path"] for f in json.loads(result.stdout)["files"]] == ["reviews/a.md", "reviews/b.md"]
    assert json.loads(result.stdout)["findings"] == []
    assert run("reviews", "-r", "--fail-threshold", "0.5").exit_code == 0  # still nothing unmarked
    assert run("reviews", "-r", "--style", "reddit", "--fail-threshold", "0.5").exit_code == 1  # || not marked
    assert run("reviews/drafts/c.md", "--fail-threshold", "0.5").exit_code == 0  # excluded even when named
    # the nearest pyproject with the table wins, found from a sub-directory too
    write_pyproject(tmp_path / "reviews", "[tool.spoilerscan]\nthreshold = 0.95\n")
    monkeypatch.chdir(tmp_path / "reviews")
    assert run("b.md", "--style", "reddit").exit_code == 0  # threshold 0.95 from reviews/pyproject.toml
    assert run("b.md", "--style", "reddit", "--threshold", "0.5").exit_code == 1


def test_pre_commit_style_run_over_several_files(detector: KeywordDetector, tmp_path: Path) -> None:
    """pre-commit passes the staged files by name; one run scores them all together."""
    names = [write(tmp_path, "reviews/clean.md", "A fine film.\n"),
             write(tmp_path, "reviews/marked.md", "The twist: >!the mentor dies!<.\n"),
             write(tmp_path, "reviews/leaky.md", "# Notes\n\nGood.\r\nThe mentor dies.\r\n"),
             write(tmp_path, "reviews/notes.txt", "The dog dies. <!-- spoilerscan: ignore -->\n"),
             write(tmp_path, "reviews/page.html", '<p>Good. <span class="spoiler">She dies.</span></p>\n')]
    result = run(*names)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "reviews/leaky.md:4:1: error: unmarked spoiler (score 0.90): The mentor dies.",
        "reviews/notes.txt:1:1: error: unmarked spoiler (score 0.90): The dog dies.",
    ]
    assert len(detector.calls) == 1  # one batch for the whole commit
    scored = detector.calls[0]
    assert not any("dies" in s for s in scored if "twist" in s or "Good" in s)  # marked parts never scored
    assert "2 unmarked spoilers" in result.stderr and "in 2 of 5 files" in result.stderr


def test_html_is_read_through_a_parser(detector: KeywordDetector, tmp_path: Path) -> None:
    """issue 11, item 5: tags are never sentences; text nodes keep their exact positions."""
    write(tmp_path, "rev.html", "<html><body>\n<h1>Review</h1>\n<p>Fine film.</p>\n<p>Sadly\nthe dog dies.</p>\n"
                                "<script>var x = 'dies';</script>\n</body></html>\n")
    result = run("rev.html", "-f", "json")
    document = json.loads(result.stdout)
    assert [(f["text"], f["line"], f["column"], f["end_line"], f["end_column"]) for f in document["findings"]] == [
        ("Sadly the dog dies.", 4, 4, 5, 14)]
    assert document["files"][0]["sentences"] == 3
    assert not any("<" in " ".join(call) for call in detector.calls)


def test_stdin_filename_and_input_format_choose_how_stdin_is_read(detector: KeywordDetector) -> None:
    page = "<p>Fine.</p><p>The dog dies.</p>"
    result = run("--stdin-filename", "page.html", "-f", "json", input=page)
    assert [f["text"] for f in json.loads(result.stdout)["findings"]] == ["The dog dies."]
    markdown = "```\nhe dies\n```\n"
    assert run("--input-format", "markdown", input=markdown).exit_code == 0
    assert run(input=markdown).exit_code == 1  # stdin without a name is plain text


def test_markdown_structure_through_the_command(detector: KeywordDetector, tmp_path: Path) -> None:
    """issue 11, item 4: code is not scored; a setext 'Spoilers' heading opens a section."""
    write(tmp_path, "a.md", "Fine.\n\n```\n# spoilers below\n```\n\nThe dog dies.\n")
    write(tmp_path, "b.md", "Fine.\n\nSpoilers\n--------\n\nThe dog dies.\n\n>!He dies.!<\n")
    result = run("a.md", "b.md")
    assert result.stdout.splitlines() == ["a.md:7:1: error: unmarked spoiler (score 0.90): The dog dies."]


def test_help_explains_with_an_example_and_exit_codes() -> None:
    result = runner.invoke(cli.app, ["check", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Example: spoilerscan check" in text
    assert "Exit codes: 0" in text and "1 unmarked spoiler" in text and "2 usage" in text
    assert "[spoiler]…[/spoiler]" in text and "[tool.spoilerscan]" in text  # brackets survive rich markup


# --------------------------------------------------------------------------- hook and docs


def test_pre_commit_hook_definition() -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "spoilerscan" and hook["entry"] == "spoilerscan check" and hook["language"] == "python"
    assert hook["require_serial"] is True  # one process: the model loads once and all files share batches
    files = re.compile(hook["files"])
    assert all(files.search(n) for n in ("reviews/a.md", "b.markdown", "c.txt", "d.html", "e.rst"))
    assert not any(files.search(n) for n in ("setup.py", "pyproject.toml", "a.md.bak"))


def test_docs_list_every_config_key_style_and_format() -> None:
    text = (REPO / "docs" / "check.md").read_text(encoding="utf-8")
    for word in (*CONFIG_KEYS, *check.ALL_STYLES, *check.FORMATTERS, "<!-- spoilerscan: ignore -->",
                 "<!-- spoilerscan: off -->", "<!-- spoilerscan: on -->", "--format github", "upload-sarif",
                 "--spoilers"):
        assert word in text, word


# --------------------------------------------------------------------------- the installed command


def spoilerscan_command() -> str:
    found = Path(sys.executable).parent / "spoilerscan"
    return str(found) if found.exists() else str(shutil.which("spoilerscan"))


@pytest.mark.slow
def test_installed_command_with_the_tiny_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    unmarked = write(tmp_path, "unmarked.md", "The acting is great.\n")
    marked = write(tmp_path, "marked.md", ">!The mentor dies.!<\n\n||He dies.||\n")
    base = [spoilerscan_command(), "check", "--model", str(tiny_model_dir)]

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*base, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)

    spoiler = call(unmarked, marked, "--threshold", "0", "--fail-threshold", "0")  # every scored sentence fails
    assert spoiler.returncode == 1, spoiler.stderr
    assert spoiler.stdout.startswith("unmarked.md:1:1: error: unmarked spoiler (score ")
    assert "marked.md" not in spoiler.stdout.replace("unmarked.md", "")  # marked text was never scored
    clean = call(unmarked, marked, "--threshold", "1", "--format", "json")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["summary"]["sentences"] == 1


@pytest.mark.slow
def test_installed_command_errors_are_one_line(tiny_model_dir: Path, tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.spoilerscan]\nthreshold = 'high'\n")
    write(tmp_path, "a.md", "Fine.\n")
    for args in (["a.md"], ["a.md", "--format", "xml"]):
        done = subprocess.run([spoilerscan_command(), "check", "--model", str(tiny_model_dir), *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("spoilerscan: error:")
        assert done.stdout == ""
