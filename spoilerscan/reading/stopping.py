"""Stopping a reading that nobody waits for any more.

A service reads a text in a worker thread, which cannot be killed: when its request is cancelled
(the client left, its time ran out) the thread would read on to the end, a second or more per MB
of hostile Markdown. So the caller sets a stop event for the reading (:func:`stoppable`, carried by
a context variable, which ``asyncio.to_thread`` copies into the thread), and the readers check it
between blocks, tags and lines (:func:`check_stop`), raising :class:`ReadingStopped`. Nothing is
checked where no stop event was set (the commands).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_STOP: ContextVar[threading.Event | None] = ContextVar("spoilerscan_reading_stop", default=None)


class ReadingStopped(Exception):
    """The reading's stop event was set: nobody waits for what it would give."""


def check_stop() -> None:
    """Raise :class:`ReadingStopped` if this reading's stop event is set."""
    stop = _STOP.get()
    if stop is not None and stop.is_set():
        raise ReadingStopped("the reading was stopped: nobody waits for it")


@contextmanager
def stoppable(stop: threading.Event) -> Iterator[None]:
    """Readings started in this context (and threads started from it with its context) stop when ``stop`` is set."""
    token = _STOP.set(stop)
    try:
        yield
    finally:
        _STOP.reset(token)
