"""Parquet archives: one row per sentence, streamed in record batches, and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from spoilerscan.archive.parquet import Columns, reader_for, scan_parquet, score_table
from spoilerscan.cli import app
from spoilerscan.model.detect import SentenceScore, sentence_scorer
from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.document import Format

runner = CliRunner()
REVIEWS = ["The acting is great. He dies at the end.", "", "I loved it. >!The butler did it.!< Go see it.",
           "# Title\n\nShe was the killer all along."]


def run(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("spoilerscan: error: ") and "Traceback" not in result.output
    return lines[0]


def by_length(texts: list[str]) -> list[float]:
    """A stand-in model: longer sentences score higher (deterministic, under 1)."""
    return [len(t) / (len(t) + 20) for t in texts]


def write_reviews(path: Path, texts: Sequence[str | None], row_group_size: int | None = None) -> Path:
    table = pa.table({"id": pa.array([f"r{i}" for i in range(len(texts))]), "review_text": pa.array(texts)})
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def test_one_row_per_sentence_with_the_schema_documented() -> None:
    table = pa.table({"id": [7, 8, 9], "review_text": [REVIEWS[0], None, REVIEWS[2]]})
    scored = score_table(table, sentence_scorer(by_length), 0.6, Columns("review_text", "id"))
    assert scored.schema == pa.schema([("id", pa.int64()), ("sentence", pa.int32()), ("start", pa.int32()),
                                       ("end", pa.int32()), ("text", pa.string()), ("score", pa.float32()),
                                       ("spoiler", pa.bool_())])
    rows = scored.to_pylist()
    assert [(r["id"], r["sentence"]) for r in rows] == [(7, 0), (7, 1), (9, 0), (9, 1)]  # the null review: none
    texts = {7: REVIEWS[0], 9: REVIEWS[2]}
    for row in rows:
        assert texts[row["id"]][row["start"] : row["end"]] == row["text"]
        assert row["score"] == pytest.approx(by_length([row["text"]])[0], abs=1e-6)
        assert row["spoiler"] == (row["score"] >= 0.6)
    assert ">!" not in "".join(r["text"] for r in rows)  # the marked spoiler is not a sentence to score


def test_without_an_id_column_rows_are_numbered_from_the_batch_start() -> None:
    table = pa.table({"text": REVIEWS[:2]})
    scored = score_table(table, sentence_scorer(by_length), 0.5, Columns(), first_row=10)
    assert scored.schema.field("row").type == pa.int64()
    assert set(scored.column("row").to_pylist()) == {10}


def test_known_spoilers_are_spoilers_whatever_the_score() -> None:
    def scorer(reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        return [[SentenceScore(0.0, "he dies" if "dies" in s.text else None) for s in review] for review in reviews]

    scored = score_table(pa.table({"text": [REVIEWS[0]]}), scorer, 0.5, Columns()).to_pylist()
    assert [r["spoiler"] for r in scored] == [False, True]


def test_html_reviews_are_read_as_html_when_asked() -> None:
    table = pa.table({"text": ["<p>He dies.</p><p>Good film.</p>"]})
    scored = score_table(table, sentence_scorer(by_length), 0.5, Columns(), reader_for(Format.html))
    assert scored.column("text").to_pylist() == ["He dies.", "Good film."]


def test_a_file_much_larger_than_a_batch_streams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading goes through iter_batches only, the model never holds more than a batch of reviews, and the
    output is written batch by batch (many row groups), not gathered first."""
    texts = [REVIEWS[i % len(REVIEWS)] + f" Review {i} ends here." for i in range(2000)]
    source = write_reviews(tmp_path / "in.parquet", texts, row_group_size=500)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole file was read at once")

    monkeypatch.setattr(pq.ParquetFile, "read", refuse)
    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", refuse)
    monkeypatch.setattr(pq, "read_table", refuse)
    seen: list[int] = []

    def scorer(reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        seen.append(len(reviews))
        return sentence_scorer(by_length)(reviews)

    stats = scan_parquet(source, tmp_path / "out.parquet", scorer, 0.5, Columns("review_text", "id"), batch_rows=64)
    assert max(seen) <= 64 and sum(seen) == 2000
    written = pq.ParquetFile(tmp_path / "out.parquet")
    assert written.metadata.num_row_groups >= 2000 // 64
    monkeypatch.undo()
    whole = score_table(pq.read_table(source), sentence_scorer(by_length), 0.5, Columns("review_text", "id"))
    assert pq.read_table(tmp_path / "out.parquet").equals(whole)
    assert (stats.reviews, stats.sentences) == (2000, whole.num_rows)
    assert stats.spoilers == whole.column("spoiler").to_pylist().count(True)


# --- the command ------------------------------------------------------------------------------------


@pytest.fixture()
def archive(tmp_path: Path) -> Path:
    return write_reviews(tmp_path / "reviews.parquet", REVIEWS)


def test_scan_parquet_scores_as_the_jsonl_path_does(archive: Path, tmp_path: Path, tiny_model_dir: Path) -> None:
    out = tmp_path / "scored.parquet"
    result = run("scan", archive, "--text-column", "review_text", "--id-column", "id", "-o", out,
                 "-m", tiny_model_dir)
    assert result.exit_code == 0, result.output
    assert "4 reviews" in result.stderr and f"written to {out}" in result.stderr
    rows = pq.read_table(out).to_pylist()
    jsonl = tmp_path / "reviews.jsonl"
    jsonl.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(REVIEWS)))
    expected = run("scan", jsonl, "--jsonl-input", "-f", "jsonl", "-m", tiny_model_dir)
    assert expected.exit_code == 0, expected.output
    reference = [(review["file"], s) for line in expected.stdout.splitlines()
                 for review in [json.loads(line)] for s in review["sentences"]]
    assert len(rows) == len(reference) > 0
    for row, (name, sentence) in zip(rows, reference, strict=True):
        assert (row["id"], row["sentence"], row["start"], row["end"], row["text"], row["spoiler"]) == (
            name, sentence["index"], sentence["start"], sentence["end"], sentence["text"], sentence["spoiler"])
        assert row["score"] == pytest.approx(sentence["score"], abs=1e-5)


