"""Known spoilers: reveals listed by the user are flagged whatever the model scores, in every command.

They come from ``--spoilers FILE`` and from ``known-spoilers`` in ``[tool.spoilerscan]`` (a list, or a
file relative to the config). ``check`` runs once with the keyword stub (checkstub.py) and once with
the tiny model, whose random encoder counts only a word-for-word restatement (cosine 1) as known.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from spoilerscan import cli
from spoilerscan.check import CheckOptions, run_check
from spoilerscan.errors import InputError
from spoilerscan.reading.inputs import read_known_spoilers
from spoilerscan.reading.language import NOTICE
from spoilerscan.runtime import Runtime
from spoilerscan.settings import resolve
from tests.helpers.checkstub import KeywordDetector, one_error_line, use_stub, write, write_pyproject

runner = CliRunner()
REVEAL = "Malcolm was dead the whole time."
REVIEW = f"# The Sixth Sense\n\nThe acting is great. I loved the score.\n\n{REVEAL} See it.\n"


def run(*args: object, input: str | None = None) -> Result:
    return runner.invoke(cli.app, [str(a) for a in args], input=input)


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory (no pyproject above it) with the review and a file of reveals."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "review.md", REVIEW)
    write(tmp_path, "reveals.txt", f"\ufeff# The Sixth Sense\n\n  {REVEAL}  \n# not a reveal: a comment\n")
    return tmp_path


def test_read_known_spoilers(folder: Path) -> None:
    assert read_known_spoilers(None) == []
    assert read_known_spoilers(folder / "reveals.txt") == [REVEAL]
    with pytest.raises(InputError, match=r"^known spoilers must come from a file, not stdin$"):
        read_known_spoilers(Path("-"))
    with pytest.raises(InputError, match=f"^{folder / 'nope.txt'}: no such file$"):
        read_known_spoilers(folder / "nope.txt")


# --- check with the keyword stub: where reveals come from -----------------------------------------


@pytest.fixture()
def stub(monkeypatch: pytest.MonkeyPatch, folder: Path) -> KeywordDetector:
    detector = KeywordDetector()
    use_stub(monkeypatch, detector)
    return detector


def known_lines(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines() if "restates the known spoiler" in line]


@pytest.mark.parametrize("config", [
    None,
    f'[tool.spoilerscan]\nknown-spoilers = ["{REVEAL}"]\n',
    '[tool.spoilerscan]\nknown-spoilers = "reveals.txt"\n',
])
def test_check_fails_on_a_known_spoiler_from_each_source(stub: KeywordDetector, folder: Path,
                                                         config: str | None) -> None:
    assert run("check", "review.md").exit_code == 0  # the stub scores nothing here as a spoiler
    if config is None:
        result = run("check", "review.md", "--spoilers", "reveals.txt", "--threshold", "1")
    else:
        write_pyproject(folder, config)
        result = run("check", "review.md", "--threshold", "1")
    assert result.exit_code == 1, result.output
    assert stub.known == (REVEAL,)
    assert known_lines(result) == [f"review.md:5:1: error: unmarked spoiler (score 0.10, restates the known spoiler "
                                   f"'{REVEAL}'): {REVEAL}"]
    assert run("check", "review.md", "--spoilers", "reveals.txt", "--exit-zero").exit_code == 0


def test_config_and_option_reveals_add_up(stub: KeywordDetector, folder: Path) -> None:
    write_pyproject(folder, '[tool.spoilerscan]\nknown-spoilers = ["See it."]\n')
    result = run("check", "review.md", "--spoilers", "reveals.txt", "-f", "json")
    assert stub.known == ("See it.", REVEAL)
    assert [f["text"] for f in json.loads(result.stdout)["findings"]] == [REVEAL, "See it."]


def test_a_marked_known_spoiler_passes(stub: KeywordDetector, folder: Path) -> None:
    write(folder, "marked.md", f"Fine. >!{REVEAL}!<\n")
    assert run("check", "marked.md", "--spoilers", "reveals.txt").exit_code == 0


def test_run_check_library_call(folder: Path) -> None:
    """``run_check`` as a library: reveals from the settings' known-spoilers file, notices to on_note."""
    write(folder, "critique.md", "Le film est magnifique et les acteurs sont formidables. Je le recommande vivement "
                                 "à tous mes amis.\n")
    stub, heard = KeywordDetector(), []
    runtime = Runtime.open(resolve(known_spoilers_file=folder / "reveals.txt", threshold=1.0), lambda settings: stub)
    report = run_check(runtime, CheckOptions(["review.md", "critique.md"]), on_note=heard.append)
    assert [(f.path, f.text, f.known, f.failing) for f in report.findings] == [("review.md", REVEAL, REVEAL, True)]
    assert [r.path for r in report.files] == ["review.md", "critique.md"]
    assert heard == [f"critique.md: {NOTICE}"]


