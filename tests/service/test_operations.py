"""The service's operations give the commands' answers for the same text and options (tiny model)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spoilerscan.cli import app
from spoilerscan.model.detect import Detector, EmbeddingCache
from spoilerscan.reading.markup import RedactStyle
from spoilerscan.runtime import Project
from spoilerscan.service import ScoringEngine, annotate, check, check_reading, redact
from spoilerscan.settings import Settings, load_config

REPO = Path(__file__).parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.md"))
runner = CliRunner()


@pytest.fixture()
def detector(tiny_model_dir: Path) -> Detector:
    return Detector.load(tiny_model_dir, threads=1)


@pytest.fixture()
def engine(detector: Detector) -> Iterator[ScoringEngine]:
    engine = ScoringEngine(detector).start()
    yield engine
    engine.stop()


def cut(engine: ScoringEngine, detector: Detector, text: str, share: float) -> float:
    """A threshold that flags about ``share`` of the text's sentences (the tiny model's scores are arbitrary)."""
    annotation = asyncio.run(annotate(engine, Project.resolve(detector), text, "markdown"))
    scores = sorted(s.score for s in annotation.sentences)
    return scores[int(len(scores) * (1 - share))]


def cli(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("style", list(RedactStyle))
def test_redact_is_the_commands_output(example: Path, style: RedactStyle, engine: ScoringEngine,
                                       detector: Detector, tiny_model_dir: Path) -> None:
    text = example.read_text(encoding="utf-8")
    threshold = cut(engine, detector, text, 0.5)
    project = Project.resolve(detector, Settings(threshold=threshold))
    redacted, annotation = asyncio.run(redact(engine, project, text, "markdown", style))
    assert 0 < len(annotation.spoilers) < len(annotation.sentences)
    assert redacted == cli("redact", example, "-m", tiny_model_dir, "-t", threshold, "-s", style.value, "-q")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_annotate_is_scans_findings(example: Path, engine: ScoringEngine, detector: Detector,
                                    tiny_model_dir: Path) -> None:
    text = example.read_text(encoding="utf-8")
    annotation = asyncio.run(annotate(engine, Project.resolve(detector), text, "markdown"))
    scanned = json.loads(cli("scan", example, "-m", tiny_model_dir, "-q"))["reviews"][0]["sentences"]
    assert [(s.start, s.end, round(s.score, 6), s.is_spoiler) for s in annotation.sentences] == \
        [(s["start"], s["end"], s["score"], s["spoiler"]) for s in scanned]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_check_is_the_commands_findings(example: Path, engine: ScoringEngine, detector: Detector,
                                        tiny_model_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    text = example.read_text(encoding="utf-8")
    report_at, fail_at = cut(engine, detector, text, 0.6), cut(engine, detector, text, 0.3)
    config.write_text(f'[tool.spoilerscan]\nthreshold = {report_at!r}\nstyle = ["reddit", "warning"]\n'
                      'allowed-phrases = ["Bruce Willis"]\n', encoding="utf-8")
    project = Project.resolve(detector, Settings(load_config(config), fail_threshold=fail_at))
    report = asyncio.run(check(engine, project, text, "markdown", str(example)))
    found = json.loads(cli("check", example, "-m", tiny_model_dir, "--config", config, "--fail-threshold", fail_at,
                           "-f", "json", "-q"))
    expected = [(f["line"], f["column"], f["score"], f["severity"]) for f in found["findings"]]
    assert [(f.line, f.column, round(f.score, 6), f.severity) for f in report.findings] == expected
    assert {"error", "warning"} <= {severity for *_, severity in expected}  # both kinds of finding are compared


def test_known_spoilers_of_the_project_are_flagged(engine: ScoringEngine, detector: Detector) -> None:
    text = "A quiet film. The killer was the father all along."
    settings = Settings(threshold=1.0, known_spoilers=("The killer was the father all along.",))
    project = Project.resolve(detector, settings)
    annotation = asyncio.run(annotate(engine, project, text))
    assert [s.known for s in annotation.sentences] == [None, "The killer was the father all along."]
    assert [s.is_spoiler for s in annotation.sentences] == [False, True]


def test_the_embedding_cache_changes_no_score(detector: Detector, tiny_model_dir: Path) -> None:
    texts = [example.read_text(encoding="utf-8") for example in EXAMPLES]
    plain = [detector.score([t]) for t in texts]
    caching = Detector.load(tiny_model_dir, threads=1, cache=EmbeddingCache(1000))
    cached = [caching.score([t]) for t in texts] + [caching.score([t]) for t in texts]
    assert cached == plain + plain
    assert caching.cache is not None
    assert caching.cache.hits == len(texts) and len(caching.cache) == len(set(texts))


def test_reading_and_rendering_run_off_the_event_loop(engine: ScoringEngine, detector: Detector,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A megabyte of Markdown takes about a second to read: that must not hold the caller's loop."""
    import spoilerscan.runtime.project as project_module
    import spoilerscan.service.operations as operations

    threads: list[tuple[str, int]] = []

    def recorded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            threads.append((name, threading.get_ident()))
            return function(*args, **kwargs)
        return run

    monkeypatch.setattr(project_module, "read", recorded("read", project_module.read))
    monkeypatch.setattr(operations, "redact_text", recorded("redact", operations.redact_text))
    monkeypatch.setattr(operations, "file_report", recorded("report", operations.file_report))
    project = Project.resolve(detector)

    async def all_three() -> int:
        await redact(engine, project, "He dies. Fine.", "markdown")
        await check(engine, project, "He dies. Fine.", "markdown")
        return threading.get_ident()

    loop_thread = asyncio.run(all_three())
    assert [name for name, _ in threads] == ["read", "redact", "read", "report"]
    assert all(thread != loop_thread for _, thread in threads)


def test_check_of_a_reading_is_check_of_its_text(engine: ScoringEngine, detector: Detector) -> None:
    text = EXAMPLES[0].read_text(encoding="utf-8")
    threshold = cut(engine, detector, text, 0.5)
    project = Project.resolve(detector, Settings(threshold=threshold))
    whole = asyncio.run(check(engine, project, text, "markdown", "x.md"))
    read_first = asyncio.run(check_reading(engine, project, project.read_for_check(text, "markdown"), "x.md"))
    assert read_first == whole and whole.findings
