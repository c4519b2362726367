"""Turn a review and its annotation into output: redacted text, highlights, or findings.

Every renderer is a plain function of (text, annotation, ...). Only spoiler sentences are
rewritten; every other character of the input comes back unchanged. ``pieces`` decides what of a
spoiler sentence may be rewritten; ``redact``, ``highlight`` and ``findings`` write it out.
"""

from __future__ import annotations

from spoilerscan.reading.markup import RedactStyle
from spoilerscan.render.findings import findings
from spoilerscan.render.highlight import (
    highlight_html,
    highlight_markdown,
    highlight_plain,
    highlight_terminal,
    terminal_safe,
)
from spoilerscan.render.pieces import rewrite
from spoilerscan.render.redact import redact

__all__ = ["RedactStyle", "findings", "highlight_html", "highlight_markdown", "highlight_plain", "highlight_terminal",
           "redact", "rewrite", "terminal_safe"]
