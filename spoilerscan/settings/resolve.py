"""The one place a run's settings are resolved: defaults, then ``[tool.spoilerscan]``, then the front end's.

:func:`resolve` finds and reads the nearest ``pyproject.toml`` (or the one named) and lays the
command-line options, the editor's settings or ``serve``'s flags over it; a front end that learns
new values later (an editor's ``didChangeConfiguration``) derives a new :class:`Settings` with
:meth:`Settings.with_options`. The object is frozen, so one can be shared between threads and
processes (it pickles for Ray's actors).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spoilerscan.model.detect import DEFAULT_BATCH_SIZE, PRECISIONS
from spoilerscan.model.review_gate import ReviewGate
from spoilerscan.reading.inputs import DEFAULT_MAX_INPUT_SIZE, Selection, parse_size, read_known_spoilers
from spoilerscan.reading.markup import Style
from spoilerscan.settings.config import CheckConfig, ConfigError, find_config, fraction, load_config, parse_styles

OPTIONS = ("model_option", "adapter_option", "precision", "threads", "spinning", "encoder_batch", "cache_sentences",
           "threshold", "fail_threshold", "styles", "known_spoilers", "known_spoilers_file", "max_input_size_option")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run is opened and judged with: the config file's values and the options over them.

    ``threshold`` and ``fail_threshold`` are the front end's own (None: not set there); where the
    config's and the model's come in is :meth:`thresholds`' business, as each command has always
    resolved them (redact, highlight and scan: the option, else the model's; check, serve's
    /v1/check and the editor: option, else config, else the model's).
    """

    config: CheckConfig = field(default_factory=CheckConfig)
    model_option: Path | None = None  # over config.model; None: the config's, else the shipped model
    adapter_option: Path | None = None  # over config.adapter
    precision: str = "auto"
    threads: int | None = None  # ONNX Runtime threads (None: the cores this process may use)
    spinning: bool = False  # idle ONNX Runtime threads sleep (True: they spin, which pays only on idle cores)
    encoder_batch: int = DEFAULT_BATCH_SIZE  # sentences an encoder run takes
    cache_sentences: int = 0  # embeddings kept between calls (an editor's re-checks); 0: none
    threshold: float | None = None
    fail_threshold: float | None = None
    styles: tuple[Style, ...] | None = None  # markup check counts as marked; None: the config's
    known_spoilers: tuple[str, ...] = ()  # reveals added to the config's (a --spoilers file)
    max_input_size_option: int | None = None  # bytes, over config.max_input_size

    @property
    def max_input_size(self) -> int:
        """The largest input read whole (a file, stdin, a JSONL line, a known-spoiler file): the option,
        else the config's, else DEFAULT_MAX_INPUT_SIZE."""
        return next(size for size in (self.max_input_size_option, self.config.max_input_size, DEFAULT_MAX_INPUT_SIZE)
                    if size is not None)

    @property
    def model(self) -> Path | None:
        """The model directory: the option, else the config's, else None (the shipped one)."""
        return self.model_option if self.model_option is not None else self.config.model

    @property
    def adapter(self) -> Path | None:
        """The site adapter: the option, else the config's, else None (the model alone)."""
        return self.adapter_option if self.adapter_option is not None else self.config.adapter

    @property
    def check_styles(self) -> tuple[Style, ...]:
        return self.styles if self.styles is not None else self.config.styles

    @property
    def allowed_phrases(self) -> tuple[str, ...]:
        return self.config.allowed_phrases

    @property
    def reveals(self) -> tuple[str, ...]:
        """The known spoilers: the config's, then the front end's."""
        return (*self.config.known_spoilers, *self.known_spoilers)

    @property
    def selection(self) -> Selection:
        return self.config.selection

    @property
    def source(self) -> Path | None:
        """The pyproject.toml these settings came from (None: defaults only)."""
        return self.config.source

    def thresholds(self, model_threshold: float, model_fail_threshold: float | None = None) -> tuple[float, float]:
        """(report, fail) thresholds of ``check``: option, else config, else the model's own.

        The model's fail threshold is raised to the reporting one when that is higher; a fail
        threshold below the reporting one lowers the reporting one too, so that nothing can fail the
        build without being reported.
        """
        config = self.config
        report = next(t for t in (self.threshold, config.threshold, model_threshold) if t is not None)
        default_fail = report if model_fail_threshold is None else max(model_fail_threshold, report)
        fail = next(t for t in (self.fail_threshold, config.fail_threshold, default_fail) if t is not None)
        return min(report, fail), fail

    def gate(self, model_gate: ReviewGate | None) -> ReviewGate | None:
        """The model's length-aware review gate, unless a fail threshold was set (option or config): a cut
        someone chose is applied as it is, to reviews of every length."""
        return model_gate if self.fail_threshold is None and self.config.fail_threshold is None else None

    def scores_with(self) -> tuple[Path | None, Path | None]:
        """The model and adapter (absolute): settings that agree on them score alike, whatever they judge by."""
        model, adapter = self.model, self.adapter
        return None if model is None else model.absolute(), None if adapter is None else adapter.absolute()

    def with_options(self, where: str = "option", **options: Any) -> Settings:
        """These settings with front-end values laid over them (None leaves a value as it is), each checked:
        a bad one is a one-line ConfigError naming ``where`` it came from and the key."""
        changes = {name: _checked(name, value, where) for name, value in options.items() if value is not None}
        if "known_spoilers_file" in changes:
            limit = dataclasses.replace(self, **{k: v for k, v in changes.items() if k != "known_spoilers_file"})
            changes["known_spoilers"] = (*changes.get("known_spoilers", self.known_spoilers),
                                         *read_known_spoilers(changes.pop("known_spoilers_file"), limit.max_input_size))
        return dataclasses.replace(self, **changes)

    def with_config(self, config: CheckConfig) -> Settings:
        """The same front-end values over another project's ``[tool.spoilerscan]`` (an editor's document
        in another folder)."""
        return dataclasses.replace(self, config=config)


