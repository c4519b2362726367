"""Training (train.py) on the tiny base model: the model directory it writes, its metadata and card, the
calibration and thresholds, `spoilerscan train` and `evaluate`, and the int8 accuracy check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from spoilerscan.cli import app
from spoilerscan.model.detect import REQUIRED_FILES, Detector
from spoilerscan.model.engines import ENCODER_FILES
from spoilerscan.model.features import FEATURES
from spoilerscan.training.data import load_reviews
from spoilerscan.training.evaluate import compute_metrics
from tests.conftest import TINY_LABELLED, model_metadata, train_tiny_model

runner = CliRunner()
MODEL_FILES = (*REQUIRED_FILES, *ENCODER_FILES.values(), "tokenizer_config.json", "README.md",
               "torch-head.safetensors", "torch-encoder/config.json", "torch-encoder/model.safetensors")


def train_args(base: Path, out: Path, *extra: str) -> list[str]:
    """A two-step `spoilerscan train` of the tiny base on the fixture."""
    return ["train", "--base", str(base), "--data", str(TINY_LABELLED), "--dev", str(TINY_LABELLED), "--out", str(out),
            "--max-steps", "2", "--epochs", "1", "--batch-sentences", "16", "--max-length", "64", *extra]


@pytest.fixture(scope="module")
def frozen(tiny_base_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained through the command, with the encoder frozen (--lr 0) and the other new options."""
    out = tmp_path_factory.mktemp("frozen") / "model"
    result = runner.invoke(app, train_args(tiny_base_dir, out, "--lr", "0", "--head-lr", "0.02", "--title-share", "0.5",
                                           "--source-weight", "fixtures/tiny_labelled=2.5",
                                           "--synthetic", "12", "--device", "cpu"))
    assert result.exit_code == 0, result.output
    assert f"model written to {out} (threshold " in " ".join(result.stderr.split())
    return out


def test_fixture_is_balanced_enough() -> None:
    reviews = load_reviews(TINY_LABELLED)
    assert len(reviews) == 40 and all(len(r.labels) == 1 for r in reviews)
    assert sum(r.review_label for r in reviews) == 20


@pytest.mark.parametrize("model", ["tiny_model_dir", "frozen"])
def test_train_writes_a_complete_model_directory(model: str, request: pytest.FixtureRequest) -> None:
    directory: Path = request.getfixturevalue(model)
    for name in MODEL_FILES:
        assert (directory / name).is_file(), name
    assert not list(directory.glob("*.partial")) and not list(directory.glob("encoder-fp32.*"))  # no leftovers


def test_torch_weights_are_stored_as_fp16(tiny_model_dir: Path) -> None:
    from safetensors import safe_open

    for name in ("torch-head.safetensors", "torch-encoder/model.safetensors"):
        with safe_open(str(tiny_model_dir / name), framework="pt") as weights:
            dtypes = {str(weights.get_tensor(key).dtype) for key in weights.keys()}  # noqa: SIM118
        assert dtypes == {"torch.float16"}, name


def test_model_metadata(tiny_model_dir: Path) -> None:
    meta = model_metadata(tiny_model_dir)
    assert {"format", "threshold", "fail_threshold", "threshold_rules", "calibration", "max_length", "precision",
            "base_model", "training_data", "recipe", "epochs_log", "dev_metrics"} <= set(meta)
    assert 0.0 < meta["threshold"] <= meta["fail_threshold"] < 1.0
    assert set(meta["threshold_rules"]) == {"threshold", "fail_threshold"}
    assert "fixtures/tiny_labelled" in meta["threshold_rules"]["threshold"]
    assert {"scale", "bias", "rule"} <= set(meta["calibration"])
    assert meta["calibration"]["scale"] > 0  # calibration keeps the model's order of sentences
    assert (meta["max_length"], meta["precision"]) == (64, "fp32")
    assert meta["training_data"]["fixtures/tiny_labelled"].startswith("40 reviews, 40 sentences")
    [epoch] = meta["epochs_log"]
    assert epoch["epoch"] == 1 and 1 <= epoch["steps"] <= 4  # at most max_steps
    assert set(epoch["dev_roc_auc"]) == {"fixtures/tiny_labelled"}
    [dev] = meta["dev_metrics"]
    assert (dev["dataset"], dev["sentences"], dev["spoilers"], dev["threshold"]) == (
        "fixtures/tiny_labelled", 40, 20, meta["threshold"])
    assert {"model", "training reviews", "loss", "titles", "optimiser", "batches", "epochs", "seed",
            "training time"} <= set(meta["recipe"])
    assert meta["recipe"]["encoder"].startswith("fine-tuned")


