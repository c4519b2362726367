"""Average the weights of several fine-tuned runs into one model: a model soup.

Runs fine-tuned from the same base model and the same classifier-head initialisation (same seed)
but with different hyperparameters end in one basin of the loss, so the average of their weights
often scores better than any one of them, at no cost when scoring (Wortsman et al. 2022, "Model
soups"). The greedy soup tries the runs best-first on dev and keeps each one only if the mean dev
ROC-AUC of the average does not fall, so on dev it is never worse than the best single run.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from spoilerscan.data import LabelledSentence
from spoilerscan.detect import Detector, check_model_directory
from spoilerscan.errors import ModelError
from spoilerscan.train import choose_threshold, dev_roc_aucs, make_output_directory, read_metadata, write_metadata

WEIGHTS_FILE = "model.safetensors"
# Files copied from the first run; the weights are the soup's own.
_COPIED = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


@dataclass(eq=False)  # identity, not a comparison of tensors
class Ingredient:
    name: str
    path: Path
    meta: dict[str, Any]
    weights: dict[str, Any]  # tensor name -> fp32 tensor
    dev_roc_auc: dict[str, float | None]
    selection: float


def _load_weights(path: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    try:
        tensors = load_file(path / WEIGHTS_FILE)
    except Exception as error:  # safetensors reports a damaged file with its own error types
        raise ModelError(f"model directory {path}: cannot read {WEIGHTS_FILE} ({error})".splitlines()[0]) from None
    return {key: tensor.float() for key, tensor in tensors.items()}


def _check_compatible(first: Ingredient, other: Ingredient) -> None:
    """Only runs of one architecture, input format and training data can be averaged."""
    if first.weights.keys() != other.weights.keys() or any(
            first.weights[k].shape != other.weights[k].shape for k in first.weights):
        raise ModelError(f"{other.path} and {first.path} have different architectures; only runs "
                         "fine-tuned from the same base model can be averaged")
    for key in ("context", "max_length", "training_data"):
        if first.meta.get(key) != other.meta.get(key):
            raise ModelError(f"{other.path} and {first.path} differ in {key.replace('_', ' ')}; "
                             "only runs with the same input and data can be averaged")


def average_weights(weights: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The uniform average of the runs' tensors."""
    return {key: sum(w[key] for w in weights) / len(weights) for key in weights[0]}


DevScorer = Callable[[dict[str, Any]], tuple[dict[str, float | None], float]]  # weights -> dev ROC-AUCs, mean


def choose_greedily(ranked: list[Ingredient], score: DevScorer,
                    console: Console | None = None) -> tuple[list[Ingredient], list[dict[str, Any]]]:
    """Greedy soup: from the best run on, add each next run only if the average's dev score does not fall."""
    kept = [ranked[0]]
    aucs, best = score(average_weights([ranked[0].weights]))
    log = [{"run": ranked[0].name, "kept": True, "soup_dev_roc_auc": aucs, "soup_selection": best}]
    for candidate in ranked[1:]:
        aucs, selection = score(average_weights([i.weights for i in [*kept, candidate]]))
        keep = selection >= best
        if console is not None:
            console.print(f"+ {candidate.name}: soup mean dev ROC-AUC {selection:.4f} "
                          f"({'kept' if keep else 'left out'})", highlight=False)
        log.append({"run": candidate.name, "kept": keep, "soup_dev_roc_auc": aucs, "soup_selection": selection})
        if keep:
            kept.append(candidate)
            best = selection
    return kept, log


def make_soup(paths: Sequence[Path], out: Path, dev: dict[str, list[LabelledSentence]], console: Console,
              greedy: bool = True) -> dict[str, Any]:
    """Average the runs at ``paths`` (greedily or all), choose the threshold on dev, write ``out``."""
    if len(paths) < 2:
        raise ModelError("a soup needs at least two model directories")
    if not dev:
        raise ModelError("no dev data: give --dev or --holdout files to score the runs on")
    if any(out.resolve() == p.resolve() for p in paths):
        raise ModelError(f"{out} is one of the runs to average; write the soup to a new directory")
    for path in paths:
        check_model_directory(path)
    if len({p.resolve() for p in paths}) < len(paths):
        raise ModelError("the same model directory is given twice")
    detector = Detector.load(paths[0], quantize=False, engine="torch")
    model = detector.engine.model  # type: ignore[attr-defined]

    def score(weights: dict[str, Any]) -> tuple[dict[str, float | None], float]:
        model.load_state_dict(weights)
        return dev_roc_aucs(detector, dev)

    ingredients = [Ingredient(path.name, path, read_metadata(path), _load_weights(path), {}, 0.0) for path in paths]
    for ingredient in ingredients[1:]:  # all checked before the slow scoring starts
        _check_compatible(ingredients[0], ingredient)
    make_output_directory(out)
    for ingredient in ingredients:
        ingredient.dev_roc_auc, ingredient.selection = score(ingredient.weights)
        console.print(f"{ingredient.name}: mean dev ROC-AUC {ingredient.selection:.4f}", highlight=False)

    ranked = sorted(ingredients, key=lambda i: i.selection, reverse=True)
    if greedy:
        kept, log = choose_greedily(ranked, score, console)
        last_kept = [step for step in log if step["kept"]][-1]
        soup_aucs, soup_selection = last_kept["soup_dev_roc_auc"], last_kept["soup_selection"]
    else:
        kept, log = ranked, []
        soup_aucs, soup_selection = score(average_weights([i.weights for i in kept]))
    console.print(f"soup of {len(kept)} runs: mean dev ROC-AUC {soup_selection:.4f} "
                  f"(best single run {ranked[0].selection:.4f})", highlight=False)
    final = average_weights([i.weights for i in kept])
    model.load_state_dict(final)
    threshold, threshold_rule, dev_metrics = choose_threshold(detector, dev)
    first = ranked[0].meta
    how = "greedy: runs tried best-first, each kept only if the mean dev ROC-AUC did not fall" if greedy \
        else "uniform: all runs"
    meta: dict[str, Any] = {
        "threshold": threshold,
        "threshold_rule": threshold_rule,
        "max_length": first["max_length"],
        "context": first.get("context", False),
        "base_model": first.get("base_model"),
        "training_data": first.get("training_data", {}),
        "recipe": {
            "model soup": f"uniform average of the weights of {len(kept)} of {len(ranked)} fine-tuned runs "
            f"({', '.join(i.name for i in kept)}); {how}",
            "weights": "safetensors, fp16 (loaded as fp32)",
        },
        "soup": {
            "runs": [{"run": i.name, "kept": i in kept, "dev_roc_auc": i.dev_roc_auc, "selection": i.selection,
                      "recipe": i.meta.get("recipe", {})} for i in ranked],
            "greedy_log": log,
            "dev_roc_auc": soup_aucs,
            "selection": soup_selection,
        },
        "dev_metrics": dev_metrics,
    }
    model.half().save_pretrained(out, safe_serialization=True)
    for name in _COPIED:
        if (ranked[0].path / name).is_file():
            shutil.copyfile(ranked[0].path / name, out / name)
    write_metadata(out, meta)
    return meta
