"""scan through CliRunner: offsets, JSON and JSONL, outputs that survive failures, signals.

The tiny model's probabilities all lie strictly between 0 and 1, so ``--threshold 0`` flags every
sentence and ``--threshold 1`` flags none: the outcomes are deterministic.
"""


from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spoilerscan.cli.scan import write_json
from spoilerscan.model.detect import Detector
from spoilerscan.reading.segment import split_sentences
from tests.cli.conftest import MESSY, one_error_line, run

# --- scan -----------------------------------------------------------------------------------


def test_scan_json_offsets_index_the_original_text(review: Path, model: str) -> None:
    result = run("scan", review, "-m", model, "-t", "0", "-q")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    [found] = document["reviews"]
    assert found["file"] == str(review)
    assert found["threshold"] == 0.0
    text = review.read_bytes().decode("utf-8")
    assert len(found["sentences"]) == len(split_sentences(text, "markdown"))
    for index, sentence in enumerate(found["sentences"]):
        assert set(sentence) == {"index", "start", "end", "text", "score", "spoiler"}
        assert sentence["index"] == index
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        assert 0.0 <= sentence["score"] <= 1.0
        assert sentence["spoiler"] is True
    assert found["sentences"][0]["text"] == "Review: The Sixth Sense"  # a .md heading's "# " is not text
    assert found["sentences"][0]["start"] == 3  # after the BOM and the marker
    assert found["summary"]["sentences"] == len(found["sentences"])
    assert found["summary"]["spoilers"] == len(found["sentences"])
    assert found["summary"]["max_score"] == max(s["score"] for s in found["sentences"])


def test_scan_uses_the_model_threshold_by_default(review: Path, model: str) -> None:
    found = json.loads(run("scan", review, "-m", model, "-q").stdout)["reviews"][0]
    threshold = Detector.load(model).threshold
    assert found["threshold"] == threshold
    assert all(s["spoiler"] == (s["score"] >= threshold) for s in found["sentences"])
    scores = [s["score"] for s in found["sentences"]]
    assert found["summary"]["max_score"] == max(scores) and len(set(scores)) > 1


def test_scan_jsonl_one_line_per_review(tmp_path: Path, review: Path, model: str) -> None:
    other = tmp_path / "other.md"
    other.write_text("Another review. Short.")
    empty = tmp_path / "empty.md"
    empty.write_text("")
    result = run("scan", review, empty, other, "--format", "jsonl", "-m", model, "-t", "1", "-q")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [json.loads(line)["file"] for line in lines] == [str(review), str(empty), str(other)]
    assert json.loads(lines[1])["sentences"] == []
    assert json.loads(lines[2])["summary"]["sentences"] == 2
    assert not any(s["spoiler"] for line in lines for s in json.loads(line)["sentences"])


def test_scan_bulk_jsonl_input(tmp_path: Path, model: str) -> None:
    bulk = tmp_path / "bulk.jsonl"
    records = [{"id": "r1", "text": "He dies. She lives."}, {"text": "No id here."}, "not an object",
               {"id": 7, "text": MESSY}]
    bulk.write_text("\n".join(json.dumps(r) for r in records) + "\n\n{broken\n", encoding="utf-8")
    result = run("scan", bulk, "--jsonl-input", "-f", "jsonl", "-m", model, "-t", "0", "-q")
    assert result.exit_code == 2  # the bad lines are reported, the rest still scanned
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f["file"] for f in found] == ["r1", f"{bulk}:2", "7"]
    assert [f["id"] for f in found] == ["r1", None, 7]
    assert [s["text"] for s in found[0]["sentences"]] == ["He dies.", "She lives."]
    for sentence in found[2]["sentences"]:
        assert MESSY[sentence["start"] : sentence["end"]] == sentence["text"]
    errors = result.stderr.splitlines()
    assert errors == [f"spoilerscan: error: {bulk}:3: expected a JSON object with a string 'text'",
                      f"spoilerscan: error: {bulk}:6: expected a JSON object with a string 'text'"]


def test_scan_bulk_jsonl_keeps_ids_as_json_had_them(tmp_path: Path, model: str) -> None:
    """A BOM before the first line is no bad line; ids keep their JSON type; half an emoji is no crash."""
    bulk = tmp_path / "bulk.jsonl"
    lines = ['{"id": 1, "text": "Nice film \\ud83d here."}', '{"id": null, "text": "Null id."}',
             '{"id": {"k": 1}, "text": "Object id."}', '{"id": "x", "text": "String id."}']
    bulk.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    result = run("scan", bulk, "--jsonl-input", "-f", "jsonl", "-m", model, "-t", "1", "-q")
    assert result.exit_code == 0, result.stderr
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f["id"] for f in found] == [1, None, {"k": 1}, "x"]
    assert [f["file"] for f in found] == ["1", f"{bulk}:2", '{"k": 1}', "x"]
    assert found[0]["sentences"][0]["text"] == "Nice film \ufffd here."


