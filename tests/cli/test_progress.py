"""The progress bar: on a terminal's stderr only, cleared before anything reaches stdout.

The commands run through typer's CliRunner with stderr made a terminal (rich's force_terminal);
``result.output`` is stdout and stderr interleaved as a terminal would receive them, and
:func:`screen` plays that stream the way a terminal does, so a bar left behind, or a line of output
erased by the bar, shows as a difference from what the run without a bar leaves on screen.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from spoilerscan import cli
from spoilerscan.cli import progress
from spoilerscan.cli.progress import ReviewProgress
from spoilerscan.model import detect
from spoilerscan.model.detect import SentenceScore
from spoilerscan.model.features import SentenceInput

runner = CliRunner()
REVIEWS = {
    "a.md": "# The Sixth Sense\n\nA quiet ghost story. Crowe was dead all along.\n",
    "b.md": "Slow, then gripping. Cole sees the dead.",  # no line end: output stops mid-line
    "c.md": "Bruce Willis is great. The twist lands.\n",
    "d.md": "Two stars.\n",
}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen(stream: str) -> list[str]:
    """The lines a terminal shows after receiving ``stream``: carriage returns, line feeds, cursor
    up (``ESC[nA``) and line erasing (``ESC[K``, ``ESC[2K``) applied; colours and cursor hiding
    ignored; no blank lines at the end."""
    lines, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]+", stream):
        if token == "\n":
            row, col = row + 1, 0
            if row == len(lines):
                lines.append("")
        elif token == "\r":
            col = 0
        elif token.endswith("A"):
            row = max(0, row - int(token[2:-1] or 1))
        elif token.endswith("K"):
            lines[row] = "" if token == "\x1b[2K" else lines[row][:col]
        elif not token.startswith("\x1b"):
            line = lines[row].ljust(col)
            lines[row] = line[:col] + token + line[col + len(token):]
            col += len(token)
    while len(lines) > 1 and not lines[-1]:  # where the cursor waits below the text
        lines.pop()
    return lines


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in REVIEWS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture()
def one_review_a_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Score each review in a batch of its own, so that output is written between batches."""
    monkeypatch.setattr(detect.annotate_stream, "__defaults__", (1,))


def invoke(args: Sequence[str], terminal: bool, monkeypatch: pytest.MonkeyPatch) -> Result:
    """Run a command; with ``terminal``, stderr is a terminal and stdout is the same terminal."""
    if terminal:
        monkeypatch.setattr(cli.output, "stderr", Console(stderr=True, force_terminal=True, width=100))
        monkeypatch.setattr(progress, "stdout_is_terminal", lambda: True)
    return runner.invoke(cli.app, list(args))


COMMANDS = [
    ["redact", "a.md", "b.md", "c.md", "--threshold", "0"],
    ["highlight", "a.md", "b.md", "c.md", "--format", "markdown", "--threshold", "0"],
    ["highlight", "a.md", "b.md", "c.md"],
    ["scan", "a.md", "b.md", "c.md"],
    ["scan", "a.md", "b.md", "c.md", "--format", "jsonl"],
    ["check", "a.md", "b.md", "c.md", "--threshold", "0", "--exit-zero"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args[:1] + args[4:]))
def test_the_bar_shows_on_a_terminal_and_never_mixes_with_output(
        args: list[str], folder: Path, tiny_model_dir: Path, one_review_a_batch: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    args = [*args, "--model", str(tiny_model_dir)]
    plain = invoke(args, False, monkeypatch)
    shown = invoke(args, True, monkeypatch)
    assert plain.exit_code == shown.exit_code == 0, shown.output
    assert re.search(r"\d/3 reviews, \d+ sentences", shown.stderr)  # the bar was there, with its total
    assert shown.stdout == plain.stdout  # stdout has no bar, no escape codes
    assert not ANSI.search(shown.stdout)
    # What the terminal shows at the end: the output and the summary, nothing of the bar, no line erased.
    assert screen(shown.output) == screen(plain.stdout + plain.stderr)


def test_the_bar_comes_back_between_batches(folder: Path, tiny_model_dir: Path, one_review_a_batch: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """After output that ends a line it is shown again; after output that stops mid-line (b.md) it
    waits, since clearing it would erase that line."""
    result = invoke(["redact", "a.md", "c.md", "b.md", "d.md", "--model", str(tiny_model_dir)], True, monkeypatch)
    assert result.exit_code == 0
    shown = set(re.findall(r"(\d)/4 reviews", ANSI.sub("", result.stderr)))
    assert shown == {"0", "1", "2", "3"}  # each batch shows where it starts and ends; none after b.md


@pytest.mark.parametrize("terminal", [False, True])
def test_no_bar_where_stderr_is_not_a_terminal_or_with_quiet(terminal: bool, folder: Path, tiny_model_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["redact", "a.md", "c.md", "--model", str(tiny_model_dir), "--threshold", "1"]
    result = invoke([*args, "--quiet"] if terminal else args, terminal, monkeypatch)
    assert result.exit_code == 0
    assert result.stderr == ("" if terminal else "0 spoiler sentence(s) found\n")


class CountingDetector:
    """Scores every sentence 0.1, telling ``on_batch`` about each review's sentences, while the
    clock moves on 10 s per review."""

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock

    def score_reviews(self, reviews: Sequence[Sequence[SentenceInput]],
                      on_batch: Callable[[int], None] | None = None) -> list[list[SentenceScore]]:
        for review in reviews:
            self.clock[0] += 10
            if on_batch is not None:
                on_batch(len(review))
        return [[SentenceScore(0.1) for _ in review] for review in reviews]

    def __call__(self, reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        return self.score_reviews(reviews)


def shown_lines(total: int | None, batches: list[list[int]], skipped: int = 0) -> list[str]:
    """Every state of the bar (ANSI removed) while ``batches`` (sentences per review) are scored."""
    stream, now = io.StringIO(), [0.0]
    bar = ReviewProgress(Console(file=stream, force_terminal=True, width=120), False, total, "scanning",
                         clock=lambda: now[0])
    for _ in range(skipped):
        bar.skip()
    score = bar.scorer(CountingDetector(now))
    for batch in batches:
        score([[SentenceInput("x")] * n for n in batch])
    assert screen(stream.getvalue()) == [""]  # cleared
    return [line.strip() for line in re.split(r"[\r\n]", ANSI.sub("", stream.getvalue())) if line.strip()]


def test_the_bar_counts_reviews_and_sentences_with_the_time_left() -> None:
    lines = shown_lines(4, [[2, 3], [1]])
    assert lines[0].startswith("scanning") and lines[0].endswith("0/4 reviews, 0 sentences, time left unknown")
    # Each batch is drawn when it starts and when it ends (and in between, as rich refreshes it).
    # 20 s for two reviews: 20 s for the two left; 30 s for three: 10 s for the last.
    assert any(line.endswith("2/4 reviews, 5 sentences, about 0:00:20 left") for line in lines)
    assert lines[-1].endswith("3/4 reviews, 6 sentences, about 0:00:10 left")


def test_unreadable_inputs_count_as_done() -> None:
    assert shown_lines(3, [[2]], skipped=2)[-1].endswith("3/3 reviews, 2 sentences, about 0:00:00 left")


def test_an_unknown_total_is_a_counter_with_the_time_taken() -> None:
    lines = shown_lines(None, [[2, 1]])
    assert lines[-1].endswith("2 reviews, 3 sentences, 0:00:20")
    assert "/" not in lines[-1]


def test_check_library_call_gets_the_number_of_inputs(folder: Path, tiny_model_dir: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """run_check hands its scoring hook the number of inputs, which becomes the bar's total."""
    result = invoke(["check", "a.md", "missing.md", "c.md", "--model", str(tiny_model_dir), "-f", "json"], True,
                    monkeypatch)
    assert result.exit_code == 2  # missing.md: one error line, the rest checked
    assert [f["path"] for f in json.loads(result.stdout)["files"]] == ["a.md", "c.md"]
    assert re.search(r"\d/3 reviews", result.stderr)
