"""When a whole review fails ``check``: a cut on its highest sentence that rises with its length.

Why: a review's score is its most likely spoiler sentence's probability, so a long review gets more
chances to fail: with one flat cut, clean film reviews of 25+ sentences failed about five times as
often as clean ones of under 15, and short spoiler reviews were almost never caught. The gate asks
more of a sentence the more sentences its review has, on the logit scale:

    fail cut for a review of n scored sentences = max(floor, sigmoid(intercept + slope * log(min(n, cap))))

``slope`` is how fast clean reviews' highest logit grows with their length, ``intercept`` the cut
for a one-sentence review, both chosen on review-level dev data (the model card says how);
``floor`` is the model's flag threshold, so nothing fails that is not flagged.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ReviewGate:
    slope: float
    intercept: float
    max_sentences: int = 100
    floor: float = 0.0

    def fail_cut(self, sentences: int) -> float:
        """The probability from which a sentence fails a review of this many scored sentences."""
        logit = self.intercept + self.slope * math.log(min(max(sentences, 1), self.max_sentences))
        return max(self.floor, 1.0 / (1.0 + math.exp(-logit)))

    def fails(self, probabilities: list[float]) -> bool:
        """Whether a review with these sentence probabilities fails (no known spoilers considered)."""
        return bool(probabilities) and max(probabilities) >= self.fail_cut(len(probabilities))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_metadata(cls, settings: Any, floor: float) -> ReviewGate | None:
        """The gate a model's ``spoilerscan.json`` records under ``review_gate``, if any (None if malformed)."""
        if not isinstance(settings, dict):
            return None
        try:
            return cls(float(settings["slope"]), float(settings["intercept"]), int(settings.get("max_sentences", 100)),
                       floor)
        except (KeyError, TypeError, ValueError):
            return None
