"""What a user installs: a lean runtime (no torch), one version everywhere, and typed sources.

CI (.ci/run) also builds the wheel and lets pip resolve it for a fresh virtualenv; this checks
the declared metadata of the installed distribution.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import metadata, requires, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from spoilerscan import __version__

REPO = Path(__file__).parent.parent
PACKAGE = REPO / "spoilerscan"
HEAVY = ("torch", "transformers", "onnx", "safetensors", "scikit-learn", "matplotlib", "triton")


def installed_with(extras: tuple[str, ...] = ()) -> set[str]:
    """The distributions spoilerscan itself requires when installed with these extras."""
    names = set()
    for line in requires("spoilerscan") or []:
        requirement = Requirement(line)
        wanted = requirement.marker is None or any(requirement.marker.evaluate({"extra": e}) for e in extras or ("",))
        if wanted:
            names.add(canonicalize_name(requirement.name))
    return names


def test_runtime_requirements_have_no_torch_transformers_or_cuda() -> None:
    runtime = installed_with()
    assert {"onnxruntime", "tokenizers", "numpy"} <= runtime
    assert not {name for name in runtime if name in HEAVY or name.startswith("nvidia-")}, runtime
    assert {"torch", "transformers", "onnx"} <= installed_with(("train",))


def test_one_version_everywhere() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == __version__ == version("spoilerscan")
    assert metadata("spoilerscan")["Name"] == "spoilerscan"


def test_the_package_is_typed_without_type_ignores() -> None:
    assert (PACKAGE / "py.typed").is_file()
    ignored = [f"{path.relative_to(REPO)}:{number}" for path in sorted(PACKAGE.rglob("*.py"))
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if "type: ignore" in line]
    assert not ignored, ignored
