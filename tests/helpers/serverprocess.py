"""A real ``spoilerscan serve`` process for tests, on a free loopback port, always killed by its pid."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

EXAMPLE = Path(__file__).parents[2] / "examples" / "sixth-sense-review.md"
COMMAND = Path(sys.executable).parent / "spoilerscan"
STARTUP = re.compile(r"^spoilerscan: serving on (http://127\.0\.0\.1:(\d+)) \(model ([\w.-]+), (fp32|int8), (\d+) "
                     r"workers?\); the review page is at \1/, the API docs at \1/docs$")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    model: str
    workers: int

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """SIGTERM, and the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


@contextmanager
def serving(folder: Path, *options: object, env: dict[str, str] | None = None,
            startup_seconds: float = 120) -> Iterator[Server]:
    """``spoilerscan serve --port 0 OPTIONS``: port 0 is any free one, and the start-up line names it."""
    log = folder / f"serve-{time.monotonic_ns()}.log"
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", **(env or {})}
    with log.open("wb") as sink:
        process = subprocess.Popen([str(COMMAND), "serve", "--host", "127.0.0.1", "--port", "0", *map(str, options)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink, env=environment)
    try:
        match = None
        for _ in range(int(startup_seconds * 10)):
            first = log.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
            match = STARTUP.match(first[0]) if first else None
            if match or process.poll() is not None:
                break
            time.sleep(0.1)
        assert match, f"no start-up line (exit {process.poll()}): {log.read_text(errors='replace')}"
        yield Server(process, match.group(1), log, match.group(3), int(match.group(5)))
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)


def big_review() -> str:
    """The example review repeated to about 800 kB: a server takes a second or more to read and score it."""
    text = EXAMPLE.read_text(encoding="utf-8")
    return "\n\n".join([text] * (800_000 // len(text)))


@contextmanager
def posting(server: Server, text: str) -> Iterator[dict[str, httpx.Response]]:
    """POST ``text`` to /v1/annotate from a thread while the block runs; its response lands under "big".
    The thread is joined (at most 120 s) when the block ends, also on failure."""
    answer: dict[str, httpx.Response] = {}

    def post() -> None:
        answer["big"] = httpx.post(f"{server.url}/v1/annotate", json={"text": text, "format": "markdown"},
                                   timeout=120)

    sender = threading.Thread(target=post)
    sender.start()
    try:
        yield answer
    finally:
        sender.join(120)


def wait_in_flight(server: Server, answer: dict[str, httpx.Response]) -> int:
    """Until the server counts the posted request in flight beside this one (or it was answered), at
    most 60 s: the last count of requests in flight."""
    in_flight = 0
    for _ in range(600):
        in_flight = httpx.get(f"{server.url}/v1/model", timeout=30).json()["engine"]["requests_in_flight"]
        if in_flight >= 2 or "big" in answer:  # this one, and the big one
            break
        time.sleep(0.1)
    return in_flight
