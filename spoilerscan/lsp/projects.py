"""Each document's ``[tool.spoilerscan]``, found and merged as ``check`` does, and reloaded when it changes.

The nearest ``pyproject.toml`` with the table, upward from the document's folder (an untitled
document: from the first workspace folder), is read with ``check``'s own reader; a file is read
again when its modification time or size changes, so a saved edit to the config takes effect at
the next check. The :class:`~spoilerscan.service.Project` built from it and the editor's settings
is kept while neither changes (it embeds the known spoilers once).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spoilerscan.check.config import CheckConfig, find_config, load_config, resolve_model
from spoilerscan.errors import SpoilerscanError
from spoilerscan.lsp.documents import Snapshot
from spoilerscan.lsp.models import LoadedModel
from spoilerscan.lsp.settings import Settings
from spoilerscan.runtime import Project

Signature = tuple[int, int] | None
KEPT_PROJECTS = 16


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
class Resolved:
    """A document's settings file and what it says."""

    path: Path | None
    signature: Signature
    config: CheckConfig

    def model(self, settings: Settings) -> Path | None:
        """The editor's model, else the config's, else None (the shipped one), as ``check`` resolves it."""
        return resolve_model(settings.model, self.config)


class Projects:
    """Configs by file, and projects by (config, settings, model)."""

    def __init__(self) -> None:
        self._configs: dict[Path, tuple[Signature, CheckConfig | SpoilerscanError]] = {}
        self._projects: OrderedDict[tuple[object, ...], Project] = OrderedDict()

    def config_for(self, snapshot: Snapshot, roots: Sequence[Path] = ()) -> Resolved:
        """The config of a document (blocking file reads: call it in a worker thread). A bad config
        raises its :class:`~spoilerscan.check.config.ConfigError`, read once per version of the file."""
        start = snapshot.path.parent if snapshot.path is not None else (roots[0] if roots else None)
        path = find_config(start)
        if path is None:
            return Resolved(None, None, CheckConfig())
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
        return Resolved(path, stamp, known[1])

    def forget(self) -> None:
        """Read every config again at the next check (a watched file changed)."""
        self._configs.clear()

    async def project(self, resolved: Resolved, settings: Settings, model: LoadedModel) -> Project:
        """The project a document is judged with; built in a worker thread (known spoilers are embedded)."""
        key = (resolved.path, resolved.signature, settings.scoring, model.path, id(model.detector))
        project = self._projects.get(key)
        if project is None:
            config = resolved.config if settings.styles is None else \
                dataclasses.replace(resolved.config, styles=settings.styles)
            project = await asyncio.to_thread(Project.resolve, model.detector, config, settings.threshold,
                                              settings.fail_threshold)
            self._projects[key] = project
            while len(self._projects) > KEPT_PROJECTS:
                self._projects.popitem(last=False)
        self._projects.move_to_end(key)
        return project
