"""How training reviews are batched and weighted: whole reviews up to a sentence budget, loose
sentences regrouped into pseudo-reviews, titles shown as headings, class weights per source."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence

from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.document import BlockKind
from spoilerscan.training.data import LabelledReview


def review_batches(reviews: Sequence[LabelledReview], budget: int, rng: random.Random) -> list[list[int]]:
    """Indices of reviews in shuffled batches of about ``budget`` sentences (a longer review alone)."""
    order = list(range(len(reviews)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    current: list[int] = []
    size = 0
    for index in order:
        length = len(reviews[index].labels)
        if current and size + length > budget:
            batches.append(current)
            current, size = [], 0
        current.append(index)
        size += length
    if current:
        batches.append(current)
    return batches


def group_loose(reviews: Sequence[LabelledReview], largest: int, rng: random.Random) -> list[LabelledReview]:
    """Reviews as given, but one-sentence reviews without a title regrouped by source into random
    pseudo-reviews of 1 to ``largest`` sentences (their labels stay per sentence)."""
    kept = [r for r in reviews if len(r.labels) > 1 or r.title or r.label is not None]
    loose: dict[str, list[LabelledReview]] = defaultdict(list)
    for review in reviews:
        if not (len(review.labels) > 1 or review.title or review.label is not None):
            loose[review.source].append(review)
    for source, singles in loose.items():
        singles = list(singles)
        rng.shuffle(singles)
        while singles:
            size = rng.randint(1, largest)
            group, singles = singles[:size], singles[size:]
            kept.append(LabelledReview(tuple(s for r in group for s in r.sentences),
                                       tuple(label for r in group for label in r.labels), source))
    return kept


def with_title(review: LabelledReview) -> LabelledReview:
    """The review with its work's name first, as a heading that does not spoil."""
    return LabelledReview((SentenceInput(review.title, BlockKind.heading), *review.sentences), (0, *review.labels),
                          review.source, review.label, review.title)


def class_weights(reviews: Sequence[LabelledReview], per_source: bool) -> dict[str, tuple[float, float]]:
    """Loss weight of a (not spoiler, spoiler) sentence per source: inverse class frequency.

    ``per_source``: within each source, so that spoilers and the rest each carry half of a source's
    weight, and no source's spoiler rate (2.5 % of Goodreads sentences, half of TV Tropes') becomes
    something the model can learn instead of the words; else over all sources together.
    """
    counts: dict[str, Counter[int]] = defaultdict(Counter)
    for review in reviews:
        counts[review.source if per_source else ""].update(review.labels)

    def weights(count: Counter[int]) -> tuple[float, float]:
        total = sum(count.values())
        return total / (2 * max(count[0], 1)), total / (2 * max(count[1], 1))

    if not per_source:
        shared = weights(counts[""])
        return {review.source: shared for review in reviews}
    return {source: weights(count) for source, count in counts.items()}
