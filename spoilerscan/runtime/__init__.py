"""The runtime a front end opens from its settings: one detector and the project reviews are judged by.

``runtime`` loads the detector (the only place a front end's is built) and holds it, immutable,
beside the :class:`Project` of ``project``: thresholds, review gate, styles, allowed phrases and
known spoilers embedded once. Every command, ``serve`` and ``lsp`` score through one.
"""

from __future__ import annotations

from spoilerscan.runtime.project import Project
from spoilerscan.runtime.runtime import KnownScorer, Runtime, load_detector

__all__ = ["KnownScorer", "Project", "Runtime", "load_detector"]
