"""A site's adapter: a small linear head over the frozen model, fitted by ``spoilerscan adapt``.

Why: the shipped model reads a new kind of text (tweets, a forum's slang) markedly worse than the
kinds it was trained on, and a site already holds the labels that close the gap: the spoilers its
writers marked. The adapter keeps the model as it is and adds, per sentence,

    adapted logit = base_scale * base logit + weights . embedding + bias

where the base logit is the shipped head's calibrated logit and the embedding the encoder's
(both computed anyway), with its own thresholds chosen on the site's held-out data. A JSON file of
a few kilobytes; it names the model it was fitted on (a fingerprint of the head's graph) and is
refused on any other, since its weights mean nothing over another encoder.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from spoilerscan.errors import InputError, ModelError
from spoilerscan.model.engines import HEAD_FILE
from spoilerscan.reading.inputs import DEFAULT_MAX_INPUT_SIZE, read_file_bytes

ADAPTER_FORMAT = 1
# The largest scale, bias or weight an adapter may hold: adapt's are of order 1 to 10 (an L2-penalised
# logistic fit); 1e308 overflowed every logit to a score of 1.0.
MAX_ADAPTER_VALUE = 1e4
ADAPTER_KIND = "spoilerscan-adapter"


def _number(value: Any, key: str) -> float:
    """A finite JSON number (not a string, not true/false)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number, got {value!r}")
    return float(value)


def model_fingerprint(directory: Path) -> str:
    """What identifies a model directory's weights for an adapter: the review head's graph, hashed.

    Retraining changes the head (and the encoder with it), so a new model has a new fingerprint.
    """
    try:
        return hashlib.sha256((directory / HEAD_FILE).read_bytes()).hexdigest()[:16]
    except OSError as error:
        raise ModelError(f"model directory {directory}: cannot read {HEAD_FILE} ({error.strerror})") from None


@dataclass(frozen=True)
class Adapter:
    """The adapter's weights, thresholds, and what it was fitted on and measured at.

    ``report`` holds what ``adapt`` measured (held-out ROC-AUC before and after, the data it read),
    so that a file found later still says where it came from.
    """

    base_scale: float
    weights: np.ndarray
    bias: float
    threshold: float
    fail_threshold: float
    base_model: str
    report: dict[str, Any] = field(default_factory=dict)

    def logits(self, embeddings: np.ndarray, base_logits: np.ndarray) -> np.ndarray:
        """The adapted logit of each sentence from its embedding (rows) and the model's logit."""
        return self.base_scale * base_logits + embeddings.astype(np.float64) @ self.weights + self.bias

    def as_json(self) -> dict[str, Any]:
        return {"kind": ADAPTER_KIND, "format": ADAPTER_FORMAT, "base_model": self.base_model,
                "base_scale": self.base_scale, "bias": self.bias, "threshold": self.threshold,
                "fail_threshold": self.fail_threshold,
                "weights": [round(float(w), 7) for w in self.weights], "report": self.report}

    def save(self, path: Path) -> None:
        """Write the adapter atomically (a failed write leaves any old file as it was)."""
        from spoilerscan.output.files import write_atomically

        write_atomically(path, json.dumps(self.as_json(), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path, max_size: int = DEFAULT_MAX_INPUT_SIZE) -> Adapter:
        """Read an adapter file; anything but one ``adapt`` wrote (too large, nested too deep, values out
        of range) is a one-line ModelError."""
        try:
            raw = json.loads(read_file_bytes(path, max_size).decode("utf-8"))
        except FileNotFoundError:
            raise ModelError(f"adapter not found: {path}") from None
        except IsADirectoryError:
            raise ModelError(f"adapter {path} is a directory, not an adapter file") from None
        except OSError as error:
            raise ModelError(f"adapter {path}: cannot read ({error.strerror})") from None
        except InputError:
            raise ModelError(f"adapter {path}: larger than {max_size:,} bytes, not an adapter file") from None
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ModelError(f"adapter {path}: not an adapter file (spoilerscan adapt writes JSON)") from None
        if not isinstance(raw, dict) or raw.get("kind") != ADAPTER_KIND:
            raise ModelError(f"adapter {path}: not an adapter file (spoilerscan adapt writes one)")
        if raw.get("format") != ADAPTER_FORMAT:
            raise ModelError(f"adapter {path}: format {raw.get('format')!r} is not {ADAPTER_FORMAT}; "
                             "refit it with this version's spoilerscan adapt")
        try:
            weights = np.asarray(raw["weights"], dtype=np.float64)
            values = [_number(raw[key], key) for key in ("base_scale", "bias", "threshold", "fail_threshold")]
            adapter = cls(values[0], weights, values[1], values[2], values[3], str(raw["base_model"]),
                          dict(raw.get("report") or {}))
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"adapter {path}: malformed ({error})") from None
        if weights.ndim != 1 or not np.isfinite(weights).all():
            raise ModelError(f"adapter {path}: malformed (weights must be a list of finite numbers)")
        problem = adapter.out_of_range()
        if problem:
            raise ModelError(f"adapter {path}: {problem}")
        return adapter

    def out_of_range(self) -> str | None:
        """What makes these values unusable, if anything: thresholds outside [0, 1] or the fail threshold
        below the reporting one (check would pass everything, or report nothing), or a scale or
        weights so large that every score is 0 or 1."""
        if not 0.0 <= self.threshold <= 1.0 or not 0.0 <= self.fail_threshold <= 1.0:
            return f"thresholds must be from 0 to 1 (threshold {self.threshold}, fail_threshold {self.fail_threshold})"
        if self.fail_threshold < self.threshold:
            return f"fail_threshold {self.fail_threshold} is below threshold {self.threshold}"
        largest = max(abs(self.base_scale), abs(self.bias), float(np.abs(self.weights).max(initial=0.0)))
        if largest > MAX_ADAPTER_VALUE:
            return (f"values must be at most {MAX_ADAPTER_VALUE:g} in size (found {largest:g}); an adapter "
                    "adapt fits is far smaller")
        return None

    def check_fits(self, directory: Path, embedding_size: int, path: Path | str = "adapter") -> None:
        """Refuse to run over a model the adapter was not fitted on."""
        fingerprint = model_fingerprint(directory)
        if fingerprint != self.base_model:
            raise ModelError(f"{path} was fitted on another model (fingerprint {self.base_model}, this one "
                             f"{directory} is {fingerprint}): fit it again with spoilerscan adapt")
        if len(self.weights) != embedding_size:
            raise ModelError(f"{path} has {len(self.weights)} weights, the model's embeddings {embedding_size}")
