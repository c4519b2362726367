"""The library API: Detector.load/score_reviews/score/annotate, known spoilers, annotate_with and annotate_stream."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import spoilerscan
from spoilerscan.errors import ModelError
from spoilerscan.model.detect import (
    Annotation,
    Detector,
    ScoredSentence,
    SentenceScore,
    annotate_stream,
    annotate_with,
    model_inputs,
    sentence_scorer,
)
from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.document import BlockKind
from spoilerscan.reading.segment import read, split_sentences
from spoilerscan.runtime import Project, Runtime
from spoilerscan.settings import Settings
from tests.conftest import TINY_KNOWN_SIMILARITY, model_metadata, update_metadata

REVIEW = "\ufeff# Title\r\n\r\nThe acting is great. He dies at the end.\r\nI cried.\r\n\r\n- The butler did it.\r\n"
SENTENCES = ["He dies.", "The twist at the end is that she was the killer all along.", "Good.", "I loved it."]


@pytest.fixture(scope="module")
def detector(tiny_model_dir: Path) -> Detector:
    return Detector.load(tiny_model_dir)


def reviews_of(*texts: str) -> list[list[SentenceInput]]:
    return [[SentenceInput(s) for s in text.split("|")] for text in texts]


def probabilities(scores: list[list[SentenceScore]]) -> list[list[float]]:
    return [[s.probability for s in review] for review in scores]


def test_package_exports_the_api_lazily() -> None:
    assert spoilerscan.Detector is Detector
    assert spoilerscan.Annotation is Annotation
    assert spoilerscan.ScoredSentence is ScoredSentence
    with pytest.raises(AttributeError):
        _ = spoilerscan.NoSuchThing  # type: ignore[attr-defined]


def test_load_reads_the_metadata(detector: Detector, tiny_model_dir: Path) -> None:
    meta = model_metadata(tiny_model_dir)
    assert (detector.threshold, detector.fail_threshold) == (meta["threshold"], meta["fail_threshold"])
    assert 0.0 < detector.threshold <= detector.fail_threshold < 1.0
    assert detector.path == tiny_model_dir
    assert detector.precision == "fp32"  # no int8 check recorded: fp32 is the default
    assert detector.known_similarity == TINY_KNOWN_SIMILARITY
    assert Detector.load(str(tiny_model_dir)).threshold == detector.threshold


def test_fail_threshold_defaults_to_the_threshold(tiny_model_copy: Path) -> None:
    (tiny_model_copy / "spoilerscan.json").write_text(json.dumps({"threshold": 0.3, "max_length": 64}))
    loaded = Detector.load(tiny_model_copy)
    assert (loaded.threshold, loaded.fail_threshold, loaded.precision) == (0.3, 0.3, "fp32")


def test_load_missing_directory_and_unknown_precision(tmp_path: Path, tiny_model_dir: Path) -> None:
    with pytest.raises(ModelError, match="model directory not found"):
        Detector.load(tmp_path / "nothing")
    with pytest.raises(ModelError, match="unknown precision 'fp16': choose from auto, fp32, int8"):
        Detector.load(tiny_model_dir, precision="fp16")


def test_score(detector: Detector) -> None:
    sentences = ["He dies at the end.", "Great film.", "", "a " * 500]
    scores = detector.score(sentences)
    assert len(scores) == len(sentences)
    assert all(isinstance(s, float) and 0.0 < s < 1.0 for s in scores)
    assert detector.score([]) == []


def test_score_reads_each_sentence_as_a_review_of_its_own(detector: Detector) -> None:
    alone = probabilities(detector.score_reviews([[SentenceInput(s)] for s in SENTENCES]))
    assert detector.score(SENTENCES) == pytest.approx([p for [p] in alone], abs=1e-6)


def test_scores_do_not_depend_on_batching_or_order(detector: Detector) -> None:
    reviews = reviews_of("He dies.|Good.", "The twist at the end is that she was the killer all along.",
                         "I loved it.|It was really very bad.|The end.")
    together = probabilities(detector.score_reviews(reviews))
    one_by_one = [probabilities(detector.score_reviews([review]))[0] for review in reviews]
    reversed_ = probabilities(detector.score_reviews(reviews[::-1]))[::-1]
    for a, b, c in zip(together, one_by_one, reversed_, strict=True):
        assert a == pytest.approx(b, abs=1e-5)
        assert a == pytest.approx(c, abs=1e-5)
    assert [len(r) for r in together] == [2, 1, 3]


def test_a_sentence_is_read_within_its_review(detector: Detector) -> None:
    """The head reads the review's sentences in order: the same sentence scores differently among others."""
    [[alone]] = probabilities(detector.score_reviews(reviews_of("He dies.")))
    [[first, _], [_, last]] = probabilities(detector.score_reviews(reviews_of("He dies.|I loved the film.",
                                                                              "I loved the film.|He dies.")))
    assert len({round(alone, 6), round(first, 6), round(last, 6)}) == 3
    heading = detector.score_reviews([[SentenceInput("He dies", BlockKind.heading)]])[0][0].probability
    assert heading != pytest.approx(detector.score(["He dies"])[0], abs=1e-6)


