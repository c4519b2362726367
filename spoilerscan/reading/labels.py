"""Spoiler labels as people write them in data files: 0/1, true/false, yes/no, JSON booleans.

Shared by the training data loaders and ``adapt``'s reading of a site's exports, so that a file
one of them accepts the other accepts too.
"""

from __future__ import annotations

from spoilerscan.errors import DataFormatError

_TRUE = {"1", "true", "yes", "spoiler"}
_FALSE = {"0", "false", "no", "non-spoiler", "clean"}


def parse_label(value: object, where: str) -> int:
    """0/1, true/false in any case, or JSON booleans; anything else names its place."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value in (0, 1):
        return value
    token = str(value).strip().lower()
    if token in _TRUE:
        return 1
    if token in _FALSE:
        return 0
    raise DataFormatError(f"{where}: cannot read label {value!r} (expected 0/1 or true/false)")
