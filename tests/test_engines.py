"""The two ways to run the model: ONNX Runtime (exported and cached) must score like PyTorch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoilerscan import cli
from spoilerscan.detect import Detector
from spoilerscan.engines import OnnxEngine, TorchEngine, onnx_file_for
from spoilerscan.errors import ModelError

runner = CliRunner()
SENTENCES = ["He dies.", "The twist at the end is that she was the killer all along, and nobody saw it coming.",
             "Good.", "", "I loved the acting, the music and the story " * 12, "It was really very bad."]
CONTEXTS = ["I loved it.", "", "He dies. The end.", "The film.", "great " * 80, "She was the killer."]


@pytest.fixture()
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SPOILERSCAN_CACHE_DIR", str(cache))
    return cache


def test_onnx_engine_scores_like_torch(tiny_model_dir: Path) -> None:
    onnx = Detector.load(tiny_model_dir, engine="onnx")
    torch = Detector.load(tiny_model_dir, engine="torch")
    assert isinstance(onnx.engine, OnnxEngine) and isinstance(torch.engine, TorchEngine)
    for batch_size in (1, 4, 32):  # different batch shapes and padded lengths than the export's sample
        assert onnx.score(SENTENCES, batch_size=batch_size) == pytest.approx(torch.score(SENTENCES), abs=1e-5)
    onnx.context = torch.context = True  # sentence-context pairs, truncated longest-first
    assert onnx.score(SENTENCES, CONTEXTS) == pytest.approx(torch.score(SENTENCES, CONTEXTS), abs=1e-5)


def test_both_engines_feed_the_model_the_same_token_ids(tiny_model_dir: Path) -> None:
    onnx = Detector.load(tiny_model_dir, engine="onnx").engine
    torch = Detector.load(tiny_model_dir, engine="torch").engine
    for pairs in (None, CONTEXTS):
        ours, theirs = onnx.encode(SENTENCES, pairs), torch.encode(SENTENCES, pairs)
        assert sorted(ours) == sorted(theirs)
        for name, column in ours.items():
            assert column.tolist() == theirs[name].tolist(), name
        assert ours["input_ids"].shape[1] % 16 == 0


def test_export_happens_once_per_weights(tiny_model_copy: Path, own_cache: Path) -> None:
    exports: list[int] = []
    Detector.load(tiny_model_copy, on_export=lambda: exports.append(1))
    Detector.load(tiny_model_copy, on_export=lambda: exports.append(1))
    assert exports == [1]
    assert [p.name for p in own_cache.iterdir()] == [onnx_file_for(tiny_model_copy).name]
    weights = tiny_model_copy / "model.safetensors"
    from conftest import build_tiny_model

    build_tiny_model(tiny_model_copy.parent / "other", seed=1)
    shutil.copy(tiny_model_copy.parent / "other" / "model.safetensors", weights)  # new weights, same path
    Detector.load(tiny_model_copy, on_export=lambda: exports.append(1))
    assert exports == [1, 1]
    assert len(list(own_cache.glob("*.onnx"))) == 2
    assert not list(own_cache.glob("*.partial"))


def test_a_damaged_cached_export_is_exported_again(tiny_model_copy: Path, own_cache: Path) -> None:
    reference = Detector.load(tiny_model_copy, engine="torch").score(SENTENCES)
    Detector.load(tiny_model_copy, engine="onnx")
    cached = onnx_file_for(tiny_model_copy)
    cached.write_bytes(b"not an onnx model")
    exports: list[int] = []
    detector = Detector.load(tiny_model_copy, engine="onnx", on_export=lambda: exports.append(1))
    assert exports == [1]
    assert detector.score(SENTENCES) == pytest.approx(reference, abs=1e-5)
    assert cached.stat().st_size > 1000


def test_auto_falls_back_to_torch_when_the_cache_is_unusable(tiny_model_dir: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SPOILERSCAN_CACHE_DIR", str(blocker / "cache"))
    detector = Detector.load(tiny_model_dir)
    assert detector.engine.name == "torch"
    assert detector.fallback is not None and "cannot cache the ONNX model" in detector.fallback
    assert Detector.load(tiny_model_dir, engine="torch").fallback is None  # asked for: nothing to explain
    result = runner.invoke(cli.app, ["redact", "-", "--model", str(tiny_model_dir), "-t", "1"], input="He dies.")
    assert result.exit_code == 0 and result.stdout == "He dies."
    assert result.stderr.startswith("spoilerscan: note: running on torch, not ONNX Runtime: cannot cache")
    with pytest.raises(ModelError, match="cannot cache the ONNX model"):
        Detector.load(tiny_model_dir, engine="onnx")


def test_int8_runs_on_torch(tiny_model_dir: Path) -> None:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        int8 = Detector.load(tiny_model_dir, quantize=True)
        int8.score(SENTENCES)
    assert int8.engine.name == "torch"
    assert [str(w.message) for w in caught] == []  # nothing for the user's stderr
    with pytest.raises(ModelError, match="int8 runs on the torch engine"):
        Detector.load(tiny_model_dir, quantize=True, engine="onnx")
    with pytest.raises(ModelError, match="unknown engine"):
        Detector.load(tiny_model_dir, engine="tensorflow")


def test_cli_engine_variable(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["scan", "-", "--model", str(tiny_model_dir), "-q"]
    monkeypatch.setenv("SPOILERSCAN_ENGINE", "bogus")
    result = runner.invoke(cli.app, args, input="He dies. I loved it.")
    assert result.exit_code == 2
    assert result.stderr == "spoilerscan: error: SPOILERSCAN_ENGINE='bogus' is not one of auto, onnx, torch\n"
    scores = {}
    for engine in ("torch", "onnx", "ONNX"):
        monkeypatch.setenv("SPOILERSCAN_ENGINE", engine)
        result = runner.invoke(cli.app, args, input="He dies. I loved it.")
        assert result.exit_code == 0, result.output
        scores[engine] = [s["score"] for s in json.loads(result.stdout)["reviews"][0]["sentences"]]
    assert scores["onnx"] == pytest.approx(scores["torch"], abs=1e-5)


def test_first_run_says_it_exports_on_stderr_only(tiny_model_copy: Path, own_cache: Path) -> None:
    args = ["redact", "-", "--model", str(tiny_model_copy), "-t", "1"]
    first = runner.invoke(cli.app, args, input="He dies.")
    assert first.exit_code == 0, first.output
    assert first.stdout == "He dies."
    assert "preparing the ONNX Runtime copy" in first.stderr
    again = runner.invoke(cli.app, args, input="He dies.")
    assert "preparing" not in again.stderr
    shutil.rmtree(own_cache)
    quiet = runner.invoke(cli.app, [*args, "-q"], input="He dies.")
    assert quiet.exit_code == 0 and quiet.stderr == ""


@pytest.mark.slow
def test_warm_run_of_the_installed_command_does_not_import_torch(shipped_model_dir: Path, tmp_path: Path) -> None:
    """Start-up cost is why the ONNX path exists: once exported, neither torch nor transformers load."""
    review = tmp_path / "review.md"
    review.write_text("The acting is great. In the end he was dead all along.\n", encoding="utf-8")
    probe = ("import sys\nfrom spoilerscan.cli import main\nsys.argv = ['spoilerscan', 'redact', '-q', sys.argv[1]]\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules), file=sys.stderr)")
    for _ in range(2):  # the first run may export
        result = subprocess.run([sys.executable, "-c", probe, str(review)], capture_output=True, text=True,
                                env=os.environ, check=True)
    assert result.stderr.strip() == "[]"
    assert result.stdout.startswith("The acting is great.")


@pytest.mark.slow
def test_shipped_model_scores_the_same_on_both_engines(shipped_model_dir: Path) -> None:
    example = (Path(__file__).parent.parent / "examples" / "sixth-sense-review.md").read_text(encoding="utf-8")
    onnx = Detector.load(engine="onnx").annotate(example)
    torch = Detector.load(engine="torch").annotate(example)
    assert [s.score for s in onnx.sentences] == pytest.approx([s.score for s in torch.sentences], abs=1e-4)
    assert [s.is_spoiler for s in onnx.sentences] == [s.is_spoiler for s in torch.sentences]


@pytest.mark.parametrize(("onnx_auc", "expected"), [(0.8549, True), (0.8449, False)])
def test_a_failed_recorded_onnx_check_turns_the_onnx_default_off(
    tiny_model_copy: Path, onnx_auc: float, expected: bool
) -> None:
    from test_train import _metrics

    from spoilerscan.train import record_test_metrics

    assert Detector.load(tiny_model_copy).engine.name == "onnx"  # no check recorded: same fp32 arithmetic
    record_test_metrics(tiny_model_copy, [_metrics("tv", 0.85)], int8=False)
    record_test_metrics(tiny_model_copy, [_metrics("tv", onnx_auc)], int8=False, onnx=True)
    meta = json.loads((tiny_model_copy / "spoilerscan.json").read_text())
    assert meta["onnx_default"] is expected
    card = (tiny_model_copy / "README.md").read_text(encoding="utf-8")
    assert "ONNX Runtime fp32" in card and meta["onnx_check"] in card
    assert Detector.load(tiny_model_copy).engine.name == ("onnx" if expected else "torch")
    assert Detector.load(tiny_model_copy, engine="onnx").engine.name == "onnx"  # still there on request


def test_evaluate_records_onnx_metrics_apart_from_the_torch_reference(
    tiny_model_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture = Path(__file__).parent / "fixtures" / "tiny_labelled.csv"
    for engine, key in (("onnx", "test_metrics_onnx"), ("torch", "test_metrics")):
        monkeypatch.setenv("SPOILERSCAN_ENGINE", engine)
        result = runner.invoke(cli.app, ["evaluate", "--model", str(tiny_model_copy), "--data", str(fixture),
                                         "--write-card", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["engine"] == engine
        assert key in json.loads((tiny_model_copy / "spoilerscan.json").read_text())
    meta = json.loads((tiny_model_copy / "spoilerscan.json").read_text())
    assert meta["onnx_default"] is True  # the same model: ROC-AUC equal to well within 0.005
