"""``spoilerscan check``: a pre-publish gate that fails when a review has an unmarked spoiler.

``gate`` reads, scores and judges the reviews with a :class:`~spoilerscan.runtime.Runtime`
(``run_check`` is the whole command as one call; its settings are :mod:`spoilerscan.settings`'),
``formats`` writes the report, ``ci`` the files a CI job reads beside it. The names below are the
package's public API; they load lazily, so ``spoilerscan --help`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "spoilerscan.check.ci": ("check_ci_files", "markdown_summary", "step_outputs", "write_ci_files"),
    "spoilerscan.check.formats": ("FORMATTERS", "RULE_ID", "CheckFormat", "as_dict", "as_sarif", "counts",
                                  "format_github", "format_json", "format_sarif", "format_text", "how_to_mark",
                                  "summary"),
    "spoilerscan.check.gate": ("CheckOptions", "FileReport", "Finding", "Report", "check_readings", "check_texts",
                               "file_report", "prepare", "run_check", "shown"),
    "spoilerscan.reading.inputs": ("expand_inputs",),
    "spoilerscan.reading.markup": ("ALL_STYLES", "IGNORE_PRAGMA", "MarkupStyle", "Region", "allowed_regions", "blank",
                                   "is_spoiler_heading", "is_warning_line", "marked_regions", "pragma_regions",
                                   "warning_regions"),
    "spoilerscan.reading.document": ("LineIndex",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(name)
    return getattr(import_module(_MODULE_OF[name]), name)
