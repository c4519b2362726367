"""The pre-commit hook, run for real by pre-commit against a fresh git repository of reviews.

``pre-commit try-repo`` installs this repository (as committed, plus its uncommitted changes to
tracked files) into a virtualenv of its own, with its dependencies from the package index, and
runs the hook on the files named. So this also proves the lean install: pip's log of that
install must not name torch, transformers or a CUDA package. The tiny test model comes from the
reviews repository's ``[tool.spoilerscan]``, so the test does not need the shipped model.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
CLEAN = "# A quiet ghost story\n\nThe acting is superb and the score is haunting.\n"
LEAKY = "# A quiet ghost story\n\nThe acting is superb.\n\nMalcolm Crowe was dead the whole time.\n"
KNOWN = "Malcolm Crowe was dead the whole time."
HEAVY = re.compile(r"^(torch|transformers|triton|nvidia-.*)-\d", re.IGNORECASE)


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"})


@pytest.mark.slow
def test_the_hook_passes_a_clean_review_and_fails_a_known_spoiler(tiny_model_dir: Path, tmp_path: Path) -> None:
    reviews = tmp_path / "reviews-site"
    reviews.mkdir()
    # Threshold 1: the tiny model's scores mean nothing and never reach it; the known spoiler
    # fails whatever the model scores.
    (reviews / "pyproject.toml").write_text(
        f'[tool.spoilerscan]\nmodel = "{tiny_model_dir.as_posix()}"\nthreshold = 1.0\nknown-spoilers = ["{KNOWN}"]\n',
        encoding="utf-8")
    (reviews / "clean.md").write_text(CLEAN, encoding="utf-8")
    (reviews / "leaky.md").write_text(LEAKY, encoding="utf-8")
    git("init", "-q", cwd=reviews)
    git("add", ".", cwd=reviews)
    git("commit", "-q", "-m", "reviews", cwd=reviews)
    pip_log = tmp_path / "pip.log"
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PIP_LOG": str(pip_log),
           "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)

    def try_repo(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "spoilerscan",
                               "--files", name], cwd=reviews, env=env, capture_output=True, text=True,
                              timeout=1200, check=False)

    clean = try_repo("clean.md")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"spoilerscan \(unmarked spoilers\)\.*Passed", clean.stdout), clean.stdout
    leaky = try_repo("leaky.md")
    assert leaky.returncode == 1, leaky.stdout + leaky.stderr
    assert re.search(r"spoilerscan \(unmarked spoilers\)\.*Failed", leaky.stdout), leaky.stdout
    assert "leaky.md:5:1: error: unmarked spoiler (score 0." in leaky.stdout
    assert f"restates the known spoiler '{KNOWN}'): {KNOWN}" in leaky.stdout

    installed = [name for line in pip_log.read_text(encoding="utf-8").splitlines()
                 if "Successfully installed" in line for name in line.split("Successfully installed", 1)[1].split()]
    assert any(name.startswith("spoilerscan-") for name in installed), installed
    assert any(name.startswith("onnxruntime-") for name in installed), installed
    assert not [name for name in installed if HEAVY.match(name)], installed
