"""``[tool.spoilerscan]``: found in the nearest pyproject.toml, read within bounds and checked strictly.

Every front end's settings start here (:mod:`spoilerscan.settings.resolve` lays the options over
them); each mistake is one line naming the file, the key and what it accepts.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spoilerscan.errors import InputError, SpoilerscanError
from spoilerscan.reading.inputs import (
    DEFAULT_INCLUDE,
    DEFAULT_MAX_INPUT_SIZE,
    Selection,
    parse_size,
    path_spec,
    read_file_bytes,
    read_known_spoilers,
)
from spoilerscan.reading.markup import ALL_STYLES, Style

MAX_CONFIG_BYTES = 1_000_000  # a pyproject.toml is a few kB; a larger one is refused before parsing
CONFIG_KEYS = ("threshold", "fail-threshold", "style", "include", "exclude", "allowed-phrases", "known-spoilers",
               "model", "adapter", "max-input-size")


class ConfigError(SpoilerscanError):
    """``[tool.spoilerscan]`` is malformed or has a key or value we do not know."""


@dataclass(frozen=True, slots=True)
class CheckConfig:
    """``[tool.spoilerscan]`` settings; globs and ``model`` are relative to ``root``."""

    threshold: float | None = None
    fail_threshold: float | None = None
    styles: tuple[Style, ...] = ALL_STYLES
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    allowed_phrases: tuple[str, ...] = ()
    known_spoilers: tuple[str, ...] = ()
    model: Path | None = None
    adapter: Path | None = None  # a site adapter (spoilerscan adapt) for the model
    max_input_size: int | None = None  # bytes; None: DEFAULT_MAX_INPUT_SIZE
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None

    @property
    def selection(self) -> Selection:
        """The files this configuration lets a run read."""
        return Selection(self.include, self.exclude, self.root)


def _read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables; too large, too deeply nested or not TOML is one ConfigError line. It is read
    a chunk at a time to at most MAX_CONFIG_BYTES (a FIFO or /dev/zero named as the config is refused)."""
    try:
        return tomllib.loads(read_file_bytes(path, MAX_CONFIG_BYTES).decode("utf-8"))
    except (RecursionError, MemoryError):  # tomllib parses nested arrays and tables by recursion
        raise ConfigError(f"{path}: nested too deeply to read as a config file") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror})") from None
    except InputError:
        raise ConfigError(f"{path}: too large for a config file (more than {MAX_CONFIG_BYTES:,} bytes)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML ({error})") from None


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` upward from ``start`` (the current directory) with ``[tool.spoilerscan]``.

    Like ruff, a ``pyproject.toml`` without the table is passed over, so a review folder inside a
    bigger project finds the project's settings.
    """
    directory = Path(start if start is not None else Path.cwd()).absolute()
    for folder in (directory, *directory.parents):
        candidate = folder / "pyproject.toml"
        try:
            raw = read_file_bytes(candidate, MAX_CONFIG_BYTES).decode("utf-8") if candidate.is_file() else ""
        except (OSError, UnicodeDecodeError, InputError):
            raw = ""
        if "spoilerscan" in raw and "spoilerscan" in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def git_root(start: Path) -> Path | None:
    """The work tree of the git repository that holds ``start`` (a ``.git`` folder or file), if any."""
    directory = Path(start).absolute()
    return next((folder for folder in (directory, *directory.parents) if (folder / ".git").exists()), None)


def source_root(config: CheckConfig, cwd: Path | None = None) -> Path:
    """The folder report paths are relative to where a tool maps them onto a repository (SARIF's
    ``%SRCROOT%``, GitHub annotations): the git work tree of the current directory, else of the
    config file, else the config file's directory, else the current directory."""
    here = Path(cwd if cwd is not None else Path.cwd()).absolute()
    if (found := git_root(here)) is not None:
        return found
    if config.source is not None:
        return git_root(config.root) or config.root
    return here


def parse_styles(values: str | Iterable[str], where: str = "--style") -> tuple[Style, ...]:
    """Styles from names (a list, or comma-separated); 'all' means every style."""
    names = [values] if isinstance(values, str) else list(values)
    parts = [part.strip().lower() for value in names for part in str(value).split(",")]
    if names and not any(parts):  # '--style ""' names no style: an error, not "no markup is hidden"
        raise ConfigError(f"{where}: no style named (choose from {', '.join(ALL_STYLES)}, all)")
    styles: list[Style] = []
    for name in parts:
        if name == "all":
            styles.extend(ALL_STYLES)
        elif name in Style.__members__:
            styles.append(Style(name))
        elif name:
            raise ConfigError(f"{where}: unknown style '{name}' (choose from {', '.join(ALL_STYLES)}, all)")
    return tuple(dict.fromkeys(styles))


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _patterns(value: Any, key: str, where: str) -> tuple[str, ...]:
    """Glob patterns, each compiled now: a bad one is a config error, not a crash in the middle of a walk."""
    patterns = _strings(value, key, where)
    for pattern in patterns:
        try:
            path_spec((pattern,)).match_file("x")
        except (ValueError, re.error) as error:
            reason = f" ({error.msg})" if isinstance(error, re.error) else ""
            raise ConfigError(f"{where}: '{key}': invalid pattern {pattern!r}{reason}") from None
    return patterns


def fraction(value: Any, key: str) -> float:
    """A threshold: a finite number in [0, 1] (not a boolean, not a string); else a ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not 0.0 <= value <= 1.0:
        raise ConfigError(f"'{key}' must be a number from 0 to 1")
    return float(value)


def _fraction(value: Any, key: str, where: str) -> float:
    try:
        return fraction(value, key)
    except ConfigError as problem:
        raise ConfigError(f"{where}: {problem}") from None


def load_config(path: Path | None) -> CheckConfig:
    """Settings from ``[tool.spoilerscan]`` of ``path`` (defaults when None); any mistake is a ConfigError."""
    if path is None:
        return CheckConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    table = _read_toml(path).get("tool", {}).get("spoilerscan")
    where = f"{path}: [tool.spoilerscan]"
    if table is None:
        raise ConfigError(f"{path}: has no [tool.spoilerscan] table")
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = [key for key in table if key not in CONFIG_KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (known keys: {', '.join(CONFIG_KEYS)})")
    root = path.parent.absolute()
    values: dict[str, Any] = {"root": root, "source": path}
    if "threshold" in table:
        values["threshold"] = _fraction(table["threshold"], "threshold", where)
    if "fail-threshold" in table:
        values["fail_threshold"] = _fraction(table["fail-threshold"], "fail-threshold", where)
        if values["fail_threshold"] < values.get("threshold", 0.0):
            raise ConfigError(f"{where}: 'fail-threshold' must be at least 'threshold' ({values['threshold']:g}), "
                              f"got {values['fail_threshold']:g}")
    if "style" in table:
        style = table["style"]
        values["styles"] = parse_styles(style if isinstance(style, str) else _strings(style, "style", where),
                                        f"{where}: 'style'")
    for key in ("include", "exclude"):
        if key in table:
            values[key] = _patterns(table[key], key, where)
    if "max-input-size" in table:
        try:
            values["max_input_size"] = parse_size(table["max-input-size"])
        except ValueError as error:
            raise ConfigError(f"{where}: 'max-input-size': {error}") from None
    if "allowed-phrases" in table:
        values["allowed_phrases"] = _strings(table["allowed-phrases"], "allowed-phrases", where)
    if "known-spoilers" in table:
        known = table["known-spoilers"]
        limit = values.get("max_input_size", DEFAULT_MAX_INPUT_SIZE)
        values["known_spoilers"] = tuple(read_known_spoilers(root / known, limit)) if isinstance(known, str) \
            else _strings(known, "known-spoilers", where)
    for key in ("model", "adapter"):
        if key in table:
            if not isinstance(table[key], str):
                raise ConfigError(f"{where}: '{key}' must be a path string")
            values[key] = root / table[key]
    return CheckConfig(**values)
