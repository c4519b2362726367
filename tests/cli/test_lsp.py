"""`spoilerscan lsp` as a command: its help, and the one-line errors before the server starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from spoilerscan.cli import lsp as lsp_command
from tests.cli.conftest import run


def test_help_explains_the_server_with_an_example() -> None:
    result = run("lsp", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Example: spoilerscan lsp" in text and "docs/editors.md" in text and "pip install 'spoilerscan[lsp]'" in text


def test_without_the_lsp_extra_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lsp_command, "find_spec", lambda name: None if name == "pygls" else object())
    result = run("lsp")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("spoilerscan: error: 'lsp' needs the 'lsp' extra (pip install 'spoilerscan[lsp]'): "
                             "pygls not installed\n")


def test_a_log_file_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    result = run("lsp", "--log-file", tmp_path / "missing" / "lsp.log")
    assert result.exit_code == 2
    assert result.stderr.startswith("spoilerscan: error: --log-file ") and result.stderr.count("\n") == 1
