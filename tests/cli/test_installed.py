"""The installed spoilerscan command as a real process: pipes, errors, large inputs.

The tiny model's probabilities all lie strictly between 0 and 1, so ``--threshold 0`` flags every
sentence and ``--threshold 1`` flags none: the outcomes are deterministic.
"""


from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spoilerscan import __version__
from tests.cli.conftest import COMMAND, MESSY, MESSY_BYTES, everything_flagged, spoilerscan

# --- the installed command, as a real process ----------------------------------------------



@pytest.mark.slow
def test_installed_command_pipes_stdin_to_stdout(model: str) -> None:
    assert COMMAND.exists(), f"console script missing: {COMMAND}"
    unchanged = spoilerscan("redact", "-", "--model", model, "--threshold", "1", input=MESSY_BYTES)
    assert unchanged.returncode == 0, unchanged.stderr
    assert unchanged.stdout == MESSY_BYTES
    redacted = spoilerscan("redact", "-", "--model", model, "--threshold", "0", input=MESSY_BYTES)
    assert redacted.returncode == 0, redacted.stderr
    assert redacted.stdout == everything_flagged(MESSY, fmt="text").encode("utf-8")  # nothing else on stdout
    assert b"Traceback" not in redacted.stderr


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["redact", "--bogus-option"],
    ["redact", "--style", "nope", "x.md"],
    ["scan", "--threshold", "7"],
    ["frobnicate"],
])
def test_installed_command_usage_error_is_one_line(args: list[str]) -> None:
    result = spoilerscan(*args)
    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("spoilerscan: error: ")
    assert b"Traceback" not in result.stderr


@pytest.mark.slow
def test_installed_command_bad_choice_names_the_choices() -> None:
    result = spoilerscan("redact", "--style", "nope", "x.md")
    assert result.stderr.decode() == (
        "spoilerscan: error: Invalid value for '--style' / '-s': 'nope' is not one of 'block', 'label', "
        "'reddit', 'discord', 'bbcode', 'html'. (see 'spoilerscan redact --help')\n")


@pytest.mark.slow
def test_installed_command_input_errors(tmp_path: Path, model: str) -> None:
    binary = tmp_path / "b.md"
    binary.write_bytes(b"\x00\x01\x02")
    good = tmp_path / "good.md"
    good.write_bytes(b"Fine.\r\n")
    result = spoilerscan("redact", tmp_path / "missing.md", binary, good, "-m", model, "-t", "1", "-q")
    assert result.returncode == 2
    assert result.stdout == f"==> {good} <==\nFine.\r\n".encode()
    lines = result.stderr.decode().splitlines()
    assert lines == [f"spoilerscan: error: {tmp_path / 'missing.md'}: no such file",
                     f"spoilerscan: error: {binary}: binary file (contains NUL bytes), not a text review"]


@pytest.mark.slow
def test_installed_command_version() -> None:
    result = spoilerscan("--version")
    assert (result.returncode, result.stdout.decode()) == (0, f"spoilerscan {__version__}\n")


@pytest.mark.slow
def test_installed_command_without_arguments_shows_help_only() -> None:
    result = spoilerscan()
    assert result.returncode == 0
    assert b"Usage" in result.stdout
    assert result.stderr == b""


@pytest.mark.slow
def test_installed_command_unwritable_scan_output(tmp_path: Path, review: Path, model: str) -> None:
    result = spoilerscan("scan", review, "-o", tmp_path / "no" / "dir.json", "-m", model)
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert len(result.stderr.decode().splitlines()) == 1


@pytest.mark.slow
def test_installed_command_ten_megabyte_single_line(tmp_path: Path, model: str) -> None:
    words = ("the film was long and slow but the ending was a twist i loved it very much " * 8).split()
    # About 10 MB on one line, with a sentence break only every few thousand characters.
    chunk = " ".join(words[i % len(words)] for i in range(700)) + ". "
    big = tmp_path / "big.txt"
    big.write_bytes((chunk * (10_000_000 // len(chunk) + 1)).encode("ascii"))
    assert big.stat().st_size >= 10_000_000 and b"\n" not in big.read_bytes()
    refused = spoilerscan("scan", big, "--format", "jsonl", "--threshold", "1", "--model", model, "--quiet")
    assert refused.returncode == 2 and b"larger than the maximum input size" in refused.stderr  # 5 MiB by default
    result = spoilerscan("scan", big, "--format", "jsonl", "--threshold", "1", "--model", model, "--quiet",
                         "--max-input-size", "11M")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == b""
    [line] = result.stdout.decode().splitlines()
    found = json.loads(line)
    text = big.read_text(encoding="ascii")
    assert found["summary"]["sentences"] == len(found["sentences"]) > 1000
    assert found["summary"]["spoilers"] == 0
    previous_end = 0
    for sentence in found["sentences"]:
        assert previous_end <= sentence["start"] < sentence["end"] <= len(text)
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        previous_end = sentence["end"]


@pytest.mark.slow
def test_memory_stays_bounded_on_a_megabyte_without_sentence_ends(tmp_path: Path, model: str) -> None:
    """issue 11, item 1: one 'sentence' of 1 MB was one huge tokenizer input (16 GB peak); now it is
    cut into windows. The run is capped at 4 GB of address space, so a regression fails, not the machine."""
    big = tmp_path / "words.txt"
    big.write_text("word " * 200_000, encoding="ascii")
    probe = (
        "import resource, subprocess, sys\n"
        "def cap():\n    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
        "done = subprocess.run(sys.argv[1:], preexec_fn=cap, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(done.stderr.decode()[-2000:])\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    measured = subprocess.run([sys.executable, "-c", probe, str(COMMAND), "scan", str(big), "-f", "jsonl", "-q",
                               "-m", model], capture_output=True, text=True, env=env,
                              timeout=600, check=False)
    code, peak_kib = map(int, measured.stdout.split())
    assert code == 0, measured.stderr
    assert peak_kib < 1024 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"