def test_recipe_records_the_options(frozen: Path) -> None:
    meta = model_metadata(frozen)
    recipe = meta["recipe"]
    assert recipe["titles"].startswith("50% of the reviews")
    assert "head lr 0.02" in recipe["optimiser"]
    assert "about 16 sentences a batch, at most 64 tokens" in recipe["batches"]
    assert recipe["loss"].endswith("; rows from fixtures/tiny_labelled weighted x2.5")
    assert "1 planned, 2 steps run" in recipe["epochs"]
    assert meta["epochs_log"][-1]["steps"] == 2
    assert meta["training_data"]["synthetic/reveals"].startswith("12 reviews")
    assert "synthetic/reveals 12 reviews" in recipe["training reviews"]
    assert recipe["training time"].endswith(" CPU cores")


def test_training_on_a_gpu_that_is_not_there_is_one_line(tiny_base_dir: Path, tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    result = runner.invoke(app, train_args(tiny_base_dir, tmp_path / "out", "--device", "cuda"), env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert result.stderr == ("spoilerscan: error: --device cuda: torch sees no CUDA GPU here "
                             "(use --device cpu or auto)\n")
    assert not (tmp_path / "out").exists()


def test_training_on_a_gpu_matches_the_cpu(tiny_base_dir: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    """Runs where torch sees a CUDA GPU (the project's GPU checks); CI has none and skips it."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    meta = train_tiny_model(tiny_base_dir, tmp_path / "gpu", device="cuda")
    cpu = model_metadata(tiny_model_dir)
    assert meta["recipe"]["training time"].endswith(f"1 GPU ({torch.cuda.get_device_name()})")
    [gpu_auc], [cpu_auc] = (m["epochs_log"][0]["dev_roc_auc"].values() for m in (meta, cpu))
    assert gpu_auc == pytest.approx(cpu_auc, abs=0.02)
    assert len(Detector.load(tmp_path / "gpu").score(["He was dead all along.", "I loved it."])) == 2


def test_a_frozen_encoder_is_the_base_encoder(frozen: Path, tiny_base_dir: Path) -> None:
    from safetensors import safe_open

    assert model_metadata(frozen)["recipe"]["encoder"].startswith("frozen")
    with safe_open(str(tiny_base_dir / "model.safetensors"), framework="pt") as base, \
            safe_open(str(frozen / "torch-encoder" / "model.safetensors"), framework="pt") as saved:
        names = list(base.keys())
        assert sorted(names) == sorted(saved.keys())
        for name in names:
            assert saved.get_tensor(name).float().numpy() == pytest.approx(
                base.get_tensor(name).half().float().numpy(), abs=0), name


def test_model_card(tiny_model_dir: Path) -> None:
    meta = model_metadata(tiny_model_dir)
    card = (tiny_model_dir / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n")
    assert f"{meta['threshold']:.4f}" in card and f"{meta['fail_threshold']:.4f}" in card
    assert "Default precision: **fp32**" in card
    assert f"scale {meta['calibration']['scale']:.4f}" in card
    assert "fixtures/tiny_labelled" in card
    assert "## Dev ROC-AUC per epoch" in card and "## Terms" in card


def test_calibrated_probabilities_match_the_dev_spoiler_rate(tiny_model_dir: Path) -> None:
    """Platt scaling is folded into head.onnx: the mean dev probability is the dev spoiler rate (1/2)."""
    reviews = load_reviews(TINY_LABELLED)
    scores = Detector.load(tiny_model_dir, precision="fp32").score_reviews([r.sentences for r in reviews])
    assert np.mean([s.probability for review in scores for s in review]) == pytest.approx(0.5, abs=0.02)


def test_fold_calibration_scales_and_shifts_the_head_logits() -> None:
    import torch

    from spoilerscan.training.calibration import fold_calibration
    from spoilerscan.training.network import ReviewHead

    torch.manual_seed(0)
    head = ReviewHead(8, 6).eval()
    features = torch.randn(1, 5, 8 + len(FEATURES))
    with torch.no_grad():
        before = head(features)
        fold_calibration(head, 2.5, -0.75)
        after = head(features)
    assert after.numpy() == pytest.approx((2.5 * before - 0.75).numpy(), abs=1e-5)


def test_trained_model_loads_and_scores(tiny_model_dir: Path) -> None:
    detector = Detector.load(tiny_model_dir)
    scores = detector.score(["In the end the hero dies.", "The acting is superb."])
    assert len(scores) == 2 and all(0.0 < s < 1.0 for s in scores)
    assert (detector.threshold, detector.fail_threshold) == (model_metadata(tiny_model_dir)["threshold"],
                                                             model_metadata(tiny_model_dir)["fail_threshold"])


def test_training_is_reproducible(tiny_base_dir: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    meta = train_tiny_model(tiny_base_dir, tmp_path / "again")
    assert (meta["threshold"], meta["calibration"]["scale"]) == pytest.approx(
        (model_metadata(tiny_model_dir)["threshold"], model_metadata(tiny_model_dir)["calibration"]["scale"]), rel=1e-4)


# --- the train command's errors ---------------------------------------------------------------


def test_train_help_lists_the_new_options_only() -> None:
    text = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "200"}).stdout
    for option in ("--batch-sentences", "--head-lr", "--title-share", "--lr", "--source-weight", "--max-steps",
                   "--synthetic"):
        assert option in text
    for gone in ("--context", "--context-dropout", "--batch-size "):
        assert gone not in text


def test_train_bad_data_is_one_line(tmp_path: Path, tiny_base_dir: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("review,verdict\nGood.,1\n")
    result = runner.invoke(app, ["train", "--base", str(tiny_base_dir), "--data", str(bad), "--dev", str(TINY_LABELLED),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"spoilerscan: error: {bad}:1: columns")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_train_without_dev_data(tmp_path: Path, tiny_base_dir: Path) -> None:
    result = runner.invoke(app, ["train", "--base", str(tiny_base_dir), "--data", str(TINY_LABELLED),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no dev data" in result.stderr


def test_train_with_a_bad_base_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, train_args(tmp_path / "no-base", tmp_path / "out"), env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert result.stderr.startswith(f"spoilerscan: error: base model {tmp_path / 'no-base'} could not be loaded")
    assert result.stderr.count("\n") == 1


def test_train_source_weight_errors(tiny_base_dir: Path, tmp_path: Path) -> None:
    args = train_args(tiny_base_dir, tmp_path / "weighted")
    unknown = runner.invoke(app, [*args, "--source-weight", "imdb/reviews=2"])
    assert unknown.exit_code == 2
    assert unknown.stderr == ("spoilerscan: error: no training data from source imdb/reviews "
                              "(sources: fixtures/tiny_labelled)\n")
    for bad in ("fixtures/tiny_labelled", "fixtures/tiny_labelled=0", "=2", "x=two"):
        result = runner.invoke(app, [*args, "--source-weight", bad], env={"COLUMNS": "300"})
        assert result.exit_code == 2, bad
        assert "expected SOURCE=FACTOR with a positive factor" in result.stderr
    assert not (tmp_path / "weighted").exists()


def test_train_to_an_unwritable_output_is_one_line(tiny_base_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = runner.invoke(app, train_args(tiny_base_dir, blocker / "model"), env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"spoilerscan: error: cannot write the model to {blocker / 'model'}: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(("command", "missing", "with_data"), [("train", "torch", True), ("evaluate", "sklearn", True),
                                                           ("train", "torch", False), ("evaluate", "sklearn", False)])
def test_model_development_without_the_train_extra_is_one_line(command: str, missing: str, with_data: bool,
                                                               tiny_model_dir: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The missing extra is named first, before any complaint about options (no --data) it would not fix."""
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == missing else find_spec(name, *a))
    data = ["--data", str(TINY_LABELLED)] if with_data else []
    args = (["train", *data, "--out", str(tmp_path / "out")] if command == "train"
            else ["evaluate", "--model", str(tiny_model_dir), *data])
    result = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert result.stderr == (f"spoilerscan: error: '{command}' needs the 'train' extra "
                             f"(pip install 'spoilerscan[train]'): {missing} not installed\n")


# --- evaluate ---------------------------------------------------------------------------------


def test_evaluate_json(tiny_model_dir: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--data", str(TINY_LABELLED), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"threshold", "fail_threshold", "precision", "sentences", "reviews", "challenge", "composed"}
    assert [r["dataset"] for r in report["composed"]] == ["held-out sentences composed reviews"]
    [dataset] = report["sentences"]
    assert dataset["dataset"] == "fixtures/tiny_labelled"
    assert (dataset["sentences"], dataset["spoilers"]) == (40, 20)
    for key in ("roc_auc", "pr_auc", "precision", "recall", "f1"):
        assert 0.0 <= dataset[key] <= 1.0
    assert report["threshold"] == dataset["threshold"] == model_metadata(tiny_model_dir)["threshold"]
    assert (report["precision"], report["reviews"], report["challenge"]) == ("fp32", [], [])


def test_evaluate_prints_three_tables(tiny_model_dir: Path, tmp_path: Path) -> None:
    tropes = tmp_path / "tvtropes" / "test.csv"
    tropes.parent.mkdir()
    tropes.write_text("sentence,spoiler,verb,page,trope\n" + "".join(
        f"Show {n} is fun.,False,True,Show{n},Fun\nShow {n} hero dies.,{n % 2 == 0},True,Show{n},Death\n"
        for n in range(6)), encoding="utf-8")
    challenge = tmp_path / "data" / "challenge.csv"
    challenge.parent.mkdir()
    challenge.write_text("sentence,spoiler,category\nHe was dead all along.,1,twist\nI loved it.,0,opinion\n",
                         encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--data", str(tropes),
                                 "--data", str(challenge)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "sentences, fp32 (threshold" in out and "ROC-AUC" in out
    assert "tvtropes/test, entry context" in out and "data/challenge" in out
    assert "whole reviews (fail threshold" in out and "spoilers failed" in out
    assert "challenge set: share flagged per category" in out and "twist" in out and "opinion" in out


def test_evaluate_against_a_baseline_model(tiny_model_dir: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--baseline", str(tiny_model_dir),
                                 "--data", str(TINY_LABELLED), "--json"])
    assert result.exit_code == 0, result.output
    [difference] = json.loads(result.stdout)["differences"]
    assert difference["dataset"] == "fixtures/tiny_labelled"
    assert (difference["difference"], difference["low"], difference["high"]) == (0.0, 0.0, 0.0)
    table = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--baseline", str(tiny_model_dir),
                                "--data", str(TINY_LABELLED)], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "ROC-AUC against the baseline" in table.stdout and "[+0.000, +0.000]" in table.stdout
    missing = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--baseline", str(tiny_model_dir / "no"),
                                  "--data", str(TINY_LABELLED)], env={"COLUMNS": "300"})
    assert missing.exit_code == 2 and missing.stderr.startswith("spoilerscan: error: ")
    assert missing.stderr.count("\n") == 1


