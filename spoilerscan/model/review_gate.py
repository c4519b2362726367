"""When a whole review fails ``check``: a cut on its highest sentence that rises with its length, lowered for a
short review whose highest sentence stands out from the rest of it.

Why a rising cut: a review's score is its most likely spoiler sentence's probability, so a long review gets
more chances to fail: with one flat cut, clean film reviews of 25+ sentences failed about five times as often as
clean ones of under 15, and short spoiler reviews were almost never caught. The gate asks more of a sentence the
more sentences its review has, on the logit scale:

    length cut for a review of n scored sentences = max(floor, sigmoid(intercept + slope * log(min(n, cap))))

Why the contrast rule: a writer's short review of a known work (a heading, a premise, a line on the craft, one
plainly stated twist, an opinion) ranks its twist first, but a plain twist often scores under the length cut
(0.53-0.60 for 4-8 sentences) while it is flagged. So a review of ``contrast_sentences`` (4 to 8) sentences also fails
when its highest sentence is flagged (reaches ``floor``) and its logit exceeds the median logit of the review's
other sentences by ``contrast_margin``: one sentence that says far more than its company does.

``slope``, ``intercept`` and ``contrast_margin`` are chosen on review-level dev data (the model card says how);
``floor`` is the model's flag threshold, so nothing fails that is not flagged.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# The reviews the contrast rule applies to, in scored sentences: the shape of a writer's short review (heading,
# premise, craft, reveal, opinions). Shorter texts are comments, where "the rest of the review" is one sentence.
CONTRAST_SENTENCES = (4, 8)


def logit(probability: float) -> float:
    """The log-odds of a probability, kept finite at 0 and 1."""
    p = min(max(probability, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def contrast(probabilities: Sequence[float]) -> float:
    """How far a review's highest sentence stands out: its logit less the median logit of the other sentences
    (-inf for a review of fewer than two sentences). What the contrast rule and its fit both measure."""
    if len(probabilities) < 2:
        return -math.inf
    logits = sorted((logit(p) for p in probabilities), reverse=True)
    return logits[0] - statistics.median(logits[1:])


@dataclass(frozen=True)
class ReviewGate:
    slope: float
    intercept: float
    max_sentences: int = 100
    floor: float = 0.0
    contrast_margin: float | None = None  # None: no contrast rule (models fitted before it)
    contrast_sentences: tuple[int, int] = CONTRAST_SENTENCES  # shortest and longest review it applies to

    def fail_cut(self, sentences: int) -> float:
        """The probability from which a sentence fails a review of this many scored sentences (the length cut)."""
        logit_cut = self.intercept + self.slope * math.log(min(max(sentences, 1), self.max_sentences))
        return max(self.floor, 1.0 / (1.0 + math.exp(-logit_cut)))

    def stands_out(self, probabilities: Sequence[float]) -> bool:
        """Whether the contrast rule applies: a short review whose highest sentence is flagged and whose logit
        exceeds the median logit of its other sentences by the margin."""
        shortest, longest = self.contrast_sentences
        if self.contrast_margin is None or not max(shortest, 2) <= len(probabilities) <= longest:
            return False
        if max(probabilities) < self.floor:  # not flagged: nothing fails that is not reported
            return False
        return contrast(probabilities) >= self.contrast_margin

    def review_cut(self, probabilities: Sequence[float]) -> float:
        """The cut this review's sentences fail from: its length cut, or, where its highest sentence stands
        out, that sentence's own probability (never below the floor)."""
        cut = self.fail_cut(len(probabilities))
        if self.stands_out(probabilities):
            cut = min(cut, max(self.floor, max(probabilities)))
        return cut

    def fails(self, probabilities: Sequence[float]) -> bool:
        """Whether a review with these sentence probabilities fails (no known spoilers considered)."""
        return bool(probabilities) and max(probabilities) >= self.review_cut(probabilities)

    def as_dict(self) -> dict[str, Any]:
        """The gate's settings, as ``check --format json`` and ``serve`` show them (``spoilerscan.json`` records
        them without the floor, which is the model's threshold)."""
        settings: dict[str, Any] = {"slope": self.slope, "intercept": self.intercept,
                                    "max_sentences": self.max_sentences, "floor": self.floor}
        if self.contrast_margin is not None:
            settings["contrast"] = {"margin": self.contrast_margin, "min_sentences": self.contrast_sentences[0],
                                    "max_sentences": self.contrast_sentences[1]}
        return settings

    @classmethod
    def from_metadata(cls, settings: Any, floor: float) -> ReviewGate | None:
        """The gate a model's ``spoilerscan.json`` records under ``review_gate``, if any (None if malformed)."""
        if not isinstance(settings, dict):
            return None
        try:
            contrast = settings.get("contrast")
            margin = None if contrast is None else float(contrast["margin"])
            lengths = CONTRAST_SENTENCES if contrast is None else (
                int(contrast.get("min_sentences", CONTRAST_SENTENCES[0])),
                int(contrast.get("max_sentences", CONTRAST_SENTENCES[1])))
            return cls(float(settings["slope"]), float(settings["intercept"]), int(settings.get("max_sentences", 100)),
                       floor, margin, lengths)
        except (KeyError, TypeError, ValueError):
            return None
