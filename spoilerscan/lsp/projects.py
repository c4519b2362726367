"""Each document's settings: its ``[tool.spoilerscan]`` (found and cached by :mod:`spoilerscan.settings.cache`)
with the editor's settings over it, and the project they judge with.

The nearest ``pyproject.toml`` with the table, upward from the document's folder (an untitled
document: from the first workspace folder), is read as ``check`` reads it, again when it changes,
so a saved edit to the config takes effect at the next check. The
:class:`~spoilerscan.runtime.Project` built from it and the editor's settings is kept while
neither changes (it embeds the known spoilers once).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spoilerscan.lsp.documents import Snapshot
from spoilerscan.lsp.models import LoadedModel
from spoilerscan.lsp.settings import Settings
from spoilerscan.runtime import Project
from spoilerscan.settings import CheckConfig
from spoilerscan.settings import Settings as CoreSettings
from spoilerscan.settings.cache import ConfigCache, Found, Signature

KEPT_PROJECTS = 16


@dataclass(frozen=True)
class Resolved(Found):
    """A document's settings file and what it says."""

    def settings(self, editor: Settings) -> CoreSettings:
        """The editor's settings over the config's, as ``check``'s options are laid over it."""
        return editor_settings(self.config, editor)


def editor_settings(config: CheckConfig, editor: Settings) -> CoreSettings:
    """``config`` with the editor's model, thresholds and styles over it (already checked when they came)."""
    return CoreSettings(config).with_options("settings", model_option=editor.model, threshold=editor.threshold,
                                             fail_threshold=editor.fail_threshold, styles=editor.styles)


class Projects:
    """Configs by file, and projects by (config, settings, model)."""

    def __init__(self) -> None:
        self._configs = ConfigCache()
        self._projects: OrderedDict[tuple[object, ...], Project] = OrderedDict()

    def config_for(self, snapshot: Snapshot, roots: Sequence[Path] = ()) -> Resolved:
        """The config of a document (blocking file reads: call it in a worker thread). A bad config
        raises its :class:`~spoilerscan.settings.ConfigError`, read once per version of the file."""
        return self.config_at(snapshot.path.parent if snapshot.path is not None else (roots[0] if roots else None))

    def config_at(self, start: Path | None) -> Resolved:
        """The config found upward from ``start`` (None: the current directory), as :meth:`config_for`."""
        found = self._configs.config_for(start)
        return Resolved(found.path, found.signature, found.config)

    def forget(self) -> None:
        """Read every config again at the next check (a watched file changed)."""
        self._configs.forget()

    async def project(self, resolved: Resolved, settings: Settings, model: LoadedModel) -> Project:
        """The project a document is judged with; built in a worker thread (known spoilers are embedded)."""
        key = (resolved.path, resolved.signature, settings.scoring, model.path, id(model.detector))
        project = self._projects.get(key)
        if project is None:
            runtime = await asyncio.to_thread(model.runtime.rejudged, resolved.settings(settings))
            project = runtime.project
            self._projects[key] = project
            while len(self._projects) > KEPT_PROJECTS:
                self._projects.popitem(last=False)
        self._projects.move_to_end(key)
        return project


__all__ = ["KEPT_PROJECTS", "Projects", "Resolved", "Signature", "editor_settings"]
