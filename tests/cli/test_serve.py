"""``spoilerscan serve``: option, config and model errors before anything binds (one line, exit 2),
and real server processes on a free loopback port: the start-up line, health, the token, several
workers, and SIGTERM finishing the request in flight and exiting 0. Every process a test starts is
killed by its pid in a ``finally``."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import COMMAND, EXAMPLE, one_error_line, run, spoilerscan
from tests.helpers.serverprocess import Server, big_review, posting, serving, wait_in_flight


@pytest.fixture()
def held_port() -> Iterator[int]:
    """A loopback port this test listens on: a server that got as far as binding it would fail there."""
    with socket.create_server(("127.0.0.1", 0)) as held:
        yield held.getsockname()[1]


# --- errors before binding (in process) --------------------------------------------------------


@pytest.mark.parametrize(("options", "message"), [
    (["--max-bytes", "lots"], "--max-bytes: expected a size"),
    (["--allow-origin", "example.com"], "--allow-origin: expected an origin"),
    (["--token", "  "], "--token (or SPOILERSCAN_TOKEN) is empty"),
    (["--host", ""], "--host is empty"),
])
def test_a_bad_option_is_one_line_and_exit_2(options: list[str], message: str, held_port: int, model: str) -> None:
    result = run("serve", "--port", held_port, "-m", model, *options)
    assert result.exit_code == 2
    assert message in one_error_line(result)


@pytest.mark.slow
@pytest.mark.parametrize("options", [["--workers", "0"], ["--precision", "fp16"], ["--threshold", "2"],
                                     ["--port", "70000"], ["--shutdown-timeout", "0"]])
def test_an_option_out_of_range_is_one_line_and_exit_2(options: list[str], held_port: int, model: str) -> None:
    done = spoilerscan("serve", "--port", held_port, "-m", model, *options, timeout=120)
    lines = done.stderr.decode().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("spoilerscan: error: "), done.stderr
    assert options[0] in lines[0]


def test_a_missing_model_is_one_line_before_binding(tmp_path: Path, held_port: int) -> None:
    result = run("serve", "--port", held_port, "-m", tmp_path / "nowhere")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "nowhere" in line and "address" not in line


def test_a_bad_config_is_one_line_before_binding(tmp_path: Path, held_port: int, model: str) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.spoilerscan]\nstyle = [\"sparkles\"]\n", encoding="utf-8")
    result = run("serve", "--port", held_port, "-m", model, "--config", config)
    assert result.exit_code == 2
    assert "unknown style 'sparkles'" in one_error_line(result)
    assert "no such config file" in one_error_line(run("serve", "--port", held_port, "--config", tmp_path / "x.toml"))


def test_without_the_extra_one_line_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a))
    result = run("serve")
    assert result.exit_code == 2
    assert one_error_line(result) == ("spoilerscan: error: spoilerscan serve needs the 'serve' extra (fastapi not "
                                      "installed): pip install 'spoilerscan[serve]'")


def test_the_other_commands_need_nothing_of_the_extra() -> None:
    """The plain install has no fastapi or uvicorn: the command and its help must not import them."""
    code = ("import sys; sys.modules['fastapi'] = sys.modules['uvicorn'] = None; sys.argv = ['spoilerscan', '--help'];"
            "from spoilerscan.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout


def test_help_names_every_option() -> None:
    result = run("serve", "--help")
    assert result.exit_code == 0
    for option in ("--host", "--port", "--model", "--precision", "--threshold", "--fail-threshold", "--config",
                   "--max-bytes", "--token", "SPOILERSCAN_TOKEN", "--workers", "--allow-origin", "--shutdown-timeout",
                   "--threads", "--quiet", "--adapter"):
        assert option in result.stdout, option


# --- real servers ------------------------------------------------------------------------------


def stop(server: Server) -> int:
    return server.stop()


@pytest.mark.slow
def test_a_server_starts_answers_and_exits_0_on_sigterm(tmp_path: Path, model: str) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    with serving(tmp_path, "-m", model) as server:
        assert server.stderr().count("\n") == 1  # start-up ended with one line, and said nothing else
        health = httpx.get(f"{server.url}/healthz", timeout=30)
        annotated = httpx.post(f"{server.url}/v1/annotate", json={"text": text, "format": "markdown"}, timeout=30)
        page = httpx.get(f"{server.url}/", timeout=30)
        assert stop(server) == 0
    assert health.json() == {"status": "ready"}
    assert annotated.status_code == 200 and annotated.json()["summary"]["sentences"] > 10
    assert page.status_code == 200 and 'data-mode="live"' in page.text
    log = server.stderr()
    assert "POST /v1/annotate 200" in log and "Traceback" not in log
    assert "Bruce" not in log and "dead" not in log  # no review text in the log


@pytest.mark.slow
def test_sigterm_finishes_the_request_in_flight_then_exits_0(tmp_path: Path, model: str) -> None:
    """A review of about 800 kB takes the server a second or more to read and score. Once the
    server counts it in flight, SIGTERM: it is still answered in full, and the process exits 0."""
    with serving(tmp_path, "-m", model, "--max-bytes", "2MB") as server, posting(server, big_review()) as answer:
        in_flight = wait_in_flight(server, answer)
        assert in_flight >= 2 and "big" not in answer, "the big request was never seen in flight"
        code = stop(server)
    assert code == 0
    response = answer["big"]
    assert response.status_code == 200
    assert response.json()["summary"]["sentences"] > 5000
    assert "Traceback" not in server.stderr()


@pytest.mark.slow
def test_a_token_from_the_environment_guards_the_api(tmp_path: Path, model: str) -> None:
    with serving(tmp_path, "-m", model, env={"SPOILERSCAN_TOKEN": "s3cret"}) as server:
        refused = httpx.get(f"{server.url}/v1/model", timeout=30)
        allowed = httpx.get(f"{server.url}/v1/model", headers={"Authorization": "Bearer s3cret"}, timeout=30)
        health = httpx.get(f"{server.url}/healthz", timeout=30)
        assert stop(server) == 0
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    assert allowed.status_code == 200 and allowed.json()["name"] == "model"
    assert health.status_code == 200
    assert "s3cret" not in server.stderr()


@pytest.mark.slow
def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(tmp_path: Path, model: str) -> None:
    with serving(tmp_path, "-m", model, "--max-bytes", "1kB") as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(b"POST /v1/annotate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 5000000\r\n\r\n")  # and not one byte of the body
            reply = b""
            while b"}}" not in reply:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                reply += chunk
        assert stop(server) == 0
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert json.loads(body)["error"]["code"] == "too_large"


@pytest.mark.slow
def test_several_workers_share_the_port_and_stop_together(tmp_path: Path, model: str) -> None:
    with serving(tmp_path, "-m", model, "--workers", "2") as server:
        answers = [httpx.post(f"{server.url}/v1/redact", json={"text": "He dies. Fine."}, timeout=30)
                   for _ in range(4)]
        assert stop(server) == 0
    assert server.workers == 2
    assert all(a.status_code == 200 for a in answers)
    assert "Traceback" not in server.stderr()


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_one_line_and_exit_2(held_port: int, model: str, workers: str) -> None:
    done = subprocess.run([str(COMMAND), "serve", "--port", str(held_port), "-m", model, "--workers", workers],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"spoilerscan: error: cannot listen on http://127.0.0.1:{held_port}: address "
                                        "already in use (another server is listening there; pick another --port)"]
