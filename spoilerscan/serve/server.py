"""Running the app on uvicorn: one process, or ``--workers N`` processes sharing one socket.

Start-up ends with one line on stderr naming the address, printed once the socket listens (and,
with one process, once the model is warm). SIGTERM or Ctrl-C stops taking connections, lets the
requests in flight finish (those still running ``shutdown_seconds`` less a second after the
signal are answered 503 and their work dropped), stops the engine, and returns normally, so the
command exits 0. uvicorn's own messages are warnings and errors only, each one line.
"""

from __future__ import annotations

import errno
import logging
import logging.config
import os
import signal
import socket
from collections.abc import Callable

from spoilerscan.errors import EXIT_OK
from spoilerscan.serve import workers as supervisor
from spoilerscan.serve.app import create_app
from spoilerscan.serve.runner import (
    AnnouncingServer,
    address,
    exit_if_abandoned,
    log_config,
    quiet_signals,
    uvicorn_config,
)
from spoilerscan.serve.settings import ServeSettings
from spoilerscan.serve.state import ServiceDetector


def serve(settings: ServeSettings, host: str, port: int, announce: Callable[[str], None], workers: int = 1,
          detector: ServiceDetector | None = None) -> bool:
    """Serve until SIGTERM or Ctrl-C; False when the server could not start (the reason was logged).

    ``detector``: one loaded already (the command loads it first, to report a bad model before
    binding); with several workers each process loads its own.
    """
    if workers > 1:
        return _serve_workers(settings, host, port, announce, workers)
    app = create_app(settings) if detector is None else create_app(settings, lambda _: detector)
    server = AnnouncingServer(uvicorn_config(app, host, port, settings), lambda bound: announce(address(host, bound)),
                              lambda: app.state.traffic.stop(settings.shutdown_seconds))
    listening = _listen(host, port)  # bound here, so that a taken port is our one line, not uvicorn's [Errno 98]
    if listening is None:
        return False
    previous = quiet_signals()
    try:
        with listening:
            server.run(sockets=[listening])
    except SystemExit:  # uvicorn exits 3 when the app cannot start
        return False
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if server.started:
        exit_if_abandoned(EXIT_OK)
    return server.started


def _listen(host: str, port: int) -> socket.socket | None:
    """A socket listening on host:port, or None after one line on stderr saying why it cannot."""
    try:
        return socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET,
                                    backlog=2048)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            reason = "address already in use (another server is listening there; pick another --port)"
        else:
            reason = (error.strerror or str(error)).lower()
        logging.getLogger("uvicorn.error").error("cannot listen on %s: %s", address(host, port), reason)
        return None


def _serve_workers(settings: ServeSettings, host: str, port: int, announce: Callable[[str], None],
                   workers: int) -> bool:
    logging.config.dictConfig(log_config(settings.log_requests))  # the parent's own messages: one line each too
    listening = _listen(host, port)
    if listening is None:
        return False
    with listening:
        bound = address(host, listening.getsockname()[1])
        return supervisor.run(settings, host, port, listening, workers, lambda: announce(bound))


def cores() -> int:
    """The CPUs this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1
