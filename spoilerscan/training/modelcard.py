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


def _composed_table(rows: list[dict[str, Any]], baseline: dict[str, Any] | None = None) -> str:
    """What check and the threshold make of short reviews composed around one reveal (and of their clean
    controls), with the baseline model's results beside this model's where they were recorded."""
    theirs = {r["dataset"]: r for r in (baseline or {}).get("results", [])}

    def cell(row: dict[str, Any], key: str, name: str) -> str:
        value = f"{row[key]:.1%}" if "median" not in key else f"{row[key]:.2f}"
        other = theirs.get(name)
        return value + (f" ({other[key]:.1%})" if other and "median" not in key else
                        f" ({other[key]:.2f})" if other else "")

    lines = ["| composed reviews | reviews | check fails | clean controls failed | reveal flagged in review / alone "
             "| median reveal probability in review / alone | other sentences flagged |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        name = r["dataset"]
        roles = ", ".join(f"{role} {share:.1%}" for role, share in r["flagged_by_role"].items())
        lines.append(f"| {name} | {r['reviews']} | {cell(r, 'failed', name)} | {cell(r, 'controls_failed', name)} | "
                     f"{cell(r, 'reveal_flagged', name)} / {cell(r, 'reveal_flagged_alone', name)} | "
                     f"{cell(r, 'reveal_median', name)} / {cell(r, 'reveal_median_alone', name)} | {roles} |")
    return "\n".join(lines)


def _per_review(row: dict[str, Any]) -> list[str]:
    """Each composed review's decision, folded away (the reveal, its probability in the review and alone)."""
    lines = ["", f"<details><summary>Per review: {row['dataset']}</summary>", "",
             "| # | sentences | reveal at | reveal | in review | alone | check |", "|---:|---:|---:|---|---:|---:|---|"]
    for number, r in enumerate(row.get("per_review", []), 1):
        text = r["reveal"].replace("|", "\\|")
        lines.append(f"| {number} | {r['sentences']} | {r['reveal_at'] + 1} | {text} | {r['reveal_in_review']:.2f} | "
                     f"{r['reveal_alone']:.2f} | {'fails' if r['fails'] else 'passes'} |")
    return [*lines, "", "</details>"]


def _composed(meta: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for key, title in (("composed", "fp32"), ("composed_int8", "int8")):
        if not meta.get(key):
            continue
        baseline = meta.get(f"composed_baseline{'_int8' if key.endswith('int8') else ''}")
        lines += ["", f"## Short reviews with one plainly stated reveal (composed from held-out data), {title}", "",
                  "Each review: maybe a heading, one or two premises, opinions, and one reveal at a random place "
                  "(4 to 8 sentences), composed by `spoilerscan/training/composed.py` from the challenge set's "
                  "categories or from the held-out parts' spoiler and clean sentences; its control is the same "
                  "review with the reveal replaced by one more opinion. `check` decides at its defaults."
                  + (f" In brackets: {baseline['model']}, the model this one was compared with, on the same "
                     "reviews." if baseline else ""), "", _composed_table(meta[key], baseline)]
        if key == "composed" and meta[key]:
            lines += _per_review(meta[key][0])
        if baseline and baseline.get("reviews"):
            mine = {r["dataset"]: r for r in meta.get("review_metrics" + key.removeprefix("composed"), [])}
            lines += ["", f"Whole held-out reviews, `check` at its defaults: this model ({baseline['model']}):", "",
                      "| dataset | reviews | clean reviews failed | spoiler reviews caught | review ROC-AUC |",
                      "|---|---:|---:|---:|---:|"]
            lines += [f"| {b['dataset']} | {b['reviews']} | {mine[b['dataset']]['false_fail_rate']:.1%} "
                      f"({b['false_fail_rate']:.1%}) | {mine[b['dataset']]['caught']:.1%} ({b['caught']:.1%}) | "
                      f"{_fmt(mine[b['dataset']]['roc_auc'])} ({_fmt(b['roc_auc'])}) |"
                      for b in baseline["reviews"] if b["dataset"] in mine]
        if baseline and baseline.get("differences") and key == "composed":
            lines += ["", f"Sentence ROC-AUC against {baseline['model']} on the held-out sets, with 95% intervals "
                      "(paired bootstrap over whole reviews):", "",
                      "| dataset | this model | baseline | difference | 95% interval |", "|---|---:|---:|---:|---:|"]
            lines += [f"| {d['dataset']} | {d['roc_auc']:.3f} | {d['baseline_roc_auc']:.3f} | {d['difference']:+.3f} | "
                      f"[{d['low']:+.3f}, {d['high']:+.3f}] |" for d in baseline["differences"]]
    return lines


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
            contrast = bool((meta.get("review_gate") or {}).get("contrast"))
            lines += ["", f"## Whole reviews (held out), {title}", "",
                      ("A review fails `check` when a sentence reaches the review gate's cut for its length"
                       + (", or, in a review of the contrast rule's length, when its flagged top sentence stands out "
                          "from the rest." if contrast else "."))
                      if gated else "A review fails `check` when a sentence reaches the fail threshold.", "",
                      _review_table(meta[key])]
            if any(r.get("by_length") for r in meta[key]):
                lines += ["", f"By review length (scored sentences), {title}:", "", _length_table(meta[key])]
    if meta.get("challenge"):
        lines += ["", "## Challenge set (`tests/data/challenge.csv`, written for this project, never trained on)", "",
                  "Each sentence read as a review of its own, at the threshold.", "",
                  _challenge_table(meta["challenge"])]
    lines += _composed(meta)
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