def test_evaluate_int8_and_write_card(tiny_model_copy: Path) -> None:
    for precision, key in (("fp32", "test_metrics"), ("int8", "test_metrics_int8")):
        result = runner.invoke(app, ["evaluate", "--model", str(tiny_model_copy), "--holdout", str(TINY_LABELLED),
                                     "--write-card", "--json", "--precision", precision])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["precision"] == precision
        meta = model_metadata(tiny_model_copy)
        assert meta[key][0]["dataset"] == "fixtures/tiny_labelled (held-out test part)"
    card = (tiny_model_copy / "README.md").read_text(encoding="utf-8")
    assert "## Held-out test metrics, fp32" in card and "## Held-out test metrics, int8" in card
    rule = meta["int8_rule"]  # the int8 run scored the same sentences with fp32 too, and applied the rule
    assert rule["precision"] == meta["precision"] and rule["sets"][0]["dataset"].startswith("fixtures/tiny_labelled")
    assert rule["pooled"]["dataset"] == "all held-out sentences, pooled"
    assert "## Default precision: the int8 rule" in card
    assert set(rule["encoder_mb"]) == {"fp32", "int8"}
    assert Detector.load(tiny_model_copy).precision == meta["precision"]
    # The card's figures, per precision, next to the card and embedded in it.
    stems = ["roc", "precision-recall", "reliability", "scores"]
    assert {precision: [figure["file"] for figure in figures] for precision, figures in meta["figures"].items()} == {
        precision: [f"figures/{stem}-{precision}.png" for stem in stems] for precision in ("fp32", "int8")}
    for figure in meta["figures"]["fp32"] + meta["figures"]["int8"]:
        image = (tiny_model_copy / figure["file"]).read_bytes()
        assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) < 100_000
        assert f"![{figure['caption']}]({figure['file']})" in card
    assert card.index("## Figures, fp32") < card.index("## Figures, int8") < card.index("## Terms")


