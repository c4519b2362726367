"""The check gate (check/gate.py): positions of findings, shared batches, context and thresholds."""

from __future__ import annotations

from checkstub import findings_of, keyword_scores

from spoilerscan.check import check_texts

# --------------------------------------------------------------------------- positions


def test_positions_with_crlf_bom_and_a_multi_line_sentence() -> None:
    text = "\ufeffFine.\r\nThe hero\r\nfinally dies here.\r\nOk. She dies.\r\n"
    first, second = findings_of(text)
    assert (first.line, first.column, first.end_line, first.end_column) == (2, 1, 3, 19)
    assert (second.line, second.column, second.end_line, second.end_column) == (4, 5, 4, 14)
    assert [(f.line, f.column) for f in findings_of("\ufeffHe dies.")] == [(1, 1)]


# --------------------------------------------------------------------------- scoring and thresholds


def test_all_reviews_of_a_run_are_scored_in_one_batch() -> None:
    calls: list[list[str]] = []

    def scorer(sentences: list[str]) -> list[float]:
        calls.append(sentences)
        return keyword_scores(sentences)

    texts = [("a.md", "A is fine. B dies."), ("b.md", "C is fine."), ("c.md", "D dies.")]
    reports = list(check_texts(texts, scorer, 0.5, 0.5))
    assert len(calls) == 1 and len(calls[0]) == 4
    assert [(r.path, len(r.findings)) for r in reports] == [("a.md", 1), ("b.md", 0), ("c.md", 1)]


def test_context_models_get_neighbours_from_the_unmarked_text() -> None:
    seen: list[tuple[str, str]] = []

    def scorer(sentences: list[str], contexts: list[str] | None = None) -> list[float]:
        assert contexts is not None
        seen.extend(zip(sentences, contexts, strict=True))
        return keyword_scores(sentences)

    [report] = check_texts([("r.md", "First. >!He dies.!< Last dies.")], scorer, 0.5, 0.5, context=True)
    assert [f.text for f in report.findings] == ["Last dies."]
    assert all("He dies" not in context for _, context in seen)


def test_findings_below_the_fail_threshold_are_warnings() -> None:
    [finding] = findings_of("He dies.", threshold=0.5, fail=0.95)
    assert finding.severity == "warning" and not finding.failing
    [finding] = findings_of("He dies.", threshold=0.5, fail=0.9)
    assert finding.severity == "error"
