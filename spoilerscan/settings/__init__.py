"""The settings of every front end, below all of them.

``config`` finds and reads ``[tool.spoilerscan]`` (the nearest pyproject.toml) strictly and within
bounds; ``resolve`` is the one module that lays a front end's options over it into the frozen
:class:`Settings` every runtime is opened from. Each bad value is one line naming where it came
from, the key and what it accepts.
"""

from __future__ import annotations

from spoilerscan.settings.config import CheckConfig, ConfigError, find_config, load_config, parse_styles
from spoilerscan.settings.resolve import Settings, resolve, styles_option

__all__ = ["CheckConfig", "ConfigError", "Settings", "find_config", "load_config", "parse_styles", "resolve",
           "styles_option"]
