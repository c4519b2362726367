"""A reading stops at its next check once its stop event is set (a service's request was cancelled),
in every format and throughout: the work done before it stops is a small part of a whole reading."""

from __future__ import annotations

import threading

import pytest

from spoilerscan.reading.segment import read
from spoilerscan.reading.stopping import ReadingStopped, stoppable
from tests.reading.test_pathological import work

# Many blocks of each format, whose reading is long enough to be worth stopping.
TEXTS = {"text": "A line.\n\n" * 4000, "markdown": "a\n\n- b\n\n> c\n\n" * 1500,
         "html": "<p>A <b>line</b>.</p>\n" * 4000}


class StopAfter(threading.Event):
    """A stop event that is found set from its ``checks``-th look on: a request cancelled mid-reading."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.looks = 0
        self.checks = checks

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks >= self.checks


@pytest.mark.parametrize("fmt", TEXTS)
def test_a_reading_stops_soon_after_its_stop_event_is_set(fmt: str) -> None:
    text = TEXTS[fmt]
    whole = work(read, text, fmt)

    def stopped_read() -> None:
        stop = StopAfter(100)
        with stoppable(stop), pytest.raises(ReadingStopped):
            read(text, fmt)
        assert stop.looks == 100  # it stopped at the first look that found the event set

    assert work(stopped_read) < whole / 10


@pytest.mark.parametrize("fmt", TEXTS)
def test_a_stop_event_set_before_the_reading_stops_it_at_once_and_none_changes_nothing(fmt: str) -> None:
    stop = threading.Event()
    stop.set()
    with stoppable(stop), pytest.raises(ReadingStopped):
        read(TEXTS[fmt], fmt)
    with stoppable(threading.Event()):
        kept = read(TEXTS[fmt], fmt)
    assert kept.sentences == read(TEXTS[fmt], fmt).sentences and kept.sentences