def test_evaluate_needs_data_and_a_precision(tiny_model_dir: Path) -> None:
    assert runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir)]).exit_code == 2
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--data", str(TINY_LABELLED),
                                 "--precision", "auto"])
    assert result.exit_code == 2 and "evaluate needs fp32 or int8" in result.stderr


def test_evaluate_holdout_with_an_empty_test_part(tmp_path: Path, tiny_model_dir: Path) -> None:
    tiny = tmp_path / "two.csv"
    tiny.write_text("sentence,spoiler\na,1\nb,0\n")  # both sentences hash to the train part
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--holdout", str(tiny)])
    assert result.exit_code == 2
    assert result.stderr == f"spoilerscan: error: {tiny}: none of its reviews fall in the test part of the hash split\n"


@pytest.mark.parametrize(("option", "name", "content", "message"), [
    ("--data", "missing.csv", None, "no such data file"),
    ("--holdout", "utf16.csv", "sentence,spoiler\nHe dies.,1\n".encode("utf-16"), "not UTF-8"),
    ("--data", "folder.csv", b"", "is a directory, not a data file"),
])
def test_evaluate_reports_an_unreadable_data_file_in_one_line(tmp_path: Path, tiny_model_dir: Path, option: str,
                                                              name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if name == "folder.csv":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), option, str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"spoilerscan: error: {path}: {message}") and result.stderr.count("\n") == 1


