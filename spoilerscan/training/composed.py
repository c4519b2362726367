"""Short reviews composed around one plainly stated reveal: for training the head and for judging it.

Why: a writer's review of a known work is a heading, a premise, a line on the craft, one reveal
and an opinion or two. The labelled data has few such reviews, and the shipped head scored a
reveal lower inside one than alone (docs/model.md, "A plain reveal in a short review"). Composing
them from labelled sentences (a reveal from spoiler sentences, the rest from clean ones, the reveal
at any position) gives as many as needed, from whichever split the sentences come from: the
training parts for training, the held-out parts and the challenge set for evaluation.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.text import BlockKind
from spoilerscan.training.data import LabelledReview

SOURCE = "composed/reveals"
SHORTEST, LONGEST = 4, 8  # sentences of a composed review, its heading included


@dataclass(frozen=True, slots=True)
class Pools:
    """The sentences a composed review is drawn from, by role."""

    reveals: Sequence[str]
    premises: Sequence[str]
    opinions: Sequence[str]
    headings: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class ComposedReview:
    """A composed review, the role of each sentence (heading, premise, opinion, reveal), and the same
    review with its reveal replaced by another opinion (a clean control: what check should pass)."""

    review: LabelledReview
    roles: tuple[str, ...]
    control: LabelledReview

    @property
    def reveal_index(self) -> int:
        return self.roles.index("reveal")


def compose(pools: Pools, count: int, seed: int, source: str = SOURCE) -> list[ComposedReview]:
    """``count`` reviews of 4 to 8 sentences, each with one reveal at a random place after the premise.

    Shape: a heading (in 7 of 10, when there are headings), one or two premises, then opinions and
    the reveal in random order (one to five opinions). Every reveal is used before any is reused.
    """
    rng = random.Random(seed)
    reveals: list[str] = []
    composed: list[ComposedReview] = []
    for _ in range(count):
        if not reveals:
            reveals = list(pools.reveals)
            rng.shuffle(reveals)
        heading = rng.choice(pools.headings) if pools.headings and rng.random() < 0.7 else None
        total = rng.randint(SHORTEST, LONGEST) - (heading is not None)
        premises = rng.sample(list(pools.premises), min(rng.randint(1, 2), total - 2))
        opinions = rng.sample(list(pools.opinions), total - len(premises))  # one more than used: the control's
        rest: list[tuple[str, str]] = [(text, "opinion") for text in opinions[1:]]
        position = rng.randint(0, len(rest))
        body = [(text, "premise") for text in premises] + rest[:position] + [(reveals.pop(), "reveal")] \
            + rest[position:]
        if heading is not None:
            body.insert(0, (heading, "heading"))
        sentences = tuple(SentenceInput(text, BlockKind.heading if role == "heading" else BlockKind.paragraph)
                          for text, role in body)
        roles = tuple(role for _, role in body)
        labels = tuple(int(role == "reveal") for role in roles)
        control = tuple(SentenceInput(opinions[0]) if role == "reveal" else sentence
                        for sentence, role in zip(sentences, roles, strict=True))
        composed.append(ComposedReview(LabelledReview(sentences, labels, source, label=1), roles,
                                       LabelledReview(control, (0,) * len(control), source, label=0)))
    return composed


def pools_from_categories(reviews: Sequence[LabelledReview]) -> Pools:
    """Pools from a challenge-style file (tests/data/challenge.csv): twist, premise, opinion, title."""
    def texts(category: str) -> list[str]:
        return [s.text for r in reviews if r.category == category for s in r.sentences]

    return Pools(texts("twist"), texts("premise"), texts("opinion"), texts("title"))


def pools_from_labels(reviews: Sequence[LabelledReview], headings: Sequence[str] = (), longest: int = 240) -> Pools:
    """Pools from labelled reviews: spoiler sentences as reveals, clean ones as the rest (of at most
    ``longest`` characters, as a short review's sentences are). Clean sentences are not told apart into
    premises and opinions: both pools hold all of them."""
    spoilers = [s.text for r in reviews for s, label in zip(r.sentences, r.labels, strict=True)
                if label and len(s.text) <= longest]
    clean = [s.text for r in reviews for s, label in zip(r.sentences, r.labels, strict=True)
             if not label and 20 <= len(s.text) <= longest and s.kind is BlockKind.paragraph]
    return Pools(spoilers, clean, clean, headings)


HASHTAG = re.compile(r"\s*#\w+")


def reveals_from_file(reviews: Sequence[LabelledReview], part: str, shortest: int = 20) -> list[str]:
    """A file's spoiler sentences as reveals for composed reviews, split in two halves by a stable hash of the
    text: ``part`` "train" composes training reviews, "dev" the reviews the gate is fitted on.

    Why: plainly stated reveals (tweets about an episode: "Thoros froze into an icicle") teach the head that a
    reveal keeps its score among a review's premises and opinions. Hashtags are dropped: a collector appended
    them to spoiler tweets only, so they would teach a tag, not a reveal. In a file labelled by whole review
    (tweets), every sentence of a spoiler review counts as a reveal.
    """
    wanted = 0 if part == "train" else 1
    texts = {HASHTAG.sub("", s.text).strip() for r in reviews
             for s, label in zip(r.sentences, r.labels if r.sentence_labels else [r.review_label] * len(r.sentences),
                                 strict=True) if label}
    return sorted(t for t in texts if len(t) >= shortest and zlib.crc32(t.encode()) % 2 == wanted)


def check_fails(scorer: Any, probabilities: Sequence[float]) -> bool:
    """check's decision at its defaults: the model's review gate where it has one, else its fail threshold."""
    gate = getattr(scorer, "review_gate", None)
    if gate is not None:
        return bool(gate.fails(list(probabilities)))
    return bool(probabilities) and max(probabilities) >= scorer.fail_threshold


def judge(scorer: Any, name: str, composed: Sequence[ComposedReview]) -> dict[str, Any]:
    """What ``check`` and the threshold make of composed reviews, read by ``scorer`` (a Detector).

    Per review: whether check fails it, its clean control, the reveal's probability in the review and
    alone; overall: those shares, and the share of each other role's sentences flagged at the threshold.
    """
    reveals = [c.review.sentences[c.reveal_index] for c in composed]
    scored = [[s.probability for s in review] for review in
              scorer([c.review.sentences for c in composed] + [c.control.sentences for c in composed]
                     + [[SentenceInput(s.text)] for s in reveals])]
    inside, controls, alone = scored[: len(composed)], scored[len(composed) : 2 * len(composed)], \
        scored[2 * len(composed) :]
    rows = [{"sentences": len(c.roles), "reveal_at": c.reveal_index, "reveal": reveals[i].text,
             "reveal_in_review": round(inside[i][c.reveal_index], 4), "reveal_alone": round(alone[i][0], 4),
             "fails": check_fails(scorer, inside[i]), "control_fails": check_fails(scorer, controls[i])}
            for i, c in enumerate(composed)]
    flagged: dict[str, list[int]] = {}
    for c, probabilities in zip(composed, inside, strict=True):
        for role, p in zip(c.roles, probabilities, strict=True):
            if role != "reveal":
                flagged.setdefault(role, []).append(int(p >= scorer.threshold))
    count = max(len(rows), 1)
    return {
        "dataset": name,
        "reviews": len(rows),
        "failed": sum(r["fails"] for r in rows) / count,
        "controls_failed": sum(r["control_fails"] for r in rows) / count,
        "reveal_flagged": sum(r["reveal_in_review"] >= scorer.threshold for r in rows) / count,
        "reveal_flagged_alone": sum(r["reveal_alone"] >= scorer.threshold for r in rows) / count,
        "reveal_median": float(np.median([r["reveal_in_review"] for r in rows])) if rows else 0.0,
        "reveal_median_alone": float(np.median([r["reveal_alone"] for r in rows])) if rows else 0.0,
        "flagged_by_role": {role: sum(v) / len(v) for role, v in sorted(flagged.items())},
        "per_review": rows,
    }


CHALLENGE_REVIEWS, HELD_OUT_REVIEWS = 110, 300  # composed reviews evaluated (two per challenge twist)


def enough(pools: Pools) -> bool:
    """Whether the pools can fill a review of the longest shape (a tiny file cannot)."""
    return bool(pools.reveals) and len(pools.premises) >= 2 and len(pools.opinions) >= LONGEST


def composed_results(scorer: Any, reviews: Sequence[LabelledReview]) -> list[dict[str, Any]]:
    """:func:`judge` on reviews composed from evaluated data: from a challenge file's categories (twists among
    its premises, opinions and titles), and from the other sentence-labelled reviews (their spoiler sentences
    among their clean ones, no headings). The same data and seeds give the same reviews."""
    challenge = [r for r in reviews if r.category]
    labelled = [r for r in reviews if r.sentence_labels and not r.category]
    found = []
    pools = pools_from_categories(challenge)
    if enough(pools):
        found.append(judge(scorer, f"{challenge[0].source} composed reviews",
                           compose(pools, CHALLENGE_REVIEWS, 1)))
    pools = pools_from_labels(labelled)
    if enough(pools):
        found.append(judge(scorer, "held-out sentences composed reviews", compose(pools, HELD_OUT_REVIEWS, 2)))
    return found
