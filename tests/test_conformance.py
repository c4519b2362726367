"""The same judgement everywhere: one project, its reviews through every front end.

A fixture project's ``pyproject.toml`` names a model (the tiny one), a site adapter, known
spoilers, an allowed phrase, both thresholds and a style. Its reviews go through ``redact``,
``scan --format json`` and ``check --format json`` (the CLI, in-process), the Python API,
``serve``'s ``/v1/redact``, ``/v1/annotate`` and ``/v1/check`` (in-process over ASGI) and the
language server's checker and diagnostics: the same sentence spans, the same scores (to 1e-6) and
the same pass/fail decisions. A second project with a bad setting gets the same one-line error
from each of them.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spoilerscan import api
from spoilerscan.cli import app
from spoilerscan.lsp.checking import Checker, CheckResult
from spoilerscan.lsp.diagnostics import to_diagnostics
from spoilerscan.lsp.documents import Snapshot
from spoilerscan.lsp.models import ModelPool
from spoilerscan.lsp.projects import Projects
from spoilerscan.lsp.settings import Settings as EditorSettings
from spoilerscan.model.adapter import Adapter
from spoilerscan.serve import ServeSettings, create_app
from spoilerscan.settings import ConfigError
from tests.lsp.test_models import one_thread
from tests.model.test_adapter import adapter_for
from tests.serve.conftest import serving

KNOWN = "He was dead all along."
REVIEWS = {
    # a known spoiler (fails whatever its score), an allowed phrase, reddit markup (marked everywhere)
    "a.md": "A quiet film with a slow start.\n\nHe was dead all along. The ending is sad.\n\n"
            ">!The twist is great.!< I loved the acting.\n",
    # a pragma; nothing known: passes (the fail threshold is 1)
    "b.md": "Great film. I really loved it.\n\n<!-- spoilerscan: ignore -->\nThe killer is the father.\n\n"
            "Go and see it.\n",
    # discord markup: hidden for redact and scan, but not a style this project counts as marked for check
    "c.md": "||The son dies.|| The film is good.\n\nHe was dead all along.\n",
}
SCORE_TOLERANCE = 1e-6
runner = CliRunner()


def write_project(folder: Path, model: Path, table: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    # On the scale of the tiny model's logits (about -15 to 0 in these reviews), so that its scores spread.
    base = adapter_for(model, weight=1.0, threshold=0.5, fail_threshold=0.7)
    Adapter(0.2, base.weights, 1.0, base.threshold, base.fail_threshold, base.base_model, base.report).save(
        folder / "site.json")
    (folder / "pyproject.toml").write_text(f'[tool.spoilerscan]\nmodel = "{model}"\nadapter = "site.json"\n{table}',
                                           encoding="utf-8")
    for name, text in REVIEWS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "pyproject.toml"


GOOD = (f'threshold = 0.0\nfail-threshold = 1.0\nstyle = ["reddit"]\nallowed-phrases = ["the ending"]\n'
        f'known-spoilers = ["{KNOWN}"]\n')


@pytest.fixture()
def project(tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = write_project(tmp_path / "site", tiny_model_dir, GOOD)
    monkeypatch.chdir(config.parent)
    return config


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def spans(sentences: list[dict[str, Any]]) -> list[tuple[int, int, bool]]:
    return [(s["start"], s["end"], s["spoiler"]) for s in sentences]


def findings(items: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    return [(f["start"], f["end"], f["severity"]) for f in items]


def same_scores(first: list[float], second: list[float]) -> bool:
    return len(first) == len(second) and all(abs(a - b) <= SCORE_TOLERANCE for a, b in zip(first, second, strict=True))


def served(config: Path) -> dict[str, dict[str, Any]]:
    """What serve answers for each review (its settings from --config, as the command passes them)."""
    async def ask() -> dict[str, dict[str, Any]]:
        answers: dict[str, dict[str, Any]] = {}
        async with serving(create_app(ServeSettings(config=config, threads=1, log_requests=False))) as client:
            for name, text in REVIEWS.items():
                body = {"text": text, "format": "markdown"}
                answers[name] = {
                    "annotate": (await client.post("/v1/annotate", json=body)).json(),
                    "redact": (await client.post("/v1/redact", json={**body, "style": "reddit"})).json(),
                    "check": (await client.post("/v1/check", json={**body, "name": name})).json(),
                }
        return answers

    return asyncio.run(ask())


def editor_checks(folder: Path) -> dict[str, CheckResult]:
    """The language server's check of each review, as an editor with no settings of its own gets it."""
    pool = ModelPool(one_thread)
    checker = Checker(pool, Projects(), lambda: EditorSettings(), lambda: [folder])

    async def run() -> dict[str, CheckResult]:
        try:
            return {name: await checker(Snapshot((folder / name).as_uri(), 1, text, "markdown", path=folder / name))
                    for name, text in REVIEWS.items()}
        finally:
            pool.stop()

    return asyncio.run(run())


