"""`spoilerscan soup`: averaging the weights of fine-tuned runs, on the tiny random model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoilerscan.cli import app
from spoilerscan.detect import Detector
from spoilerscan.soup import Ingredient, average_weights, choose_greedily

FIXTURE = Path(__file__).parent / "fixtures" / "tiny_labelled.csv"
runner = CliRunner()


def _train(base: Path, out: Path, *extra: str) -> Path:
    result = runner.invoke(app, ["train", "--base", str(base), "--data", str(FIXTURE), "--dev", str(FIXTURE),
                                 "--out", str(out), "--max-steps", "3", "--epochs", "1", "--batch-size", "8",
                                 *extra])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def runs(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three runs from one base and seed that differ in learning rate, so their weights differ."""
    root = tmp_path_factory.mktemp("runs")
    return [_train(tiny_model_dir, root / f"lr{lr}", "--lr", lr) for lr in ("1e-3", "3e-3", "1e-2")]


def _weights(directory: Path) -> dict[str, object]:
    from safetensors.torch import load_file

    return load_file(directory / "model.safetensors")


def _soup(runs: list[Path], out: Path, *extra: str) -> object:
    models = [arg for run in runs for arg in ("--model", str(run))]
    return runner.invoke(app, ["soup", *models, "--dev", str(FIXTURE), "--out", str(out), *extra],
                         env={"COLUMNS": "300"})


def test_uniform_soup_is_the_average_of_the_runs(runs: list[Path], tmp_path: Path) -> None:
    import torch

    out = tmp_path / "soup"
    result = _soup(runs[:2], out, "--uniform")
    assert result.exit_code == 0, result.output
    assert f"model written to {out}" in result.stderr
    first, second, averaged = _weights(runs[0]), _weights(runs[1]), _weights(out)
    key = "classifier.weight"
    assert not torch.equal(first[key], second[key])
    expected = ((first[key].float() + second[key].float()) / 2).half()
    assert torch.allclose(averaged[key].float(), expected.float(), atol=1e-3)
    assert averaged[key].dtype == torch.float16
    meta = json.loads((out / "spoilerscan.json").read_text())
    assert meta["recipe"]["model soup"].startswith("uniform average of the weights of 2 of 2 fine-tuned runs")
    assert all(run["kept"] for run in meta["soup"]["runs"])
    card = (out / "README.md").read_text()
    assert "## Runs averaged (model soup" in card
    assert "lr1e-3: optimiser: AdamW lr 0.001" in card and "lr3e-3: optimiser: AdamW lr 0.003" in card
    assert f"| **the soup** | {meta['soup']['dev_roc_auc']['fixtures/tiny_labelled']:.3f} |" in card
    detector = Detector.load(out)
    assert detector.threshold == meta["threshold"]
    assert len(detector.score(["The butler did it.", "Great acting."])) == 2


def test_greedy_soup_starts_from_the_best_run_and_never_falls_on_dev(runs: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "greedy"
    result = _soup(runs, out)
    assert result.exit_code == 0, result.output
    soup = json.loads((out / "spoilerscan.json").read_text())["soup"]
    ranked = soup["runs"]
    assert [r["selection"] for r in ranked] == sorted((r["selection"] for r in ranked), reverse=True)
    log = soup["greedy_log"]
    assert [step["run"] for step in log] == [r["run"] for r in ranked]
    assert log[0]["kept"] and log[0]["soup_selection"] == pytest.approx(ranked[0]["selection"], abs=1e-3)
    best = log[0]["soup_selection"]
    for step in log[1:]:
        assert step["kept"] == (step["soup_selection"] >= best)
        best = max(best, step["soup_selection"]) if step["kept"] else best
    assert [r["kept"] for r in ranked] == [step["kept"] for step in log]


def test_soup_errors_are_one_line(runs: list[Path], tiny_model_dir: Path, tmp_path: Path) -> None:
    context_run = _train(tiny_model_dir, tmp_path / "context", "--context")
    cases = {
        "a soup needs at least two model directories": _soup(runs[:1], tmp_path / "a"),
        "model directory not found": _soup([runs[0], tmp_path / "nowhere"], tmp_path / "b"),
        "is one of the runs to average": _soup(runs[:2], runs[1]),
        "the same model directory is given twice": _soup([runs[0], runs[0]], tmp_path / "c"),
        "differ in context": _soup([runs[0], context_run], tmp_path / "d"),
        "no dev data": runner.invoke(app, ["soup", "-m", str(runs[0]), "-m", str(runs[1]), "--out",
                                           str(tmp_path / "e")], env={"COLUMNS": "300"}),
    }
    for message, result in cases.items():
        assert result.exit_code == 2, (message, result.output)
        assert message in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "a").exists()


def test_greedy_choice_keeps_a_run_only_while_the_average_does_not_fall() -> None:
    import torch

    def ingredient(name: str, value: float) -> Ingredient:
        return Ingredient(name, Path(name), {}, {"w": torch.tensor([value])}, {}, 0.0)

    def score(weights: dict[str, object]) -> tuple[dict[str, float | None], float]:
        selection = -abs(float(weights["w"]) - 3.0)  # type: ignore[arg-type]  # best when the average is 3
        return {"dev": selection}, selection

    ranked = [ingredient("a", 2.0), ingredient("b", 5.0), ingredient("c", 0.0), ingredient("d", 2.0)]
    kept, log = choose_greedily(ranked, score)
    # a: -1; a+b (3.5): -0.5, kept; a+b+c (2.33): -0.67, left out; a+b+d (3.0): 0, kept.
    assert [i.name for i in kept] == ["a", "b", "d"]
    assert [step["kept"] for step in log] == [True, True, False, True]
    assert [round(step["soup_selection"], 3) for step in log] == [-1.0, -0.5, -0.667, 0.0]
    assert float(average_weights([i.weights for i in kept])["w"]) == pytest.approx(3.0)


def test_damaged_runs_and_unwritable_output_are_one_line(runs: list[Path], tmp_path: Path) -> None:
    import shutil

    bad_meta = Path(shutil.copytree(runs[1], tmp_path / "bad-meta"))
    (bad_meta / "spoilerscan.json").write_text("{not json", encoding="utf-8")
    bad_weights = Path(shutil.copytree(runs[1], tmp_path / "bad-weights"))
    (bad_weights / "model.safetensors").write_bytes(b"\x00" * 100)
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    cases = {
        "cannot read spoilerscan.json": _soup([runs[0], bad_meta], tmp_path / "a"),
        "cannot read model.safetensors": _soup([runs[0], bad_weights], tmp_path / "b"),
        f"cannot write the model to {blocker}": _soup(runs[:2], blocker),
    }
    for message, result in cases.items():
        assert result.exit_code == 2, (message, result.output)
        assert message in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()  # nothing left behind on failure