def test_empty_reviews_keep_their_place(detector: Detector) -> None:
    scores = detector.score_reviews([[], *reviews_of("He dies.|Good."), []])
    assert [len(r) for r in scores] == [0, 2, 0]
    assert detector.score_reviews([]) == []


def test_the_detector_is_a_scorer(detector: Detector) -> None:
    reviews = reviews_of("He dies.|Good.", "I loved it.")
    assert probabilities(detector(reviews)) == probabilities(detector.score_reviews(reviews))
    assert all(isinstance(s, SentenceScore) and s.known is None for review in detector(reviews) for s in review)


def test_embeddings_are_unit_length_and_batches_are_reported(detector: Detector) -> None:
    heard: list[int] = []
    embeddings = detector.embed(["a", "bb", "ccc dies", "d", "the end"], batch_size=2, on_batch=heard.append)
    assert heard == [2, 2, 1]
    assert embeddings.shape[0] == 5
    assert np.linalg.norm(embeddings, axis=1) == pytest.approx(np.ones(5), abs=1e-5)
    assert detector.embed([]).shape == (0, 0)


def test_sentences_are_cut_at_the_models_max_length(detector: Detector) -> None:
    long, longer = detector.embed(["word " * 100, "word " * 200])  # both beyond the tiny model's 64 tokens
    assert long == pytest.approx(longer, abs=1e-6)


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
        assert sentence.known is None
    [expected] = detector.score_reviews([model_inputs(read(REVIEW))])
    assert [s.score for s in annotation.sentences] == pytest.approx(probabilities([expected])[0], abs=1e-6)
    assert annotation.score == max(s.score for s in annotation.sentences)
    assert len(detector.annotate(REVIEW, threshold=0.0).spoilers) == 5
    assert detector.annotate(REVIEW, threshold=1.0).spoilers == []
    assert detector.annotate("").sentences == []
    assert detector.annotate("").score == 0.0


def test_annotate_reads_the_format_it_is_given(detector: Detector) -> None:
    annotation = detector.annotate(REVIEW, fmt="markdown")
    assert [(s.text, s.kind) for s in annotation.sentences] == [
        ("Title", BlockKind.heading), ("The acting is great.", BlockKind.paragraph),
        ("He dies at the end.", BlockKind.paragraph), ("I cried.", BlockKind.paragraph),
        ("The butler did it.", BlockKind.list_item)]


# --- known spoilers ---------------------------------------------------------------------------


