"""``[tool.spoilerscan]`` of many files, each read once per version: what a long-lived front end keeps.

An editor checks documents of several folders for hours: each document's config is the nearest
``pyproject.toml`` with the table (as ``check`` finds it), read again only when its modification
time or size changes; a bad one is remembered as its error, so it is read once, not at every keystroke.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from spoilerscan.errors import SpoilerscanError
from spoilerscan.settings.config import CheckConfig, find_config, load_config

Signature = tuple[int, int] | None


def signature(path: Path | None) -> Signature:
    """What tells a changed file: its modification time and size (None: no file)."""
    if path is None:
        return None
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


@dataclass(frozen=True)
class Found:
    """A settings file (None: none found), the version read, and what it says."""

    path: Path | None
    signature: Signature
    config: CheckConfig = field(default_factory=CheckConfig)


class ConfigCache:
    """Configs by file, read again when a file changes (blocking reads: call it in a worker thread)."""

    def __init__(self) -> None:
        self._configs: dict[Path, tuple[Signature, CheckConfig | SpoilerscanError]] = {}

    def config_for(self, start: Path | None) -> Found:
        """The config found upward from ``start``; a bad one raises its ConfigError (read once per version)."""
        path = find_config(start)
        if path is None:
            return Found(None, None, CheckConfig())
        stamp = signature(path)
        known = self._configs.get(path)
        if known is None or known[0] != stamp:
            try:
                known = (stamp, load_config(path))
            except SpoilerscanError as problem:  # bad TOML or values, a known-spoilers file missing
                known = (stamp, problem)
            self._configs[path] = known
        if isinstance(known[1], SpoilerscanError):
            raise known[1]
        return Found(path, stamp, known[1])

    def forget(self) -> None:
        """Read every config again at the next look (a watched file changed)."""
        self._configs.clear()
