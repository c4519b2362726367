"""The GitHub Action (action.yml): its inputs, the options it passes, and its steps run as the runner would.

A composite action is YAML that GitHub fills in and runs; nothing checks it until a publishing
repository's workflow fails. So: every input has a description and a default and is used; every
``spoilerscan check`` option the steps pass is one the real command has; the version it installs
is this release; and the two ``run`` steps are executed by bash as the runner executes them
(``bash --noprofile --norc -eo pipefail``), with the inputs filled into their ``env`` as GitHub
fills them, a stand-in ``python`` that records the pip install, and the real command checking a
repository of reviews with the tiny model.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from spoilerscan import __version__
from spoilerscan.check.formats import CheckFormat
from spoilerscan.cli import app

REPO = Path(__file__).parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
COMMAND = Path(sys.executable).parent / "spoilerscan"
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
KNOWN = "Malcolm Crowe was dead the whole time."


def check_options() -> set[str]:
    """Every option name of the real ``spoilerscan check`` (long and short)."""
    command = get_command(app).commands["check"]  # type: ignore[attr-defined]  (a group: typer's own click)
    return {name for param in command.params if param.param_type_name == "option"
            for name in (*param.opts, *param.secondary_opts)}


def check_step() -> dict[str, Any]:
    [step] = [step for step in STEPS if re.search(r"spoilerscan\"?\s+check\b", step.get("run", ""))]
    return step


def test_the_action_is_composite_and_every_input_has_a_description_and_a_default_and_is_used() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"paths", "format", "fail-threshold", "version", "python-version"} <= set(ACTION["inputs"])
    used = set(EXPRESSION.findall(yaml.safe_dump(STEPS)))
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec and spec.get("required", False) is False, name
        assert f"inputs.{name}" in used, f"input {name} is never used"
    assert all(step.get("shell") == "bash" for step in STEPS if "run" in step)  # composite run steps need one


def test_the_check_step_passes_only_options_the_real_command_has() -> None:
    step = check_step()
    flags = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", step["run"]))  # (short ones are the shell's: set -f, [ -n)
    assert {"--recursive", "--format", "--fail-threshold"} <= flags
    assert flags <= check_options(), flags - check_options()
    inputs = ACTION["inputs"]
    assert inputs["format"]["default"] == "github"
    assert {CheckFormat(value) for value in re.findall(r"\b(github|text|json|sarif)\b",
                                                       inputs["format"]["description"])} == set(CheckFormat)
    assert inputs["fail-threshold"]["default"] == ""  # the config's or the model's own


def test_the_installed_version_is_this_release_and_the_docs_use_it() -> None:
    tag = f"v{__version__}"
    assert ACTION["inputs"]["version"]["default"] == tag
    for document in ("README.md", "docs/check.md"):
        text = (REPO / document).read_text(encoding="utf-8")
        uses = re.findall(r"uses:\s*\S+/spoilerscan@(\S+)", text)
        assert uses and set(uses) == {tag}, (document, uses)


FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for python: 'python -m venv DIR' makes DIR/bin/python (this script); pip installs are logged.
if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0; fi
printf '%s\\n' "$*" >> "$PIP_LOG"
"""


def run_step(step: dict[str, Any], inputs: dict[str, str], cwd: Path,
             env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A composite ``run`` step as the runner runs it: its env filled in, the script run by bash -eo pipefail."""
    values = {f"inputs.{name}": spec["default"] for name, spec in ACTION["inputs"].items()}
    values |= {f"inputs.{name}": value for name, value in inputs.items()}
    values["github.action_repository"] = "owner/spoilerscan"
    assert not EXPRESSION.search(step["run"]), "expressions in run: are not filled in for composite actions; use env:"
    filled = {key: EXPRESSION.sub(lambda m: values[m[1]], str(value)) for key, value in step.get("env", {}).items()}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=cwd,
                          env=env | filled, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_the_steps_install_this_release_and_check_the_reviews(tiny_model_dir: Path, tmp_path: Path) -> None:
    runner_temp, fake_bin = tmp_path / "runner-temp", tmp_path / "fake-bin"
    fake_bin.mkdir()
    runner_temp.mkdir()
    (fake_bin / "python").write_text(FAKE_PYTHON, encoding="utf-8")
    (fake_bin / "python").chmod(stat.S_IRWXU)
    env = {**os.environ, "RUNNER_TEMP": str(runner_temp), "PIP_LOG": str(tmp_path / "pip.log"),
           "GITHUB_ACTION_PATH": str(REPO)}
    install = next(step for step in STEPS if "pip install" in step.get("run", ""))
    installed = run_step(install, {}, tmp_path, env | {"PATH": f"{fake_bin}{os.pathsep}{env['PATH']}"})
    assert installed.returncode == 0, installed.stderr
    assert (tmp_path / "pip.log").read_text(encoding="utf-8").splitlines() == [
        f"-m pip install --quiet --disable-pip-version-check spoilerscan @ git+https://github.com/owner/spoilerscan"
        f"@v{__version__}"]

    # The check step runs the real command (in place of the one pip would have installed).
    (runner_temp / "spoilerscan" / "bin" / "python").unlink()
    (runner_temp / "spoilerscan" / "bin" / "spoilerscan").symlink_to(COMMAND)
    reviews = tmp_path / "reviews-site"
    (reviews / "reviews").mkdir(parents=True)
    (reviews / "pyproject.toml").write_text(
        f'[tool.spoilerscan]\nmodel = "{tiny_model_dir.as_posix()}"\nthreshold = 1.0\nknown-spoilers = ["{KNOWN}"]\n',
        encoding="utf-8")
    (reviews / "reviews" / "clean.md").write_text("# A ghost story\n\nThe acting is superb.\n", encoding="utf-8")
    (reviews / "reviews" / "leaky.md").write_text(f"# A ghost story\n\nThe acting is superb.\n\n{KNOWN}\n",
                                                  encoding="utf-8")
    step = check_step()
    clean = run_step(step, {"paths": "reviews/clean.md"}, reviews, env)
    assert (clean.returncode, clean.stdout) == (0, ""), clean.stderr
    for paths in (".", "reviews", "reviews/clean.md\n'reviews/*.md'", "'reviews/*.md'"):
        leaky = run_step(step, {"paths": paths.replace("'", "")}, reviews, env)
        assert leaky.returncode == 1, (paths, leaky.stderr)
        assert leaky.stdout.startswith("::error file=reviews/leaky.md,line=5,col=1,"), leaky.stdout
        assert leaky.stdout.count("\n") == 1
    as_text = run_step(step, {"paths": "reviews", "format": "text", "fail-threshold": "1"}, reviews, env)
    assert as_text.returncode == 1 and as_text.stdout.startswith("reviews/leaky.md:5:1: error: ")
    missing = run_step(step, {"paths": "nowhere.md"}, reviews, env)
    assert missing.returncode == 2 and missing.stderr.startswith("spoilerscan: error: nowhere.md")