def _checked(name: str, value: Any, where: str) -> Any:
    key = name.removesuffix("_option").replace("_", "-")
    if name not in OPTIONS:
        known = ", ".join(option.removesuffix("_option") for option in OPTIONS)
        raise ConfigError(f"{where}: unknown setting '{key}' (known: {known})")
    if name in ("threshold", "fail_threshold"):
        try:
            return fraction(value, key)
        except ConfigError as problem:
            raise ConfigError(f"{where}: {problem}") from None
    if name == "precision" and value not in PRECISIONS:
        raise ConfigError(f"{where}: 'precision' must be one of {', '.join(PRECISIONS)}, got {value!r}")
    if name in ("threads", "encoder_batch") and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ConfigError(f"{where}: '{key}' must be a whole number, 1 or more")
    if name == "cache_sentences" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ConfigError(f"{where}: '{key}' must be a whole number, 0 or more")
    if name == "styles":
        return parse_styles(value, f"{where}: 'style'") if not isinstance(value, tuple) or \
            not all(isinstance(s, Style) for s in value) else value
    if name == "known_spoilers":
        return tuple(value)
    if name in ("model_option", "adapter_option", "known_spoilers_file"):
        return Path(value)
    if name == "max_input_size_option":
        try:
            return parse_size(value)
        except ValueError as error:
            raise ConfigError(f"{where}: 'max-input-size': {error}") from None
    return value


def resolve(config: Path | None = None, *, start: Path | None = None, find: bool = True,
            where: str = "option", **options: Any) -> Settings:
    """Settings from ``config`` (default: the nearest pyproject.toml with ``[tool.spoilerscan]`` upward from
    ``start``, the current directory; ``find=False``: no file, defaults only) with ``options`` over it.

    ``options`` are :class:`Settings` fields (``model`` and ``adapter`` for the ``*_option`` ones,
    ``known_spoilers_file`` for a file of reveals); None means not given. Any bad value raises a
    one-line :class:`~spoilerscan.settings.config.ConfigError`.
    """
    path = config if config is not None else (find_config(start) if find else None)
    renamed = {(f"{k}_option" if k in ("model", "adapter", "max_input_size") else k): v for k, v in options.items()}
    return Settings(load_config(path)).with_options(where, **renamed)


def styles_option(values: Iterable[str] | None) -> tuple[Style, ...] | None:
    """``--style`` options as styles (None: none given, the config's apply)."""
    values = list(values or ())
    return parse_styles(values) if values else None



