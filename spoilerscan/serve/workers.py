"""``--workers N``: N processes, each with its own model and app, answering on one listening socket.

The parent binds the socket, starts the workers (spawned: a fresh interpreter each, no state
shared), and announces the address once every worker has started (its model loaded and warm).
SIGTERM or Ctrl-C to the parent is passed to each worker, which stops taking connections and
finishes the requests it has; the parent waits for them and returns. A worker that fails to start,
or dies, stops the whole service (a process manager restarts it as one unit).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from spoilerscan.serve.app import create_app
from spoilerscan.serve.runner import AnnouncingServer, exit_if_abandoned, quiet_signals, uvicorn_config
from spoilerscan.serve.settings import ServeSettings, from_environment, to_environment

log = logging.getLogger("uvicorn.error")


def _worker(environment: dict[str, str], host: str, port: int, listening: socket.socket, ready: Connection) -> None:
    """A worker process: build the app from the settings, serve on the parent's socket, say when started."""
    os.environ.update(environment)
    settings = from_environment(environment)
    app = create_app(settings)
    server = AnnouncingServer(uvicorn_config(app, host, port, settings), lambda bound: ready.send(bound),
                              lambda: app.state.traffic.stop(settings.shutdown_seconds))
    quiet_signals()
    try:
        server.run(sockets=[listening])
    except SystemExit as stop:  # the app could not start: the reason was logged
        raise SystemExit(2) from stop
    exit_if_abandoned(0)


def run(settings: ServeSettings, host: str, port: int, listening: socket.socket, workers: int,
        announce: Callable[[], None]) -> bool:
    """Serve with ``workers`` processes until SIGTERM or Ctrl-C; False if one failed to start or died."""
    context = multiprocessing.get_context("spawn")
    environment = to_environment(settings)
    processes: list[BaseProcess] = []
    waiting: list[Connection] = []
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: the worker shuts down gracefully

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    healthy = True
    try:
        for _ in range(workers):
            parent_end, child_end = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(environment, host, port, listening, child_end),
                                      name="spoilerscan-serve-worker")
            process.start()
            child_end.close()
            processes.append(process)
            waiting.append(parent_end)
        sentinels = {process.sentinel: process for process in processes}

        def ended(how: str, sentinel: int | None) -> None:
            nonlocal healthy
            if not stopping:
                code = sentinels[sentinel].exitcode if sentinel is not None else None
                log.error("a worker process ended%s (exit code %s); stopping the others", how, code)
                healthy = False
                stop(signal.SIGTERM, None)

        while waiting and not stopping:  # start-up: every worker says it listens, or one ends
            for ready in wait([*waiting, *sentinels]):
                if isinstance(ready, int):
                    ended(" while starting", ready)
                elif isinstance(ready, Connection):
                    waiting.remove(ready)
                    try:
                        ready.recv()
                    except EOFError:  # it closed its end without a word: it is ending
                        ended(" while starting", None)
        if healthy and not stopping:
            announce()
        while not stopping:  # serving: until a signal, or a worker ends
            for sentinel in wait(list(sentinels)):
                if isinstance(sentinel, int):
                    ended("", sentinel)
        for worker in processes:
            worker.join(settings.shutdown_seconds + 10)
            if worker.is_alive():
                worker.kill()
                worker.join()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return healthy
