"""Bump spoilerscan's version everywhere it is written: ``python docs/release.py X.Y.Z``.

Sets ``version`` in pyproject.toml and ``__version__`` in spoilerscan/__init__.py, adds a
``## [X.Y.Z] - Unreleased`` heading on top of CHANGELOG.md (unless it is there already), and moves
the pins the documents show to vX.Y.Z: ``@vOLD``, ``rev: vOLD`` and the ``# vOLD`` / ``# frozen:
vOLD`` comments beside a pinned commit. tests/test_release.py checks
that they all agree with pyproject.toml. How a release is cut: docs/releasing.md.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.compile(r"\d+\.\d+\.\d+")


def pinned_documents(root: Path) -> list[Path]:
    """Every file that shows how to pin spoilerscan."""
    return [root / "README.md", root / ".pre-commit-hooks.yaml", root / "action.yml",
            *sorted((root / "docs").glob("*.md"))]


def bump(root: Path, new: str) -> list[Path]:
    """Write version ``new`` everywhere; the files changed."""
    if not VERSION.fullmatch(new):
        raise SystemExit(f"release.py: {new!r} is not a version X.Y.Z")
    old = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    edits = {
        root / "pyproject.toml": [(rf'(?m)^version = "{re.escape(old)}"$', f'version = "{new}"')],
        root / "spoilerscan" / "__init__.py": [(rf'(?m)^__version__ = "{re.escape(old)}"$', f'__version__ = "{new}"')],
    }
    for document in pinned_documents(root):
        edits[document] = [(rf"(@v|rev:\s*v|#\s*(?:frozen:\s*)?v){re.escape(old)}\b", rf"\g<1>{new}")]
    changed = []
    for path, rules in edits.items():
        text = path.read_text(encoding="utf-8")
        updated = text
        for pattern, replacement in rules:
            updated = re.sub(pattern, replacement, updated)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            changed.append(path)
    changelog = root / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    first = re.search(r"(?m)^## \[([^\]]+)\]", text)
    if first is None or first[1] != new:
        at = first.start() if first else len(text)
        changelog.write_text(f"{text[:at]}## [{new}] - Unreleased\n\n{text[at:]}", encoding="utf-8")
        changed.append(changelog)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="the new version, X.Y.Z")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    arguments = parser.parse_args(argv)
    for path in bump(arguments.root, arguments.version):
        print(f"updated {path.relative_to(arguments.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
