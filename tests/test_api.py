"""The Python API (spoilerscan.api): each call is its command's result, given settings or an open runtime."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import spoilerscan
from spoilerscan import api
from spoilerscan.cli import app
from spoilerscan.errors import InputError
from spoilerscan.runtime import Runtime
from spoilerscan.settings import Settings

REVIEW = "A quiet film.\n\nHe was dead all along. Go and see it.\n"
runner = CliRunner()


@pytest.fixture()
def runtime(tiny_model_dir: Path) -> Runtime:
    return api.open_runtime(model=tiny_model_dir, threshold=0.0, threads=1)


def test_the_top_level_names_are_the_apis() -> None:
    assert spoilerscan.redact is api.redact and spoilerscan.open_runtime is api.open_runtime
    assert spoilerscan.Runtime is Runtime and spoilerscan.Settings is Settings


def test_a_call_given_settings_opens_its_own_runtime(tiny_model_dir: Path, runtime: Runtime) -> None:
    settings = Settings(model_option=tiny_model_dir, threshold=0.0, threads=1)
    assert api.redact(REVIEW, settings) == api.redact(REVIEW, runtime)
    assert set(api.redact(REVIEW, runtime)) <= set("\u2588\n ")  # threshold 0: every sentence hidden


def test_highlight_formats_are_the_commands(tmp_path: Path, tiny_model_dir: Path, runtime: Runtime,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "review.txt").write_text(REVIEW, encoding="utf-8")
    for fmt, option in (("markdown", "markdown"), ("html", "html"), ("plain", "terminal")):  # a pipe: plain
        command = runner.invoke(app, ["highlight", "review.txt", "-f", option, "-m", str(tiny_model_dir), "-t", "0",
                                      "-q"])
        assert command.exit_code == 0
        assert api.highlight(REVIEW, runtime, format=fmt, title="review.txt") == command.stdout, fmt
    with pytest.raises(ValueError, match="unknown highlight format 'svg'"):
        api.highlight(REVIEW, runtime, format="svg")


def test_check_of_files_and_of_a_text_agree(tmp_path: Path, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "a.md").write_text(REVIEW, encoding="utf-8")
    (tmp_path / "reviews" / "b.md").write_bytes(b"\x00\x01binary")
    heard: list[str] = []
    files = api.check(["reviews"], runtime, recursive=True, on_error=heard.append)
    text = api.check(text=REVIEW, runtime=runtime, stdin_filename="reviews/a.md")
    assert files.unreadable == ["reviews/b.md"] and len(heard) == 1
    assert [(f.start, f.end, f.score) for f in files.findings] == [(f.start, f.end, f.score) for f in text.findings]
    assert len(text.findings) == 3  # threshold 0: every sentence is reported


def test_adapt_refuses_material_without_labels(tmp_path: Path, runtime: Runtime) -> None:
    (tmp_path / "plain.md").write_text("No markup here at all.\n", encoding="utf-8")
    skipped: list[str] = []
    with pytest.raises(InputError, match="no labelled reviews"):
        api.adapt([str(tmp_path / "plain.md")], tmp_path / "site.json", runtime, on_skipped=skipped.append)
    assert skipped and not (tmp_path / "site.json").exists()
