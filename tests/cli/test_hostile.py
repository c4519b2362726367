"""The commands on hostile input and shared files: inputs over --max-input-size, endless devices,
FIFOs, hard links and ownership under --in-place, a kill -9 in the middle of --in-place, and
adapters with values out of range. Each ends in one line and its exit code, never a traceback."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from spoilerscan.errors import EXIT_USAGE
from tests.cli.conftest import COMMAND, MESSY_BYTES, everything_flagged, one_error_line, run


def test_a_file_over_the_maximum_input_size_is_refused_in_one_line(tmp_path: Path, model: str) -> None:
    big, small = tmp_path / "big.md", tmp_path / "small.md"
    big.write_text("He dies. " * 200)
    small.write_text("He dies.")
    result = run("redact", big, small, "--max-input-size", "1K", "-m", model, "-t", "0", "-q")
    assert result.exit_code == EXIT_USAGE
    assert one_error_line(result) == (f"spoilerscan: error: {big}: larger than the maximum input size (1,024 bytes); "
                                      "raise it with --max-input-size or max-input-size in [tool.spoilerscan]")
    assert result.stdout.endswith("\u2588" * 8)  # the other input is still done
    assert run("redact", big, "--max-input-size", "2K", "-m", model, "-q").exit_code == 0


def test_stdin_and_jsonl_lines_are_bounded_too(tmp_path: Path, model: str) -> None:
    result = run("scan", "-", "--max-input-size", "100", "-m", model, "-q", input="He dies. " * 20)
    assert result.exit_code == EXIT_USAGE
    assert "<stdin>: larger than the maximum input size (100 bytes)" in one_error_line(result)
    archive = tmp_path / "a.jsonl"
    archive.write_text(json.dumps({"id": 1, "text": "x " * 100}) + "\n" + json.dumps({"id": 2, "text": "Ok."}) + "\n")
    result = run("scan", archive, "--jsonl-input", "--max-input-size", "100", "-m", model, "-q")
    assert result.exit_code == EXIT_USAGE
    assert f"{archive}:1: larger than the maximum input size" in one_error_line(result)
    assert [r["id"] for r in json.loads(result.stdout)["reviews"]] == [2]


def test_the_limit_comes_from_the_config_and_a_bad_one_is_a_config_error(tmp_path: Path, model: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.md").write_text("He dies. " * 50)
    (tmp_path / "pyproject.toml").write_text('[tool.spoilerscan]\nmax-input-size = "100"\n')
    result = run("check", "r.md", "-m", model, "-q")
    assert result.exit_code == EXIT_USAGE
    assert "r.md: larger than the maximum input size (100 bytes)" in result.stderr
    assert run("check", "r.md", "-m", model, "-q", "--max-input-size", "1M").exit_code in (0, 1)
    (tmp_path / "pyproject.toml").write_text('[tool.spoilerscan]\nmax-input-size = "lots"\n')
    result = run("check", "r.md", "-m", model, "-q")
    assert result.exit_code == EXIT_USAGE
    assert "'max-input-size': expected a size such as 5M" in one_error_line(result)


def test_an_endless_device_is_refused_after_the_limit_not_read_to_the_end(model: str) -> None:
    result = run("scan", "/dev/zero", "--max-input-size", "64K", "-m", model, "-q")
    assert result.exit_code == EXIT_USAGE
    assert one_error_line(result).endswith("/dev/zero: larger than the maximum input size (65,536 bytes); "
                                           "raise it with --max-input-size or max-input-size in [tool.spoilerscan]")
    result = run("redact", "/dev/zero", "-i", "-m", model)
    assert result.exit_code == EXIT_USAGE
    assert "/dev/zero: is a device; --in-place rewrites regular files only" in one_error_line(result)


def test_in_place_never_opens_a_fifo_and_refuses_hard_links_unless_forced(tmp_path: Path, model: str) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    result = run("redact", fifo, "-i", "-m", model)  # no writer: opening it would wait for ever
    assert result.exit_code == EXIT_USAGE
    assert "pipe.md: is a FIFO" in one_error_line(result)
    path = tmp_path / "r.md"
    path.write_bytes(MESSY_BYTES)
    os.link(path, tmp_path / "published.md")
    result = run("redact", path, "-i", "-m", model, "-t", "0", "-q")
    assert result.exit_code == EXIT_USAGE
    assert "r.md: has 2 hard links" in one_error_line(result)
    assert path.read_bytes() == MESSY_BYTES
    result = run("redact", path, "-i", "--force", "-m", model, "-t", "0", "-q")
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == everything_flagged(MESSY_BYTES.decode()).encode()
    assert (tmp_path / "published.md").read_bytes() == MESSY_BYTES  # as the message said
    assert run("redact", path, "--force", "-m", model).exit_code == EXIT_USAGE  # --force goes with -i


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_in_place_as_root_keeps_another_users_file_theirs(tmp_path: Path, model: str) -> None:
    path = tmp_path / "r.md"
    path.write_bytes(MESSY_BYTES)
    os.chown(path, 1234, 1235)
    result = run("redact", path, "-i", "--backup", ".bak", "-m", model, "-t", "0", "-q")
    assert result.exit_code == 0, result.output
    for written in (path, tmp_path / "r.md.bak"):
        assert (written.stat().st_uid, written.stat().st_gid) == (1234, 1235)


@pytest.mark.parametrize(("values", "message"), [
    ({"threshold": 5.0, "fail_threshold": -3.0}, "thresholds must be from 0 to 1"),
    ({"threshold": 0.6, "fail_threshold": 0.4}, "fail_threshold 0.4 is below threshold 0.6"),
    ({"base_scale": 1e308}, "values must be at most 10000 in size"),
    ({"threshold": "0.5"}, "threshold must be a finite number, got '0.5'"),
    ({"bias": False}, "bias must be a finite number, got False"),
])
def test_an_adapter_out_of_range_is_refused(tmp_path: Path, model: str, values: dict[str, object],
                                            message: str) -> None:
    adapter = tmp_path / "site.json"
    raw = {"kind": "spoilerscan-adapter", "format": 1, "base_model": "x", "base_scale": 1.0, "bias": 0.0,
           "threshold": 0.5, "fail_threshold": 0.7, "weights": [0.0] * 4, **values}
    adapter.write_text(json.dumps(raw))
    result = run("check", "-", "--adapter", adapter, "-m", model, input="He dies.")
    assert result.exit_code == EXIT_USAGE
    assert message in one_error_line(result)


def test_an_adapter_nested_deep_or_endless_is_one_line(tmp_path: Path, model: str) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    result = run("check", "-", "--adapter", deep, "-m", model, input="He dies.")
    assert result.exit_code == EXIT_USAGE
    assert "not an adapter file" in one_error_line(result)
    result = run("check", "-", "--adapter", "/dev/zero", "-m", model, input="He dies.")
    assert result.exit_code == EXIT_USAGE
    assert "adapter /dev/zero: larger than 5,242,880 bytes, not an adapter file" in one_error_line(result)


def test_a_deeply_nested_config_is_one_line(tmp_path: Path, model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.spoilerscan]\nx = " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = run("check", "-", "-m", model, input="He dies.")
    assert result.exit_code == EXIT_USAGE
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_a_kill_9_during_in_place_leaves_every_file_whole(tmp_path: Path, tiny_model_dir: Path) -> None:
    """32 runs of redact -i over 20 files, each killed at a random moment: every file is the original
    or its redaction, never a part of either, and no temporary file is left beside them but ours."""
    texts = {tmp_path / f"r{i}.md": f"# Review {i}\n\n" + "He dies at the end. Fine film. " * (50 + i)
             for i in range(20)}
    wanted = {path: everything_flagged(text) for path, text in texts.items()}
    generator = random.Random(33)
    for _ in range(32):
        for path, text in texts.items():
            path.write_text(text)
        process = subprocess.Popen([str(COMMAND), "redact", *texts, "-i", "-m", str(tiny_model_dir), "-t", "0", "-q"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(generator.uniform(0.5, 4.0))
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
        for path, text in texts.items():
            assert path.read_text() in (text, wanted[path])
