"""``[tool.spoilerscan]`` settings: found in the nearest pyproject.toml, checked strictly, and merged
with command-line options (an option overrides the file, the file overrides the model's own)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spoilerscan.errors import InputError, SpoilerscanError
from spoilerscan.model.review_gate import ReviewGate
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
    """A TOML file, read to at most DEFAULT_MAX_INPUT_SIZE bytes; nested too deep is a ConfigError."""
    try:
        return tomllib.loads(read_file_bytes(path, DEFAULT_MAX_INPUT_SIZE).decode("utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror})") from None
    except InputError:
        raise ConfigError(f"{path}: larger than {DEFAULT_MAX_INPUT_SIZE:,} bytes, not a config file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML ({error})") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML (nested too deeply)") from None


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` upward from ``start`` (the current directory) with ``[tool.spoilerscan]``.

    Like ruff, a ``pyproject.toml`` without the table is passed over, so a review folder inside a
    bigger project finds the project's settings.
    """
    directory = Path(start if start is not None else Path.cwd()).absolute()
    for folder in (directory, *directory.parents):
        candidate = folder / "pyproject.toml"
        try:
            raw = read_file_bytes(candidate).decode("utf-8") if candidate.is_file() else ""
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


def _fraction(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{where}: '{key}' must be a number from 0 to 1")
    return float(value)


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


def resolve_max_input_size(option: int | None, config: CheckConfig) -> int:
    """The largest input a run reads whole: ``--max-input-size``, else the config's, else the default."""
    return next(size for size in (option, config.max_input_size, DEFAULT_MAX_INPUT_SIZE) if size is not None)


def resolve_thresholds(threshold: float | None, fail_threshold: float | None, config: CheckConfig,
                       model_threshold: float, model_fail_threshold: float | None = None) -> tuple[float, float]:
    """(report, fail) thresholds: option, else config, else the model's own.

    The model's fail threshold is raised to the reporting one when that is higher; a fail
    threshold below the reporting one lowers the reporting one too, so that nothing can fail the
    build without being reported.
    """
    report = next(t for t in (threshold, config.threshold, model_threshold) if t is not None)
    default_fail = report if model_fail_threshold is None else max(model_fail_threshold, report)
    fail = next(t for t in (fail_threshold, config.fail_threshold, default_fail) if t is not None)
    return min(report, fail), fail


def resolve_gate(fail_threshold: float | None, config: CheckConfig, model_gate: ReviewGate | None) -> ReviewGate | None:
    """The model's length-aware review gate, unless a fail threshold was set (option or config): a cut
    someone chose is applied as it is, to reviews of every length."""
    return model_gate if fail_threshold is None and config.fail_threshold is None else None


def resolve_styles(styles: Iterable[str] | None, config: CheckConfig) -> tuple[Style, ...]:
    """The ``--style`` options if any were given, else the configured styles."""
    return parse_styles(list(styles)) if styles else config.styles


def resolve_model(model: Path | None, config: CheckConfig) -> Path | None:
    """The ``--model`` option, else the configured model, else None (the shipped one)."""
    return model if model is not None else config.model


def resolve_adapter(adapter: Path | None, config: CheckConfig) -> Path | None:
    """The ``--adapter`` option, else the configured adapter, else None (the model alone)."""
    return adapter if adapter is not None else config.adapter
