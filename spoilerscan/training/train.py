"""Train the review model end to end and write a model directory that runs without torch.

Recipe: the sentence encoder (all-MiniLM-L6-v2 by default) and the review head
(:mod:`spoilerscan.training.network`) are fine-tuned together on whole reviews, batched up to a sentence
budget, with inverse-frequency class weights (and optional extra weight per data source),
AdamW with a linear schedule, the best epoch chosen on mean dev ROC-AUC. Then the head's output
is calibrated (Platt scaling on the pooled dev sentences, folded into its last layer), and two
thresholds are chosen on dev (:mod:`spoilerscan.training.calibration`): ``threshold``, best F2 on
the dev set closest to the real spoiler rate, and ``fail_threshold`` for ``check``, the lowest cut
at which at most 5% of the clean dev reviews would fail. A share of reviews whose work has a
name (TV Tropes pages) is shown with that name as a heading first, labelled not a spoiler:
real reviews start with titles, and the training data has none.
"""

from __future__ import annotations

import copy
import json
import os
import random
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from spoilerscan.errors import ModelError
from spoilerscan.model.features import structure_features
from spoilerscan.model.thresholds import sigmoid
from spoilerscan.training.batches import class_weights, group_loose, review_batches, with_title
from spoilerscan.training.calibration import calibrate, choose_thresholds, fold_calibration
from spoilerscan.training.composed import SOURCE as COMPOSED_SOURCE
from spoilerscan.training.data import LabelledReview
from spoilerscan.training.evaluate import compute_metrics
from spoilerscan.training.gather import TrainingData, gather_data
from spoilerscan.training.modeldir import make_output_directory, save_weights, write_metadata


@dataclass
class TrainConfig:
    base: Path
    out: Path
    epochs: int = 3
    batch_sentences: int = 64
    learning_rate: float = 3e-5  # the encoder's
    head_learning_rate: float = 1e-3
    max_length: int = 128
    seed: int = 13
    max_steps: int | None = None
    warmup_share: float = 0.06
    weight_decay: float = 0.01
    hidden: int = 128
    title_share: float = 0.3  # of reviews with a known title, shown with it as a heading first
    # Loose labelled sentences (files without reviews) are grouped, each epoch afresh, into
    # pseudo-reviews of 1 to this many sentences of the same source: as one-sentence reviews they
    # would teach the model that a review of one sentence has that source's (tiny) spoiler rate.
    loose_group: int = 1
    per_source_balance: bool = True  # class weights within each source (see class_weights)
    # Weight of the fine-tuned encoder's drift (1 - cosine to the base encoder's embedding) in the
    # loss: keeps sentence similarity meaningful for known spoilers.
    keep_similarity: float = 0.0
    # Extra loss weight per data source (e.g. {"goodreads/sentences": 3.0}): lean towards a domain.
    source_weights: dict[str, float] = field(default_factory=dict)
    # Where torch trains: "cpu", "cuda" (one GPU) or "auto" (a GPU when torch sees one). The model
    # written is the same either way; a GPU only makes large encoders affordable to fine-tune.
    device: str = "auto"
    # A head that also reads each sentence's embedding less its review's mean (see ReviewHead).
    contrast: bool = False
    # Weight of the head's drift from the head it started from (squared logit distance on the real, not
    # composed, training reviews): a head trained further learns composed reviews without forgetting.
    anchor: float = 0.0



def training_device(requested: str) -> Any:
    """The torch device to train on; asking for a GPU that torch cannot see is a user error."""
    import torch

    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise ModelError("--device cuda: torch sees no CUDA GPU here (use --device cpu or auto)")
    return torch.device(requested)


