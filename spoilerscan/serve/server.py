"""Running the app on uvicorn: one process, or ``--workers N`` processes sharing one socket.

Start-up ends with one line on stderr naming the address, printed once the socket listens (and,
with one process, once the model is warm). SIGTERM or Ctrl-C stops taking connections, lets the
requests in flight finish (at most ``shutdown_seconds``), stops the engine, and returns normally,
so the command exits 0. uvicorn's own messages are warnings and errors only, each one line.
"""

from __future__ import annotations

import logging
import logging.config
import os
import signal
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from spoilerscan.serve.app import create_app
from spoilerscan.serve.settings import ServeSettings
from spoilerscan.serve.state import ServiceDetector

_DROPPED = ("Application startup failed. Exiting.",)


class OneLine(logging.Formatter):
    """Request lines with a timestamp; warnings and errors as ``spoilerscan: error: …``, a traceback
    cut to its last line (the exception), so that a failure is one line on stderr."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            message = f"{message}: {type(error).__name__}: {error}"
        lines = [line for line in message.splitlines() if line.strip()]
        if len(lines) > 1 and lines[0].startswith(("Traceback", "Exception in")):
            lines = lines[-1:]
        text = " ".join(line.strip() for line in lines)
        if record.levelno >= logging.WARNING:
            return f"spoilerscan: {record.levelname.lower()}: {text}"
        return f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')} {text}"


class _Dropped(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in _DROPPED


def log_config(log_requests: bool) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": OneLine}},
        "filters": {"dropped": {"()": _Dropped}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["dropped"],
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "spoilerscan.serve": {"handlers": ["stderr"], "level": "INFO" if log_requests else "WARNING",
                                  "propagate": False},
        },
    }


def address(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class AnnouncingServer(uvicorn.Server):
    """uvicorn's server, announcing the address it listens on once it has started."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[int], None]) -> None:
        super().__init__(config)
        self.announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.servers:
            self.announce(self.servers[0].sockets[0].getsockname()[1])


def quiet_signals() -> dict[int, Any]:
    """uvicorn re-raises the signal that stopped it once it has shut down; then it must end nothing
    (the command's own SIGTERM handler would exit 143). The handlers it replaced are returned."""
    return {signum: signal.signal(signum, lambda number, frame: None) for signum in (signal.SIGTERM, signal.SIGINT)}


def uvicorn_config(app: Any, host: str, port: int, settings: ServeSettings, **more: Any) -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, lifespan="on", access_log=False, server_header=False,
                          log_config=log_config(settings.log_requests),
                          timeout_graceful_shutdown=max(1, round(settings.shutdown_seconds)), **more)


def serve(settings: ServeSettings, host: str, port: int, announce: Callable[[str], None], workers: int = 1,
          detector: ServiceDetector | None = None) -> bool:
    """Serve until SIGTERM or Ctrl-C; False when the server could not start (the reason was logged).

    ``detector``: one loaded already (the command loads it first, to report a bad model before
    binding); with several workers each process loads its own.
    """
    if workers > 1:
        return _serve_workers(settings, host, port, announce, workers)
    app = create_app(settings) if detector is None else create_app(settings, lambda _: detector)
    server = AnnouncingServer(uvicorn_config(app, host, port, settings), lambda bound: announce(address(host, bound)))
    previous = quiet_signals()
    try:
        server.run()
    except SystemExit:  # uvicorn exits 3 when the socket cannot be bound or the app cannot start
        return False
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return server.started


def _serve_workers(settings: ServeSettings, host: str, port: int, announce: Callable[[str], None],
                   workers: int) -> bool:
    from spoilerscan.serve import workers as supervisor

    logging.config.dictConfig(log_config(settings.log_requests))  # the parent's own messages: one line each too
    try:
        listening = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET,
                                         backlog=2048)
    except OSError as error:
        logging.getLogger("uvicorn.error").error("cannot listen on %s: %s", address(host, port), error.strerror)
        return False
    with listening:
        bound = address(host, listening.getsockname()[1])
        return supervisor.run(settings, host, port, listening, workers, lambda: announce(bound))


def cores() -> int:
    """The CPUs this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1
