"""The library API: Detector.load/score/annotate, annotate_with and annotate_stream."""

from __future__ import annotations

from pathlib import Path

import pytest

import spoilerscan
from spoilerscan.detect import Annotation, Detector, ScoredSentence, annotate_stream, annotate_with
from spoilerscan.errors import ModelError
from spoilerscan.segment import split_sentences

REVIEW = "\ufeff# Title\r\n\r\nThe acting is great. He dies at the end.\r\nI cried.\r\n\r\n- The butler did it.\r\n"


@pytest.fixture(scope="module")
def detector(tiny_model_dir: Path) -> Detector:
    return Detector.load(tiny_model_dir)


def test_package_exports_the_api_lazily() -> None:
    assert spoilerscan.Detector is Detector
    assert spoilerscan.Annotation is Annotation
    assert spoilerscan.ScoredSentence is ScoredSentence
    with pytest.raises(AttributeError):
        _ = spoilerscan.NoSuchThing  # type: ignore[attr-defined]


def test_load_reads_the_metadata(detector: Detector, tiny_model_dir: Path) -> None:
    assert detector.threshold == 0.5
    assert detector.max_length == 64
    assert detector.path == tiny_model_dir
    assert detector.context is False
    assert Detector.load(str(tiny_model_dir)).threshold == 0.5


def test_load_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model directory not found"):
        Detector.load(tmp_path / "nothing")


def test_score(detector: Detector) -> None:
    sentences = ["He dies at the end.", "Great film.", "", "a " * 500]
    scores = detector.score(sentences)
    assert len(scores) == len(sentences)
    assert all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in scores)
    assert detector.score([]) == []


def test_score_does_not_depend_on_batching_or_order(detector: Detector) -> None:
    sentences = ["He dies.", "The twist at the end is that she was the killer all along.", "Good.", "I loved it."]
    together = detector.score(sentences, batch_size=32)
    one_by_one = [detector.score([s])[0] for s in sentences]
    reversed_ = detector.score(sentences[::-1], batch_size=3)[::-1]
    assert together == pytest.approx(one_by_one, abs=1e-5)
    assert together == pytest.approx(reversed_, abs=1e-5)


def test_score_reports_batches(detector: Detector) -> None:
    heard: list[int] = []
    detector.score(["a"] * 5, batch_size=2, on_batch=heard.append)
    assert heard == [2, 2, 1]


def test_annotate(detector: Detector) -> None:
    annotation = detector.annotate(REVIEW)
    assert isinstance(annotation, Annotation)
    assert annotation.threshold == detector.threshold
    assert [s.text for s in annotation.sentences] == [
        "# Title", "The acting is great.", "He dies at the end.", "I cried.", "- The butler did it."]
    for sentence in annotation.sentences:
        assert isinstance(sentence, ScoredSentence)
        assert REVIEW[sentence.start : sentence.end] == sentence.text
        assert sentence.is_spoiler == (sentence.score >= detector.threshold)
    scores = [s.score for s in annotation.sentences]
    assert scores == pytest.approx(detector.score([s.text for s in annotation.sentences]), abs=1e-5)
    assert len(detector.annotate(REVIEW, threshold=0.0).spoilers) == 5
    assert detector.annotate(REVIEW, threshold=1.0).spoilers == []
    assert detector.annotate("").sentences == []


def test_annotate_with_passes_contexts_when_asked() -> None:
    heard: list[tuple[list[str], list[str] | None]] = []

    def scorer(texts: list[str], contexts: list[str] | None = None) -> list[float]:
        heard.append((texts, contexts))
        return [0.0] * len(texts)

    text = "One. Two. Three.\n\nFour."
    annotate_with(text, scorer, 0.5)
    annotate_with(text, scorer, 0.5, context=True)
    assert heard == [
        (["One.", "Two.", "Three.", "Four."], None),
        (["One.", "Two.", "Three.", "Four."], ["Two.", "One. Three.", "Two.", ""]),
    ]


def test_annotate_with_given_spans() -> None:
    text = "Alpha. Beta."
    spans = split_sentences(text)[1:]
    annotation = annotate_with(text, lambda ts: [0.9] * len(ts), 0.5, spans)
    assert [(s.text, s.start, s.end, s.is_spoiler) for s in annotation.sentences] == [("Beta.", 7, 12, True)]


def test_annotate_stream_matches_one_by_one_and_keeps_order() -> None:
    def scorer(texts: list[str]) -> list[float]:
        batches.append(len(texts))
        return [min(1.0, len(t) / 40) for t in texts]

    reviews = [(f"r{i}", "Short. " * i + "A much longer closing sentence here.") for i in range(7)] + [("e", "")]
    batches: list[int] = []
    streamed = list(annotate_stream(reviews, scorer, 0.5, chunk_sentences=4))
    assert [key for key, _, _ in streamed] == [key for key, _ in reviews]
    assert max(batches) < 4 + 7  # bounded chunks, not one huge batch
    assert len(batches) > 1
    for (key, text), (streamed_key, streamed_text, annotation) in zip(reviews, streamed, strict=True):
        assert (streamed_key, streamed_text) == (key, text)
        assert annotation == annotate_with(text, scorer, 0.5)


def test_annotate_stream_with_contexts_does_not_cross_reviews() -> None:
    heard: list[list[str]] = []

    def scorer(texts: list[str], contexts: list[str] | None = None) -> list[float]:
        assert contexts is not None
        heard.append(contexts)
        return [0.0] * len(texts)

    list(annotate_stream([(1, "A one. B two."), (2, "C three.")], scorer, 0.5, context=True))
    assert heard == [["B two.", "A one.", ""]]
