"""The editor's settings: ``initializationOptions`` and ``workspace/didChangeConfiguration``.

They override ``[tool.spoilerscan]`` as command-line options override it for ``check``: the
thresholds, the styles that count as marked, and the model; and they set how long the server waits
after the last keystroke. They are read as typed values once, when they arrive; a value that is
wrong is reported (each problem one line) and its default kept, so a typo never stops the server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spoilerscan.reading.markup import Style
from spoilerscan.settings.config import ConfigError, fraction, parse_styles

DEFAULT_DEBOUNCE_SECONDS = 0.25
SECTION = "spoilerscan"  # settings may come under this key (VS Code, Neovim's `settings`) or bare
KEYS = ("threshold", "failThreshold", "style", "debounceMs", "model")


@dataclass(frozen=True)
class Settings:
    """What the editor set; None: from ``[tool.spoilerscan]``, else the model's own (as in ``check``)."""

    threshold: float | None = None
    fail_threshold: float | None = None
    styles: tuple[Style, ...] | None = None
    debounce: float = DEFAULT_DEBOUNCE_SECONDS
    model: Path | None = None  # over the config's model; the `--model` option is its default

    @property
    def scoring(self) -> tuple[object, ...]:
        """What a project's results depend on (not the debounce)."""
        return self.threshold, self.fail_threshold, self.styles, self.model


def _milliseconds(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"'{key}' must be a number of milliseconds, 0 or more")
    return float(value) / 1000.0


def _styles(value: Any, key: str) -> tuple[Style, ...]:
    if not isinstance(value, str) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ConfigError(f"'{key}' must be a style name or a list of them")
    return parse_styles(value, f"'{key}'")


def _model(value: Any, key: str, root: Path | None) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"'{key}' must be a path string")
    path = Path(value).expanduser()
    return path if path.is_absolute() or root is None else root / path


def section_of(raw: Any) -> Mapping[str, Any] | None:
    """The spoilerscan settings inside what the client sent (under ``spoilerscan`` or at the top)."""
    if not isinstance(raw, Mapping):
        return None
    inner = raw.get(SECTION)
    return inner if isinstance(inner, Mapping) else raw


def apply(settings: Settings, raw: Any, where: str, root: Path | None = None,
          defaults: Settings | None = None) -> tuple[Settings, list[str]]:
    """``settings`` with the keys ``raw`` sets; a key set to null goes back to ``defaults`` (the
    server's start-up settings: its ``--model`` option).

    Returns the new settings and one message per problem (``where`` says what sent them); a bad
    value keeps the setting it would have replaced. A relative ``model`` is taken from ``root``
    (the workspace folder).
    """
    problems: list[str] = []
    table = section_of(raw)
    if table is None:
        if raw is not None:
            problems.append(f"{where}: expected an object of settings, got {type(raw).__name__}")
        return settings, problems
    defaults = defaults if defaults is not None else Settings()
    readers = {
        "threshold": ("threshold", fraction),
        "failThreshold": ("fail_threshold", fraction),
        "style": ("styles", _styles),
        "debounceMs": ("debounce", _milliseconds),
        "model": ("model", lambda value, key: _model(value, key, root)),
    }
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if key not in readers:
            if key != SECTION:
                problems.append(f"{where}: unknown setting '{key}' (known: {', '.join(KEYS)})")
            continue
        name, read = readers[key]
        if value is None:
            changes[name] = getattr(defaults, name)
            continue
        try:
            changes[name] = read(value, key)
        except ConfigError as problem:
            problems.append(f"{where}: {problem}; keeping {_shown(getattr(settings, name), name)}")
    return dataclasses.replace(settings, **changes), problems


def _shown(value: object, name: str) -> str:
    if value is None:
        return "the default"
    if name == "debounce" and isinstance(value, float):
        return f"{value * 1000:g} ms"
    if name == "styles" and isinstance(value, tuple):
        return ", ".join(value)
    return str(value)
