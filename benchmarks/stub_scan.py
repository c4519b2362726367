"""Peak RSS of a whole `spoilerscan` run with the encoder's run replaced by a stub, in seconds not hours.

    python benchmarks/stub_scan.py scan big.txt --format jsonl -o /dev/null --quiet --max-input-size 20M

The stub returns random unit vectors, so nothing that grows with the review is skipped (reading,
tokenizing, the embeddings, the review head, rendering), and the model's sessions are opened as in a
real run; only the encoder's own work is skipped. That work runs a fixed 64 sentences at a time, so
its memory does not grow with the review: a real run's peak is the stub's plus a constant, which
one real run of a small file measures (see docs/performance.md). On a loaded 2-core machine a real
10 MB review takes an hour; this takes under a minute.
"""

from __future__ import annotations

import contextlib
import resource
import sys
from typing import Any

import numpy as np


def stub_encode(self: Any, tokens: Any, rows: Any = None) -> np.ndarray:
    count = len(tokens) if rows is None else len(rows)
    vectors = np.random.default_rng(count).standard_normal((count, 384)).astype(np.float32)
    return np.asarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)


def main() -> None:
    from spoilerscan.model import engines

    engines.OnnxModel.encode = stub_encode  # type: ignore[method-assign]
    sys.argv = ["spoilerscan", *sys.argv[1:]]
    from spoilerscan.cli import main as spoilerscan

    with contextlib.suppress(SystemExit):
        spoilerscan()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