def test_every_front_end_judges_the_project_alike(project: Path) -> None:
    runtime = api.open_runtime()
    server = served(project)
    editor = editor_checks(project.parent)
    code, scanned, _ = cli("scan", *REVIEWS, "--format", "json", "-q")
    assert code == 0
    by_file = {review["file"]: review for review in json.loads(scanned)["reviews"]}
    failing_somewhere = False
    for name, text in REVIEWS.items():
        # redact, scan and annotate: every sentence (all spoiler markup hidden), the same spans and scores
        views = {"scan": by_file[name]["sentences"], "serve": server[name]["annotate"]["sentences"],
                 "api": api.scan(text, runtime, input_format="markdown")["sentences"]}
        assert spans(views["scan"]) == spans(views["api"]) == spans(views["serve"]), name
        assert same_scores([s["score"] for s in views["scan"]], [s["score"] for s in views["api"]])
        assert same_scores([s["score"] for s in views["scan"]], [s["score"] for s in views["serve"]])
        code, redacted, _ = cli("redact", name, "--style", "reddit", "-q")
        assert code == 0
        assert redacted == api.redact(text, runtime, style="reddit", input_format="markdown") \
            == server[name]["redact"]["text"], name
        # check: the findings of the unmarked text, their scores, and pass or fail
        code, checked, _ = cli("check", name, "--format", "json", "-q")
        command = json.loads(checked)["findings"]
        library = api.check(text=text, runtime=runtime, stdin_filename=name)
        served_check = server[name]["check"]
        lsp = editor[name]
        lsp_findings = [(d.data["start"], d.data["end"], "error" if d.data["failing"] else "warning")
                        for d in to_diagnostics(lsp)]
        assert findings(command) == [(f.start, f.end, f.severity) for f in library.findings] \
            == findings(served_check["findings"]) == lsp_findings, name
        scores = [f["score"] for f in command]
        assert same_scores(scores, [f.score for f in library.findings]), name
        assert same_scores(scores, [f["score"] for f in served_check["findings"]]), name
        assert same_scores(scores, [d.data["score"] for d in to_diagnostics(lsp)]), name
        fails = code == 1
        assert code in (0, 1)
        assert fails == bool(library.failing) == (not served_check["passed"]) \
            == any(f.failing for f in lsp.findings), name
        failing_somewhere |= fails
        assert command, name  # threshold 0: every unmarked sentence is a finding
    assert failing_somewhere  # the known spoiler fails a.md and c.md; b.md passes
    scores = [s["score"] for review in by_file.values() for s in review["sentences"]]
    assert len(set(scores)) > len(scores) // 2 and min(scores) > 0.0 and max(scores) < 1.0  # spread: a real test


def test_a_bad_setting_is_the_same_one_line_error_everywhere(tmp_path: Path, tiny_model_dir: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_project(tmp_path / "bad", tiny_model_dir, "threshold = 0.6\nfail-threshold = 0.4\n")
    monkeypatch.chdir(config.parent)
    expected = f"{config}: [tool.spoilerscan]: 'fail-threshold' must be at least 'threshold' (0.6), got 0.4"
    for command in (["redact", "a.md"], ["highlight", "a.md"], ["scan", "a.md"], ["check", "a.md"], ["serve"]):
        code, out, err = cli(*command)
        assert (code, out, err) == (2, "", f"spoilerscan: error: {expected}\n"), command
    with pytest.raises(ConfigError) as raised:
        api.open_runtime()
    assert str(raised.value) == expected
    with pytest.raises(ConfigError) as raised:
        api.redact("He dies.")
    assert str(raised.value) == expected
    with pytest.raises(ConfigError) as raised:
        editor_checks(config.parent)
    assert str(raised.value) == expected
    with pytest.raises(ConfigError) as raised:
        served(config)
    assert str(raised.value) == expected
