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


def _soup_section(soup: dict[str, Any]) -> list[str]:
    """The runs averaged into the model: their dev scores, the greedy steps, and how their recipes differ."""
    runs = soup["runs"]
    datasets = list(runs[0]["dev_roc_auc"])
    lines = ["## Runs averaged (model soup; dev ROC-AUC, best run first)", "",
             "| run | " + " | ".join(datasets) + " | mean | soup mean after adding it | kept |",
             "|---" + "|---:" * (len(datasets) + 2) + "|---|"]
    after = {step["run"]: step["soup_selection"] for step in soup.get("greedy_log", [])}
    for run in runs:
        cells = " | ".join(_fmt(run["dev_roc_auc"][d]) for d in datasets)
        lines.append(f"| {run['run']} | {cells} | {run['selection']:.4f} | "
                     f"{_fmt_score(after.get(run['run']))} | {'yes' if run['kept'] else 'no'} |")
    cells = " | ".join(_fmt(soup["dev_roc_auc"][d]) for d in datasets)
    lines.append(f"| **the soup** | {cells} | **{soup['selection']:.4f}** | | |")
    recipes = [run["recipe"] for run in runs]
    keys = [k for k in recipes[0] if k != "training time"]
    shared = [k for k in keys if all(r.get(k) == recipes[0][k] for r in recipes)]
    lines += ["", "Recipe shared by all runs:", ""] + [f"- {k}: {recipes[0][k]}" for k in shared]
    lines += ["", "Where the runs differ:", ""]
    for run in runs:
        differences = "; ".join(f"{k}: {run['recipe'].get(k)}" for k in keys if k not in shared)
        lines.append(f"- {run['run']}: {differences or 'nothing'}")
    return lines


def _fmt_score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


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
    if meta.get("soup"):
        lines += ["", *_soup_section(meta["soup"])]
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
