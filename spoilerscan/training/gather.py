"""What a training run reads: training reviews and dev sets from labelled files, plus invented and composed
reviews (training only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from spoilerscan.errors import DataFormatError
from spoilerscan.training.composed import SOURCE as COMPOSED_SOURCE
from spoilerscan.training.composed import Pools, compose, pools_from_labels, reveals_from_file
from spoilerscan.training.data import LabelledReview, load_reviews
from spoilerscan.training.synthetic import SOURCE as SYNTHETIC_SOURCE
from spoilerscan.training.synthetic import synthetic_reviews


@dataclass
class TrainingData:
    train: list[LabelledReview] = field(default_factory=list)
    dev: dict[str, list[LabelledReview]] = field(default_factory=dict)
    described: dict[str, str] = field(default_factory=dict)
    reveals_dev: list[str] = field(default_factory=list)  # the dev half of --composed-reveals, for the gate


def _count(reviews: Sequence[LabelledReview]) -> str:
    sentences = sum(len(r.labels) for r in reviews)
    return f"{len(reviews)} reviews, {sentences} sentences"


def gather_data(data: Sequence[Path], holdout: Sequence[Path], dev: Sequence[Path], synthetic: int = 0,
                seed: int = 0, composed: int = 0, composed_reveals: Sequence[Path] = ()) -> TrainingData:
    """Training reviews from ``data`` (whole files) and the train part of ``holdout`` files.

    ``holdout`` files lend their hash-split dev part to model selection and keep their test part
    away from training entirely; ``dev`` files are used whole for model selection. ``synthetic``
    invented short reviews (:mod:`spoilerscan.training.synthetic`) are added to training only, and
    ``composed`` short reviews of one reveal each (:mod:`spoilerscan.training.composed`), drawn from the
    training reviews' own sentences (invented ones included), each with its clean control (the reveal
    replaced by another clean sentence). With ``composed_reveals``, their reveals are those files' spoiler
    sentences (the train half; the dev half is kept for the gate) instead of the training spoilers.
    """
    gathered = TrainingData()
    for path in [*data, *holdout, *dev]:
        if not all(review.sentence_labels for review in load_reviews(path)):
            raise DataFormatError(f"{path}: labelled by whole review only (is_spoiler), so it cannot train or "
                                  "select a sentence model; evaluate with it, or fit an adapter (spoilerscan adapt)")
    for path in data:
        reviews = load_reviews(path)
        gathered.train += reviews
        gathered.described[reviews[0].source] = f"{_count(reviews)}, all used for training"
    for path in holdout:
        train_part, dev_part = load_reviews(path, "train"), load_reviews(path, "dev")
        gathered.train += train_part
        gathered.dev[dev_part[0].source] = dev_part
        gathered.described[dev_part[0].source] = (
            f"hash split by review 70/15/15: train {_count(train_part)}, dev {_count(dev_part)}, test part held out")
    for path in dev:
        reviews = load_reviews(path)
        gathered.dev[reviews[0].source] = reviews
        gathered.described[reviews[0].source] = f"{_count(reviews)}, dev only (model selection)"
    if synthetic:
        invented = synthetic_reviews(synthetic, seed)
        gathered.train += invented
        gathered.described[SYNTHETIC_SOURCE] = (f"{_count(invented)}, invented short reviews (plain reveals, "
                                                "premises, opinions, headings), training only")
    if composed:
        titles = sorted({r.title for r in gathered.train if r.title})
        pools = pools_from_labels(gathered.train, titles)
        origin = "the training spoiler sentences above"
        if composed_reveals:
            files = [load_reviews(path) for path in composed_reveals]
            pools = Pools([t for f in files for t in reveals_from_file(f, "train")], pools.premises, pools.opinions,
                          titles)
            gathered.reveals_dev = [t for f in files for t in reveals_from_file(f, "dev")]
            origin = (f"{len(pools.reveals)} spoiler sentences of {', '.join(f[0].source for f in files)} "
                      "(hashtags dropped; the other half of them composes the gate's dev reviews)")
        made = [r for c in compose(pools, composed, seed) for r in (c.review, c.control)]
        gathered.train += made
        gathered.described[COMPOSED_SOURCE] = (f"{_count(made)}, short reviews composed around one reveal from "
                                               f"{origin}, among the training clean sentences, at any place, each "
                                               "with its clean control; training only")
    return gathered


