"""A progress bar on a terminal's stderr while reviews are scored, never mixed with stdout.

The bar is on screen only while a batch of reviews is being scored (the long work) and is
cleared when the batch returns. Commands write their output and messages between batches, so
nothing they write, on stdout or stderr, ever shares a line with the bar: the old spinner left
``⠸ scored 0 sentences# The Sixth Sense…`` on a terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from spoilerscan.model.detect import BatchScorer, Scorer, SentenceScore
    from spoilerscan.model.features import SentenceInput


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (then it may share the screen with the bar)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced, or closed
        return False


def _clock(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


class ReviewProgress:
    """Reviews done of how many, sentences scored and the time left, on stderr.

    Shown only where ``console`` (None: the command's stderr, ``output.console()``) is a terminal and not
    ``quiet``; a quiet run never makes the console, nor imports rich. Where the number of reviews is
    unknown (``total`` None: a JSONL stream), the bar is a counter with the time taken. A command
    that writes to stdout tells :meth:`wrote`: where stdout is the same terminal and its output
    ended mid-line, the bar stays away for a batch, since clearing it would erase that line.
    """

    def __init__(self, console: Console | None, quiet: bool, total: int | None = None, verb: str = "scoring",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._console = console
        self.clock = clock
        self.enabled = not quiet and self.console.is_terminal
        self.total = total
        self.verb = verb
        self.reviews = 0  # done, including inputs that could not be read
        self.sentences = 0
        self.started: float | None = None
        self.mid_line = False  # stdout, a terminal, last wrote no line end

    @property
    def console(self) -> Console:
        if self._console is None:
            from spoilerscan.cli import output

            self._console = output.console()
        return self._console

    def scorer(self, detector: BatchScorer, total: int | None = None) -> Scorer:
        """``detector`` as a Scorer that shows the bar while it scores; ``total`` sets the number of
        reviews where it was not known when the progress was made (``run_check``)."""
        if total is not None:
            self.total = total

        def score(reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
            if self.started is None:
                self.started = self.clock()
            with self._shown(reviews) as on_batch:
                scores = detector.score_reviews(reviews, on_batch=on_batch)
            self.reviews += len(reviews)
            return scores

        return score

    @contextmanager
    def working(self, reviews: Sequence[Sequence[SentenceInput]]) -> Iterator[Callable[[int], None]]:
        """The bar for work on these reviews that is not a Scorer's (``adapt`` embeds them itself);
        yields the callback to tell it how many sentences are done."""
        if self.started is None:
            self.started = self.clock()
        with self._shown(reviews) as advance:
            yield advance
        self.reviews += len(reviews)

    def skip(self) -> None:
        """An input that could not be read: it is done all the same."""
        self.reviews += 1

    def wrote(self, text: str) -> None:
        """Note what a command wrote to stdout, to know whether it ended mid-line on the terminal."""
        if text:
            self.mid_line = not text.endswith(("\n", "\r")) and stdout_is_terminal()

    @contextmanager
    def _shown(self, reviews: Sequence[Sequence[SentenceInput]]) -> Iterator[Callable[[int], None]]:
        """The bar on screen for one batch (cleared after it); yields the per-sentence callback."""
        batch = sum(len(review) for review in reviews)
        scored = 0

        def done() -> float:  # reviews, counting this batch's share of sentences scored
            return self.reviews + (len(reviews) * scored / batch if batch else 0)

        def status() -> str:
            elapsed = self.clock() - self.started if self.started is not None else 0.0
            if self.total is None:
                return f"{int(done())} reviews, {self.sentences} sentences, {_clock(elapsed)}"
            left = f"about {_clock(elapsed / done() * (self.total - done()))} left" if done() else "time left unknown"
            return f"{int(done())}/{self.total} reviews, {self.sentences} sentences, {left}"

        shown = self.enabled and not self.mid_line
        with self._bar() if shown else nullcontext() as bar:
            task = bar.add_task(self.verb, total=self.total, completed=self.reviews, status=status()) if bar else None

            def advance(sentences: int) -> None:
                nonlocal scored
                scored += sentences
                self.sentences += sentences
                if bar is not None and task is not None:
                    bar.update(task, completed=done(), status=status())

            yield advance

    def _bar(self) -> Progress:
        """One line: verb, bar (a spinner while the total is unknown), reviews, sentences, time."""
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

        gauge = BarColumn(bar_width=24) if self.total is not None else SpinnerColumn()
        # transient: cleared when it stops; stdout is left alone (rich would send it to stderr).
        return Progress(TextColumn(self.verb), gauge, TextColumn("{task.fields[status]}"), console=self.console,
                        transient=True, redirect_stdout=False)
