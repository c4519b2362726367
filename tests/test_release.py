"""One version everywhere a user reads it: pyproject.toml's, and every pin the documents show.

The version comes from pyproject.toml; ``spoilerscan.__version__``, the top heading of
CHANGELOG.md, and each ``spoilerscan@REF`` / ``rev: REF`` in the README, docs/, the hook file and
action.yml must agree with it: a tag ``vX.Y.Z`` of this version, or a commit (``<commit>`` or a
40-character hash) with ``# vX.Y.Z`` (``# frozen: vX.Y.Z``) beside it. docs/release.py bumps them
all; docs/releasing.md says how a release is cut.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).parent.parent
PIN = re.compile(r"spoilerscan@([^\s\"'`]+)|^[\s#-]*rev:\s*([^\s\"'`]+)")
NAMED = re.compile(r"(?:@v|rev:\s*v|#\s*(?:frozen:\s*)?v)(\d+\.\d+\.\d+)\b")
COMMIT = re.compile(r"<commit>|[0-9a-f]{40}")


def version_of(root: Path) -> str:
    return str(tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


def pinned_documents(root: Path) -> list[Path]:
    return [root / "README.md", root / ".pre-commit-hooks.yaml", root / "action.yml",
            *sorted((root / "docs").glob("*.md"))]


def pins(root: Path) -> list[tuple[str, int, str, list[str]]]:
    """Each pin: (file, line number, the reference, the versions the line names)."""
    found = []
    for document in pinned_documents(root):
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1):
            for match in PIN.finditer(line):
                name = document.relative_to(root).as_posix()
                found.append((name, number, match[1] or match[2], NAMED.findall(line)))
    return found


def disagreements(root: Path, version: str) -> list[str]:
    """Everything that names another version than ``version``, or pins nothing a release could be."""
    problems = []
    source = (root / "spoilerscan" / "__init__.py").read_text(encoding="utf-8")
    package = re.search(r'(?m)^__version__ = "([^"]+)"$', source)
    if package is None or package[1] != version:
        problems.append(f"spoilerscan/__init__.py: __version__ {package and package[1]}")
    heading = re.search(r"(?m)^## \[([^\]]+)\]", (root / "CHANGELOG.md").read_text(encoding="utf-8"))
    if heading is None or heading[1] != version:
        problems.append(f"CHANGELOG.md: top heading {heading and heading[1]}")
    for name, number, ref, named in pins(root):
        where = f"{name}:{number}: {ref}"
        if ref.startswith("v") and ref != f"v{version}":
            problems.append(f"{where}: not v{version}")
        elif COMMIT.fullmatch(ref) and not named:
            problems.append(f"{where}: a commit without '# v{version}' beside it")
        elif not ref.startswith("v") and not COMMIT.fullmatch(ref):
            problems.append(f"{where}: neither a release tag nor a commit")
        problems += [f"{where}: names v{other}" for other in named if other != version]
    return problems


def test_every_pin_and_the_changelog_agree_with_pyproject() -> None:
    assert disagreements(REPO, version_of(REPO)) == []
    documents = {name for name, *_ in pins(REPO)}
    assert {"README.md", "docs/check.md", "docs/releasing.md", ".pre-commit-hooks.yaml"} <= documents, documents


def copy_of_the_repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for name in ("pyproject.toml", "CHANGELOG.md", "README.md", ".pre-commit-hooks.yaml", "action.yml",
                 "spoilerscan/__init__.py", *(p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md"))):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, root / name)
    return root


def test_the_bump_script_moves_every_pin_and_the_check_catches_a_stale_one(tmp_path: Path) -> None:
    root = copy_of_the_repository(tmp_path)
    old = version_of(root)
    done = subprocess.run([sys.executable, str(REPO / "docs" / "release.py"), "9.8.7", "--root", str(root)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert version_of(root) == "9.8.7"
    assert disagreements(root, "9.8.7") == []
    assert len(disagreements(root, old)) > len(pins(root))  # every pin moved (and the package and changelog)
    assert (root / "CHANGELOG.md").read_text(encoding="utf-8").count("## [9.8.7] - Unreleased") == 1
    readme = root / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("# v9.8.7", "# v9.8.6", 1), encoding="utf-8")
    [stale] = disagreements(root, "9.8.7")
    assert stale.startswith("README.md:") and stale.endswith("names v9.8.6")
