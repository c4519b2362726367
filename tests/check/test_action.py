"""The GitHub Action (action.yml and action/run.sh): its inputs and outputs, and its steps run as the runner would.

A composite action is YAML that GitHub fills in and runs; nothing checks it until a publishing
repository's workflow fails. So: every input has a description and a default and is used, and no
input can make it install anything but its own checkout; every ``spoilerscan check`` option the
script passes is one the real command has; and the ``run`` steps are executed by bash as the runner
executes them (``bash --noprofile --norc -eo pipefail``), in order, with the inputs filled into
their ``env`` as GitHub fills them, each step's ``$GITHUB_OUTPUT`` file read back into the
``steps`` context, a stand-in ``python`` whose ``-m venv`` and ``-m pip`` are recorded (no network
install: the real command, from this checkout, takes the installed one's place), and the real
command checking a repository of reviews with the tiny model. The ``uses`` steps (setup-python,
cache) are GitHub's own; tests/test_tools.py lints them with actionlint.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from spoilerscan.check.formats import CheckFormat
from spoilerscan.cli import app
from tests.helpers.tools import assert_valid_sarif

REPO = Path(__file__).parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
SCRIPT = REPO / "action" / "run.sh"
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
COMMAND = Path(sys.executable).parent / "spoilerscan"
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
KNOWN = "Malcolm Crowe was dead the whole time."
# The major version of each action the Action uses: the current ones, on node24 (actionlint flags
# the node20 ones, removed from GitHub's runners on 2026-09-23).
USES = {"actions/setup-python": "v7", "actions/cache": "v6"}


def check_options() -> set[str]:
    """Every option name of the real ``spoilerscan check`` (long and short)."""
    command = get_command(app).commands["check"]  # type: ignore[attr-defined]  (a group: typer's own click)
    return {name for param in command.params if param.param_type_name == "option"
            for name in (*param.opts, *param.secondary_opts)}


def test_inputs_have_descriptions_and_defaults_are_used_and_none_picks_what_is_installed() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"paths", "format", "fail-threshold", "config", "sarif-file", "python-version"}
    used = set(EXPRESSION.findall(yaml.safe_dump(STEPS)))
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec and spec.get("required", False) is False, name
        assert f"inputs.{name}" in used, f"input {name} is never used"
    assert all(step.get("shell") == "bash" for step in STEPS if "run" in step)  # composite run steps need one
    assert ACTION["inputs"]["format"]["default"] == "github"
    assert {CheckFormat(value) for value in re.findall(r"\b(github|text|json|sarif)\b",
                                                       ACTION["inputs"]["format"]["description"])} == set(CheckFormat)


def test_outputs_come_from_the_check_step_and_uses_are_current_majors() -> None:
    outputs = ACTION["outputs"]
    assert set(outputs) == {"sarif-file", "failing", "warnings"}
    for name, spec in outputs.items():
        assert spec["description"] and spec["value"] == f"${{{{ steps.check.outputs.{name} }}}}", name
    uses = [step["uses"] for step in STEPS if "uses" in step]
    assert {use.split("@")[0]: use.split("@")[1] for use in uses} == USES


def test_the_script_passes_only_options_the_real_command_has() -> None:
    flags = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", SCRIPT.read_text(encoding="utf-8")))
    flags -= {"--disable-pip-version-check", "--quiet", "--version"}  # pip's, and the installed command's
    assert {"--recursive", "--format", "--fail-threshold", "--config", "--sarif-file", "--summary-file",
            "--outputs-file"} <= flags
    assert flags <= check_options(), flags - check_options()


FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for python: '-m venv DIR' makes DIR/bin with this script as python and the command under
# test as spoilerscan; '-m pip …' is logged (and 'pip cache dir' answered); the rest is the real python.
if [ "$1 $2" = "-m venv" ]; then
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && ln -s "$SPOILERSCAN_UNDER_TEST" "$3/bin/spoilerscan"
    exit 0
fi
if [ "$1 $2" = "-m pip" ]; then
    printf '%s\\n' "$*" >> "$PIP_LOG"
    if [ "$3 $4" = "cache dir" ]; then echo "$HOME/.cache/pip"; fi
    exit 0
fi
exec "$REAL_PYTHON" "$@"
"""


@dataclass
class Runner:
    """Runs the action's ``run`` steps in order, as the runner does, keeping each step's outputs."""

    tmp: Path
    workspace: Path
    inputs: dict[str, str]
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        fake_bin = self.tmp / "fake-bin"
        fake_bin.mkdir(exist_ok=True)
        (fake_bin / "python").write_text(FAKE_PYTHON, encoding="utf-8")
        (fake_bin / "python").chmod(stat.S_IRWXU)
        (self.tmp / "runner-temp").mkdir(exist_ok=True)
        return {**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}", "REAL_PYTHON": sys.executable,
                "SPOILERSCAN_UNDER_TEST": str(COMMAND), "PIP_LOG": str(self.tmp / "pip.log"),
                "RUNNER_TEMP": str(self.tmp / "runner-temp"), "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
                "GITHUB_ACTION_PATH": str(REPO),
                "GITHUB_STEP_SUMMARY": str(self.tmp / "summary.md")}

    def value(self, name: str) -> str:
        if name.startswith("inputs."):
            key = name.removeprefix("inputs.")
            return self.inputs.get(key, ACTION["inputs"][key]["default"])
        _, step, _, output = name.split(".")  # steps.ID.outputs.NAME
        return self.outputs.get(step, {}).get(output, "")

    def run(self, step: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        assert not EXPRESSION.search(step["run"]), "run: is not filled in for composite actions; use env:"
        outputs = self.tmp / f"output-{len(self.outputs)}-{step.get('id', 'step')}"
        outputs.touch()
        filled = {key: EXPRESSION.sub(lambda m: self.value(m[1]), str(value))
                  for key, value in step.get("env", {}).items()}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                              cwd=self.workspace, env=self.env() | filled | {"GITHUB_OUTPUT": str(outputs)},
                              capture_output=True, text=True, timeout=300, check=False)
        if "id" in step:
            lines = outputs.read_text(encoding="utf-8").splitlines()
            self.outputs[step["id"]] = dict(line.split("=", 1) for line in lines)
        return done

    def run_all(self) -> subprocess.CompletedProcess[str]:
        """Every ``run`` step in order, stopping at the first that fails (as the runner does); the last one run."""
        done = None
        for step in STEPS:
            if "run" in step:
                done = self.run(step)
                if done.returncode != 0:
                    break
        assert done is not None
        return done

    def action_outputs(self) -> dict[str, str]:
        """The action's outputs, as GitHub evaluates them after its steps (a failed step's included)."""
        return {name: EXPRESSION.sub(lambda m: self.value(m[1]), spec["value"])
                for name, spec in ACTION["outputs"].items()}


