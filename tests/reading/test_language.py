"""The English notice (language.py): a review in another language is still processed, with one note on stderr."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from spoilerscan import cli
from spoilerscan.reading.language import NOTICE, english_notices, looks_english
from tests.helpers.checkstub import KeywordDetector, use_stub

runner = CliRunner()
ENGLISH = ("I went in knowing nothing about this film, and it held me from the first scene to the last. "
           "The acting is superb and the score is haunting.")
FRENCH = ("Le film est magnifique et les acteurs sont formidables. À la fin, on apprend que le psychologue "
          "était mort depuis le début. Je le recommande vivement à tous.")
JAPANESE = ("この映画は素晴らしい。最後に主人公がずっと前に死んでいたことが分かる。"
            "俳優の演技も音楽も最高だった。本当におすすめです。")


@pytest.mark.parametrize(("text", "english"), [
    (ENGLISH, True),
    (FRENCH, False),
    (JAPANESE, False),  # another script
    ("Le film est magnifique.", True),  # too short to tell: no notice
    ("", True),
    ("The ending of Amélie is lovely, and Audrey Tautou is wonderful in it from start to finish.", True),
])
def test_looks_english(text: str, english: bool) -> None:
    assert looks_english(text) is english


def test_english_notices_pass_every_review_through_and_note_the_others() -> None:
    reviews = [SimpleNamespace(name=name, text=text) for name, text in (("a", ENGLISH), ("b", FRENCH), ("c", ""))]
    heard: list[str] = []
    assert list(english_notices(reviews, heard.append)) == reviews
    assert heard == [f"b: {NOTICE}"]


def notes(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("spoilerscan: note: ")]


def french_output(command: str, stdout: str, french: Path) -> str:
    """What a command wrote for the French review (of the French and the English one, with -t 0)."""
    if command == "scan":
        [review] = [r for r in json.loads(stdout)["reviews"] if r["file"] == str(french)]
        return " ".join(f"{s['text']} {s['spoiler']}" for s in review["sentences"])
    return stdout.split("==> ")[1]


@pytest.mark.parametrize(("command", "processed"), [
    ("redact", lambda out: "magnifique" not in out and "\u2588" * 10 in out),  # every sentence hidden
    ("highlight", lambda out: "magnifique" in out and len(re.findall(r"\[\d\.\d\d\]", out)) == 3),  # all scored
    ("scan", lambda out: out.count(" True") == 3),
])
def test_a_french_review_gets_one_note_and_is_still_processed(tiny_model_dir: Path, tmp_path: Path, command: str,
                                                              processed) -> None:
    french, english = tmp_path / "fr.md", tmp_path / "en.md"
    french.write_text(FRENCH + "\n", encoding="utf-8")
    english.write_text(ENGLISH + "\n", encoding="utf-8")
    args = [command, str(french), str(english), "--model", str(tiny_model_dir), "-t", "0"]
    result = runner.invoke(cli.app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert notes(result.stderr) == [f"spoilerscan: note: {french}: {NOTICE}"]
    assert processed(french_output(command, result.stdout, french)), result.stdout
    quiet = runner.invoke(cli.app, [*args, "-q"], env={"COLUMNS": "300"})
    assert (quiet.exit_code, quiet.stderr, quiet.stdout) == (0, "", result.stdout)


def test_stdin_is_named_in_the_note(tiny_model_dir: Path) -> None:
    result = runner.invoke(cli.app, ["redact", "--model", str(tiny_model_dir), "-t", "1"], input=FRENCH)
    assert (result.exit_code, result.stdout) == (0, FRENCH)
    assert notes(result.stderr) == [f"spoilerscan: note: <stdin>: {NOTICE}"]


def test_check_notes_a_french_review_and_still_checks_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stub = KeywordDetector()
    use_stub(monkeypatch, stub)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli.app, ["check", "--stdin-filename", "critique.md"], input=FRENCH + " Il dies.\n")
    assert result.exit_code == 1  # scored all the same: the stub's keyword is found
    assert result.stdout.startswith("critique.md:1:")
    assert notes(result.stderr) == [f"spoilerscan: note: critique.md: {NOTICE}"]
    assert stub.calls and "Je le recommande vivement à tous." in stub.calls[0]
    quiet = runner.invoke(cli.app, ["check", "-q", "--stdin-filename", "critique.md"], input=FRENCH + " Il dies.\n")
    assert (quiet.exit_code, quiet.stderr) == (1, "")
