"""The run time (engines.py): ONNX Runtime and ``tokenizers`` only, fp32 or int8, and clear errors for a bad model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from spoilerscan import cli
from spoilerscan.errors import ModelError
from spoilerscan.model.detect import Detector
from spoilerscan.model.engines import (
    ENCODER_FILES,
    HEAD_FILE,
    PAD_MULTIPLE,
    TOKENIZER_FILE,
    OnnxModel,
    padded_width,
    threads,
    width_batches,
)
from spoilerscan.training.export import export_head
from spoilerscan.training.network import ReviewHead
from tests.conftest import update_metadata

runner = CliRunner()
SENTENCES = ["He dies.", "The twist at the end is that she was the killer all along, and nobody saw it coming.",
             "Good.", "", "I loved the acting, the music and the story " * 12, "It was really very bad.",
             "Café ending, 10/10 \U0001f47b"]


def test_the_tokenizer_feeds_the_encoder_what_training_fed_it(tiny_model_dir: Path) -> None:
    """``tokenizers`` at run time and transformers' tokenizer at training give the same ids, padded to 16s."""
    from transformers import AutoTokenizer

    model = OnnxModel.load(tiny_model_dir, "fp32", max_length=64)
    batch = model.tokenizer.encode_batch(SENTENCES)
    theirs = AutoTokenizer.from_pretrained(tiny_model_dir)(SENTENCES, truncation=True, max_length=64)
    longest = max(len(ids) for ids in theirs["input_ids"])
    assert longest == 64  # one sentence is cut at max_length
    assert {len(e.ids) for e in batch} == {-(-longest // PAD_MULTIPLE) * PAD_MULTIPLE}
    for encoding, ids, mask in zip(batch, theirs["input_ids"], theirs["attention_mask"], strict=True):
        assert encoding.ids[: len(ids)] == ids
        assert encoding.attention_mask[: len(mask)] == mask and not any(encoding.attention_mask[len(mask) :])
    [short] = model.tokenizer.encode_batch(["He dies."])
    assert len(short.ids) == PAD_MULTIPLE == 16  # few distinct shapes: lengths padded to a multiple of 16


def test_both_precisions_load_and_score_alike(tiny_model_dir: Path) -> None:
    fp32, int8 = Detector.load(tiny_model_dir, precision="fp32"), Detector.load(tiny_model_dir, precision="int8")
    assert (fp32.precision, int8.precision) == ("fp32", "int8")
    assert int8.score(SENTENCES) == pytest.approx(fp32.score(SENTENCES), abs=0.05)
    assert fp32.embed(SENTENCES).shape == int8.embed(SENTENCES).shape


def test_auto_takes_the_precision_the_card_made_the_default(tiny_model_copy: Path) -> None:
    assert Detector.load(tiny_model_copy).precision == "fp32"
    update_metadata(tiny_model_copy, precision="int8")
    assert Detector.load(tiny_model_copy).precision == "int8"
    assert Detector.load(tiny_model_copy, precision="fp32").precision == "fp32"
    (tiny_model_copy / ENCODER_FILES["int8"]).unlink()  # the default is not there: the other one runs
    assert Detector.load(tiny_model_copy).precision == "fp32"
    with pytest.raises(ModelError, match=rf"^model directory {tiny_model_copy} has no int8 encoder "
                                         r"\(encoder-int8.onnx\)$"):
        Detector.load(tiny_model_copy, precision="int8")


def test_a_model_with_the_int8_encoder_only(tiny_model_copy: Path) -> None:
    (tiny_model_copy / ENCODER_FILES["fp32"]).unlink()
    assert Detector.load(tiny_model_copy).precision == "int8"
    with pytest.raises(ModelError, match="has no fp32 encoder"):
        Detector.load(tiny_model_copy, precision="fp32")


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize(("damage", "message"), [
    (lambda d: truncate(d / ENCODER_FILES["fp32"]), "model file {d}/encoder.onnx could not be loaded"),
    (lambda d: (d / HEAD_FILE).write_bytes(b"not an onnx model"), "model file {d}/head.onnx could not be loaded"),
    (lambda d: (d / TOKENIZER_FILE).write_text("{"), "model directory {d}: bad tokenizer"),
    (lambda d: (d / "tokenizer_config.json").write_text("{"), "model directory {d}: bad tokenizer"),
    (lambda d: (d / HEAD_FILE).unlink(), "model directory {d} is incomplete: missing head.onnx"),
    (lambda d: [(d / name).unlink() for name in ENCODER_FILES.values()],
     "model directory {d} is incomplete: missing encoder.onnx or encoder-int8.onnx"),
    (lambda d: update_metadata(d, max_length="long"), "model directory {d}: bad spoilerscan.json"),
    (lambda d: shutil.copy(d / ENCODER_FILES["fp32"], d / HEAD_FILE),
     "model file {d}/head.onnx is not a review head for the encoder encoder.onnx"),
    (lambda d: shutil.copy(d / HEAD_FILE, d / ENCODER_FILES["fp32"]),
     "model file {d}/encoder.onnx is not a sentence encoder (its inputs: features)"),
    (lambda d: export_head(ReviewHead(16, 8), d / HEAD_FILE),  # a head for a narrower encoder
     "model file {d}/head.onnx is not a review head for the encoder encoder.onnx"),
])
def test_a_damaged_model_is_a_one_line_model_error(tiny_model_copy: Path, damage, message: str) -> None:
    damage(tiny_model_copy)
    with pytest.raises(ModelError) as caught:
        Detector.load(tiny_model_copy, precision="fp32")
    assert str(caught.value).startswith(message.format(d=tiny_model_copy))
    assert "\n" not in str(caught.value)


def test_threads_counts_the_cores_this_process_may_use() -> None:
    assert 1 <= threads() <= (os.cpu_count() or 1)


def test_idle_threads_sleep_unless_spinning_is_asked_for(tiny_model_dir: Path) -> None:
    """On a shared machine a spinning pool thread holds a core that the thread with work waits for."""
    key = "session.intra_op.allow_spinning"
    plain = Detector.load(tiny_model_dir, threads=2)
    spinning = Detector.load(tiny_model_dir, threads=2, spinning=True)
    for session in (plain.model.encoder, plain.model.head):
        assert session.get_session_options().get_session_config_entry(key) == "0"
    assert spinning.model.encoder.get_session_options().get_session_config_entry(key) == "1"
    assert plain.score(["He dies.", "Fine."]) == spinning.score(["He dies.", "Fine."])


def test_cli_precision_option(tiny_model_dir: Path) -> None:
    scores = {}
    for precision in ("fp32", "int8", "auto"):
        result = runner.invoke(cli.app, ["scan", "-", "--model", str(tiny_model_dir), "--precision", precision, "-q"],
                               input="He dies. I loved it.")
        assert result.exit_code == 0, result.output
        scores[precision] = [s["score"] for s in json.loads(result.stdout)["reviews"][0]["sentences"]]
        assert len(scores[precision]) == 2
    assert scores["auto"] == scores["fp32"]  # the tiny model records no int8 check
    assert scores["int8"] == pytest.approx(scores["fp32"], abs=0.05) and scores["int8"] != scores["fp32"]
    result = runner.invoke(cli.app, ["redact", "-", "--model", str(tiny_model_dir), "--precision", "fp16"],
                           input="He dies.")
    assert result.exit_code == 2 and "fp16" in result.stderr


def test_a_run_never_imports_torch_or_transformers(tiny_model_dir: Path, tmp_path: Path) -> None:
    """Start-up cost and install size are why the run time is ONNX Runtime: neither torch nor transformers load."""
    review = tmp_path / "review.md"
    review.write_text("# Sense\n\nThe acting is great. In the end he was dead all along.\n", encoding="utf-8")
    probe = ("import sys\nfrom spoilerscan.cli import main\n"
             "sys.argv = ['spoilerscan', 'redact', '-q', '-t', '0', '--spoilers', sys.argv[2], '--model', sys.argv[3],"
             " sys.argv[1]]\ntry:\n    main()\nexcept SystemExit as done:\n    assert done.code == 0, done.code\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'sklearn')),"
             " file=sys.stderr)")
    reveals = tmp_path / "reveals.txt"
    reveals.write_text("He was dead all along.\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", probe, str(review), str(reveals), str(tiny_model_dir)],
                            capture_output=True, text=True, env=os.environ, check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "[]"
    assert result.stdout.startswith("# \u2588")  # it did score and redact


def test_embeddings_of_the_same_text_do_not_depend_on_its_batch(tiny_model_dir: Path) -> None:
    """Padding to a multiple of 16 must not change a sentence's embedding (the mask covers it)."""
    detector = Detector.load(tiny_model_dir)
    alone = np.stack([detector.embed([s])[0] for s in SENTENCES])
    assert detector.embed(SENTENCES) == pytest.approx(alone, abs=1e-5)
    assert detector.embed(SENTENCES, batch_size=3) == pytest.approx(alone, abs=1e-5)


class RecordingSession:
    """An encoder session that records the (batch, tokens) shape of every run."""

    def __init__(self, session: object) -> None:
        self.session = session
        self.shapes: list[tuple[int, int]] = []

    def run(self, outputs: object, inputs: dict[str, np.ndarray]) -> object:
        self.shapes.append(inputs["input_ids"].shape)
        return self.session.run(outputs, inputs)  # type: ignore[attr-defined]


def test_batches_are_cut_to_their_longest_sentence_and_run_in_token_order(tiny_model_dir: Path) -> None:
    """Sentences are tokenized together, then each batch is only as wide as its longest member (to a
    multiple of 16): short sentences do not pay for a long one tokenized beside them."""
    detector = Detector.load(tiny_model_dir)
    alone = np.stack([detector.embed([s])[0] for s in SENTENCES])
    tokens = detector.model.tokenize(SENTENCES)
    assert tokens.ids.shape == (len(SENTENCES), 64)  # the longest sentence, cut at max_length
    assert list(tokens.lengths) == [int(m.sum()) for m in tokens.mask]
    recorder = RecordingSession(detector.model.encoder)
    detector.model.encoder = recorder
    good = SENTENCES.index("Good.")
    assert detector.model.encode(tokens, [good])[0] == pytest.approx(alone[good], abs=1e-5)
    assert recorder.shapes == [(1, PAD_MULTIPLE)]
    recorder.shapes.clear()
    assert detector.embed(SENTENCES, batch_size=2) == pytest.approx(alone, abs=1e-5)
    widths = [width for _, width in recorder.shapes]
    assert widths == sorted(widths) and widths[0] == PAD_MULTIPLE and widths[-1] == 64
    assert detector.model.tokenize([]).ids.shape == (0, 0)


def test_the_detectors_batch_size_is_what_embed_runs_unless_told(tiny_model_dir: Path) -> None:
    """A service sets a smaller encoder batch than the commands' 64 (on a CPU, less padding per run)."""
    detector = Detector.load(tiny_model_dir, batch_size=2)
    alone = np.stack([detector.embed([s], batch_size=1)[0] for s in SENTENCES])
    recorder = RecordingSession(detector.model.encoder)
    detector.model.encoder = recorder
    assert detector.embed_cached(SENTENCES) == pytest.approx(alone, abs=1e-5)
    assert max(rows for rows, _ in recorder.shapes) == 2 and sum(rows for rows, _ in recorder.shapes) == len(SENTENCES)
    recorder.shapes.clear()
    detector.embed(SENTENCES, batch_size=len(SENTENCES))  # one run per padded width
    widths = padded_width(detector.model.tokenize(SENTENCES).lengths)
    assert recorder.shapes == [(int((widths == w).sum()), int(w)) for w in np.unique(widths)]


def test_encoder_batches_never_span_two_padded_widths() -> None:
    """A short sentence is never run at a long one's width: batches are cut where the padded width changes,
    hold at most batch_size rows, split a width's rows evenly, and cover every row once, in token order."""
    lengths = np.array([40, 5, 17, 16, 3, 33, 12, 1, 30, 18, 16])
    batches = width_batches(lengths, 3)
    assert sorted(int(row) for batch in batches for row in batch) == list(range(len(lengths)))
    assert all(len(set(padded_width(lengths[batch]).tolist())) == 1 for batch in batches)
    assert [lengths[batch].tolist() for batch in batches] == [[1, 3, 5], [12, 16, 16], [17, 18, 30], [33, 40]]
    assert [len(batch) for batch in width_batches(np.full(65, 10), 64)] == [33, 32]
    assert width_batches(np.zeros(0, dtype=np.int64), 64) == []
