"""The run time stands without the 'train' extra: every module outside ``spoilerscan.training`` imports
with torch, transformers, onnx, scikit-learn, safetensors and matplotlib made unimportable.

A fresh interpreter gets a ``sys.meta_path`` finder that raises ImportError for those packages
(installed or not), imports every run-time module, builds every command's help, and reports what
it could not import and which modules of ``spoilerscan.training`` ended up loaded. The import-linter
contracts in pyproject.toml (``lint-imports`` in .ci/run) hold the same rule on the import graph,
with the layers above it.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parent.parent
PACKAGE = REPO / "spoilerscan"
BLOCKED = ("torch", "transformers", "onnx", "sklearn", "safetensors", "matplotlib")
COMMANDS = ("redact", "highlight", "scan", "check", "train", "evaluate")

PROBE = """
import importlib, json, sys

BLOCKED = set(sys.argv[1].split(","))


class Unimportable:
    \"\"\"A meta path finder: the blocked packages (and their submodules) raise ImportError.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked by the layering test")
        return None


sys.meta_path.insert(0, Unimportable())
failed = {}
for name in json.loads(sys.argv[2]):
    try:
        importlib.import_module(name)
    except Exception as error:
        failed[name] = f"{type(error).__name__}: {error}"

from typer.testing import CliRunner

from spoilerscan.cli import app

helps = {}
for command in json.loads(sys.argv[3]):
    result = CliRunner().invoke(app, [command, "--help"])
    helps[command] = [result.exit_code, "Usage" in result.output]
try:
    import torch  # noqa: F401
    blocker = "torch imported"
except ImportError:
    blocker = "works"
print(json.dumps({"failed": failed, "helps": helps, "blocker": blocker,
                  "training": sorted(m for m in sys.modules if m.startswith("spoilerscan.training")),
                  "heavy": sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)}))
"""


def run_time_modules() -> list[str]:
    """Every module of the package but those of spoilerscan.training, by file (nothing imported)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[:2] != ("spoilerscan", "training"):
            names.append(".".join(parts))
    return names


def test_the_module_list_covers_every_run_time_package() -> None:
    names = run_time_modules()
    assert {"spoilerscan", "spoilerscan.cli.training", "spoilerscan.model.detect", "spoilerscan.reading.segment",
            "spoilerscan.render.redact", "spoilerscan.check.gate", "spoilerscan.archive.distributed"} <= set(names)
    assert not [name for name in names if name.startswith("spoilerscan.training")]


def test_every_run_time_module_imports_without_the_train_extra() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE, ",".join(BLOCKED), json.dumps(run_time_modules()),
                             json.dumps(COMMANDS)], cwd=REPO, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["blocker"] == "works"
    assert report["failed"] == {}
    assert report["helps"] == {command: [0, True] for command in COMMANDS}
    assert report["training"] == []
    assert report["heavy"] == []


def constructions(tree: ast.AST) -> list[int]:
    """Lines of ``Detector(...)``, ``Detector.load(...)`` and ``OnnxModel.load(...)`` calls in a module."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        named = isinstance(func, ast.Name) and func.id == "Detector"
        loaded = isinstance(func, ast.Attribute) and func.attr == "load" and isinstance(func.value, ast.Name) \
            and func.value.id in ("Detector", "OnnxModel")
        if named or loaded:
            lines.append(node.lineno)
    return lines


def test_no_front_end_builds_a_detector_but_through_the_runtime() -> None:
    """The model package builds detectors and spoilerscan.runtime opens them from settings; every command,
    the service, the editor server, archives and the API get theirs from a Runtime."""
    found = {str(path.relative_to(REPO)): lines for path in sorted(PACKAGE.rglob("*.py"))
             if path.parent.name != "model" and path != PACKAGE / "runtime" / "runtime.py"
             and (lines := constructions(ast.parse(path.read_text(encoding="utf-8"))))}
    assert found == {}
    assert constructions(ast.parse((PACKAGE / "runtime" / "runtime.py").read_text(encoding="utf-8")))  # it can fail


def test_settings_are_read_in_the_settings_package_only() -> None:
    """``find_config`` and ``load_config`` (reading ``[tool.spoilerscan]``) are called by spoilerscan.settings alone."""
    readers = re.compile(r"\b(find_config|load_config)\(")
    found = [str(path.relative_to(REPO)) for path in sorted(PACKAGE.rglob("*.py"))
             if path.parent.name != "settings" and readers.search(path.read_text(encoding="utf-8"))]
    assert found == []
