"""Ray Data: a local cluster of 2 actors scores an archive exactly as the single process does."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from spoilerscan.cli import app

runner = CliRunner()
REVIEWS = ["The acting is great. He dies at the end.", "I loved it. >!The butler did it.!< Go see it.",
           "# Title\n\nShe was the killer all along.", "", "Good. Bad. Ugly. The end."]


def run(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture()
def archive(tmp_path: Path) -> Path:
    texts = [REVIEWS[i % len(REVIEWS)] + f" Number {i}." for i in range(60)]
    path = tmp_path / "reviews.parquet"
    pq.write_table(pa.table({"key": list(range(100, 160)), "body": texts}), path, row_group_size=16)
    return path


@pytest.mark.slow
def test_two_ray_workers_score_as_one_process_does(archive: Path, tmp_path: Path, tiny_model_dir: Path) -> None:
    pytest.importorskip("ray")
    common = ["--text-column", "body", "--id-column", "key", "-m", tiny_model_dir, "--threshold", "0.5", "-q"]
    alone = run("scan", archive, *common, "-o", tmp_path / "alone.parquet")
    assert alone.exit_code == 0, alone.output
    spread = run("scan", archive, *common, "-o", tmp_path / "ray.parquet", "--engine", "ray", "--workers", "2",
                 "--batch-rows", "8")
    assert spread.exit_code == 0, spread.output
    expected, got = pq.read_table(tmp_path / "alone.parquet"), pq.read_table(tmp_path / "ray.parquet")
    assert got.schema == expected.schema
    assert got.num_rows == expected.num_rows > 60
    assert got.equals(expected)  # the same rows, in input order, with the same scores


@pytest.mark.slow
def test_ray_workers_write_a_directory_in_parallel(archive: Path, tmp_path: Path, tiny_model_dir: Path) -> None:
    """An -o that is not a .parquet file is a directory the workers write their blocks to (in no order)."""
    pytest.importorskip("ray")
    common = ["--text-column", "body", "--id-column", "key", "-m", tiny_model_dir, "-q"]
    assert run("scan", archive, *common, "-o", tmp_path / "alone.parquet").exit_code == 0
    spread = run("scan", archive, *common, "-o", tmp_path / "scored", "--engine", "ray", "--workers", "2",
                 "--batch-rows", "8")
    assert spread.exit_code == 0, spread.output
    assert len(list((tmp_path / "scored").glob("*.parquet"))) >= 2  # one file per block
    order = [("key", "ascending"), ("sentence", "ascending")]
    expected = pq.read_table(tmp_path / "alone.parquet").sort_by(order)
    got = pq.read_table(tmp_path / "scored").select(expected.column_names).sort_by(order)
    assert got.to_pylist() == expected.to_pylist()


def test_the_ray_engine_needs_an_id_column(archive: Path, tmp_path: Path, tiny_model_dir: Path) -> None:
    pytest.importorskip("ray")
    result = run("scan", archive, "--text-column", "body", "--engine", "ray", "-o", tmp_path / "out.parquet",
                 "-m", tiny_model_dir)
    assert result.exit_code == 2
    assert "needs --id-column" in result.stderr
    assert not (tmp_path / "out.parquet").exists()


def test_missing_ray_says_which_extra(archive: Path, tmp_path: Path, tiny_model_dir: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)
    result = run("scan", archive, "--text-column", "body", "--id-column", "key", "--engine", "ray",
                 "-o", tmp_path / "out.parquet", "-m", tiny_model_dir)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["spoilerscan: error: --engine ray needs Ray Data: "
                                          "pip install 'spoilerscan[ray]'"]


def test_score_dataset_refuses_a_dataset_without_ids() -> None:
    from spoilerscan.archive.distributed import ScoringSettings, score_dataset
    from spoilerscan.archive.parquet import Columns
    from spoilerscan.errors import SpoilerscanError

    with pytest.raises(SpoilerscanError, match="needs an id column"):
        score_dataset(object(), ScoringSettings(columns=Columns("body")))


@pytest.mark.slow
def test_input_order_is_asked_for_before_the_archive_is_read(archive: Path, tmp_path: Path, tiny_model_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ray dataset keeps a copy of the context it was made in: order asked for later is not kept on a busy
    machine (one run in three scrambled its batches under load)."""
    pytest.importorskip("ray")
    import ray.data

    from spoilerscan.archive import distributed

    asked: list[bool] = []
    read = distributed.read_reviews

    def reading(*args: object, **kwargs: object) -> object:
        asked.append(ray.data.DataContext.get_current().execution_options.preserve_order)
        return read(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(distributed, "read_reviews", reading)
    result = run("scan", archive, "--text-column", "body", "--id-column", "key", "-m", tiny_model_dir, "-q",
                 "-o", tmp_path / "scored.parquet", "--engine", "ray", "--workers", "2", "--batch-rows", "8")
    assert result.exit_code == 0, result.output
    assert asked == [True]