def describe_device(device: Any) -> str:
    import torch

    if device.type == "cuda":
        return f"1 GPU ({torch.cuda.get_device_name(device)})"
    return f"{os.cpu_count()} CPU cores"


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class ReviewModel:
    """The encoder, the head and the tokenizer in torch, as training drives them."""

    def __init__(self, encoder: Any, head: Any, tokenizer: Any, max_length: int, device: Any = "cpu") -> None:
        self.encoder, self.head, self.tokenizer, self.max_length = encoder, head, tokenizer, max_length
        self.device = device
        self.frozen: dict[str, Any] | None = None  # text -> embedding, while the encoder is not trained
        self.anchors: dict[str, Any] | None = None  # text -> the base encoder's embedding, to stay close to
        self.teacher: Any = None  # the head training started from, when the new one is kept close to it

    def embed(self, texts: Sequence[str]) -> Any:
        """Sentence embeddings from the encoder (gradients kept), or from the cache of a frozen one."""
        import torch

        if self.frozen is not None:
            return torch.stack([self.frozen[t] for t in texts]).to(self.device)
        tokens = self.tokenizer(list(texts), truncation=True, max_length=self.max_length, padding=True,
                                return_tensors="pt").to(self.device)
        return self.encoder(**tokens)

    def embed_once(self, texts: Sequence[str], batch: int = 128) -> dict[str, Any]:
        """Each distinct text's embedding by the encoder as it is now, without gradients."""
        import torch

        unique = sorted(set(texts), key=len)
        self.encoder.eval()
        cache: dict[str, Any] = {}
        with torch.inference_mode():
            for begin in range(0, len(unique), batch):
                chunk = unique[begin : begin + batch]
                tokens = self.tokenizer(chunk, truncation=True, max_length=self.max_length, padding=True,
                                        return_tensors="pt").to(self.device)
                cache.update(zip(chunk, self.encoder(**tokens).clone(), strict=True))
        self.encoder.train()
        return cache

    def freeze(self, texts: Sequence[str]) -> None:
        """Embed every text once: the encoder stays as it is and only the head is trained."""
        self.frozen = self.embed_once(texts)

    def anchor(self, texts: Sequence[str]) -> None:
        """Remember the base encoder's embeddings, so that fine-tuning can be kept close to them."""
        self.anchors = self.embed_once(texts)

    def drift(self, texts: Sequence[str], embeddings: Any) -> Any:
        """Mean (1 - cosine) between the embeddings and the base encoder's: how far fine-tuning moved them."""
        import torch

        if self.anchors is None:
            return torch.zeros(())
        base = torch.stack([self.anchors[t] for t in texts])
        return (1 - (embeddings * base).sum(-1)).mean()

    def logits(self, reviews: Sequence[LabelledReview]) -> Any:
        """(reviews, longest) padded logits, the lengths, and the embeddings' drift; gradients kept."""
        import torch

        texts = [s.text for r in reviews for s in r.sentences]
        embeddings = self.embed(texts)
        lengths = [len(r.labels) for r in reviews]
        rows = torch.zeros(len(reviews), max(lengths), embeddings.shape[1] + structure_features([]).shape[1],
                           device=embeddings.device)
        begin = 0
        for i, review in enumerate(reviews):
            end = begin + lengths[i]
            structure = torch.from_numpy(structure_features(review.sentences)).to(embeddings.device)
            rows[i, : lengths[i]] = torch.cat([embeddings[begin:end], structure], 1)
            begin = end
        return self.head(rows, torch.tensor(lengths)), lengths, self.drift(texts, embeddings)

    def predict(self, reviews: Sequence[LabelledReview], budget: int = 256) -> list[np.ndarray]:
        """Each review's sentence logits, no gradients (in training mode afterwards again)."""
        import torch

        if self.encoder is not None:  # None: a head trained over another model's encoder (embeddings cached)
            self.encoder.eval()
        self.head.eval()
        out: list[np.ndarray | None] = [None] * len(reviews)
        order = sorted(range(len(reviews)), key=lambda i: len(reviews[i].labels))
        with torch.inference_mode():
            for batch in _chunks(order, [len(r.labels) for r in reviews], budget):
                logits, lengths, _ = self.logits([reviews[i] for i in batch])
                for row, (index, length) in enumerate(zip(batch, lengths, strict=True)):
                    out[index] = logits[row, :length].double().cpu().numpy()
        if self.encoder is not None:
            self.encoder.train()
        self.head.train()
        return [o for o in out if o is not None]


def _chunks(order: list[int], sizes: list[int], budget: int) -> list[list[int]]:
    chunks: list[list[int]] = []
    current: list[int] = []
    total = 0
    for index in order:
        if current and total + sizes[index] > budget:
            chunks.append(current)
            current, total = [], 0
        current.append(index)
        total += sizes[index]
    return [*chunks, current] if current else chunks