@pytest.mark.parametrize(("args", "config", "message"), [
    (["--spoilers", "nope.txt"], None, "nope.txt: no such file"),
    (["--spoilers", "-"], None, "known spoilers must come from a file, not stdin"),
    (["--spoilers", "."], None, "is a directory"),
    ([], '[tool.spoilerscan]\nknown-spoilers = "missing.txt"\n', "missing.txt: no such file"),
    ([], "[tool.spoilerscan]\nknown-spoilers = [1]\n", "'known-spoilers' must be a list of strings"),
])
def test_bad_known_spoilers_are_one_line_exit_2(stub: KeywordDetector, folder: Path, args: list[str],
                                                config: str | None, message: str) -> None:
    if config:
        write_pyproject(folder, config)
    result = run("check", "review.md", *args)
    assert result.exit_code == 2
    assert message in one_error_line(result.stderr)
    assert result.stdout == ""


# --- with the tiny model: restating a reveal is what the encoder measures ---------------------------


def test_check_with_the_model_fails_a_restated_reveal_even_at_threshold_1(tiny_model_dir: Path, folder: Path) -> None:
    result = run("check", "review.md", "--model", tiny_model_dir, "--spoilers", "reveals.txt", "--threshold", "1.0",
                 "-f", "json")
    assert result.exit_code == 1, result.output
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["text"], finding["severity"], finding["line"]) == (REVEAL, "error", 5)
    assert finding["score"] < 1.0
    assert run("check", "review.md", "--model", tiny_model_dir, "--threshold", "1.0").exit_code == 0


@pytest.mark.parametrize("where", ["option", "config"])
def test_every_command_flags_a_restated_reveal(tiny_model_dir: Path, folder: Path, where: str) -> None:
    if where == "config":
        write_pyproject(folder, f'[tool.spoilerscan]\nknown-spoilers = ["{REVEAL}"]\n')
    reveals = ["--spoilers", "reveals.txt"] if where == "option" else []
    common = ["--model", tiny_model_dir, "--threshold", "1", "-q", *reveals]
    redacted = run("redact", "review.md", "--style", "label", *common)
    assert (redacted.exit_code, redacted.stdout) == (0, REVIEW.replace(REVEAL, "[spoiler]"))
    scanned = json.loads(run("scan", "review.md", *common).stdout)["reviews"][0]
    assert [s["text"] for s in scanned["sentences"] if s["spoiler"]] == [REVEAL]
    marked = run("highlight", "review.md", "--format", "markdown", *common).stdout
    assert marked.count("<mark ") == 1 and f">{REVEAL}</mark>" in marked


@pytest.mark.parametrize("command", ["redact", "highlight", "scan"])
def test_a_missing_spoilers_file_is_one_line_exit_2(tiny_model_dir: Path, folder: Path, command: str) -> None:
    result = run(command, "review.md", "--model", tiny_model_dir, "--spoilers", "nope.txt")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == "spoilerscan: error: nope.txt: no such file"
    assert result.stdout == ""


def test_the_card_states_the_known_spoiler_similarity_and_its_rule() -> None:
    from spoilerscan.training.modelcard import render_card

    card = render_card({"threshold": 0.4, "known_similarity": 0.6, "known_similarity_rule": "chosen on a file"})
    assert "at least **0.60** is a spoiler whatever its score (chosen on a file)" in card
    assert "Known spoilers" not in render_card({"threshold": 0.4})
