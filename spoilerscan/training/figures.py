"""The model card's figures, drawn from the sentence scores of ``evaluate --write-card`` (matplotlib, Agg).

Four PNGs per precision evaluated, in ``figures/`` of the model directory: ROC curves and
precision-recall curves of each sentence dataset, a reliability diagram of the calibrated
probabilities (observed spoiler share per bin of predicted probability), and the score histograms
of spoiler and clean sentences per dataset with the threshold. Figures are drawn on
``matplotlib.figure.Figure`` objects (no pyplot, no global backend) and saved without a
"Software" tag, so the same scores and matplotlib give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

FIGURES_DIR = "figures"
# (labels, probabilities) of every sentence of a dataset, by the dataset's name in the card.
Scores = Mapping[str, tuple[Sequence[int], Sequence[float]]]
DPI = 80
BINS = 10  # reliability diagram: equal-width bins of predicted probability
MIN_BIN = 5  # ... a bin with fewer sentences is not drawn


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _save(figure: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", metadata={"Software": None})


def _both_classes(scores: Scores) -> dict[str, tuple[Sequence[int], Sequence[float]]]:
    return {name: (labels, probabilities) for name, (labels, probabilities) in scores.items()
            if 0 < sum(labels) < len(labels)}


def roc_figure(scores: Scores, title: str) -> Any:
    from sklearn.metrics import roc_auc_score, roc_curve

    figure = _figure(6.4, 5.6)
    axes = figure.add_subplot()
    for name, (labels, probabilities) in _both_classes(scores).items():
        false_positive, true_positive, _ = roc_curve(labels, probabilities)
        axes.plot(false_positive, true_positive, linewidth=1.4,
                  label=f"{name} ({roc_auc_score(labels, probabilities):.3f})")
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    axes.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false positive rate (clean sentences flagged)",
             ylabel="true positive rate (spoilers flagged)", title=title)
    figure.legend(title="dataset (ROC-AUC)", fontsize=7, title_fontsize=7, loc="outside lower center", ncols=2)
    return figure


def precision_recall_figure(scores: Scores, title: str) -> Any:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    figure = _figure(6.4, 5.6)
    axes = figure.add_subplot()
    for name, (labels, probabilities) in _both_classes(scores).items():
        precision, recall, _ = precision_recall_curve(labels, probabilities)
        line, = axes.step(recall, precision, where="post", linewidth=1.4,
                          label=f"{name} ({average_precision_score(labels, probabilities):.3f})")
        axes.axhline(sum(labels) / len(labels), color=line.get_color(), linestyle=":", linewidth=0.8)
    axes.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="recall (spoilers flagged)", ylabel="precision (flagged that are "
             "spoilers)", title=title)
    figure.legend(title="dataset (PR-AUC); dotted: its spoiler share", fontsize=7, title_fontsize=7,
                  loc="outside lower center", ncols=2)
    return figure


def reliability_bins(labels: Sequence[int], probabilities: Sequence[float],
                     bins: int = BINS) -> list[tuple[float, float, int]]:
    """(mean predicted probability, observed spoiler share, sentences) of each non-empty bin."""
    totals = [[0.0, 0, 0] for _ in range(bins)]
    for label, probability in zip(labels, probabilities, strict=True):
        entry = totals[min(int(probability * bins), bins - 1)]
        entry[0] += probability
        entry[1] += label
        entry[2] += 1
    return [(float(total) / count, float(spoilers) / count, int(count)) for total, spoilers, count in totals if count]


def reliability_figure(scores: Scores, title: str) -> Any:
    figure = _figure(6.4, 4.8)
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="perfectly calibrated")
    for name, (labels, probabilities) in scores.items():
        points = [(p, o) for p, o, count in reliability_bins(labels, probabilities) if count >= MIN_BIN]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", markersize=3, linewidth=1.2, label=name)
    axes.set(xlim=(0, 1), ylim=(0, 1), xlabel="predicted spoiler probability (bin mean)",
             ylabel="observed share of spoilers", title=title)
    axes.legend(fontsize=7, loc="upper left")
    return figure


def histogram_figure(scores: Scores, threshold: float, title: str) -> Any:
    names = list(scores)
    columns = min(3, max(1, len(names)))
    rows = max(1, math.ceil(len(names) / columns))
    figure = _figure(3.2 * columns, 2.4 * rows + 0.4)
    figure.suptitle(title)
    edges = [i / 20 for i in range(21)]
    for index, name in enumerate(names):
        axes = figure.add_subplot(rows, columns, index + 1)
        labels, probabilities = scores[name]
        for wanted, colour, kind in ((0, "tab:blue", "clean"), (1, "tab:red", "spoiler")):
            chosen = [p for p, label in zip(probabilities, labels, strict=True) if label == wanted]
            if chosen:
                axes.hist(chosen, bins=edges, density=True, histtype="step", linewidth=1.3, color=colour,
                          label=f"{kind} ({len(chosen)})")
        axes.axvline(threshold, color="black", linestyle="--", linewidth=0.8)
        axes.set_xlim(0, 1)
        axes.set_xlabel("spoiler probability", fontsize=7)
        if index % columns == 0:
            axes.set_ylabel("density", fontsize=7)
        axes.set_title(name, fontsize=8)
        axes.tick_params(labelsize=7)
        axes.legend(fontsize=6)
    return figure


def write_figures(directory: Path, scores: Scores, threshold: float, precision: str) -> list[dict[str, str]]:
    """Draw the card's figures of one precision into ``directory/figures``; each one's file and caption.

    ``scores`` holds each sentence dataset's labels and probabilities, in the card's order.
    """
    about = f"held-out sentences, {precision} encoder"
    drawn: list[tuple[str, str, Any]] = []
    if _both_classes(scores):
        drawn += [("roc", f"ROC curves ({about})", roc_figure(scores, f"ROC, {about}")),
                  ("precision-recall", f"Precision-recall curves ({about})",
                   precision_recall_figure(scores, f"Precision-recall, {about}"))]
    if scores:
        drawn += [("reliability", f"Reliability of the calibrated probabilities ({about}; bins of at least "
                   f"{MIN_BIN} sentences)", reliability_figure(scores, f"Reliability, {about}")),
                  ("scores", f"Score histograms of spoiler and clean sentences ({about}; dashed: the threshold "
                   f"{threshold:.4f})", histogram_figure(scores, threshold, f"Scores, {about}"))]
    written = []
    for stem, caption, figure in drawn:
        relative = f"{FIGURES_DIR}/{stem}-{precision}.png"
        _save(figure, directory / relative)
        written.append({"file": relative, "caption": caption})
    return written