def test_a_sentence_that_restates_a_known_spoiler_is_flagged_whatever_its_score(tiny_model_dir: Path) -> None:
    detector = Detector.load(tiny_model_dir)
    reveal = "The butler did it."
    known = detector.known_spoilers([f"  {reveal} ", "", reveal, "Malcolm was dead the whole time."])
    assert known.texts == (reveal, "Malcolm was dead the whole time.")  # stripped, blank and repeats gone
    scorer = Runtime(Settings(), detector, Project(detector.threshold, 1.0, 1.0, known=known)).scorer
    annotation = annotate_with(REVIEW, scorer, 1.0, fmt="markdown")
    assert [(s.text, s.known, s.is_spoiler) for s in annotation.sentences if s.known or s.is_spoiler] == [
        ("The butler did it.", reveal, True)]
    assert annotation.spoilers[0].score < 1.0  # flagged for what it says, not for its score
    [scores] = detector.score_reviews(reviews_of("The butler did it.|Fine."), known=known)
    assert [s.known for s in scores] == [reveal, None]
    assert detector.annotate(REVIEW, threshold=1.0, fmt="markdown").spoilers == []  # none known: none flagged


def test_known_similarity_is_the_cosine_cut(tiny_model_copy: Path) -> None:
    update_metadata(tiny_model_copy, known_similarity=-1.0)
    detector = Detector.load(tiny_model_copy)  # every sentence is at least this close to any reveal
    known = detector.known_spoilers(["The butler did it."])
    [scores] = detector.score_reviews(reviews_of("Fine.|I loved it."), known=known)
    assert all(s.known == "The butler did it." for s in scores)


# --- annotate_with and annotate_stream with stub scorers --------------------------------------


def test_sentence_scorer_scores_the_sentences_of_all_reviews_in_one_call() -> None:
    heard: list[list[str]] = []

    def score(texts: list[str]) -> list[float]:
        heard.append(texts)
        return [len(t) / 10 for t in texts]

    scorer = sentence_scorer(score)
    assert scorer(reviews_of("a|bb", "ccc", "")) == [[SentenceScore(0.1), SentenceScore(0.2)], [SentenceScore(0.3)],
                                                     [SentenceScore(0.0)]]
    assert heard == [["a", "bb", "ccc", ""]]