def batch_loss(model: ReviewModel, reviews: Sequence[LabelledReview], class_weights: dict[str, tuple[float, float]],
               source_weights: dict[str, float], keep_similarity: float = 0.0, anchor: float = 0.0) -> Any:
    """Weighted binary cross-entropy over every sentence of a batch of reviews (padding ignored), plus
    ``keep_similarity`` times the encoder's drift from the base encoder and ``anchor`` times the head's
    drift from the head it started from (:func:`head_drift`)."""
    import torch

    logits, lengths, drift = model.logits(reviews)
    targets = torch.zeros_like(logits)
    weights = torch.zeros_like(logits)
    for row, review in enumerate(reviews):
        labels = torch.tensor(review.labels, dtype=torch.float32, device=logits.device)
        targets[row, : lengths[row]] = labels
        negative, positive = class_weights[review.source]
        weights[row, : lengths[row]] = source_weights.get(review.source, 1.0) * (
            labels * positive + (1 - labels) * negative)
    losses = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    loss = (losses * weights).sum() / weights.sum() + keep_similarity * drift
    if anchor and model.teacher is not None:
        loss = loss + anchor * head_drift(model, reviews, logits, lengths)
    return loss


def head_drift(model: ReviewModel, reviews: Sequence[LabelledReview], logits: Any, lengths: Sequence[int]) -> Any:
    """Mean squared distance of ``logits`` from the starting head's on the batch's real (not composed) reviews."""
    import torch

    student, model.head = model.head, model.teacher
    try:
        with torch.no_grad():
            target, _, _ = model.logits(reviews)
    finally:
        model.head = student
    mask = torch.zeros_like(logits)
    for row, review in enumerate(reviews):
        if review.source != COMPOSED_SOURCE:
            mask[row, : lengths[row]] = 1.0
    return (((logits - target) ** 2) * mask).sum() / mask.sum().clamp(min=1.0)


def dev_roc_aucs(model: ReviewModel, dev: dict[str, list[LabelledReview]]) -> tuple[dict[str, float | None], float]:
    """Sentence ROC-AUC per dev set and their mean: the score that model selection maximises."""
    aucs: dict[str, float | None] = {}
    for name, reviews in dev.items():
        scores = np.concatenate(model.predict(reviews))
        labels = [label for r in reviews for label in r.labels]
        aucs[name] = compute_metrics(name, labels, scores.tolist(), 0.0).roc_auc
    known = [a for a in aucs.values() if a is not None]
    return aucs, sum(known) / len(known) if known else 0.0


def train(config: TrainConfig, data: TrainingData, console: Console) -> dict[str, Any]:
    """Fine-tune, select the best epoch on dev, calibrate, choose thresholds, export, write the card."""
    device = training_device(config.device)
    with gpu_memory_errors():
        return _train(config, data, console, device)


@contextmanager
def gpu_memory_errors() -> Iterator[None]:
    """A GPU too small for the batches is a setting to change, not a crash: one line that says which."""
    import torch

    try:
        yield
    except torch.cuda.OutOfMemoryError:
        raise ModelError("training ran out of GPU memory: lower --batch-sentences or --max-length, or train with "
                         "--device cpu") from None


def check_data(config: TrainConfig, data: TrainingData) -> None:
    """Training and dev data are there, and every source given a weight has training data."""
    if not data.train:
        raise ModelError("no training data")
    if not data.dev:
        raise ModelError("no dev data: give --dev or --holdout files for model selection")
    unknown = sorted(config.source_weights.keys() - {r.source for r in data.train})
    if unknown:
        raise ModelError(f"no training data from source {', '.join(unknown)} (sources: "
                         f"{', '.join(sorted({r.source for r in data.train}))})")


