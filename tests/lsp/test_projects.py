"""Each document's [tool.spoilerscan]: found as `check` finds it, read again when it changes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from spoilerscan.lsp.documents import Snapshot
from spoilerscan.lsp.models import LoadedModel
from spoilerscan.lsp.projects import Projects
from spoilerscan.lsp.settings import Settings as EditorSettings
from spoilerscan.reading.markup import Style
from spoilerscan.runtime import Runtime
from spoilerscan.service import ScoringEngine
from spoilerscan.settings import ConfigError, Settings
from tests.lsp.test_models import one_thread


def snapshot_in(folder: Path, name: str = "review.md") -> Snapshot:
    path = folder / name
    return Snapshot(path.as_uri(), 1, "", "markdown", path=path)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_nearest_pyproject_with_the_table_is_used(tmp_path: Path) -> None:
    outer = write(tmp_path / "pyproject.toml", "[tool.spoilerscan]\nthreshold = 0.7\n")
    write(tmp_path / "site" / "pyproject.toml", "[project]\nname = 'site'\n")  # no table: passed over
    resolved = Projects().config_for(snapshot_in(tmp_path / "site" / "reviews"))
    assert resolved.path == outer and resolved.config.threshold == 0.7


def test_an_untitled_document_uses_the_first_workspace_folder(tmp_path: Path) -> None:
    config = write(tmp_path / "pyproject.toml", "[tool.spoilerscan]\nstyle = 'discord'\n")
    resolved = Projects().config_for(Snapshot("untitled:Untitled-1", 1, "", "markdown"), [tmp_path])
    assert resolved.path == config and resolved.config.styles == (Style.discord,)


def test_a_changed_config_is_read_again(tmp_path: Path) -> None:
    config = write(tmp_path / "pyproject.toml", "[tool.spoilerscan]\nthreshold = 0.7\n")
    projects = Projects()
    assert projects.config_for(snapshot_in(tmp_path)).config.threshold == 0.7
    config.write_text("[tool.spoilerscan]\nthreshold = 0.25\n", encoding="utf-8")
    os.utime(config, ns=(1, 1))  # a different modification time, whatever the clock's resolution
    assert projects.config_for(snapshot_in(tmp_path)).config.threshold == 0.25


def test_a_bad_config_raises_its_error_until_it_is_fixed(tmp_path: Path) -> None:
    config = write(tmp_path / "pyproject.toml", "[tool.spoilerscan]\nthreshhold = 0.7\n")
    projects = Projects()
    for _ in range(2):
        with pytest.raises(ConfigError, match="unknown key 'threshhold'"):
            projects.config_for(snapshot_in(tmp_path))
    config.write_text("[tool.spoilerscan]\nthreshold = 0.7\n", encoding="utf-8")
    projects.forget()  # what a watched-file notification does
    assert projects.config_for(snapshot_in(tmp_path)).config.threshold == 0.7


def test_projects_follow_the_config_and_the_editors_settings(tmp_path: Path, tiny_model_dir: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.spoilerscan]\nthreshold = 0.3\nfail-threshold = 0.8\nstyle = 'reddit'\n"
                                       "known-spoilers = ['He was dead all along.']\n")
    runtime = Runtime.open(Settings(model_option=tiny_model_dir), one_thread)
    model = LoadedModel(tiny_model_dir, runtime, ScoringEngine(runtime.detector))  # not started: no scoring here
    projects = Projects()
    resolved = projects.config_for(snapshot_in(tmp_path))

    async def resolve(settings: EditorSettings) -> tuple[float, float, tuple[Style, ...], tuple[str, ...]]:
        project = await projects.project(resolved, settings, model)
        assert project.known is not None
        return project.check_threshold, project.fail_threshold, project.styles, project.known.texts

    plain = EditorSettings(model=tiny_model_dir)
    assert asyncio.run(resolve(plain)) == (0.3, 0.8, (Style.reddit,), ("He was dead all along.",))
    overridden = EditorSettings(threshold=0.1, fail_threshold=0.5, styles=(Style.discord, Style.warning),
                                model=tiny_model_dir)
    assert asyncio.run(resolve(overridden)) == (0.1, 0.5, (Style.discord, Style.warning), ("He was dead all along.",))
