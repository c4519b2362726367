"""Retrain only the review head over a model directory's own encoder, and fit its review gate.

Why: the encoder is most of a model (44 MB fp32, 22 MB int8) and of its training time (70 minutes
on 2 cores); the head is half a megabyte and, over embeddings computed once, trains in minutes.
Keeping the encoder byte for byte also keeps what was measured of it: its int8 file, known-spoiler
similarity, speed. The new directory holds the old encoder files, a new ``head.onnx`` and new
thresholds, calibration and review gate, chosen on dev data like those of a full run.

The gate (:func:`spoilerscan.training.calibration.fit_gate`) is fitted on review-level dev sets: the
dev sets of whole reviews, ``gate_dev`` files, and short reviews composed around one reveal from the
dev sentences (with their clean controls). Each set may fail no more clean reviews than the encoder
directory's own model fails there: a new head never fails more clean dev reviews than the old one.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from spoilerscan.errors import ModelError
from spoilerscan.model.detect import Detector
from spoilerscan.model.engines import ENCODER_FILES
from spoilerscan.model.thresholds import sigmoid
from spoilerscan.training.calibration import GATE_MARGINS, fit_gate
from spoilerscan.training.composed import Pools, check_fails, compose, pools_from_labels
from spoilerscan.training.data import LabelledReview
from spoilerscan.training.embeddings import EmbeddingStore, encoder_digest, open_detector
from spoilerscan.training.modeldir import make_output_directory, read_metadata, write_metadata
from spoilerscan.training.train import (
    ReviewModel,
    TrainConfig,
    TrainingData,
    _seed_everything,
    calibrated_metadata,
    check_data,
    describe_recipe,
    fit,
)

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
COMPOSED_DEV = 300  # short reviews composed from the dev sentences, for the gate


def gate_sets(data: TrainingData, gate_dev: dict[str, list[LabelledReview]], seed: int
              ) -> dict[str, list[LabelledReview]]:
    """The review-level dev sets the gate is chosen on: dev sets of whole reviews (not loose sentences),
    ``gate_dev``, and composed short reviews (a reveal each, and each one's clean control)."""
    sets = {name: reviews for name, reviews in data.dev.items() if any(len(r.labels) > 1 for r in reviews)}
    sets |= gate_dev
    dev_reviews = [r for reviews in data.dev.values() for r in reviews]
    pools = pools_from_labels(dev_reviews)
    composed = compose(pools, COMPOSED_DEV, seed, source="composed/dev")
    sets["composed/dev"] = [c.review for c in composed] + [c.control for c in composed]
    if data.reveals_dev:  # the dev half of --composed-reveals among the same clean dev sentences
        composed = compose(Pools(data.reveals_dev, pools.premises, pools.opinions), COMPOSED_DEV, seed,
                           source="composed/reveals-dev")
        sets["composed/reveals-dev"] = [c.review for c in composed] + [c.control for c in composed]
    return sets


def train_head(config: TrainConfig, encoder_model: Path, data: TrainingData, console: Console,
               gate_dev: dict[str, list[LabelledReview]] | None = None, cache: Path | None = None,
               from_head: bool = False) -> dict[str, Any]:
    """Train a head over ``encoder_model``'s encoder (frozen), calibrate it, fit its gate, write ``config.out``."""
    import torch

    from spoilerscan.training.export import export_head
    from spoilerscan.training.network import ReviewHead

    check_data(config, data)
    old = read_metadata(encoder_model)
    make_output_directory(config.out)
    if config.out.resolve() == encoder_model.resolve():
        raise ModelError(f"--out {config.out} is the encoder's own directory: write the new model elsewhere")
    _seed_everything(config.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    sets = gate_sets(data, gate_dev or {}, config.seed)
    texts = [s.text for group in (data.train, *data.dev.values(), *sets.values()) for r in group for s in r.sentences] \
        + [r.title for r in data.train if r.title]
    store = EmbeddingStore(encoder_model, cache)
    console.print(f"embedding {len(set(texts) - store.vectors.keys())} new sentences with {encoder_model}'s encoder "
                  f"({len(store)} cached)")
    store.ensure(texts)
    started = time.monotonic()
    dim = next(iter(store.vectors.values())).shape[0]
    if from_head:  # fine-tune the directory's own head (read back from its ONNX graph)
        from spoilerscan.training.onnxhead import load_onnx_head

        if config.contrast:
            raise ModelError("--from-head continues the old head, which has no contrast input: drop --contrast")
        head = load_onnx_head(encoder_model / "head.onnx")
    else:
        if config.anchor:
            raise ModelError("--anchor keeps a head close to the one it starts from: it needs --from-head")
        head = ReviewHead(dim, config.hidden, contrast=config.contrast)
    model = ReviewModel(None, head, None, int(old.get("max_length", config.max_length)))
    model.frozen = {t: torch.from_numpy(np.asarray(store.vectors[t])) for t in dict.fromkeys(texts)}
    if from_head and config.anchor:
        model.teacher = load_onnx_head(encoder_model / "head.onnx").eval()
    loss_weights, steps, epochs_log = fit(model, [{"params": list(head.parameters()),
                                                   "lr": config.head_learning_rate}], config, data, console)
    recipe = describe_recipe(config, data, loss_weights, steps, epochs_log)
    meta = calibrated_metadata(model, config, data, recipe, epochs_log)
    meta["max_length"] = model.max_length
    meta["base_model"] = old.get("base_model", encoder_model.name)
    recipe["model"] = str(old.get("recipe", {}).get("model", recipe["model"]))
    recipe["encoder"] = (f"the encoder of {encoder_model.name} as it ships (encoder.onnx "
                         f"{encoder_digest(encoder_model)}), frozen: only the head is trained, on embeddings "
                         "computed once with that ONNX file")
    recipe["head"] = ("contrast: each sentence's embedding less its review's mean is read too" if config.contrast
                      else f"{encoder_model.name}'s own head (read back from its head.onnx), trained further"
                      if from_head else "plain, trained from scratch")
    if config.anchor:
        recipe["head"] += (f"; its squared logit distance from the head it started from, on the real (not composed) "
                           f"training reviews, weighted {config.anchor:g} in the loss")
    recipe["training time"] = f"{time.monotonic() - started:.0f} s on {os.cpu_count()} CPU cores (head only, " \
                              "embeddings cached)"
    for key in ("known_similarity", "known_similarity_rule"):  # the encoder is the same, so are its similarities
        if key in old:
            meta[key] = old[key]
    meta["notes"] = inherited_notes(old, encoder_model.name)
    # The gate decides what check does at the precision check runs by default (the encoder model's own): it is
    # fitted on scores at that precision (int8 scores move clean reviews' tops enough to change a fitted cut).
    precision = str(old.get("precision", "fp32"))
    gate_store, gate_texts = gate_embeddings(encoder_model, cache, precision, sets, store)
    model.frozen = {t: torch.from_numpy(np.asarray(gate_store.vectors[t])) for t in gate_texts}
    reference = open_detector(encoder_model, precision)
    fitted = choose_gate(lambda reviews: [list(sigmoid(logits)) for logits in model.predict(reviews)],
                         reference, gate_store, sets, meta["threshold"], precision)
    meta["review_gate"], meta["review_gate_rule"] = fitted
    for name in (*ENCODER_FILES.values(), *TOKENIZER_FILES):
        if (encoder_model / name).is_file():
            shutil.copyfile(encoder_model / name, config.out / name)
    export_head(head, config.out / "head.onnx")
    write_metadata(config.out, meta)
    return meta


def gate_embeddings(encoder_model: Path, cache: Path | None, precision: str, sets: dict[str, list[LabelledReview]],
                    store: EmbeddingStore | None = None) -> tuple[EmbeddingStore, list[str]]:
    """The gate sets' sentences embedded at ``precision`` (the one check runs by default), reusing ``store`` when it
    is of that precision, and the sentences."""
    if store is None or store.precision != precision:
        store = EmbeddingStore(encoder_model, cache, precision)
    texts = list(dict.fromkeys(s.text for reviews in sets.values() for r in reviews for s in r.sentences))
    store.ensure(texts)
    return store, texts


def refit_gate(out: Path, encoder_model: Path, data: TrainingData, console: Console,
               gate_dev: dict[str, list[LabelledReview]] | None = None, cache: Path | None = None,
               seed: int = 13) -> dict[str, Any]:
    """A copy of ``encoder_model`` whose head, calibration and thresholds are kept byte for byte and whose review
    gate is fitted anew (with the contrast rule) on the review-level dev sets, at the model's default precision.

    Why: a gate is a decision on top of the scores; refitting it alone changes what check fails and nothing a
    sentence scores, so every sentence metric of the model stays as measured.
    """
    old = read_metadata(encoder_model)
    make_output_directory(out)
    if out.resolve() == encoder_model.resolve():
        raise ModelError(f"--out {out} is the encoder's own directory: write the new model elsewhere")
    sets = gate_sets(data, gate_dev or {}, seed)
    precision = str(old.get("precision", "fp32"))
    console.print(f"embedding the gate's dev sentences with {encoder_model}'s {precision} encoder")
    store, _ = gate_embeddings(encoder_model, cache, precision, sets)
    reference = open_detector(encoder_model, precision)
    meta = dict(old)
    meta["review_gate"], meta["review_gate_rule"] = choose_gate(
        lambda reviews: _reference_probabilities(reference, store, reviews), reference, store, sets,
        reference.threshold, precision)
    for name in (*ENCODER_FILES.values(), *TOKENIZER_FILES, "head.onnx"):
        if (encoder_model / name).is_file():
            shutil.copyfile(encoder_model / name, out / name)
    write_metadata(out, meta)
    return meta


def choose_gate(probabilities: Callable[[Sequence[LabelledReview]], list[list[float]]], reference: Detector,
                store: EmbeddingStore, sets: dict[str, list[LabelledReview]], threshold: float,
                precision: str = "fp32") -> tuple[dict[str, Any], str]:
    """The review gate of a head whose sentence ``probabilities`` these are, within the reference model's clean
    fails on each set of real reviews, and its rule in words.

    Composed sets count in the catch but do not bind: their clean controls are sentences labelled clean in data
    where an unmarked plot outcome is "clean" (TV Tropes entries, Reddit comments), put together at random, so a
    control whose top sentence states an outcome is as likely a missed label as a clean review.
    """
    scored: dict[str, tuple[list[int], list[list[float]]]] = {}
    allowed: dict[str, int] = {}
    for name, reviews in sets.items():
        labels = [r.review_label for r in reviews]
        mine = probabilities(reviews)
        theirs = _reference_probabilities(reference, store, reviews)
        scored[name] = (labels, mine)
        allowed[name] = sum(1 for y, p in zip(labels, theirs, strict=True) if not y and check_fails(reference, p))
    binding = [name for name in sets if not name.startswith("composed/")]
    gate = fit_gate(scored, allowed, threshold, margins=GATE_MARGINS, binding=binding,
                    long_cuts_from=getattr(reference, "review_gate", None))
    clean = sum(1 for labels, _ in scored.values() for y in labels if not y)
    spoilers = sum(1 for labels, _ in scored.values() for y in labels if y)

    def tally(name: str) -> str:
        labels, probabilities = scored[name]
        failed = [gate.fails(p) for p in probabilities]
        return (f"{name} {sum(f for f, y in zip(failed, labels, strict=True) if not y)} clean failed (allowed "
                f"{allowed[name]}{'' if name in binding else ', not binding'}), "
                f"{sum(f for f, y in zip(failed, labels, strict=True) if y)}/{sum(labels)} caught")

    contrast = ("no contrast rule" if gate.contrast_margin is None else
                f"a review of {gate.contrast_sentences[0]} to {gate.contrast_sentences[1]} sentences also fails "
                "when its top sentence is flagged and its logit exceeds the median logit of the others by "
                f"{gate.contrast_margin:.1f}")
    rule = (f"check fails a review when a sentence reaches max(threshold, sigmoid(intercept + slope * log(min(n, "
            f"{gate.max_sentences})))) for a review of n scored sentences ("
            + ", ".join(f"{gate.fail_cut(n):.3f} at {n}" for n in (1, 4, 8, 15, 25, 100)) + f"); {contrast}. "
            f"Chosen on review-level dev data only, scored with the {precision} encoder ("
            f"{', '.join(f'{name} {len(r)}' for name, r in sets.items())} "
            f"reviews; {clean} clean, {spoilers} spoiler): among slopes 0 to 0.6 and contrast margins 6 to 1 (or "
            "none), the pair that catches the largest share of spoiler dev reviews averaged over the sets (each set "
            "counts the same, whatever its size), with the lowest intercept at which no set of real reviews fails "
            "more clean reviews than the encoder's own model did, and no review longer than the contrast rule's "
            "longest gets a lower cut than that model gave it; composed sets count in the catch but do not bind "
            f"(their controls are random clean-labelled sentences, often unmarked plot outcomes): "
            f"{'; '.join(tally(name) for name in sets)}.")
    settings = gate.as_dict()
    del settings["floor"]
    return settings, rule


def _reference_probabilities(reference: Detector, store: EmbeddingStore, reviews: Sequence[LabelledReview]
                             ) -> list[list[float]]:
    embeddings = store.matrix([s.text for r in reviews for s in r.sentences])
    return [list(sigmoid(logits)) for logits in reference.head_logits([r.sentences for r in reviews],
                                                                              embeddings)]




def inherited_notes(old: dict[str, Any], name: str) -> list[str]:
    """The old card's notes (its experiments, limits and int8 history: the encoder is the same), under a line
    that says whose numbers they are."""
    notes = [str(note) for note in old.get("notes", [])]
    if not notes:
        return []
    return [f"## Notes inherited from {name} (the model whose encoder this one keeps)",
            "What follows was written for that model: its encoder is this model's, byte for byte, but its numbers "
            "are the old head's. This model's own numbers are in the tables above.",
            *[note.replace("## ", "### ", 1) if note.startswith("## ") else note for note in notes]]
