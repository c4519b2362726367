"""The model card's figures (figures.py): which are drawn, that they are small PNGs, and the same bytes each time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spoilerscan.training.figures import reliability_bins, write_figures

PNG = b"\x89PNG\r\n\x1a\n"


def scores(seed: int = 0) -> dict[str, tuple[list[int], list[float]]]:
    rng = np.random.default_rng(seed)
    found = {}
    for name, count, share in (("tvtropes/test", 400, 0.5), ("goodreads/sentences (held-out test part)", 900, 0.03),
                               ("data/challenge", 60, 0.35)):
        labels = (rng.random(count) < share).astype(int)
        probabilities = np.clip(0.25 + 0.4 * labels + 0.25 * rng.standard_normal(count), 0.001, 0.999)
        found[name] = (labels.tolist(), probabilities.tolist())
    return found


def test_four_small_pngs_per_precision_the_same_bytes_each_time(tmp_path: Path) -> None:
    figures = write_figures(tmp_path / "a", scores(), 0.35, "fp32")
    assert [figure["file"] for figure in figures] == ["figures/roc-fp32.png", "figures/precision-recall-fp32.png",
                                                      "figures/reliability-fp32.png", "figures/scores-fp32.png"]
    assert all(figure["caption"] and "fp32" in figure["caption"] for figure in figures)
    again = write_figures(tmp_path / "b", scores(), 0.35, "fp32")
    for figure in figures:
        image = (tmp_path / "a" / figure["file"]).read_bytes()
        assert image.startswith(PNG) and 5_000 < len(image) < 100_000
        assert image == (tmp_path / "b" / figure["file"]).read_bytes()
    assert again == figures
    assert "0.3500" in figures[-1]["caption"]  # the threshold drawn on the histograms


def test_without_both_classes_there_are_no_curves(tmp_path: Path) -> None:
    clean = {"reddit/comments": ([0, 0, 0], [0.1, 0.2, 0.7])}
    figures = write_figures(tmp_path, clean, 0.5, "int8")
    assert [figure["file"] for figure in figures] == ["figures/reliability-int8.png", "figures/scores-int8.png"]
    assert write_figures(tmp_path, {}, 0.5, "int8") == []


def test_reliability_bins() -> None:
    labels = [0, 1, 0, 1, 1]
    probabilities = [0.05, 0.15, 0.12, 0.95, 1.0]
    assert reliability_bins(labels, probabilities) == [
        (0.05, 0.0, 1), (pytest.approx(0.135), 0.5, 2), (pytest.approx(0.975), 1.0, 2)]