# --- the int8 accuracy check ------------------------------------------------------------------


def results(*aucs: tuple[str, float]) -> dict[str, list[dict[str, object]]]:
    sentences = [compute_metrics(name, [0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], 0.5).as_dict() | {"roc_auc": auc}
                 for name, auc in aucs]
    return {"sentences": sentences, "reviews": [], "challenge": []}


def paired(name: str, difference: float, low: float, high: float) -> dict[str, object]:
    return {"dataset": name, "reviews": 10, "units": 40, "level": "sentences", "roc_auc": 0.8 + difference,
            "baseline_roc_auc": 0.8, "difference": difference, "low": low, "high": high, "resamples": 1000}


@pytest.mark.parametrize(("small_set", "pooled", "expected"), [
    ((-0.006, -0.02, +0.008), -0.001, "int8"),  # a noisy small-set loss whose interval reaches above -0.005
    ((-0.012, -0.02, -0.006), -0.001, "fp32"),  # a loss the interval says is real
    ((-0.001, -0.004, +0.002), -0.006, "fp32"),  # small losses that add up in the pool
])
def test_int8_becomes_default_only_by_the_rule(tiny_model_copy: Path, small_set: tuple[float, float, float],
                                              pooled: float, expected: str) -> None:
    from spoilerscan.training.modeldir import record_test_metrics

    record_test_metrics(tiny_model_copy, results(("tv", 0.85), ("gr", 0.90)), "fp32")
    before = model_metadata(tiny_model_copy)
    assert "int8_rule" not in before and before["precision"] == "fp32"
    found = results(("tv", 0.85), ("gr", 0.90 + small_set[0])) | {
        "differences": [paired("tv", 0.0, -0.002, 0.002), paired("gr", *small_set)],
        "pooled_difference": [paired("all held-out sentences, pooled", pooled, pooled - 0.003, pooled + 0.003)],
        "batch_drift": [{"max_change": 0.0, "sentences": 64}]}
    record_test_metrics(tiny_model_copy, found, "int8")
    meta = model_metadata(tiny_model_copy)
    assert meta["precision"] == meta["int8_rule"]["precision"] == expected
    assert meta["int8_rule"]["vetoes"] == (["gr"] if small_set[2] < -0.005 else [])
    card = (tiny_model_copy / "README.md").read_text(encoding="utf-8")
    assert f"Default precision: **{expected}**" in card
    assert f"| gr | sentences | 40 | 0.8000 | {0.8 + small_set[0]:.4f} | {small_set[0]:+.4f} | " \
           f"[{small_set[1]:+.4f}, {small_set[2]:+.4f}] |" in card
    assert Detector.load(tiny_model_copy).precision == expected
    assert Detector.load(tiny_model_copy, precision="fp32").precision == "fp32"  # still there on request
    record_test_metrics(tiny_model_copy, results(("tv", 0.85), ("gr", 0.90)), "fp32")  # fp32 again: decision kept
    assert model_metadata(tiny_model_copy)["precision"] == expected


