"""A real ``spoilerscan serve`` against trickling sockets: the repro of issue 33 (connections that
send headers and ``{`` of a 50-byte body, then nothing), with and without the token, and SIGTERM
while they hang on or while a big request is scored. Loopback, a free port, bounded loops; the
server is killed by its pid in a ``finally``."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.helpers.serverprocess import Server, big_review, posting, serving, wait_in_flight

pytestmark = pytest.mark.slow
TRICKLERS = 64


@contextmanager
def trickling(server: Server, count: int, token: str | None = None) -> Iterator[list[socket.socket]]:
    """``count`` sockets that each sent their headers and one byte of a 50-byte body."""
    address = urlsplit(server.url)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    head = (f"POST /v1/annotate HTTP/1.1\r\nHost: {address.netloc}\r\nContent-Type: application/json\r\n{auth}"
            "Content-Length: 50\r\n\r\n{").encode()
    with ExitStack() as stack:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.create_connection((address.hostname, address.port), timeout=30))
            sock.sendall(head)
            sockets.append(sock)
        yield sockets


@pytest.fixture()
def model(tiny_model_dir: Path) -> str:
    return str(tiny_model_dir)


def status_of(sock: socket.socket) -> int | None:
    """The status of the answer the server sent on this socket (None: it closed without one)."""
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        data += chunk
    return int(data.split(b" ", 2)[1])


def test_trickling_clients_without_the_token_are_refused_and_a_token_holder_is_answered(tmp_path: Path,
                                                                                       model: str) -> None:
    with serving(tmp_path, "-m", model, env={"SPOILERSCAN_TOKEN": "s3cret"}) as server, \
            trickling(server, TRICKLERS) as sockets:
        answers = [httpx.post(f"{server.url}/v1/annotate", json={"text": f"Review {n}. He dies."},
                              headers={"Authorization": "Bearer s3cret"}, timeout=60) for n in range(5)]
        page = httpx.get(f"{server.url}/", timeout=60)
        refused = [status_of(sock) for sock in sockets]
        assert server.stop() == 0
    assert [a.status_code for a in answers] == [200] * 5 and page.status_code == 200
    assert refused == [401] * TRICKLERS


def test_with_the_token_a_trickling_body_times_out_and_sigterm_answers_the_rest(tmp_path: Path, model: str) -> None:
    with serving(tmp_path, "-m", model, "--body-timeout", "1", "--shutdown-timeout", "30", "--quiet") as server:
        with trickling(server, 4) as timed_out:
            assert [status_of(sock) for sock in timed_out] == [408] * 4
        with trickling(server, 4) as pending:
            assert httpx.get(f"{server.url}/healthz", timeout=60).status_code == 200
            code = server.stop()
            statuses = {status_of(sock) for sock in pending}
    assert code == 0
    assert statuses <= {408, 503, None}  # answered (timed out, or refused at shutdown), never left hanging


def test_sigterm_during_a_big_request_answers_it_and_exits_0(tmp_path: Path, model: str) -> None:
    """A review of about 800 kB is in flight when SIGTERM comes, with --shutdown-timeout 2: it is
    answered (in full if it was done in time, else 503 shutting_down), never 500 or left hanging,
    and the process exits 0 (not killed by an abort under the model's worker)."""
    with (serving(tmp_path, "-m", model, "--max-bytes", "2MB", "--shutdown-timeout", "2", "--quiet") as server,
          posting(server, big_review()) as answer):
        wait_in_flight(server, answer)
        code = server.stop()
    assert code == 0
    response = answer["big"]
    assert response.status_code == 200 or response.json()["error"]["code"] == "shutting_down", response.text
