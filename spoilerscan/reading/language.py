"""A cheap test of whether a review is written in English, the only language the model reads.

Scores of text in another language are low and meaningless, so such a review gets a notice
instead of silently passing. The test counts English function words and Latin letters; it needs
no model and no download.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

# Common English function words: in English prose they are about 40 % of the words.
_STOPWORDS = frozenset("""
a about after all also an and any are as at be because been but by can could did do does for from had has
have he her him his how i if in into is it its just like me more most my no not of on one only or other our
out she so some than that the their them then there these they this to too up us was we were what when which
who will with would you your
""".split())
_WORD = re.compile(r"[^\W\d_]+")
# Below this many words the test is not reliable; such short text is not flagged.
MIN_WORDS = 12
MIN_LETTERS = 40
MIN_STOPWORD_SHARE = 0.08
MIN_LATIN_SHARE = 0.7


def looks_english(text: str) -> bool:
    """False when the text is long enough to tell and reads as another language or script."""
    words = _WORD.findall(text.lower())
    letters = sum(len(w) for w in words)
    if letters >= MIN_LETTERS and sum(1 for w in words for ch in w if "a" <= ch <= "z") < MIN_LATIN_SHARE * letters:
        return False  # another script
    if len(words) < MIN_WORDS:
        return True
    return sum(w in _STOPWORDS for w in words) >= MIN_STOPWORD_SHARE * len(words)


NOTICE = "does not look like English; the model reads English only, so its scores mean little here"


def english_notices(reviews: Iterable[Any], note: Callable[[str], None],
                    name: Callable[[Any], str] = lambda review: str(review.name)) -> Iterator[Any]:
    """Pass reviews (objects with ``.text``) through, noting each that does not look like English."""
    for review in reviews:
        if not looks_english(review.text):
            note(f"{name(review)}: {NOTICE}")
        yield review
