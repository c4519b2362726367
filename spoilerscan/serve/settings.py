"""What a service is started with: the command's options, resolved once, passed to every worker.

``--workers N`` starts N processes that each build their own app, so the settings travel to them
as JSON in an environment variable (:func:`to_environment`, :func:`from_environment`), the
bearer token with them (it came from an option or ``SPOILERSCAN_TOKEN`` in the first place).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spoilerscan.errors import SpoilerscanError
from spoilerscan.service.engine import DEFAULT_BATCH_SENTENCES, DEFAULT_GATHER_SECONDS, DEFAULT_MAX_QUEUED_SENTENCES

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_BYTES = 1_000_000  # 1 MB of request body
DEFAULT_MAX_REQUESTS = 256  # requests in flight at once (memory: at most this many bodies of --max-bytes)
DEFAULT_SHUTDOWN_SECONDS = 20.0
DEFAULT_BODY_SECONDS = 15.0  # a request's body must have arrived this long after the request began
DEFAULT_REQUEST_SECONDS = 60.0  # a request is answered (or refused, 503) this long after it began
DEFAULT_MAX_READING = 256  # request bodies being received at once ...
DEFAULT_MAX_CLIENT_READING = 32  # ... and from one client address
DEFAULT_ENCODER_BATCH = 16  # the commands' 64 pads more: on a CPU, 16 scored IMDB reviews about 1.3x faster
ENVIRONMENT_VARIABLE = "SPOILERSCAN_SERVE_SETTINGS"
PATHS = ("model", "adapter", "config")
_SIZE = re.compile(r"(\d+)\s*(|b|kb|k|mb|m|kib|mib)", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1_000_000, "mb": 1_000_000, "kib": 1024, "mib": 1024 * 1024}


class SettingsError(SpoilerscanError):
    """An option of ``spoilerscan serve`` has a value it cannot run with."""


@dataclass(frozen=True)
class ServeSettings:
    """Options of ``spoilerscan serve``; ``config``, ``model`` and ``adapter`` are resolved paths (or None)."""

    model: Path | None = None
    adapter: Path | None = None  # a site adapter (spoilerscan adapt) for the model
    precision: str = "auto"
    threshold: float | None = None
    fail_threshold: float | None = None
    config: Path | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    token: str | None = None
    allow_origins: tuple[str, ...] = ()
    max_requests: int = DEFAULT_MAX_REQUESTS
    shutdown_seconds: float = DEFAULT_SHUTDOWN_SECONDS
    body_seconds: float = DEFAULT_BODY_SECONDS
    request_seconds: float = DEFAULT_REQUEST_SECONDS
    max_reading: int = DEFAULT_MAX_READING
    max_client_reading: int = DEFAULT_MAX_CLIENT_READING
    threads: int | None = None  # ONNX Runtime threads (None: the cores this process may use)
    batch_sentences: int = DEFAULT_BATCH_SENTENCES
    encoder_batch: int = DEFAULT_ENCODER_BATCH  # sentences per encoder run (see state.runtime_settings)
    max_queued_sentences: int = DEFAULT_MAX_QUEUED_SENTENCES
    gather_seconds: float = DEFAULT_GATHER_SECONDS
    log_requests: bool = True


def parse_size(value: str) -> int:
    """Bytes from ``1000000``, ``500kB``, ``1MB`` or ``1MiB`` (kB and MB are powers of 1000)."""
    match = _SIZE.fullmatch(value.strip())
    if match is None:
        raise SettingsError(f"--max-bytes: expected a size such as 1000000, 500kB or 1MB, got {value!r}")
    size = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if size < 1:
        raise SettingsError("--max-bytes must be at least 1 byte")
    return size


_ORIGIN = re.compile(r"https?://[^/\s?#]+")


def check_origins(origins: tuple[str, ...]) -> tuple[str, ...]:
    """CORS origins as browsers send them (scheme://host[:port], no path), or '*' for any."""
    cleaned = []
    for origin in origins:
        bare = origin.strip().removesuffix("/")
        if bare != "*" and not _ORIGIN.fullmatch(bare):
            raise SettingsError(f"--allow-origin: expected an origin such as https://example.com (no path) or '*', "
                                f"got {origin!r}")
        cleaned.append(bare)
    return tuple(dict.fromkeys(cleaned))


def to_environment(settings: ServeSettings) -> dict[str, str]:
    """The environment that hands these settings to worker processes."""
    values = dataclasses.asdict(settings)
    for key in PATHS:
        values[key] = None if values[key] is None else str(values[key])
    return {ENVIRONMENT_VARIABLE: json.dumps(values)}


def from_environment(environ: dict[str, str] | None = None) -> ServeSettings:
    """The settings the parent process put into the environment."""
    raw = (os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE)
    if raw is None:
        raise SettingsError(f"{ENVIRONMENT_VARIABLE} is not set: start workers with 'spoilerscan serve --workers N'")
    values: dict[str, Any] = json.loads(raw)
    for key in PATHS:
        values[key] = None if values[key] is None else Path(values[key])
    values["allow_origins"] = tuple(values["allow_origins"])
    return ServeSettings(**values)
