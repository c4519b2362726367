"""The int8 rule (precision.py): a set vetoes int8 only when its whole interval is below the margin; the pool counts."""

from __future__ import annotations

from spoilerscan.training.precision import MARGIN, decide, describe


def difference(name: str, value: float, low: float, high: float) -> dict[str, object]:
    return {"dataset": name, "reviews": 5, "roc_auc": 0.8 + value, "baseline_roc_auc": 0.8, "difference": value,
            "low": low, "high": high, "resamples": 1000}


def test_a_set_vetoes_int8_only_with_its_whole_interval_below_the_margin() -> None:
    pooled = difference("pooled", -0.001, -0.003, 0.001)
    noisy = decide([difference("small", -0.0075, -0.02, 0.004)], pooled)
    assert noisy["precision"] == "int8" and noisy["vetoes"] == []
    clear = decide([difference("small", -0.0075, -0.02, -0.0051), difference("big", 0.0, -0.001, 0.001)], pooled)
    assert clear["precision"] == "fp32" and clear["vetoes"] == ["small"]
    edge = decide([difference("small", -0.01, -0.02, -MARGIN)], pooled)  # touching -MARGIN is not wholly below it
    assert edge["precision"] == "int8"


def test_the_pooled_loss_must_stay_within_the_margin() -> None:
    sets = [difference("a", -0.004, -0.006, -0.002)]
    assert decide(sets, difference("pooled", -0.0051, -0.007, -0.003))["precision"] == "fp32"
    assert decide(sets, difference("pooled", -0.0049, -0.007, -0.003))["precision"] == "int8"
    assert decide(sets, None)["precision"] == "fp32"  # nothing pooled, nothing shown
    assert decide([], difference("pooled", 0.0, 0.0, 0.0))["precision"] == "fp32"


def test_the_card_states_the_rule_each_interval_and_the_sizes() -> None:
    decision = decide([difference("goodreads/reviews", -0.0050, -0.0098, 0.0074)],
                      difference("all held-out sentences, pooled", -0.0002, -0.0010, 0.0006),
                      {"fp32": 45.1, "int8": 22.9})
    text = describe(decision)
    assert "| goodreads/reviews | sentences | 5 | 0.8000 | 0.7950 | -0.0050 | [-0.0098, +0.0074] |" in text
    assert "all held-out sentences, pooled" in text and "**int8 is the default**" in text
    assert "fp32 45.1 MB, int8 22.9 MB" in text and "pooled loss +0.0002" in text