def test_record_test_metrics_keeps_review_and_challenge_results(tiny_model_copy: Path) -> None:
    from spoilerscan.training.modeldir import record_test_metrics

    found = results(("tv", 0.8)) | {"reviews": [{"dataset": "tv", "reviews": 2, "spoiler_reviews": 1,
                                                  "roc_auc": 1.0, "false_fail_rate": 0.0, "caught": 1.0,
                                                  "fail_threshold": 0.7}],
                                     "challenge": [{"category": "twist", "sentences": 3, "spoiler": True,
                                                    "flagged": 2 / 3}]}
    record_test_metrics(tiny_model_copy, found, "fp32")
    meta = model_metadata(tiny_model_copy)
    assert (meta["review_metrics"], meta["challenge"]) == (found["reviews"], found["challenge"])
    card = (tiny_model_copy / "README.md").read_text(encoding="utf-8")
    assert "## Whole reviews (held out), fp32" in card and "## Challenge set" in card and "66.7%" in card


def test_running_out_of_gpu_memory_is_one_line(tiny_base_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    import spoilerscan.training.train

    def too_big(*args: object, **kwargs: object) -> None:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(spoilerscan.training.train, "batch_loss", too_big)
    result = runner.invoke(app, train_args(tiny_base_dir, tmp_path / "out", "--device", "cpu"), env={"COLUMNS": "300"})
    assert result.exit_code == 2
    error = ("spoilerscan: error: training ran out of GPU memory: lower --batch-sentences or --max-length, or train "
             "with --device cpu\n")
    assert result.stderr.endswith("\n" + error)  # after the progress line, no traceback
    assert "Traceback" not in result.stderr and result.stderr.count("error") == 1


def test_composed_reveals_and_anchor_need_their_companions(tiny_base_dir: Path, tmp_path: Path) -> None:
    args = train_args(tiny_base_dir, tmp_path / "out")
    alone = runner.invoke(app, [*args, "--composed-reveals", str(TINY_LABELLED)], env={"COLUMNS": "300"})
    assert alone.exit_code == 2 and "needs --composed N" in alone.stderr
    anchored = runner.invoke(app, [*args, "--anchor", "1"], env={"COLUMNS": "300"})
    assert anchored.exit_code == 2 and "only with --encoder" in anchored.stderr
    assert not (tmp_path / "out").exists()


def test_gate_only_refits_the_gate_of_a_model_directory(tiny_base_dir: Path, tiny_model_dir: Path,
                                                        tmp_path: Path) -> None:
    base = ["train", "--data", str(TINY_LABELLED), "--dev", str(TINY_LABELLED), "--seed", "3"]
    alone = runner.invoke(app, [*base, "--out", str(tmp_path / "a"), "--base", str(tiny_base_dir), "--gate-only"],
                          env={"COLUMNS": "300"})
    assert alone.exit_code == 2 and "only with --encoder" in alone.stderr
    headless = runner.invoke(app, [*base, "--out", str(tmp_path / "b"), "--encoder", str(tiny_model_dir),
                                   "--gate-only", "--from-head"], env={"COLUMNS": "300"})
    assert headless.exit_code == 2 and "--gate-only trains no head: drop --from-head" in headless.stderr
    assert "Traceback" not in headless.stderr
    out = tmp_path / "gate"
    result = runner.invoke(app, [*base, "--out", str(out), "--encoder", str(tiny_model_dir), "--gate-only"],
                           env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.stderr
    assert (out / "head.onnx").read_bytes() == (tiny_model_dir / "head.onnx").read_bytes()
    assert "review_gate" in (out / "spoilerscan.json").read_text(encoding="utf-8")
