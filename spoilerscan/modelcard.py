"""Render a model directory's card (README.md) from the facts recorded in spoilerscan.json.

The card is never edited by hand: every number in it comes from a training or evaluation run.
"""

from __future__ import annotations

from typing import Any

TERMS = """\
The weights inherit the terms of the data they were trained on:
- Goodreads review sentences (Wan et al., ACL 2019): **non-commercial research use only**, no
  redistribution of the data.
- TV Tropes sentences (Boyd-Graber et al. 2013): **CC BY-NC-SA 3.0** (non-commercial, share-alike).
- Reddit comments: user content under Reddit's terms.
The base model, all-MiniLM-L6-v2, is Apache-2.0. Use of this model is therefore limited to
non-commercial purposes."""


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _table(rows: list[dict[str, Any]]) -> str:
    head = "| dataset | sentences | spoilers | ROC-AUC | PR-AUC | precision | recall | F1 |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['sentences']} | {r['spoilers']} | {_fmt(r['roc_auc'])} | "
            f"{_fmt(r['pr_auc'])} | {_fmt(r['precision'])} | {_fmt(r['recall'])} | {_fmt(r['f1'])} |"
        )
    return "\n".join(lines)


def render_card(meta: dict[str, Any]) -> str:
    recipe = meta.get("recipe", {})
    sources = meta.get("training_data", {})
    lines = [
        "---",
        "license: other",
        "base_model: sentence-transformers/all-MiniLM-L6-v2",
        "pipeline_tag: text-classification",
        "---",
        "# spoilerscan spoiler classifier (MiniLM-L6, fine-tuned)",
        "",
        "Scores one review sentence: label 1 = the sentence gives the story away.",
        f"Decision threshold: **{meta['threshold']:.4f}** ({meta.get('threshold_rule', '')}).",
        "",
        "## Training data",
    ]
    for name, info in sources.items():
        lines.append(f"- `{name}`: {info}")
    lines += ["", "## Recipe", ""]
    lines += [f"- {key}: {value}" for key, value in recipe.items()]
    if meta.get("epochs_log"):
        lines += ["", "## Dev metrics per epoch (model selection)", "",
                  "| epoch | " + " | ".join(meta["epochs_log"][0]["dev_roc_auc"]) + " | selection score |",
                  "|---" * (len(meta["epochs_log"][0]["dev_roc_auc"]) + 2) + "|"]
        for entry in meta["epochs_log"]:
            cells = " | ".join(_fmt(v) for v in entry["dev_roc_auc"].values())
            lines.append(f"| {entry['epoch']} | {cells} | {_fmt(entry['selection'])} |")
    if meta.get("dev_metrics"):
        lines += ["", "## Dev metrics of the selected model (used to choose the threshold)", "",
                  _table(meta["dev_metrics"])]
    if meta.get("test_metrics"):
        lines += ["", "## Held-out test metrics", "",
                  "Never seen in training, model selection or threshold choice.", "",
                  _table(meta["test_metrics"])]
    if meta.get("test_metrics_int8"):
        lines += ["", "## Held-out test metrics, int8 dynamic quantisation", "", _table(meta["test_metrics_int8"])]
    if meta.get("int8_check"):
        lines += ["", meta["int8_check"]]
    if meta.get("test_metrics_onnx"):
        heading = "## Held-out test metrics, ONNX Runtime fp32"
        if not meta.get("test_metrics"):
            heading += "\n\nNever seen in training, model selection or threshold choice."
        lines += ["", heading, "", _table(meta["test_metrics_onnx"])]
    if meta.get("onnx_check"):
        lines += ["", meta["onnx_check"]]
    for note in meta.get("notes", []):
        lines += ["", note]
    lines += ["", "## Terms", "", TERMS, ""]
    return "\n".join(lines)
