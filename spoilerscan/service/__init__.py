"""The warm core that long-lived front ends share (``spoilerscan serve`` and ``spoilerscan lsp``).

``engine`` holds one loaded detector and scores the reviews of many callers together in a worker
thread, so an event loop never runs the model; ``operations`` are annotate, redact and check of
one text, the same library calls the commands make, judged by a
:class:`~spoilerscan.runtime.Project`. Nothing here knows HTTP or LSP.
"""

from __future__ import annotations

from spoilerscan.service.engine import JobTimes, NotReady, Overloaded, ScoringEngine, job_times
from spoilerscan.service.operations import annotate, check, check_reading, read_in_thread, redact

__all__ = ["JobTimes", "NotReady", "Overloaded", "ScoringEngine", "annotate", "check", "check_reading",
           "job_times", "read_in_thread", "redact"]
