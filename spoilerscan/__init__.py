"""spoilerscan: find, redact and highlight spoiler sentences in reviews.

The Python API is :mod:`spoilerscan.api` (``open_runtime``, ``redact``, ``highlight``, ``scan``,
``check``, ``adapt``); the names below load lazily, so that ``spoilerscan --help`` does not pay
for importing the model code. (``check`` and ``adapt`` are also sub-packages: call them as
``spoilerscan.api.check`` and ``spoilerscan.api.adapt``.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.3.0"
__all__ = ["Annotation", "Detector", "Runtime", "ScoredSentence", "Settings", "__version__", "annotate", "highlight",
           "open_runtime", "redact", "scan"]

if TYPE_CHECKING:  # (only the model: every layer imports __version__ from here)
    from spoilerscan.model.detect import Annotation, Detector, ScoredSentence

_API = ("annotate", "highlight", "open_runtime", "redact", "scan")
_LAZY = {"Annotation": "spoilerscan.model.detect", "Detector": "spoilerscan.model.detect",
         "ScoredSentence": "spoilerscan.model.detect", "Runtime": "spoilerscan.runtime",
         "Settings": "spoilerscan.settings", **dict.fromkeys(_API, "spoilerscan.api")}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(name)
