"""Memory handed back after a large document is closed.

Reading and checking a long document allocates many small objects (sentences, spans, line tables,
embeddings); once the document is closed and its results dropped, Python frees them, but glibc's
allocator keeps the freed pages in its arenas, so the process stays as large as its largest
document. After a close of a large document the server collects garbage and asks glibc to return
free pages (``malloc_trim``), in a worker thread. Elsewhere (macOS, musl) only the collection runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable
from functools import cache

log = logging.getLogger(__name__)
LARGE_DOCUMENT_CHARACTERS = 200_000  # smaller documents leave too little behind to be worth a collection


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] | None = getattr(ctypes.CDLL(name), "malloc_trim", None)
        return trim
    except OSError:
        return None


def release() -> bool:
    """Collect garbage and return free heap pages to the system; whether the allocator could."""
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