def test_annotate_with_gives_the_scorer_the_whole_review() -> None:
    heard: list[Sequence[Sequence[SentenceInput]]] = []

    def scorer(reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        heard.append(reviews)
        return [[SentenceScore(0.0) for _ in review] for review in reviews]

    annotate_with("One. Two.\n\n- Three.", scorer, 0.5, fmt="markdown")
    assert heard == [[[SentenceInput("One."), SentenceInput("Two."), SentenceInput("Three.", BlockKind.list_item)]]]


def test_annotate_with_given_spans() -> None:
    text = "Alpha. Beta."
    spans = split_sentences(text)[1:]
    annotation = annotate_with(text, sentence_scorer(lambda ts: [0.9] * len(ts)), 0.5, spans)
    assert [(s.text, s.start, s.end, s.is_spoiler) for s in annotation.sentences] == [("Beta.", 7, 12, True)]


def test_annotation_score_is_the_highest_sentence_probability() -> None:
    annotation = annotate_with("Fine. He dies. Ok.", sentence_scorer(lambda ts: [0.2, 0.7, 0.4]), 0.9)
    assert annotation.score == 0.7 and annotation.spoilers == []
    assert Annotation().score == 0.0


def test_annotate_stream_matches_one_by_one_and_keeps_order() -> None:
    def score(texts: list[str]) -> list[float]:
        return [min(1.0, len(t) / 40) for t in texts]

    def scorer(reviews: Sequence[Sequence[SentenceInput]]) -> list[list[SentenceScore]]:
        batches.append([len(review) for review in reviews])
        return sentence_scorer(score)(reviews)

    reviews = [(f"r{i}", "Short. " * i + "A much longer closing sentence here.") for i in range(7)] + [("e", "")]
    batches: list[list[int]] = []
    streamed = list(annotate_stream(reviews, scorer, 0.5, chunk_sentences=4))
    assert [key for key, _, _ in streamed] == [key for key, _ in reviews]
    assert max(sum(batch) for batch in batches) < 4 + 7  # bounded chunks, not one huge batch
    assert len(batches) > 1
    assert [n for batch in batches for n in batch] == [i + 1 for i in range(7)] + [0]  # whole reviews, in order
    for (key, text), (streamed_key, streamed_text, annotation) in zip(reviews, streamed, strict=True):
        assert (streamed_key, streamed_text) == (key, text)
        assert annotation == annotate_with(text, sentence_scorer(score), 0.5)


def test_annotate_stream_takes_readings_too() -> None:
    reading = read("# Title\n\nHe dies.", "markdown")
    [(key, text, annotation)] = annotate_stream([("k", reading)], sentence_scorer(lambda ts: [1.0] * len(ts)), 0.5)
    assert (key, text) == ("k", "# Title\n\nHe dies.")
    assert [(s.text, s.kind) for s in annotation.sentences] == [("Title", BlockKind.heading),
                                                                ("He dies.", BlockKind.paragraph)]


def test_a_very_long_review_is_read_by_the_head_in_windows_with_context(tiny_model_dir: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import spoilerscan.model.detect as detect

    detector = Detector.load(tiny_model_dir)
    review = [SentenceInput(f"{SENTENCES[i % len(SENTENCES)]} Part {i}.") for i in range(90)]
    embeddings = detector.embed([s.text for s in review])
    [whole] = detector.head_logits([review], embeddings)  # 90 <= HEAD_WINDOW: one reading
    widths: list[int] = []
    logits = detector.model.logits
    monkeypatch.setattr(detector.model, "logits", lambda rows: widths.append(len(rows)) or logits(rows))
    monkeypatch.setattr(detect, "HEAD_WINDOW", 20)
    monkeypatch.setattr(detect, "HEAD_CONTEXT", 10)
    [windowed] = detector.head_logits([review], embeddings)
    assert widths == [30, 40, 40, 40, 20]  # bounded by window + context on both sides, whatever the length
    assert windowed.shape == whole.shape
    np.testing.assert_allclose(windowed, whole, rtol=0.02)  # what lies beyond 10 sentences barely reaches a logit
    monkeypatch.setattr(detect, "HEAD_CONTEXT", 0)
    cut = detector.head_logits([review], embeddings)[0]
    assert np.abs(cut - whole).max() > np.abs(windowed - whole).max()  # the context is what keeps them close


def test_a_repeated_sentence_is_encoded_once(detector: Detector, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile input repeats one sentence 100,000 times; the encoder runs once for it, and the rows
    come back in order, each the same as the sentence's own embedding."""
    encoded: list[int] = []
    encode = detector.model.encode

    def counting(tokens: Any, rows: np.ndarray | None = None) -> np.ndarray:
        result = encode(tokens, rows)
        encoded.append(len(result))
        return result

    monkeypatch.setattr(detector.model, "encode", counting)
    reported: list[int] = []
    texts = ["He dies.", "Good.", "He dies.", "He dies.", "Good.", "I loved it."]
    vectors = detector.embed(texts, on_batch=reported.append)
    assert sum(encoded) == 3 and sum(reported) == len(texts)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    np.testing.assert_array_equal(vectors[1], vectors[4])
    for row, text in enumerate(texts):
        np.testing.assert_allclose(vectors[row], detector.embed([text])[0], atol=1e-6)


def test_an_int8_sentence_scores_the_same_whatever_shares_its_encoder_run(tiny_model_dir: Path) -> None:
    # dynamic int8 quantises a run's activations with one scale: run together, sentences would move each other
    detector = Detector.load(tiny_model_dir, precision="int8")
    texts = ["Short.", "The butler did it in the library with the candlestick, long before the storm.",
             "It was all a dream.", "Five stars, and the music alone is worth the ticket price twice over."]
    alone = np.vstack([detector.embed([text]) for text in texts])
    assert np.array_equal(detector.embed(texts), alone)
    assert np.array_equal(detector.embed(texts[::-1])[::-1], alone)