def test_scan_parquet_numbers_rows_without_an_id_column(archive: Path, tmp_path: Path, tiny_model_dir: Path) -> None:
    out = tmp_path / "scored.parquet"
    result = run("scan", archive, "--text-column", "review_text", "-o", out, "-m", tiny_model_dir, "-q")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert sorted(set(pq.read_table(out).column("row").to_pylist())) == [0, 2, 3]  # row 1 is empty


@pytest.mark.parametrize(("extra", "message"), [
    (["--text-column", "body"], "no column 'body' (columns: id, review_text)"),
    (["--text-column", "review_text", "--id-column", "key"], "no column 'key'"),
    (["--text-column", "id", "--id-column", "review_text"], None),  # swapped: both strings, allowed
])
def test_missing_columns_are_one_line_and_leave_the_output_alone(archive: Path, tmp_path: Path,
                                                                 tiny_model_dir: Path, extra: list[str],
                                                                 message: str | None) -> None:
    out = tmp_path / "scored.parquet"
    out.write_bytes(b"before")
    result = run("scan", archive, *extra, "-o", out, "-m", tiny_model_dir)
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2
    assert message in one_error_line(result)
    assert out.read_bytes() == b"before"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_an_output_that_is_a_directory_is_refused_before_any_scoring(archive: Path, tmp_path: Path) -> None:
    result = run("scan", archive, "-o", tmp_path, "-m", tmp_path / "no-model")  # the model is never reached
    assert result.exit_code == 2
    assert one_error_line(result) == f"spoilerscan: error: {tmp_path}: cannot write (Is a directory)"


def test_the_parquet_output_gets_the_usual_mode_and_keeps_an_existing_ones(archive: Path, tmp_path: Path,
                                                                          tiny_model_dir: Path) -> None:
    out = tmp_path / "scored.parquet"
    assert run("scan", archive, "--text-column", "review_text", "-o", out, "-m", tiny_model_dir, "-q").exit_code == 0
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
    out.chmod(0o640)
    assert run("scan", archive, "--text-column", "review_text", "-o", out, "-m", tiny_model_dir, "-q").exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o640
    assert pq.read_table(out).num_rows > 0


def test_a_text_column_that_is_not_text(tmp_path: Path, tiny_model_dir: Path) -> None:
    source = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), source)
    result = run("scan", source, "-o", tmp_path / "out.parquet", "-m", tiny_model_dir)
    assert result.exit_code == 2
    assert "column 'text' holds int64, not text" in one_error_line(result)


@pytest.mark.parametrize(("content", "message"), [(b"id,text\n1,He dies.\n", "not a Parquet file"),
                                                  (None, "no such file")])
def test_not_a_parquet_file(tmp_path: Path, tiny_model_dir: Path, content: bytes | None, message: str) -> None:
    source = tmp_path / "reviews.parquet"
    if content is not None:
        source.write_bytes(content)
    result = run("scan", source, "-o", tmp_path / "out.parquet", "-m", tiny_model_dir)
    assert result.exit_code == 2
    assert message in one_error_line(result)
    assert not (tmp_path / "out.parquet").exists()


def test_parquet_options_need_an_output_file(archive: Path, tiny_model_dir: Path) -> None:
    result = run("scan", archive, "-m", tiny_model_dir)
    assert result.exit_code == 2  # a usage error: one line from the real command (main), a box from CliRunner
    assert "Parquet input is scored into Parquet" in result.stderr


def test_missing_pyarrow_says_which_extra(archive: Path, tmp_path: Path, tiny_model_dir: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = run("scan", archive, "--text-column", "review_text", "-o", tmp_path / "out.parquet",
                 "-m", tiny_model_dir)
    assert result.exit_code == 2
    assert "install 'spoilerscan[parquet]'" in one_error_line(result)


@pytest.mark.slow
def test_installed_command_scans_parquet(archive: Path, tmp_path: Path, tiny_model_dir: Path) -> None:
    command = Path(sys.executable).parent / "spoilerscan"
    out = tmp_path / "scored.parquet"
    done = subprocess.run([str(command), "scan", str(archive), "--text-column", "review_text", "--id-column", "id",
                           "-o", str(out), "-m", str(tiny_model_dir), "-q"],
                          capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"" and done.stderr == b""
    assert pq.read_table(out).column("id").to_pylist()[0] == "r0"
    bad = subprocess.run([str(command), "scan", str(archive), "--text-column", "nope", "-o", str(out),
                          "-m", str(tiny_model_dir)], capture_output=True, timeout=600, check=False)
    assert bad.returncode == 2
    assert bad.stderr.decode().count("\n") == 1 and b"no column 'nope'" in bad.stderr


def test_a_bad_column_is_reported_before_the_model_loads(archive: Path, tmp_path: Path) -> None:
    result = run("scan", archive, "--text-column", "body", "-o", tmp_path / "out.parquet", "-m", tmp_path / "none")
    assert result.exit_code == 2
    assert "no column 'body'" in one_error_line(result)
