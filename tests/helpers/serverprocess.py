"""A real ``spoilerscan serve`` process for tests, on a free loopback port, always killed by its pid."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
