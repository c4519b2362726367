"""Reading stays linear on hostile input: each pathological family (tests/reading/pathological.py) is
read at N and 4N characters and the work done is counted, not timed: every line of Python executed
(spoilerscan's readers, markdown-it-py and html.parser, all Python) under ``sys.settrace``. A reader
linear in its input does about 4 times the work at 4N; the quadratic loops these families found did
10 to 17 times (unclosed ``[spoiler]``, ``>!``, ``<details>``, ``<div>``, ``<!--``, ``<a``...). Where the
family's markup stays unclosed, what follows it still reads as text and is scored.

Work inside one C call (a regular expression's scan, ``str.find``) is not counted here; those
costs are in the whole-process times of benchmarks/adversarial.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spoilerscan.model.detect import annotate_with, sentence_scorer
from spoilerscan.reading.markup import ALL_STYLES, RedactStyle
from spoilerscan.reading.segment import read
from spoilerscan.render import highlight_html, redact
from tests.reading.pathological import FAMILIES, Family

N = 1000
# Linear, up to a log factor and the fixed cost of a call: at most 5 times the work at 4 times the input.
MAX_RATIO = 5.0


def work(function: Callable[..., Any], *args: Any) -> int:
    """Python lines (and calls) executed by ``function(*args)``, in every frame it enters."""
    count = 0

    def tracer(frame: FrameType, event: str, arg: object) -> Callable[..., Any]:
        nonlocal count
        count += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        function(*args)
    finally:
        sys.settrace(previous)
    return count


def _warm() -> None:
    """First calls import markdown-it and compile patterns: not work that grows with the input."""
    for fmt in ("text", "markdown", "html"):
        read("A. <b>b</b> [c](d) >!e!<", fmt, ALL_STYLES)


def growth(read_one: Callable[[str], object], family: Family, size: int = N) -> float:
    _warm()
    small, large = (work(read_one, family.build(n)) for n in (size, 4 * size))
    return large / small


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_each_family_is_read_in_linear_work_and_unclosed_markup_stays_text(family: Family) -> None:
    ratio = growth(lambda text: read(text, family.format, ALL_STYLES), family)
    assert ratio <= MAX_RATIO, f"{family.name}: {ratio:.1f} times the work at 4 times the input"
    reading = read(family.build(N), family.format, ALL_STYLES)
    if family.sentinel_scored:
        assert any("he dies" in reading.scored_text(s) for s in reading.sentences)


dies = sentence_scorer(lambda sentences: [0.9 if "dies" in s or "a" in s.split() else 0.1 for s in sentences])


@pytest.mark.parametrize("family", [f for f in FAMILIES if f.format != "markdown" or len(f.unit) > 2],
                         ids=lambda f: f.name)
def test_rendering_a_family_is_linear_too(family: Family) -> None:
    def render(text: str) -> None:
        annotation = annotate_with(text, dies, 0.5, fmt=family.format)
        redact(text, annotation, RedactStyle.reddit)
        redact(text, annotation, RedactStyle.label)
        highlight_html(text, annotation)

    ratio = growth(render, family)
    assert ratio <= MAX_RATIO, f"{family.name}: {ratio:.1f} times the work at 4 times the input"


def test_the_counter_sees_a_quadratic_reader() -> None:
    """The measure itself: a loop that rescans the rest of its input from each opener is caught."""

    def quadratic(text: str) -> None:
        for start in range(len(text)):
            for _ in text[start:]:
                pass

    assert growth(quadratic, Family("probe", "x", "text"), 100) > 10


_PIECES = ["[spoiler]", "[/spoiler]", "[spoiler=", ">!", "!<", "||", "<details>", "</details>", "<div>", "</div>",
           "<span class=spoiler>", "<!--", "-->", "<a ", ">", "</", "<script>", "`", "*", "_", "[", "](", ")", "\\",
           "- ", "> ", "# ", "1. ", "|", "\n", "\n\n", "a", "He dies.", " ", "<!-- spoilerscan: off -->",
           "<!-- spoilerscan: ignore -->", "&#", "<![CDATA[", "\u2588", "!"]


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6), st.sampled_from(["text", "markdown", "html"]))
def test_no_repeated_unit_makes_reading_superlinear(pieces: list[str], fmt: str) -> None:
    """Hypothesis looks for a unit whose repetition the readers do not read in linear work."""
    unit = "".join(pieces)
    ratio = growth(lambda text: read(text, fmt, ALL_STYLES), Family("found", unit, fmt), 400)
    assert ratio <= MAX_RATIO, f"{unit!r} as {fmt}: {ratio:.1f} times the work at 4 times the input"
