"""The warm core that long-lived front ends share (``spoilerscan serve`` and ``spoilerscan lsp``).

``engine`` holds one loaded detector and scores the reviews of many callers together in a worker
thread, so an event loop never runs the model; ``project`` resolves ``[tool.spoilerscan]`` and
options once; ``operations`` are annotate, redact and check of one text, the same library calls
the commands make. Nothing here knows HTTP or LSP.
"""

from __future__ import annotations

from spoilerscan.service.engine import JobTimes, NotReady, Overloaded, ScoringEngine, job_times
from spoilerscan.service.operations import annotate, check, check_reading, redact
from spoilerscan.service.project import Project

__all__ = ["JobTimes", "NotReady", "Overloaded", "Project", "ScoringEngine", "annotate", "check", "check_reading",
           "job_times", "redact"]
