"""Whether the int8 encoder becomes the default precision: a rule judged by intervals, not by one sentence pair.

The earlier rule (int8 within 0.005 ROC-AUC of fp32 on every held-out set) let the smallest set decide:
on the 156 sentences of goodreads/reviews one sentence pair moved ROC-AUC by 0.0002, and the
difference's own 95 % interval was 0.017 wide. This rule asks two things instead, both on the
same sentences scored by both encoders:

- on no held-out set does the paired bootstrap 95 % interval of ROC-AUC(int8) - ROC-AUC(fp32)
  lie wholly below -MARGIN (a loss the resampling cannot explain away), and
- on all held-out sentences pooled, the loss ROC-AUC(fp32) - ROC-AUC(int8) is at most MARGIN.

A small set can then veto int8 only with a clear loss, and many small losses still add up in the pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

MARGIN = 0.005
RULE = ("int8 is the default when, on no held-out set, the paired bootstrap 95% interval of "
        f"ROC-AUC(int8) - ROC-AUC(fp32) (the same sentences scored by both; whole reviews resampled) lies wholly "
        f"below -{MARGIN}, and the loss ROC-AUC(fp32) - ROC-AUC(int8) on all held-out sentences pooled is at most "
        f"{MARGIN}. Sets labelled by whole review only are judged on review ROC-AUC (a review's score is its "
        "highest sentence probability).")


def megabytes(path: Path) -> float | None:
    """A file's size in MB (10^6 bytes), None where it is missing."""
    return round(path.stat().st_size / 1e6, 1) if path.is_file() else None


def decide(differences: Sequence[Mapping[str, Any]], pooled: Mapping[str, Any] | None,
           encoder_mb: Mapping[str, float | None] | None = None) -> dict[str, Any]:
    """The rule applied to each set's paired difference (int8 minus fp32: ``difference``, ``low``, ``high``)
    and the pooled one: the chosen precision, which sets veto int8 and why, as recorded in the model's metadata."""
    vetoes = [d["dataset"] for d in differences if d["high"] < -MARGIN]
    pooled_loss = None if pooled is None else -float(pooled["difference"])
    pooled_ok = pooled_loss is not None and pooled_loss <= MARGIN
    passed = bool(differences) and not vetoes and pooled_ok
    return {"rule": RULE, "margin": MARGIN, "sets": [dict(d) for d in differences],
            "pooled": None if pooled is None else dict(pooled), "vetoes": vetoes, "pooled_loss": pooled_loss,
            "passed": passed, "precision": "int8" if passed else "fp32",
            "encoder_mb": dict(encoder_mb or {})}


def describe(decision: Mapping[str, Any]) -> str:
    """The decision as the card states it: the rule, each set's interval, the pooled loss, the outcome."""
    rows = ["| held-out set | judged on | units | fp32 | int8 | int8 - fp32 | 95% interval |",
            "|---|---|---:|---:|---:|---:|---|"]
    for d in [*decision["sets"], *([decision["pooled"]] if decision.get("pooled") else [])]:
        rows.append(f"| {d['dataset']} | {d.get('level', 'sentences')} | {d.get('units', d['reviews'])} | "
                    f"{d['baseline_roc_auc']:.4f} | {d['roc_auc']:.4f} | {d['difference']:+.4f} | "
                    f"[{d['low']:+.4f}, {d['high']:+.4f}] |")
    vetoes = decision["vetoes"]
    loss = decision["pooled_loss"]
    outcome = (f"No set's interval lies wholly below -{decision['margin']}"
               if not vetoes else f"Intervals wholly below -{decision['margin']}: {', '.join(vetoes)}")
    outcome += ("; pooled loss " + ("n/a" if loss is None else f"{loss:+.4f}") + f" (at most {decision['margin']} "
                "asked). So " + ("**int8 is the default** (`--precision fp32` to opt out)." if decision["passed"]
                                 else "**fp32 stays the default** (`--precision int8` to opt in)."))
    sizes = decision.get("encoder_mb") or {}
    size_line = ", ".join(f"{name} {mb} MB" for name, mb in sizes.items() if mb is not None)
    return "\n".join(["## Default precision: the int8 rule", "", RULE, "", *rows, "", outcome]
                     + (["", f"Encoder files: {size_line}."] if size_line else []))
