"""spoilerscan adapt through CliRunner with the tiny model, and --adapter changing check's decision."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import numpy as np
import pytest

from spoilerscan.model.adapter import Adapter, model_fingerprint
from spoilerscan.model.detect import Detector
from tests.cli.conftest import one_error_line, run
from tests.conftest import update_metadata

REVEALS = ["the killer dies", "he was dead", "the father is the killer", "she dies at the end"]
OPINIONS = ["a great film", "fine acting", "i loved the plot", "the book is good"]


def export(path: Path, spoilers: int, clean: int, seed: int = 0) -> Path:
    """A moderation export: spoiler rows state a reveal, clean rows an opinion, both with filler words."""
    rng = random.Random(seed)
    filler = "this that really very movie story we you".split()
    rows = [(f"{rng.choice(REVEALS)} {' '.join(rng.sample(filler, 3))} .", 1) for _ in range(spoilers)]
    rows += [(f"{rng.choice(OPINIONS)} {' '.join(rng.sample(filler, 3))} .", 0) for _ in range(clean)]
    rng.shuffle(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "is_spoiler"])
        writer.writerows((n, text, label) for n, (text, label) in enumerate(rows))
    return path


def test_adapt_measures_writes_and_the_adapter_loads(tmp_path: Path, tiny_model_dir: Path) -> None:
    out = tmp_path / "site.json"
    result = run("adapt", export(tmp_path / "mod.csv", 40, 160), "-o", out, "-m", tiny_model_dir, "--json", "-q")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["written"] == str(out) and report["write"]
    assert report["adapted"]["roc_auc"] > report["base"]["roc_auc"] + 0.1
    assert report["difference"]["roc_auc"][1] > 0  # the interval's low end
    adapter = Adapter.load(out)
    assert adapter.base_model == model_fingerprint(tiny_model_dir)
    assert (adapter.threshold, adapter.fail_threshold) == (report["thresholds"]["threshold"],
                                                          report["thresholds"]["fail_threshold"])
    assert adapter.report["data"] == [str(tmp_path / "mod.csv")]
    assert Detector.load(tiny_model_dir, adapter=out).threshold == adapter.threshold


def test_the_report_for_a_person_goes_to_stderr(tmp_path: Path, tiny_model_dir: Path) -> None:
    result = run("adapt", export(tmp_path / "mod.csv", 40, 160), "-o", tmp_path / "site.json", "-m", tiny_model_dir)
    assert result.exit_code == 0 and result.stdout == ""
    assert "ROC-AUC" in result.stderr and "PR-AUC" in result.stderr and "95% interval" in result.stderr
    assert "fail threshold" in result.stderr and f"written to {tmp_path / 'site.json'}" in result.stderr


def test_too_little_material_writes_nothing_and_exits_1(tmp_path: Path, tiny_model_dir: Path) -> None:
    out = tmp_path / "site.json"
    result = run("adapt", export(tmp_path / "few.csv", 12, 160), "-o", out, "-m", tiny_model_dir, "--force")
    assert result.exit_code == 1
    assert "too little labelled material: 12 spoiler and 160 clean units" in " ".join(result.stderr.split())
    assert not out.exists()


def test_marked_reviews_without_marks_are_left_out_and_said(tmp_path: Path, tiny_model_dir: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "plain.md").write_text("Nothing marked.\n", encoding="utf-8")
    (tmp_path / "site" / "one.md").write_text("Fine. >!He dies.!<\n", encoding="utf-8")
    result = run("adapt", tmp_path / "site", "-o", tmp_path / "site.json", "-m", tiny_model_dir)
    assert result.exit_code == 1  # two units are far too few
    assert "1 review(s) without spoiler markup left out" in " ".join(result.stderr.split())


@pytest.mark.parametrize(("args", "message"), [
    (["missing.csv"], "missing.csv: no such file"),
    (["empty"], "no labelled reviews in"),
])
def test_input_errors_are_one_line(tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                   args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    result = run("adapt", *args, "-o", "site.json", "-m", tiny_model_dir)
    assert result.exit_code == 2 and message in one_error_line(result)


def test_an_unwritable_output_fails_before_anything_is_read(tmp_path: Path, tiny_model_dir: Path) -> None:
    result = run("adapt", tmp_path / "missing.csv", "-o", tmp_path / "no" / "site.json", "-m", tiny_model_dir)
    assert result.exit_code == 2 and "cannot write" in one_error_line(result)


def test_check_with_an_adapter_changes_the_decision(tmp_path: Path, tiny_model_copy: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    update_metadata(tiny_model_copy, threshold=1.0, fail_threshold=1.0)  # the model alone flags nothing
    width = Detector.load(tiny_model_copy).model.embedding_size
    adapter = tmp_path / "site.json"
    Adapter(1.0, np.zeros(width), 40.0, 0.5, 0.5, model_fingerprint(tiny_model_copy)).save(adapter)
    review = tmp_path / "review.md"
    review.write_text("A quiet film. The father was the killer all along.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run("check", review, "-m", tiny_model_copy, "-q").exit_code == 0
    assert run("check", review, "-m", tiny_model_copy, "--adapter", adapter, "-q").exit_code == 1
    (tmp_path / "pyproject.toml").write_text('[tool.spoilerscan]\nadapter = "site.json"\n', encoding="utf-8")
    assert run("check", review, "-m", tiny_model_copy, "-q").exit_code == 1  # from the config
    redacted = run("redact", review, "-m", tiny_model_copy, "-q")
    assert redacted.exit_code == 0 and "\u2588" in redacted.stdout  # every scoring command reads it


def test_an_adapter_for_another_model_is_refused_in_one_line(tmp_path: Path, tiny_model_dir: Path) -> None:
    width = Detector.load(tiny_model_dir).model.embedding_size
    adapter = tmp_path / "other.json"
    Adapter(1.0, np.zeros(width), 0.0, 0.5, 0.5, "0123456789abcdef").save(adapter)
    review = tmp_path / "review.md"
    review.write_text("He dies.\n", encoding="utf-8")
    for command in ("check", "redact", "scan", "highlight"):
        result = run(command, review, "-m", tiny_model_dir, "--adapter", adapter)
        assert result.exit_code == 2 and "was fitted on another model" in one_error_line(result), command