def test_scan_to_a_file(review: Path, model: str, tmp_path: Path) -> None:
    out = tmp_path / "found.json"
    result = run("scan", review, "-o", out, "-m", model, "-q")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["reviews"][0]["file"] == str(review)


def test_scan_several_files_one_bad(tmp_path: Path, review: Path, model: str) -> None:
    result = run("scan", tmp_path / "nope.md", review, "-f", "jsonl", "-m", model, "-q")
    assert result.exit_code == 2
    assert [json.loads(line)["file"] for line in result.stdout.splitlines()] == [str(review)]
    assert "nope.md: no such file" in one_error_line(result)


def test_ctrl_c_ends_in_one_line_and_exit_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                              review: Path, model: str) -> None:
    import spoilerscan.runtime.runtime as runtime
    from spoilerscan import cli

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runtime, "load_detector", interrupted)
    monkeypatch.setattr(sys, "argv", ["spoilerscan", "scan", str(review), "-m", model])
    with pytest.raises(SystemExit) as exit:
        cli.main()
    assert exit.value.code == 130
    assert capsys.readouterr().err == "spoilerscan: error: interrupted\n"


def test_sigterm_mid_write_leaves_the_output_as_it_was(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       review: Path, model: str) -> None:
    import signal

    from spoilerscan import cli, render

    out = tmp_path / "found.json"
    out.write_text("previous results\n")
    real_findings = render.findings

    def terminated_while_writing(*args: object) -> object:
        os.kill(os.getpid(), signal.SIGTERM)  # the handler main() installs raises before the next line
        return real_findings(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "findings", terminated_while_writing)
    monkeypatch.setattr(sys, "argv", ["spoilerscan", "scan", str(review), "-o", str(out), "-m", model, "-q"])
    def unhandled(signum: int, frame: object) -> None:
        raise AssertionError("main() did not install its SIGTERM handler")

    previous = signal.signal(signal.SIGTERM, unhandled)  # not the default action, which ends pytest
    try:
        with pytest.raises(SystemExit) as exit:
            cli.main()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert exit.value.code == 143
    assert capsys.readouterr().err == "spoilerscan: error: terminated\n"
    assert out.read_text() == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["found.json", "review.md"]  # no temporary file left


def test_a_failed_scan_never_overwrites_its_output(tmp_path: Path, review: Path, model: str) -> None:
    out = tmp_path / "found.json"
    out.write_text("previous results\n")
    missing = tmp_path / "missing.md"
    result = run("scan", missing, "-o", out, "-m", model, "-q")  # nothing could be read
    assert result.exit_code == 2
    assert out.read_text() == "previous results\n"
    result = run("scan", review, "-o", out, "-m", tmp_path / "no-model", "-q")  # the model cannot load
    assert result.exit_code == 2
    assert out.read_text() == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["found.json", "review.md"]  # no temporary file left
    result = run("scan", missing, review, "-o", out, "-m", model, "-q")  # ran to its end: the readable ones
    assert result.exit_code == 2
    assert [r["file"] for r in json.loads(out.read_text())["reviews"]] == [str(review)]




_JSON_PLAIN = st.none() | st.booleans() | st.integers() | st.floats() | st.text(
    alphabet="{}[],:\n\"\\ aé\u2028", max_size=5)
_JSON_VALUES = st.recursive(
    _JSON_PLAIN,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=4)
    | st.lists(st.dictionaries(st.text(alphabet="{},\n\" a", max_size=3), _JSON_PLAIN, min_size=1, max_size=3),
               max_size=4),  # the rows that are encoded in groups
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_JSON_VALUES)
@example({"reviews": [{"file": "a", "sentences": [{"index": i, "text": "},\n{" * (i % 3)} for i in range(2500)]}]})
def test_scan_writes_json_as_json_dumps_with_indent_writes_it(value: object) -> None:
    """write_json's C-encoder pieces (a list or dict of plain values in one call, rows of them in groups
    of JSON_ROWS) are byte for byte what json's own indented encoder writes, NaN, empty containers,
    nesting and strings that look like the rows' boundaries included."""
    sink = io.StringIO()
    write_json(value, sink)
    assert sink.getvalue() == json.dumps(value, ensure_ascii=False, indent=2) + "\n"
