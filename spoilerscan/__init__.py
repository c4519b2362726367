"""spoilerscan: find, redact and highlight spoiler sentences in reviews."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.3.0"
__all__ = ["Annotation", "Detector", "ScoredSentence", "__version__"]

if TYPE_CHECKING:
    from spoilerscan.model.detect import Annotation, Detector, ScoredSentence


def __getattr__(name: str) -> Any:
    # Lazy, so that `spoilerscan --help` does not pay for importing the model code.
    if name in {"Annotation", "Detector", "ScoredSentence"}:
        from spoilerscan.model import detect

        return getattr(detect, name)
    raise AttributeError(name)