@pytest.fixture
def reviews(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A repository of reviews: one clean, one that states a known spoiler (it fails whatever the tiny model scores)."""
    site = tmp_path / "reviews-site"
    (site / "reviews").mkdir(parents=True)
    (site / "pyproject.toml").write_text(
        f'[tool.spoilerscan]\nmodel = "{tiny_model_dir.as_posix()}"\nthreshold = 1.0\nknown-spoilers = ["{KNOWN}"]\n',
        encoding="utf-8")
    (site / "reviews" / "clean.md").write_text("# A ghost story\n\nThe acting is superb.\n", encoding="utf-8")
    (site / "reviews" / "leaky.md").write_text(f"# A ghost story\n\nThe acting is superb.\n\n{KNOWN}\n",
                                               encoding="utf-8")
    return site


@pytest.mark.slow
def test_the_steps_install_the_actions_own_checkout_and_fail_on_a_spoiler(reviews: Path, tmp_path: Path) -> None:
    runner = Runner(tmp_path, reviews, {"paths": "reviews/", "sarif-file": "spoilerscan.sarif"})
    done = runner.run_all()
    assert done.returncode == 1, done.stderr
    # Installed: this checkout (the pinned commit), nothing named by a version or fetched from git.
    assert (tmp_path / "pip.log").read_text(encoding="utf-8").splitlines() == [
        "-m pip cache dir", f"-m pip install --disable-pip-version-check --quiet {REPO}"]
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert runner.outputs["cache"]["key"] == f"spoilerscan-pip-Linux-X64-py{python}-{digest}"
    # The job log: one annotation on the pull request; the counts and the SARIF file as outputs.
    assert done.stdout.startswith("::error file=reviews/leaky.md,line=5,col=1,") and done.stdout.count("\n") == 1
    outputs = runner.action_outputs()
    assert outputs == {"sarif-file": "spoilerscan.sarif", "failing": "1", "warnings": "0"}
    sarif = json.loads((reviews / outputs["sarif-file"]).read_text(encoding="utf-8"))
    assert_valid_sarif(sarif)
    [result] = sarif["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "reviews/leaky.md"
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("### spoilerscan: 1 unmarked spoiler (1 failing) in 1 of 2 files\n")
    assert "| reviews/leaky.md | 5 | error | " in summary


@pytest.mark.slow
def test_format_sarif_writes_a_file_and_a_clean_run_passes(reviews: Path, tmp_path: Path) -> None:
    runner = Runner(tmp_path, reviews, {"paths": "reviews/clean.md\n'reviews/*.md'".replace("'", ""),
                                        "format": "sarif", "fail-threshold": "1"})
    done = runner.run_all()
    assert done.returncode == 1, done.stderr  # the glob takes leaky.md in too
    written = Path(runner.action_outputs()["sarif-file"])
    assert written == tmp_path / "runner-temp" / "spoilerscan.sarif"
    assert json.loads(written.read_text(encoding="utf-8")) == json.loads(done.stdout)  # the log shows the same

    everything = Runner(tmp_path / "everything", reviews, {"paths": " \n"})  # empty: the whole repository
    (tmp_path / "everything").mkdir()
    assert everything.run_all().returncode == 1 and everything.action_outputs()["failing"] == "1"

    clean = Runner(tmp_path / "clean", reviews, {"paths": "reviews/clean.md"})
    (tmp_path / "clean").mkdir()
    done = clean.run_all()
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert clean.action_outputs() == {"sarif-file": "", "failing": "0", "warnings": "0"}  # no SARIF asked for


@pytest.mark.slow
def test_the_config_input_and_a_missing_path(reviews: Path, tmp_path: Path) -> None:
    (reviews / "settings").mkdir()
    (reviews / "pyproject.toml").rename(reviews / "settings" / "spoilers.toml")
    runner = Runner(tmp_path, reviews, {"paths": "reviews", "config": "settings/spoilers.toml", "format": "text"})
    done = runner.run_all()
    assert done.returncode == 1 and done.stdout.startswith("reviews/leaky.md:5:1: error: "), done.stderr
    missing = Runner(tmp_path / "missing", reviews, {"paths": "nowhere.md", "config": "settings/spoilers.toml"})
    (tmp_path / "missing").mkdir()
    done = missing.run_all()
    assert done.returncode == 2 and done.stderr.splitlines() == ["spoilerscan: error: nowhere.md: no such file"]
