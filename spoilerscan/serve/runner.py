"""One process running the app on uvicorn: its config, its logs (one line each), the start-up
announcement and signals. :mod:`spoilerscan.serve.server` runs one such process, or
:mod:`spoilerscan.serve.workers` several.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

import uvicorn

from spoilerscan.serve.settings import ServeSettings
from spoilerscan.service.engine import SCORING_THREAD

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
    """uvicorn's server, announcing the address it listens on once it has started, and telling the app
    when it begins to shut down (``stopping``: its requests must then be answered within the timeout)."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[int], None],
                 stopping: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.announce = announce
        self.stopping = stopping

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.stopping is not None:
            self.stopping()
        await super().shutdown(sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.servers:
            self.announce(self.servers[0].sockets[0].getsockname()[1])


def quiet_signals() -> dict[int, Any]:
    """uvicorn re-raises the signal that stopped it once it has shut down; then it must end nothing
    (the command's own SIGTERM handler would exit 143). The handlers it replaced are returned."""
    return {signum: signal.signal(signum, lambda number, frame: None) for signum in (signal.SIGTERM, signal.SIGINT)}


def exit_if_abandoned(code: int) -> None:
    """End the process now, with ``code``, if the model's worker was left inside a batch at shutdown.

    The engine leaves a worker still scoring at the end of ``--shutdown-timeout`` (a batch cannot be
    interrupted); the interpreter's own clean-up would then tear ONNX Runtime down under it and
    abort (SIGABRT). So the process ends here, its logs flushed, skipping that clean-up.
    """
    if any(thread.name == SCORING_THREAD and thread.is_alive() for thread in threading.enumerate()):
        logging.getLogger("spoilerscan.serve").info("exiting with the model's worker still in a batch")
        logging.shutdown()
        sys.stderr.flush()
        os._exit(code)


def uvicorn_config(app: Any, host: str, port: int, settings: ServeSettings, **more: Any) -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, lifespan="on", access_log=False, server_header=False,
                          log_config=log_config(settings.log_requests),
                          timeout_graceful_shutdown=max(1, round(settings.shutdown_seconds)), **more)
