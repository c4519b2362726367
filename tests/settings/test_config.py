"""``[tool.spoilerscan]`` (settings/config.py): finding, reading and merging settings; input selection."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spoilerscan.errors import SpoilerscanError
from spoilerscan.reading.inputs import expand_inputs
from spoilerscan.reading.markup import MarkupStyle
from spoilerscan.settings import CheckConfig, ConfigError, Settings, find_config, load_config
from tests.helpers.checkstub import write_pyproject


def resolve_thresholds(threshold: float | None, fail_threshold: float | None, config: CheckConfig,
                       model_threshold: float, model_fail_threshold: float | None = None) -> tuple[float, float]:
    return Settings(config, threshold=threshold, fail_threshold=fail_threshold).thresholds(model_threshold,
                                                                                           model_fail_threshold)


def test_thresholds_option_over_config_over_model() -> None:
    config = CheckConfig(threshold=0.6, fail_threshold=0.8)
    assert resolve_thresholds(None, None, CheckConfig(), 0.4) == (0.4, 0.4)
    assert resolve_thresholds(None, None, config, 0.4) == (0.6, 0.8)
    assert resolve_thresholds(0.3, None, config, 0.4) == (0.3, 0.8)
    assert resolve_thresholds(0.7, 0.2, config, 0.4) == (0.2, 0.2)  # what fails is always reported


def test_fail_threshold_defaults_to_the_models_own_raised_to_the_report_threshold() -> None:
    assert resolve_thresholds(None, None, CheckConfig(), 0.4, 0.7) == (0.4, 0.7)
    assert resolve_thresholds(0.5, None, CheckConfig(), 0.4, 0.7) == (0.5, 0.7)
    assert resolve_thresholds(0.8, None, CheckConfig(), 0.4, 0.7) == (0.8, 0.8)  # raised to the report threshold
    assert resolve_thresholds(None, None, CheckConfig(threshold=0.9), 0.4, 0.7) == (0.9, 0.9)
    assert resolve_thresholds(None, 0.6, CheckConfig(), 0.4, 0.7) == (0.4, 0.6)  # the option wins
    assert resolve_thresholds(None, None, CheckConfig(fail_threshold=0.5), 0.4, 0.7) == (0.4, 0.5)  # then config
    assert resolve_thresholds(None, 0.3, CheckConfig(), 0.4, 0.7) == (0.3, 0.3)


def test_find_config_takes_the_nearest_pyproject_with_the_table(tmp_path: Path) -> None:
    outer = write_pyproject(tmp_path, "[tool.spoilerscan]\nthreshold = 0.7\n")
    write_pyproject(tmp_path / "site", '[project]\nname = "site"\n')
    inner = tmp_path / "site" / "reviews"
    inner.mkdir()
    assert find_config(inner) == outer
    nearer = write_pyproject(inner, "[tool.spoilerscan]\nthreshold = 0.9\n")
    assert find_config(inner) == nearer
    assert find_config(tmp_path / "site") == outer


def test_load_config_reads_every_key(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, """
[tool.spoilerscan]
threshold = 0.6
fail-threshold = 0.85
style = ["reddit", "warning"]
include = ["*.md", "posts/**/*.html"]
exclude = ["drafts", "*.draft.md"]
allowed-phrases = ["No Time to Die"]
known-spoilers = ["Bond dies at the end.", "Safin is behind the attack."]
model = "models/ours"
""")
    config = load_config(path)
    assert (config.threshold, config.fail_threshold) == (0.6, 0.85)
    assert config.styles == (MarkupStyle.reddit, MarkupStyle.warning)
    assert config.include == ("*.md", "posts/**/*.html") and config.exclude == ("drafts", "*.draft.md")
    assert config.allowed_phrases == ("No Time to Die",)
    assert config.known_spoilers == ("Bond dies at the end.", "Safin is behind the attack.")
    assert config.model == tmp_path / "models" / "ours" and config.root == tmp_path
    assert load_config(write_pyproject(tmp_path / "b", '[tool.spoilerscan]\nstyle = "discord"\n')).styles == (
        MarkupStyle.discord,)


@pytest.mark.parametrize(("body", "message"), [
    ("[tool.spoilerscan]\ntreshold = 0.5\n", "unknown key 'treshold'"),
    ("[tool.spoilerscan]\nthreshold = 1.5\n", "'threshold' must be a number from 0 to 1"),
    ("[tool.spoilerscan]\nfail-threshold = true\n", "'fail-threshold' must be a number"),
    ('[tool.spoilerscan]\nexclude = "drafts"\n', "'exclude' must be a list of strings"),
    ('[tool.spoilerscan]\nstyle = ["reddit", "spoiler"]\n', "unknown style 'spoiler'"),
    ("[tool.spoilerscan]\nmodel = 3\n", "'model' must be a path"),
    ("[tool.spoilerscan]\nknown-spoilers = 3\n", "'known-spoilers' must be a list of strings"),
    ('[tool.spoilerscan]\nknown-spoilers = ["He dies.", 1]\n', "'known-spoilers' must be a list of strings"),
    ("[tool.spoilerscan\nthreshold = 0.5\n", "invalid TOML"),
    ("[tool]\nspoilerscan = 1\n", "must be a table"),
    ('[tool.spoilerscan]\nexclude = ["[z-a]"]\n', "'exclude': invalid pattern '[z-a]' (bad character range z-a"),
    ('[tool.spoilerscan]\ninclude = ["a/**/**/b\\\\"]\n', "'include': invalid pattern 'a/**/**/b\\\\'"),
    ('[tool.spoilerscan]\nstyle = ""\n', "'style': no style named"),
    ("[tool.spoilerscan]\nthreshold = inf\n", "'threshold' must be a number from 0 to 1"),
    ("[tool.spoilerscan]\nthreshold = nan\n", "'threshold' must be a number from 0 to 1"),
    ('[tool.spoilerscan]\nthreshold = "0.5"\n', "'threshold' must be a number from 0 to 1"),
    ("[tool.spoilerscan]\nthreshold = false\n", "'threshold' must be a number from 0 to 1"),
    ("[tool.spoilerscan]\nthreshold = 0.6\nfail-threshold = 0.4\n",
     "'fail-threshold' must be at least 'threshold' (0.6), got 0.4"),
    ("[tool.spoilerscan]\nstyle = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
])
def test_bad_config_is_a_clear_error(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(write_pyproject(tmp_path, body))


def test_known_spoilers_from_a_file_relative_to_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "reveals.txt").write_text(
        "\ufeff# The Sixth Sense\n\nMalcolm Crowe has been dead the whole time.\n  # an indented comment\n"
        "   Cole's mother believes him.   \n", encoding="utf-8")
    path = write_pyproject(tmp_path, '[tool.spoilerscan]\nknown-spoilers = "notes/reveals.txt"\n')
    monkeypatch.chdir(tmp_path / "notes")  # relative to the config, not to the working directory
    assert load_config(path).known_spoilers == ("Malcolm Crowe has been dead the whole time.",
                                                "Cole's mother believes him.")
    missing = write_pyproject(tmp_path / "other", '[tool.spoilerscan]\nknown-spoilers = "nope.txt"\n')
    with pytest.raises(SpoilerscanError, match=f"^{re.escape(str(tmp_path / 'other' / 'nope.txt'))}: no such file$"):
        load_config(missing)


def test_include_and_exclude_apply_to_directory_expansion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("reviews/a.md", "reviews/b.txt", "reviews/c.py", "reviews/drafts/d.md", "reviews/.hidden/e.md",
                 "reviews/x.draft.md", "reviews/sub/f.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("Fine.\n")
    config = CheckConfig(exclude=("drafts", "*.draft.md"), root=tmp_path)
    assert expand_inputs(["reviews"], True, config.selection) == ["reviews/a.md", "reviews/b.txt", "reviews/sub/f.md"]
    config = CheckConfig(include=("*.md",), exclude=("reviews/sub",), root=tmp_path)
    assert expand_inputs(["reviews"], True, config.selection) == [
        "reviews/a.md", "reviews/x.draft.md", "reviews/drafts/d.md"]
    # exclude also drops files named outright (pre-commit passes them); stdin and missing names stay
    config = CheckConfig(exclude=("drafts",), root=tmp_path)
    assert expand_inputs(["reviews/drafts/d.md", "reviews/c.py", "-", "missing.md"], False, config.selection) == [
        "reviews/c.py", "-", "missing.md"]
    assert expand_inputs(["reviews/*.md", "reviews/a.md"], False, config.selection) == [
        "reviews/a.md", "reviews/x.draft.md"]
    assert expand_inputs([], False, config.selection) == ["-"]


def test_every_config_error_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, "[tool.spoilerscan]\nthreshold = 0.6\nfail-threshold = 0.4\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: [tool.spoilerscan]: ") and "\n" not in str(caught.value)


def test_a_config_file_too_large_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, "[tool.spoilerscan]\n" + "# padding\n" * 200_000)
    with pytest.raises(ConfigError, match="too large for a config file"):
        load_config(path)
