"""The files of a model directory that training writes: weights, metadata and the card rendered
from it, and the held-out metrics ``evaluate --write-card`` records (which also decide whether int8
becomes the default precision)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from spoilerscan.errors import ModelError
from spoilerscan.model.detect import METADATA_FILE
from spoilerscan.training.modelcard import render_card

if TYPE_CHECKING:
    from spoilerscan.training.figures import Scores


class TorchModel(Protocol):
    """What is saved of :class:`spoilerscan.training.train.ReviewModel` (a protocol: train imports this module)."""

    encoder: Any
    head: Any
    tokenizer: Any


def save_weights(directory: Path, model: TorchModel) -> None:
    """The trained torch weights (fp16), for later fine-tuning; run time reads only the ONNX files."""
    from huggingface_hub.utils import disable_progress_bars
    from safetensors.torch import save_file

    disable_progress_bars()
    model.encoder.transformer.half().save_pretrained(directory / "torch-encoder", safe_serialization=True)
    model.tokenizer.save_pretrained(directory)
    state = {k: v.detach().half().contiguous() for k, v in model.head.state_dict().items()}
    save_file(state, str(directory / "torch-head.safetensors"))


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


def record_test_metrics(directory: Path, results: dict[str, list[dict[str, Any]]], precision: str,
                        scores: Scores | None = None, baseline: str = "") -> None:
    """Store held-out metrics per precision, and make int8 the default only if it keeps accuracy.

    int8 becomes the default only if its sentence ROC-AUC is within INT8_MAX_AUC_LOSS of fp32 on
    every held-out dataset evaluated with both. With each sentence dataset's ``scores`` (labels and
    probabilities), the card's figures of this precision are drawn too (:mod:`.figures`). With ``baseline``
    (the name of the model compared), the baseline's results on the composed reviews are recorded too.
    """
    meta = read_metadata(directory)
    if scores is not None:
        from spoilerscan.training.figures import write_figures

        meta["figures"] = meta.get("figures", {}) | {precision: write_figures(directory, scores, meta["threshold"],
                                                                              precision)}
    suffix = "_int8" if precision == "int8" else ""
    meta[f"test_metrics{suffix}"] = results["sentences"]
    meta[f"review_metrics{suffix}"] = results["reviews"]
    if results["challenge"] and not suffix:
        meta["challenge"] = results["challenge"]
    if results.get("composed"):
        meta[f"composed{suffix}"] = results["composed"]
    if results.get("composed_baseline") and baseline:
        meta[f"composed_baseline{suffix}"] = {"model": baseline, "results": results["composed_baseline"],
                                              "differences": results.get("differences", []),
                                              "reviews": results.get("reviews_baseline", [])}
    reference = {m["dataset"]: m["roc_auc"] for m in meta.get("test_metrics", []) if m["roc_auc"] is not None}
    candidate = {m["dataset"]: m["roc_auc"] for m in meta.get("test_metrics_int8", []) if m["roc_auc"] is not None}
    changes = {name: candidate[name] - reference[name] for name in sorted(reference.keys() & candidate.keys())}
    if changes:
        worst = max(-change for change in changes.values())
        passed = worst <= INT8_MAX_AUC_LOSS
        meta["precision"] = "int8" if passed else "fp32"
        meta["int8_check"] = (
            "int8 dynamic quantisation vs fp32, ROC-AUC change on held-out data: "
            + ", ".join(f"{name} {change:+.4f}" for name, change in changes.items())
            + f"; largest loss {max(worst, 0.0):.4f} {'<=' if passed else '>'} {INT8_MAX_AUC_LOSS}, so "
            + ("int8 is the default (--precision fp32 to opt out)." if passed
               else "fp32 stays the default (--precision int8 to opt in).")
        )
    write_metadata(directory, meta)
