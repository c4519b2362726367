"""Render a model directory's card (README.md) from the facts recorded in spoilerscan.json.

The card is never edited by hand: every number in it comes from a training or evaluation run;
``notes`` (recorded with the metadata) hold the prose about experiments and limits.
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


def _review_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| dataset | reviews | spoiler reviews | ROC-AUC | clean reviews failed | spoiler reviews failed |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        flat = r.get("flat")
        before = f" (flat cut: {flat['false_fail_rate']:.1%} / {flat['caught']:.1%})" if flat else ""
        lines.append(f"| {r['dataset']} | {r['reviews']} | {r['spoiler_reviews']} | {_fmt(r['roc_auc'])} | "
                     f"{r['false_fail_rate']:.1%} | {r['caught']:.1%}{before} |")
    return "\n".join(lines)


def _length_table(rows: list[dict[str, Any]]) -> str:
    """Clean reviews failed and spoiler reviews caught per length bin: flat cut -> review gate."""
    lines = ["| dataset | sentences | clean reviews failed, flat -> gate | spoiler reviews caught, flat -> gate |",
             "|---|---|---:|---:|"]
    for r in rows:
        for b in r.get("by_length") or []:
            if not b["clean"] and not b["spoilers"]:
                continue
            gate = "gate_clean_failed" in b
            failed = f"{b['flat_clean_failed']}" + (f" -> {b['gate_clean_failed']}" if gate else "")
            caught = f"{b['flat_caught']}" + (f" -> {b['gate_caught']}" if gate else "")
            lines.append(f"| {r['dataset']} | {b['bin']} | {failed} of {b['clean']} | {caught} of {b['spoilers']} |")
    return "\n".join(lines)


def _challenge_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| category | sentences | should be flagged | flagged |", "|---|---:|---|---:|"]
    for r in rows:
        lines.append(f"| {r['category']} | {r['sentences']} | {'yes' if r['spoiler'] else 'no'} | {r['flagged']:.1%} |")
    return "\n".join(lines)


def _figures(figures: dict[str, list[dict[str, str]]]) -> list[str]:
    """The figures ``evaluate --write-card`` drew, per precision, as images relative to the card."""
    lines = []
    for precision in sorted(figures, key=lambda name: (name != "fp32", name)):
        if figures[precision]:
            lines += ["", f"## Figures, {precision}", "",
                      "Drawn by `spoilerscan evaluate --write-card` from the held-out sentence scores above."]
            for figure in figures[precision]:
                lines += ["", f"{figure['caption']}:", "", f"![{figure['caption']}]({figure['file']})"]
    return lines


def render_card(meta: dict[str, Any]) -> str:
    recipe = meta.get("recipe", {})
    rules = meta.get("threshold_rules", {})
    lines = [
        "---",
        "license: other",
        "base_model: sentence-transformers/all-MiniLM-L6-v2",
        "pipeline_tag: text-classification",
        "---",
        "# spoilerscan review model (MiniLM-L6 sentence encoder + review head, fine-tuned)",
        "",
        "Reads a whole review: each sentence is embedded on its own, then a bidirectional GRU reads the "
        "review's sentences in order and gives each one a calibrated probability that it gives the story away. "
        "A review's score is its highest sentence probability.",
        "",
        f"- Threshold (a sentence is a spoiler: redact, highlight, scan, check warnings): **{meta['threshold']:.4f}** "
        f"({rules.get('threshold', '')}).",
        f"- Fail threshold (`check` fails the build): **{meta.get('fail_threshold', meta['threshold']):.4f}** "
        f"({rules.get('fail_threshold', '')}).",
        f"- Default precision: **{meta.get('precision', 'fp32')}**.",
    ]
    if meta.get("review_gate"):
        gate = meta["review_gate"]
        lines.append(f"- Review gate (`check`'s decision for a whole review): slope **{gate['slope']:.3f}**, "
                     f"intercept **{gate['intercept']:.4f}**, up to {gate.get('max_sentences', 100)} sentences "
                     f"({meta.get('review_gate_rule', '')}).")
    if "known_similarity" in meta:
        lines.append(f"- Known spoilers: a sentence whose cosine similarity with a listed reveal is at least "
                     f"**{meta['known_similarity']:.2f}** is a spoiler whatever its score "
                     f"({meta.get('known_similarity_rule', 'the default')}).")
    lines += [
        "",
        "## Training data",
    ]
    lines += [f"- `{name}`: {info}" for name, info in meta.get("training_data", {}).items()]
    lines += ["", "## Recipe", ""]
    lines += [f"- {key}: {value}" for key, value in recipe.items()]
    if meta.get("calibration"):
        c = meta["calibration"]
        lines.append(f"- calibration: {c.get('rule', '')} (scale {c['scale']:.4f}, bias {c['bias']:.4f})")
    if meta.get("epochs_log"):
        names = list(meta["epochs_log"][0]["dev_roc_auc"])
        lines += ["", "## Dev ROC-AUC per epoch (model selection)", "",
                  "| epoch | " + " | ".join(names) + " | selection score |",
                  "|---" * (len(names) + 2) + "|"]
        for entry in meta["epochs_log"]:
            cells = " | ".join(_fmt(v) for v in entry["dev_roc_auc"].values())
            lines.append(f"| {entry['epoch']} | {cells} | {_fmt(entry['selection'])} |")
    if meta.get("dev_metrics"):
        lines += ["", "## Dev metrics of the selected model (used to calibrate and choose the thresholds)", "",
                  _table(meta["dev_metrics"])]
    for key, title in (("test_metrics", "fp32"), ("test_metrics_int8", "int8 dynamic quantisation")):
        if meta.get(key):
            lines += ["", f"## Held-out test metrics, {title}", "",
                      "Never seen in training, model selection, calibration or threshold choice.", "",
                      _table(meta[key])]
    for key, title in (("review_metrics", "fp32"), ("review_metrics_int8", "int8")):
        if meta.get(key):
            gated = any(r.get("rule") == "gate" for r in meta[key])
            lines += ["", f"## Whole reviews (held out), {title}", "",
                      "A review fails `check` when a sentence reaches the review gate's cut for its length."
                      if gated else "A review fails `check` when a sentence reaches the fail threshold.", "",
                      _review_table(meta[key])]
            if any(r.get("by_length") for r in meta[key]):
                lines += ["", f"By review length (scored sentences), {title}:", "", _length_table(meta[key])]
    if meta.get("challenge"):
        lines += ["", "## Challenge set (`tests/data/challenge.csv`, written for this project, never trained on)", "",
                  "Each sentence read as a review of its own, at the threshold.", "",
                  _challenge_table(meta["challenge"])]
    if meta.get("int8_rule"):
        from spoilerscan.training.precision import describe

        lines += ["", describe(meta["int8_rule"])]
    elif meta.get("int8_check"):
        lines += ["", meta["int8_check"]]
    lines += _figures(meta.get("figures", {}))
    for note in meta.get("notes", []):
        lines += ["", note]
    lines += ["", "## Terms", "", TERMS, ""]
    return "\n".join(lines)
