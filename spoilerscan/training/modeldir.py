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


def record_test_metrics(directory: Path, results: dict[str, list[dict[str, Any]]], precision: str,
                        scores: Scores | None = None, baseline: str = "") -> None:
    """Store held-out metrics per precision; an int8 run paired with this model's fp32 decides the default.

    With int8 results that carry "differences" to the same model's fp32 (each set's paired interval
    and the pooled one), :func:`spoilerscan.training.precision.decide` sets the default precision.
    With each sentence dataset's ``scores`` (labels and probabilities), the card's figures of this
    precision are drawn too (:mod:`.figures`). With ``baseline`` (the name of another model compared),
    the baseline's results on the composed reviews are recorded too.
    """
    from spoilerscan.model.engines import ENCODER_FILES
    from spoilerscan.training.precision import decide, megabytes

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
        # the baseline's summary only: its per-review rows are in its own card
        summary = [{k: v for k, v in row.items() if k != "per_review"} for row in results["composed_baseline"]]
        meta[f"composed_baseline{suffix}"] = {"model": baseline, "results": summary,
                                              "differences": results.get("differences", []),
                                              "reviews": results.get("reviews_baseline", [])}
    if precision == "int8" and "differences" in results and not baseline:
        pooled = results.get("pooled_difference") or []
        drift = results.get("batch_drift") or []  # evaluate's measure: [{"max_change", "sentences"}]
        decision = decide(results["differences"], pooled[0] if pooled else None,
                          {name: megabytes(directory / file) for name, file in ENCODER_FILES.items()},
                          float(drift[0]["max_change"]) if drift else None)
        meta["precision"] = decision["precision"]
        meta["int8_rule"] = decision
        meta.pop("int8_check", None)  # the earlier rule's verdict, replaced by this one
    write_metadata(directory, meta)
