"""Shared by the command's tests: a messy review, the CliRunner, and the tiny model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from spoilerscan.cli import app
from spoilerscan.model.detect import annotate_with, sentence_scorer
from spoilerscan.render import RedactStyle, redact

REPO = Path(__file__).parents[2]
EXAMPLE = REPO / "examples" / "sixth-sense-review.md"
# CRLF line endings, a BOM, Markdown, dialogue, an abbreviation, a URL and non-ASCII text.
MESSY = (
    "\ufeff# Review: The Sixth Sense\r\n\r\n"
    "Dr. Crowe meets Cole. \"I see dead people,\" Cole says\u2026 and I froze.\r\n"
    "See https://example.com/a.b for more.  \r\n\r\n"
    "- Crowe was dead all along!\r\n"
    "![still](still.png)\r\n"
    "Caf\u00e9 ending, 10/10 \U0001f47b\r\n"
)
MESSY_BYTES = MESSY.encode("utf-8")

runner = CliRunner()


def run(*args: object, input: bytes | str | None = None) -> Result:
    return runner.invoke(app, [str(a) for a in args], input=input)


def everything_flagged(text: str, style: RedactStyle = RedactStyle.block, fmt: str = "markdown") -> str:
    """What ``redact --threshold 0`` of a .md file must produce: every sentence hidden, nothing else touched."""
    return redact(text, annotate_with(text, sentence_scorer(lambda ts: [0.5] * len(ts)), 0.0, fmt=fmt), style)


def one_error_line(result: Result) -> str:
    """The single stderr line of a user error, checked to be one line and not a traceback."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("spoilerscan: error: ")
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture()
def review(tmp_path: Path) -> Path:
    path = tmp_path / "review.md"
    path.write_bytes(MESSY_BYTES)
    return path


@pytest.fixture()
def model(tiny_model_dir: Path) -> str:
    return str(tiny_model_dir)


COMMAND = Path(sys.executable).parent / "spoilerscan"


def spoilerscan(*args: object, input: bytes | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([str(COMMAND), *map(str, args)], input=input, capture_output=True, env=env,
                          timeout=timeout, check=False)
