"""The check gate (check/gate.py): positions of findings, shared batches, whole reviews, thresholds, known spoilers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from spoilerscan.check import Finding, check_texts
from spoilerscan.model.detect import SentenceScore
from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.document import BlockKind
from tests.helpers.checkstub import findings_of, keyword_scorer, known_scorer

# --------------------------------------------------------------------------- positions


def test_positions_with_crlf_bom_and_a_multi_line_sentence() -> None:
    text = "\ufeffFine.\r\nThe hero\r\nfinally dies here.\r\nOk. She dies.\r\n"
    first, second = findings_of(text)
    assert (first.line, first.column, first.end_line, first.end_column) == (2, 1, 3, 19)
    assert (second.line, second.column, second.end_line, second.end_column) == (4, 5, 4, 14)
    assert [(f.line, f.column) for f in findings_of("\ufeffHe dies.")] == [(1, 1)]


# --------------------------------------------------------------------------- scoring and thresholds


def test_all_reviews_of_a_run_are_scored_in_one_batch_each_review_whole() -> None:
    calls: list[list[list[SentenceInput]]] = []

    def scorer(reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        calls.append([list(review) for review in reviews])
        return keyword_scorer(reviews)

    texts = [("a.md", "# A review\n\nA is fine. B dies.\n\n- C is a list item."), ("b.md", "C is fine."),
             ("c.md", "D dies.")]
    reports = list(check_texts(texts, scorer, 0.5, 0.5))
    assert len(calls) == 1
    assert [[(s.text, s.kind) for s in review] for review in calls[0]] == [
        [("A review", BlockKind.heading), ("A is fine.", BlockKind.paragraph), ("B dies.", BlockKind.paragraph),
         ("C is a list item.", BlockKind.list_item)],
        [("C is fine.", BlockKind.paragraph)],
        [("D dies.", BlockKind.paragraph)],
    ]
    assert [(r.path, len(r.findings), r.sentences) for r in reports] == [("a.md", 1, 4), ("b.md", 0, 1),
                                                                         ("c.md", 1, 1)]


def test_findings_below_the_fail_threshold_are_warnings() -> None:
    [finding] = findings_of("He dies.", threshold=0.5, fail=0.95)
    assert finding.severity == "warning" and not finding.failing
    [finding] = findings_of("He dies.", threshold=0.5, fail=0.9)
    assert finding.severity == "error"


# --------------------------------------------------------------------------- known spoilers


def test_a_known_spoiler_fails_whatever_its_score() -> None:
    text = "Fine. The butler did it. He dies."
    [report] = check_texts([("r.md", text)], known_scorer, 1.0, 1.0)  # no score reaches the thresholds
    [finding] = report.findings
    assert (finding.text, finding.score, finding.known) == ("The butler did it.", 0.1, "The butler is the killer.")
    assert finding.failing and finding.severity == "error"
    assert finding.label == "unmarked spoiler (score 0.10, restates the known spoiler 'The butler is the killer.')"


def test_a_known_spoiler_that_is_marked_is_not_scored_or_reported() -> None:
    [report] = check_texts([("r.md", "Fine. >!The butler did it.!<")], known_scorer, 0.5, 0.5)
    assert report.findings == [] and report.sentences == 1


def test_a_finding_without_a_known_spoiler_is_labelled_by_its_score() -> None:
    finding = Finding("r.md", 0, 8, 1, 1, 1, 9, 0.9, "He dies.", True)
    assert finding.known is None
    assert finding.label == "unmarked spoiler (score 0.90)"


def test_a_review_gate_asks_more_of_a_long_reviews_sentences() -> None:
    from spoilerscan.check.gate import file_report
    from spoilerscan.model.detect import annotate_with, sentence_scorer
    from spoilerscan.model.review_gate import ReviewGate

    gate = ReviewGate(slope=1.0, intercept=0.0, max_sentences=100, floor=0.3)  # 0.5 for one sentence, 0.9 for 9
    scorer = sentence_scorer(lambda texts: [0.7 if "dies" in t else 0.1 for t in texts])
    short = annotate_with("He dies.", scorer, 0.3)
    long = annotate_with("He dies. " + "Fine. " * 8, scorer, 0.3)
    for annotation, fails in ((short, True), (long, False)):
        assert annotation.reading is not None
        report = file_report("r.md", annotation.reading, annotation.sentences, 0.3, 0.6, gate)
        assert [f.failing for f in report.findings] == [fails]
        assert report.fail_threshold == pytest.approx(gate.fail_cut(len(annotation.sentences)))
        flat = file_report("r.md", annotation.reading, annotation.sentences, 0.3, 0.6)
        assert [f.failing for f in flat.findings] == [True] and flat.fail_threshold == 0.6


def test_a_fail_threshold_someone_set_replaces_the_gate() -> None:
    from spoilerscan.model.review_gate import ReviewGate
    from spoilerscan.settings import CheckConfig, Settings

    gate = ReviewGate(1.0, 0.0)
    assert Settings(CheckConfig()).gate(gate) is gate
    assert Settings(CheckConfig(), fail_threshold=0.8).gate(gate) is None
    assert Settings(CheckConfig(fail_threshold=0.8)).gate(gate) is None


def test_a_short_review_whose_reveal_stands_out_fails_at_that_sentence() -> None:
    from spoilerscan.check.gate import file_report
    from spoilerscan.model.detect import annotate_with, sentence_scorer
    from spoilerscan.model.review_gate import ReviewGate

    gate = ReviewGate(slope=1.0, intercept=0.0, floor=0.3, contrast_margin=2.0)  # length cut 0.83 for 5 sentences
    scorer = sentence_scorer(lambda texts: [0.45 if "dies" in t else 0.4 if "plot" in t else 0.03 for t in texts])
    review = annotate_with("A quiet film. Lovely score. He dies. Great cast. See it.", scorer, 0.3)
    talk = annotate_with("The plot goes on. A plot. He dies. More plot. The plot ends.", scorer, 0.3)
    assert review.reading is not None and talk.reading is not None
    report = file_report("r.md", review.reading, review.sentences, 0.3, 0.6, gate)
    assert [f.failing for f in report.findings] == [True] and report.fail_threshold == pytest.approx(0.45)
    report = file_report("t.md", talk.reading, talk.sentences, 0.3, 0.6, gate)
    assert not any(f.failing for f in report.findings) and report.fail_threshold == pytest.approx(gate.fail_cut(5))
