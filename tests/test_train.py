"""Smoke test of `spoilerscan train` and `evaluate` on the tiny random model and a tiny fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoilerscan.cli import app
from spoilerscan.data import load_labelled
from spoilerscan.detect import REQUIRED_FILES, Detector
from spoilerscan.evaluate import best_f1_threshold, compute_metrics

FIXTURE = Path(__file__).parent / "fixtures" / "tiny_labelled.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("trained") / "model"
    result = runner.invoke(app, ["train", "--base", str(tiny_model_dir), "--data", str(FIXTURE),
                                 "--dev", str(FIXTURE), "--out", str(out), "--max-steps", "3", "--epochs", "1",
                                 "--batch-size", "8"])
    assert result.exit_code == 0, result.output
    assert f"model written to {out}" in result.stderr
    return out


def test_fixture_is_balanced_enough() -> None:
    rows = load_labelled(FIXTURE)
    assert len(rows) == 40
    assert sum(r.label for r in rows) == 20


def test_train_writes_a_complete_model_directory(trained: Path) -> None:
    for name in (*REQUIRED_FILES, "README.md"):
        assert (trained / name).is_file(), name


def test_weights_are_fp16(trained: Path) -> None:
    from safetensors import safe_open

    with safe_open(str(trained / "model.safetensors"), framework="pt") as weights:
        dtypes = {str(weights.get_tensor(key).dtype) for key in weights.keys()}  # noqa: SIM118
    assert "torch.float16" in dtypes
    assert "torch.float32" not in dtypes


def test_metadata_and_model_card(trained: Path) -> None:
    meta = json.loads((trained / "spoilerscan.json").read_text(encoding="utf-8"))
    assert 0.0 <= meta["threshold"] <= 1.0
    assert meta["max_length"] == 128
    assert meta["epochs_log"][0]["steps"] == 3
    assert meta["dev_metrics"][0]["dataset"] == "fixtures/tiny_labelled"
    card = (trained / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n")
    assert f"{meta['threshold']:.4f}" in card
    assert "fixtures/tiny_labelled" in card
    assert "## Terms" in card


def test_trained_model_loads_and_scores(trained: Path) -> None:
    detector = Detector.load(trained)
    scores = detector.score(["In the end the hero dies.", "The acting is superb."])
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)
    assert detector.threshold == json.loads((trained / "spoilerscan.json").read_text())["threshold"]


def test_evaluate_json(trained: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--model", str(trained), "--data", str(FIXTURE), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    [dataset] = report["datasets"]
    assert dataset["dataset"] == "fixtures/tiny_labelled"
    assert (dataset["sentences"], dataset["spoilers"]) == (40, 20)
    for key in ("roc_auc", "pr_auc", "precision", "recall", "f1"):
        assert 0.0 <= dataset[key] <= 1.0
    assert report["threshold"] == dataset["threshold"]


def test_evaluate_table_and_write_card(trained: Path, tmp_path: Path) -> None:
    import shutil

    copy = Path(shutil.copytree(trained, tmp_path / "copy"))
    result = runner.invoke(app, ["evaluate", "--model", str(copy), "--holdout", str(FIXTURE), "--write-card"])
    assert result.exit_code == 0, result.output
    assert "ROC-AUC" in result.stdout
    meta = json.loads((copy / "spoilerscan.json").read_text())
    # fp32 runs on ONNX Runtime by default; torch fp32 (SPOILERSCAN_ENGINE=torch) is the reference
    assert meta["test_metrics_onnx"][0]["dataset"] == "fixtures/tiny_labelled (held-out test part)"
    assert "test_metrics" not in meta
    assert "## Held-out test metrics, ONNX Runtime fp32" in (copy / "README.md").read_text()


def test_evaluate_needs_data(trained: Path) -> None:
    assert runner.invoke(app, ["evaluate", "--model", str(trained)]).exit_code == 2


def test_train_bad_data_is_one_line(tmp_path: Path, tiny_model_dir: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("review,verdict\nGood.,1\n")
    result = runner.invoke(app, ["train", "--base", str(tiny_model_dir), "--data", str(bad), "--dev", str(FIXTURE),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"spoilerscan: error: {bad}:1: columns")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_train_without_dev_data(tmp_path: Path, tiny_model_dir: Path) -> None:
    result = runner.invoke(app, ["train", "--base", str(tiny_model_dir), "--data", str(FIXTURE),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no dev data" in result.stderr


def test_compute_metrics_and_threshold() -> None:
    metrics = compute_metrics("x", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.5)
    assert metrics.roc_auc == pytest.approx(0.75)
    assert (metrics.precision, metrics.recall, metrics.f1) == (1.0, 0.5, pytest.approx(2 / 3))
    assert compute_metrics("x", [1, 1], [0.2, 0.9], 0.5).roc_auc is None
    assert best_f1_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.35)


def test_evaluate_holdout_with_an_empty_test_part(tmp_path: Path, trained: Path) -> None:
    tiny = tmp_path / "two.csv"
    tiny.write_text("sentence,spoiler\na,1\nb,0\n")  # both sentences hash to the train part
    result = runner.invoke(app, ["evaluate", "--model", str(trained), "--holdout", str(tiny)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"spoilerscan: error: {tiny}: none of its sentences fall in the test part")


def _metrics(dataset: str, auc: float) -> dict[str, object]:
    return compute_metrics(dataset, [0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], 0.5).as_dict() | {"roc_auc": auc}


@pytest.mark.parametrize(("int8_auc", "expected"), [(0.846, True), (0.844, False)])
def test_int8_becomes_default_only_within_the_accuracy_budget(
    tiny_model_copy: Path, int8_auc: float, expected: bool
) -> None:
    from spoilerscan.train import record_test_metrics

    record_test_metrics(tiny_model_copy, [_metrics("tv", 0.85), _metrics("gr", 0.90)], int8=False)
    assert "int8_default" not in json.loads((tiny_model_copy / "spoilerscan.json").read_text())
    record_test_metrics(tiny_model_copy, [_metrics("tv", int8_auc), _metrics("gr", 0.90)], int8=True)
    meta = json.loads((tiny_model_copy / "spoilerscan.json").read_text())
    assert meta["int8_default"] is expected
    assert "int8" in (tiny_model_copy / "README.md").read_text(encoding="utf-8")
    assert Detector.load(tiny_model_copy).quantized is expected


def test_precision_option_picks_the_quantised_model(tiny_model_dir: Path) -> None:
    import torch

    int8 = Detector.load(tiny_model_dir, quantize=True)
    assert int8.quantized
    assert any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in int8.engine.model.modules())  # type: ignore[attr-defined]
    assert not Detector.load(tiny_model_dir).quantized  # the tiny model records no int8 check
    for precision in ("fp32", "int8", "auto"):
        result = runner.invoke(app, ["scan", "-", "--model", str(tiny_model_dir), "--precision", precision, "-q"],
                               input="He dies. I loved it.")
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.stdout)["reviews"][0]["sentences"]) == 2
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--data", str(FIXTURE),
                                 "--precision", "auto"])
    assert result.exit_code == 2


def test_context_training_is_recorded_and_used_when_scoring(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "context-model"
    result = runner.invoke(app, ["train", "--base", str(tiny_model_dir), "--data", str(FIXTURE), "--dev", str(FIXTURE),
                                 "--out", str(out), "--max-steps", "2", "--epochs", "1", "--batch-size", "8",
                                 "--context", "--context-dropout", "0.5"])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "spoilerscan.json").read_text(encoding="utf-8"))
    assert meta["context"] is True
    assert "context dropped for 50% of training examples" in meta["recipe"]["input"]
    detector = Detector.load(out)
    assert detector.context
    # A context model reads the neighbours: the same sentence scores differently beside other text.
    alone, beside = detector.score(["he dies ."] * 2, ["", "great acting , i loved the film ."])
    assert alone != beside


def test_balanced_draw_takes_half_of_each_class() -> None:
    import random

    from spoilerscan.train import _balanced_draw

    labels = [0] * 18 + [1] * 2
    drawn = _balanced_draw(labels, random.Random(0))
    assert len(drawn) == 20
    assert sum(labels[i] for i in drawn) == 10
    assert set(i for i in drawn if labels[i]) <= {18, 19}
    assert _balanced_draw([0, 0, 0], random.Random(0)) == [0, 1, 2]  # one class only: every row once


def _two_step_training(base: Path, out: Path) -> list[str]:
    return ["train", "--base", str(base), "--data", str(FIXTURE), "--dev", str(FIXTURE), "--out", str(out),
            "--max-steps", "2", "--epochs", "1", "--batch-size", "8"]


def test_train_with_resampling(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "resampled"
    args = [*_two_step_training(tiny_model_dir, out), "--context"]
    result = runner.invoke(app, [*args, "--balance", "resample"])
    assert result.exit_code == 0, result.output
    recipe = json.loads((out / "spoilerscan.json").read_text())["recipe"]
    assert recipe["loss"].startswith("plain cross-entropy; each epoch resamples")
    bad = runner.invoke(app, [*args, "--balance", "smote"])
    assert bad.exit_code == 2
    assert "smote" in bad.stderr


def test_train_with_source_weights(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "weighted"
    args = _two_step_training(tiny_model_dir, out)
    result = runner.invoke(app, [*args, "--source-weight", "fixtures/tiny_labelled=2.5"])
    assert result.exit_code == 0, result.output
    recipe = json.loads((out / "spoilerscan.json").read_text())["recipe"]
    assert recipe["loss"].endswith("; rows from fixtures/tiny_labelled weighted x2.5")
    unknown = runner.invoke(app, [*args, "--source-weight", "imdb/reviews=2"])
    assert unknown.exit_code == 2
    assert unknown.stderr == ("spoilerscan: error: no training data from source imdb/reviews "
                              "(sources: fixtures/tiny_labelled)\n")
    for bad in ("fixtures/tiny_labelled", "fixtures/tiny_labelled=0", "=2", "x=two"):
        result = runner.invoke(app, [*args, "--source-weight", bad], env={"COLUMNS": "300"})
        assert result.exit_code == 2, bad
        assert "expected SOURCE=FACTOR with a positive factor" in result.stderr


def test_train_to_an_unwritable_output_is_one_line(tiny_model_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = runner.invoke(app, _two_step_training(tiny_model_dir, blocker / "model"), env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"spoilerscan: error: cannot write the model to {blocker / 'model'}: ")
    assert result.stderr.count("\n") == 1