def _train(config: TrainConfig, data: TrainingData, console: Console, device: Any) -> dict[str, Any]:
    import torch
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    from spoilerscan.training.network import ReviewHead, SentenceEncoder

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    check_data(config, data)
    _seed_everything(config.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        tokenizer = AutoTokenizer.from_pretrained(config.base)
        encoder = SentenceEncoder.load(config.base)
    except Exception as error:
        raise ModelError(f"base model {config.base} could not be loaded: {error}".splitlines()[0]) from None
    make_output_directory(config.out)
    head = ReviewHead(encoder.dim, config.hidden, contrast=config.contrast)
    encoder.to(device)
    head.to(device)
    model = ReviewModel(encoder, head, tokenizer, config.max_length, device)
    tune_encoder = config.learning_rate > 0
    texts = [s.text for reviews in (data.train, *data.dev.values()) for r in reviews for s in r.sentences] \
        + [r.title for r in data.train if r.title]
    if not tune_encoder:
        console.print("embedding the training and dev sentences once (the encoder stays as it is)")
        model.freeze(texts)
    elif config.keep_similarity > 0:
        console.print("embedding the training sentences with the base encoder (fine-tuning stays close to it)")
        model.anchor(texts)
    trained: list[dict[str, Any]] = [{"params": list(head.parameters()), "lr": config.head_learning_rate}]
    if tune_encoder:
        trained.append({"params": list(encoder.parameters()), "lr": config.learning_rate})
    started = time.monotonic()
    loss_weights, steps, epochs_log = fit(model, trained, config, data, console)
    encoder.eval()
    meta = calibrated_metadata(model, config, data, describe_recipe(config, data, loss_weights, steps, epochs_log),
                               epochs_log)
    meta["recipe"]["training time"] = f"{time.monotonic() - started:.0f} s on {describe_device(device)}"
    from spoilerscan.training.export import export_model
    from spoilerscan.training.quantize import SMOOTH_ALPHA, calibration_sample, hf_tokenize

    encoder.to("cpu")  # export and the saved weights are device-free
    head.to("cpu")

    # The int8 encoder's smoothing scales come from training sentences only: dev chose the recipe, test judges it.
    calibration = calibration_sample([s.text for r in data.train for s in r.sentences])
    meta["recipe"]["int8 encoder"] = (f"smoothed (SmoothQuant-style, alpha {SMOOTH_ALPHA}) on {len(calibration)} "
                                      "training sentences, then per-channel dynamic int8 quantisation")
    export_model(encoder, head, tokenizer, config.out, calibration, hf_tokenize(tokenizer, config.max_length))
    save_weights(config.out, model)
    write_metadata(config.out, meta)
    return meta


def fit(model: ReviewModel, trained: list[dict[str, Any]], config: TrainConfig, data: TrainingData,
        console: Console) -> tuple[dict[str, tuple[float, float]], int, list[dict[str, Any]]]:
    """Train ``trained`` (parameter groups) for the configured epochs and keep the best epoch on mean dev ROC-AUC
    (its weights are loaded back): (class weights, steps run, the epochs' log)."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    loss_weights = class_weights(data.train, config.per_source_balance)
    rng = random.Random(config.seed)
    steps_per_epoch = len(review_batches(group_loose(data.train, config.loose_group, random.Random(0)),
                                         config.batch_sentences, random.Random(0)))
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    optimizer = torch.optim.AdamW(trained, weight_decay=config.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total_steps * config.warmup_share), total_steps)
    modules = {"head": model.head} | ({"encoder": model.encoder} if len(trained) > 1 else {})

    epochs_log: list[dict[str, Any]] = []
    best_state: dict[str, Any] | None = None
    best_selection = -1.0
    step = 0
    started = time.monotonic()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("loss {task.fields[loss]:.4f}"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("training", total=total_steps, loss=0.0)
        for epoch in range(1, config.epochs + 1):
            if step >= total_steps:
                break
            running = 0.0
            epoch_reviews = group_loose(data.train, config.loose_group, rng)
            for number, batch in enumerate(review_batches(epoch_reviews, config.batch_sentences, rng), 1):
                if step >= total_steps:
                    break
                reviews = [epoch_reviews[i] for i in batch]
                reviews = [with_title(r) if r.title and rng.random() < config.title_share else r for r in reviews]
                loss = batch_loss(model, reviews, loss_weights, config.source_weights, config.keep_similarity,
                                  config.anchor)
                loss.backward()
                torch.nn.utils.clip_grad_norm_([p for group in trained for p in group["params"]], 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                step += 1
                running += loss.item()
                progress.update(task, advance=1, loss=running / number, description=f"epoch {epoch}/{config.epochs}")
                if not console.is_terminal and step % 100 == 0:  # logs get a line, not a live bar
                    console.print(f"step {step}/{total_steps} epoch {epoch} loss {running / number:.4f} "
                                  f"{time.monotonic() - started:.0f} s")
            aucs, selection = dev_roc_aucs(model, data.dev)
            epochs_log.append({"epoch": epoch, "steps": step, "dev_roc_auc": aucs, "selection": selection})
            progress.console.print(
                f"epoch {epoch}: dev ROC-AUC " + ", ".join(f"{k} {v:.4f}" for k, v in aucs.items() if v is not None)
                + f" (mean {selection:.4f})")
            if selection > best_selection:
                best_selection = selection
                best_state = {name: copy.deepcopy(module.state_dict()) for name, module in modules.items()}

    assert best_state is not None
    for name, module in modules.items():
        module.load_state_dict(best_state[name])
        module.eval()
    return loss_weights, step, epochs_log


def calibrated_metadata(model: ReviewModel, config: TrainConfig, data: TrainingData, recipe: dict[str, Any],
                        epochs_log: list[dict[str, Any]]) -> dict[str, Any]:
    """Calibrate the head on the pooled dev sentences (folded into it), choose the thresholds on dev, and
    return the model's metadata as the card reads it."""
    dev_logits = {name: model.predict(reviews) for name, reviews in data.dev.items()}
    pooled = np.concatenate([np.concatenate(v) for v in dev_logits.values()])
    scale, bias = calibrate(pooled, [label for reviews in data.dev.values() for r in reviews for label in r.labels])
    fold_calibration(model.head, scale, bias)
    probabilities = {name: [sigmoid(scale * x + bias) for x in logits]
                     for name, logits in dev_logits.items()}
    threshold, fail_threshold, rules, dev_metrics = choose_thresholds(probabilities, data.dev)
    return {
        "format": 2,
        "threshold": threshold,
        "fail_threshold": fail_threshold,
        "threshold_rules": rules,
        "calibration": {"scale": scale, "bias": bias,
                        "rule": "Platt scaling on the pooled dev sentences, folded into the head's output layer"},
        "max_length": config.max_length,
        "precision": "fp32",
        "base_model": _base_name(config.base),
        "training_data": data.described,
        "recipe": recipe,
        "epochs_log": epochs_log,
        "dev_metrics": dev_metrics,
    }


def describe_recipe(config: TrainConfig, data: TrainingData, class_weights: dict[str, tuple[float, float]], steps: int,
                    epochs_log: list[dict[str, Any]]) -> dict[str, Any]:
    """The recipe as the model card states it."""
    best_epoch = max(epochs_log, key=lambda e: e["selection"])["epoch"] if epochs_log else 0
    per_source: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for review in data.train:
        per_source[review.source][0] += 1
        per_source[review.source][1] += len(review.labels)
        per_source[review.source][2] += sum(review.labels)
    sources = ", ".join(f"{k} {v[0]} reviews, {v[1]} sentences ({v[2]} spoilers)" for k, v in per_source.items())
    weights = "".join(f"; rows from {name} weighted x{factor:g}" for name, factor in config.source_weights.items())
    return {
        "model": f"{_base_name(config.base)} sentence encoder (mean-pooled, each sentence read alone) + review "
                 f"head: bidirectional GRU ({config.hidden}) over the review's sentence embeddings and structure "
                 "features (position, first/last, heading, list or quote, length, sentence end)",
        "training reviews": f"{len(data.train)} reviews; per source: {sources}",
        "loss": "binary cross-entropy per sentence with inverse-frequency class weights "
                + ("per source: " if config.per_source_balance else "over all sources: ")
                + "; ".join(f"{name} {w[0]:.3f}/{w[1]:.3f}" for name, w in class_weights.items()) + weights,
        "titles": f"{config.title_share:.0%} of the reviews with a known work name shown with it as a heading first",
        "loose sentences": "one-sentence training rows regrouped each epoch into pseudo-reviews of "
                           f"1-{config.loose_group} sentences of the same source",
        "encoder": f"fine-tuned with the head, lr {config.learning_rate}, drift from the base encoder weighted "
                   f"{config.keep_similarity:g} in the loss" if config.learning_rate > 0
                   else "frozen: the base encoder as published; only the head is trained",
        "optimiser": f"AdamW, head lr {config.head_learning_rate}, weight decay "
                     f"{config.weight_decay}, linear schedule, {config.warmup_share:.0%} warm-up, grad-norm clip 1.0",
        "batches": f"whole reviews, about {config.batch_sentences} sentences a batch, at most {config.max_length} "
                   "tokens a sentence",
        "epochs": f"{config.epochs} planned, {steps} steps run; epoch {best_epoch} selected on mean dev ROC-AUC",
        "seed": config.seed,
    }


def _base_name(base: Path) -> str:
    """The base model's public name where its card gives one, else its folder name."""
    try:
        settings = json.loads((base / "config.json").read_text(encoding="utf-8"))
        return str(settings.get("_name_or_path") or base.name) or base.name
    except (OSError, ValueError):
        return base.name




__all__ = ["TrainConfig", "TrainingData", "gather_data", "train"]
