"""Loading labelled data as whole reviews: every accepted format, TV Tropes pages, the split, and clear errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from spoilerscan.errors import EXIT_USAGE, DataFormatError
from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.document import BlockKind
from spoilerscan.training.data import (
    TROPES_REVIEW_SENTENCES,
    LabelledReview,
    has_entries,
    load_reviews,
    parse_label,
    reddit_sentences,
    sentence_rows,
    source_name,
    split_of,
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def pairs(reviews: list[LabelledReview]) -> list[tuple[str, int]]:
    return list(sentence_rows(reviews))


def shape(reviews: list[LabelledReview]) -> list[list[tuple[str, int]]]:
    """Each review's (sentence, label) pairs."""
    return [list(sentence_rows([review])) for review in reviews]


# --- accepted formats -----------------------------------------------------------------------


def test_csv_with_sentence_and_spoiler_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "tropes" / "dev.csv",
                 "sentence,spoiler,page\n"
                 "He was dead all along.,True,X\n"
                 '"Great acting, lovely score.",False,X\n'
                 "Twist: she is his mother.,1,Y\n"
                 "Boring middle.,0,Y\n"
                 "Lowercase.,true,Z\n"
                 "Lowercase no.,false,Z\n")
    reviews = load_reviews(path)
    assert pairs(reviews) == [
        ("He was dead all along.", 1), ("Great acting, lovely score.", 0), ("Twist: she is his mother.", 1),
        ("Boring middle.", 0), ("Lowercase.", 1), ("Lowercase no.", 0)]
    assert {r.source for r in reviews} == {"tropes/dev"}
    # Loose sentences (no page and trope columns both) are one-sentence reviews, without a title or stated label.
    assert all(len(r.sentences) == 1 and r.title == "" and r.label is None for r in reviews)
    assert [r.review_label for r in reviews] == [1, 0, 1, 0, 1, 0]
    assert reviews[0].sentences == (SentenceInput("He was dead all along.", BlockKind.paragraph),)


def test_csv_with_text_and_label_columns_bom_crlf_and_blank_text(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", "\ufeffText,Label\r\n  Spaced out.  ,1\r\n,0\r\n\"Multi\r\nline.\",0\r\n")
    assert pairs(load_reviews(path)) == [("Spaced out.", 1), ("Multi\r\nline.", 0)]


def test_jsonl_with_text_and_label(tmp_path: Path) -> None:
    lines = [{"text": "He dies.", "label": 1}, {"sentence": "Nice.", "spoiler": False},
             {"text": "She lives.", "label": "true"}, {"text": "Meh.", "label": 0, "extra": "ignored"}]
    path = write(tmp_path / "s.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    assert pairs(load_reviews(path)) == [("He dies.", 1), ("Nice.", 0), ("She lives.", 1), ("Meh.", 0)]


def test_goodreads_review_jsonl(tmp_path: Path) -> None:
    reviews = [
        {"user_id": "u1", "review_sentences": [[0, "A fine book."], [1, "The butler did it."], [0, "  "],
                                               [0, "Read it."]]},
        {"user_id": "u2", "review_sentences": [[1, "Everyone dies."]], "has_spoiler": True},
        {"user_id": "u3", "review_sentences": [[0, "Fine."]], "has_spoiler": "false"},
        {"user_id": "u4", "review_sentences": [[0, " "]]},  # nothing left: no review
    ]
    path = write(tmp_path / "goodreads" / "reviews.jsonl", "\n".join(json.dumps(r) for r in reviews))
    reviews = load_reviews(path)
    assert shape(reviews) == [[("A fine book.", 0), ("The butler did it.", 1), ("Read it.", 0)],
                              [("Everyone dies.", 1)], [("Fine.", 0)]]
    assert reviews[0].source == "goodreads/reviews"
    assert [r.label for r in reviews] == [None, 1, 0]  # has_spoiler where the record states it
    assert [r.review_label for r in reviews] == [1, 1, 0]
    assert reviews[0].key == "A fine book. The butler did it. Read it."


def test_reddit_comments_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "reddit" / "comments.csv",
                 "Movie,Comment,Comment Type\n"
                 '"Sense","Loved it. >!Malcolm was dead the whole time.!< Go see it.",spoiler\n'
                 '"Sense","No spoilers here. Just vibes.",non-spoiler\n'
                 '"Sense","Marked but the comment is not a spoiler. >!Odd.!<",Non-Spoiler\n')
    reviews = load_reviews(path)
    assert shape(reviews) == [
        [("Loved it.", 0), ("Malcolm was dead the whole time.", 1), ("Go see it.", 0)],
        [("No spoilers here.", 0), ("Just vibes.", 0)],
        [("Marked but the comment is not a spoiler.", 0), ("Odd.", 0)]]
    assert [r.label for r in reviews] == [1, 0, 0]  # each comment is a review; its type is its label


def test_reddit_comment_structure_becomes_block_kinds(tmp_path: Path) -> None:
    comment = "# Verdict\n\nLoved it.\n\n- The score\n- >!He was dead all along.!<\n\n> I see dead people.\n"
    assert list(reddit_sentences(comment, True)) == [
        ("Verdict", 0, BlockKind.heading), ("Loved it.", 0, BlockKind.paragraph),
        ("The score", 0, BlockKind.list_item), ("He was dead all along.", 1, BlockKind.list_item),
        ("I see dead people.", 0, BlockKind.quote)]
    path = write(tmp_path / "reddit" / "comments.csv",
                 "Movie,Comment,Comment Type\n" + f'"Sense","{comment}",spoiler\n' + '"Sense","",spoiler\n')
    [review] = load_reviews(path)  # an empty comment is no review
    assert [s.kind for s in review.sentences] == [BlockKind.heading, BlockKind.paragraph, BlockKind.list_item,
                                                  BlockKind.list_item, BlockKind.quote]


def test_reddit_span_labelling() -> None:
    comment = "Great film. >!Bruce Willis is a ghost. His wife never hears him.!< Ten out of ten."
    assert list((t, label) for t, label, _ in reddit_sentences(comment, True)) == [
        ("Great film.", 0), ("Bruce Willis is a ghost.", 1), ("His wife never hears him.", 1),
        ("Ten out of ten.", 0)]


def test_reddit_sentence_mostly_inside_the_markup_is_a_spoiler() -> None:
    labelled = [(t, label) for t, label, _ in reddit_sentences("At the end >!he is dead all along!<.", True)]
    assert labelled == [("At the end he is dead all along.", 1)]
    labelled = [(t, label) for t, label, _ in reddit_sentences("The whole long setup is great but >!no!<.", True)]
    assert labelled == [("The whole long setup is great but no.", 0)]


def test_reddit_markup_and_escapes_are_removed() -> None:
    texts = [t for t, _, _ in reddit_sentences(r"It is \*great\*. >!A!< and >!B!<\! Stray >! marker.", True)]
    assert ">!" not in "".join(texts) and "!<" not in "".join(texts)
    assert "\\" not in "".join(texts)


def test_source_name() -> None:
    assert source_name(Path("/data/goodreads/sentences.csv")) == "goodreads/sentences"
    assert source_name(Path("sentences.csv")) == "sentences"


# --- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "label"), [
    (0, 0), (1, 1), (True, 1), (False, 0), ("0", 0), ("1", 1), ("true", 1), ("True", 1), ("TRUE", 1),
    ("false", 0), ("False", 0), (" 1 ", 1), ("spoiler", 1), ("non-spoiler", 0),
])
def test_parse_label(value: object, label: int) -> None:
    assert parse_label(value, "f.csv:2") == label


@pytest.mark.parametrize("value", [2, -1, "maybe", "", None, "0.5", [1]])
def test_unparseable_label_names_its_place(value: object) -> None:
    with pytest.raises(DataFormatError, match=r"^f\.csv:7: cannot read label"):
        parse_label(value, "f.csv:7")


# --- errors name the file and the line ------------------------------------------------------


def test_csv_bad_label_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", "sentence,spoiler\nFine.,0\nAlso fine.,1\nBroken.,perhaps\n")
    with pytest.raises(DataFormatError) as caught:
        load_reviews(path)
    assert str(caught.value).startswith(f"{path}:4: cannot read label 'perhaps'")
    assert caught.value.exit_code == EXIT_USAGE


def test_csv_unknown_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "cols.csv", "review,verdict\nGood.,1\n")
    with pytest.raises(DataFormatError, match=rf"^{path}:1: columns \['review', 'verdict'\] lack a text column"):
        load_reviews(path)


def test_csv_missing_label_column(tmp_path: Path) -> None:
    path = write(tmp_path / "cols.csv", "sentence,page\nGood.,x\n")
    with pytest.raises(DataFormatError, match=rf"^{path}:1: .*label column"):
        load_reviews(path)


def test_reddit_unknown_comment_type(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "Movie,Comment,Comment Type\nM,Fine.,spoiler\nM,Hm.,maybe\n")
    with pytest.raises(DataFormatError, match=rf"^{path}:3: unknown Comment Type 'maybe'"):
        load_reviews(path)


def test_jsonl_unknown_keys_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "k.jsonl", '{"text": "a", "label": 0}\n\n{"body": "b", "label": 1}\n')
    with pytest.raises(DataFormatError, match=rf"^{path}:3: keys \['body', 'label'\] lack"):
        load_reviews(path)


def test_jsonl_bad_label_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "k.jsonl", '{"text": "a", "label": 0}\n{"text": "b", "label": "yes please"}\n')
    with pytest.raises(DataFormatError, match=rf"^{path}:2: cannot read label"):
        load_reviews(path)


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object per line"),
    ('{"review_sentences": [[0]]}', r"review_sentences needs \[label, text\]"),
    ('{"review_sentences": null}', r"review_sentences needs \[label, text\]"),
    ('{"review_sentences": [["x", "text"]]}', "cannot read label 'x'"),
])
def test_jsonl_malformed_lines(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path / "m.jsonl", '{"text": "fine", "label": 1}\n' + line + "\n")
    with pytest.raises(DataFormatError, match=rf"^{path}:2: {message}"):
        load_reviews(path)


def test_missing_file_unknown_suffix_not_utf8_and_empty(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no such data file"):
        load_reviews(tmp_path / "nope.csv")
    with pytest.raises(DataFormatError, match="unknown data format"):
        load_reviews(write(tmp_path / "d.tsv", "sentence\tspoiler\n"))
    with pytest.raises(DataFormatError, match="not UTF-8"):
        load_reviews(write(tmp_path / "l.csv", "sentence,spoiler\ncaf\u00e9,1\n", encoding="latin-1"))
    with pytest.raises(DataFormatError, match="no labelled sentences"):
        load_reviews(write(tmp_path / "e.csv", "sentence,spoiler\n"))


# --- the stable split -----------------------------------------------------------------------


def test_split_of_is_stable_and_ignores_surrounding_space() -> None:
    assert split_of("He was dead all along.") == split_of("  He was dead all along.\n")
    assert [split_of(f"sentence {i}") for i in range(8)] == [split_of(f"sentence {i}") for i in range(8)]
    assert split_of("sentence 0") in {"train", "dev", "test"}


def test_split_of_pinned_values() -> None:
    # Pinned: a change of hash would silently move held-out test sentences into training.
    pinned = {"a": "train", "g": "test", "h": "dev", "He dies.": "train", "The twist is great.": "test",
              "I loved it.": "dev"}
    assert {text: split_of(text) for text in pinned} == pinned


def test_split_of_is_roughly_70_15_15() -> None:
    counts = Counter(split_of(f"review sentence number {i}") for i in range(20_000))
    shares = {part: counts[part] / 20_000 for part in ("train", "dev", "test")}
    assert shares["train"] == pytest.approx(0.70, abs=0.02)
    assert shares["dev"] == pytest.approx(0.15, abs=0.02)
    assert shares["test"] == pytest.approx(0.15, abs=0.02)


def test_split_of_custom_shares() -> None:
    assert {split_of(f"s{i}", dev_share=0, test_share=0) for i in range(200)} == {"train"}
    assert {split_of(f"s{i}", dev_share=0, test_share=100) for i in range(200)} == {"test"}


def test_load_reviews_split_keeps_only_that_part(tmp_path: Path) -> None:
    lines = "".join(f"sentence number {i}.,{i % 2}\n" for i in range(300))
    path = write(tmp_path / "h.csv", "sentence,spoiler\n" + lines)
    parts = {part: load_reviews(path, part) for part in ("train", "dev", "test")}  # type: ignore[arg-type]
    assert sum(len(reviews) for reviews in parts.values()) == 300
    for part, reviews in parts.items():
        assert reviews and all(split_of(r.key) == part for r in reviews)
    texts = [{text for text, _ in sentence_rows(reviews)} for reviews in parts.values()]
    assert not (texts[0] & texts[1] or texts[0] & texts[2] or texts[1] & texts[2])


def test_a_loose_sentence_keeps_its_part_of_the_split(tmp_path: Path) -> None:
    """A one-sentence review is split by the sentence's own hash, as sentences were before reviews."""
    path = write(tmp_path / "s.csv", "sentence,spoiler\n" + "".join(f"  Line {i}. ,0\n" for i in range(60)))
    for part in ("train", "dev", "test"):
        assert {r.key for r in load_reviews(path, part)} == {  # type: ignore[arg-type]
            f"Line {i}." for i in range(60) if split_of(f"Line {i}.") == part}


def test_empty_split_part_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path / "two.csv", "sentence,spoiler\na,1\nb,0\n")  # both hash to train
    assert len(load_reviews(path, "train")) == 2
    with pytest.raises(DataFormatError, match=rf"^{path}: none of its reviews fall in the test part of the hash split"):
        load_reviews(path, "test")


# --- TV Tropes pages as reviews -------------------------------------------------------------

TROPES_HEADER = "sentence,spoiler,verb,page,trope\n"


def tropes_rows(page: str, trope: str, labels: list[int]) -> str:
    """Rows of one entry, as the TV Tropes files have them."""
    return "".join(f"{page} {trope} sentence {i}.,{bool(label)},True,{page},{trope}\n"
                   for i, label in enumerate(labels))


def test_tropes_entries_are_grouped_by_page_into_reviews_of_whole_entries(tmp_path: Path) -> None:
    path = write(tmp_path / "tvtropes" / "dev.csv", TROPES_HEADER
                 + tropes_rows("BreakingBad", "BigBad", [0, 1]) + tropes_rows("BreakingBad", "TheReveal", [1])
                 + tropes_rows("TheWire", "Foil", [0, 0, 0]))
    reviews = load_reviews(path)
    assert [(r.title, [t.split(" sentence")[0] for t, _ in sentence_rows([r])]) for r in reviews] == [
        ("Breaking Bad", ["BreakingBad BigBad", "BreakingBad BigBad", "BreakingBad TheReveal"]),
        ("The Wire", ["TheWire Foil"] * 3)]
    assert shape(reviews)[0] == [("BreakingBad BigBad sentence 0.", 0), ("BreakingBad BigBad sentence 1.", 1),
                                 ("BreakingBad TheReveal sentence 0.", 1)]
    assert [(r.label, r.review_label, r.source) for r in reviews] == [(None, 1, "tvtropes/dev"),
                                                                      (None, 0, "tvtropes/dev")]
    assert has_entries(path)


def test_a_page_is_cut_between_entries_at_the_review_size(tmp_path: Path) -> None:
    size = TROPES_REVIEW_SENTENCES
    rows = (tropes_rows("Lost", "A", [0] * (size - 5)) + tropes_rows("Lost", "B", [1] * 10)
            + tropes_rows("Lost", "C", [0] * 3) + tropes_rows("Lost", "Long", [0] * (size + 4)))
    reviews = load_reviews(write(tmp_path / "t.csv", TROPES_HEADER + rows))
    # A does not fit with B, so B starts a review; C joins it; an entry longer than a review stays whole.
    assert [len(r.labels) for r in reviews] == [size - 5, 13, size + 4]
    assert all(r.title == "Lost" for r in reviews)


def test_per_entry_makes_each_entry_a_review(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", TROPES_HEADER + tropes_rows("Lost", "A", [0, 1]) + tropes_rows("Lost", "B", [0])
                 + tropes_rows("Fringe", "A", [1, 1, 0]))
    assert [len(r.labels) for r in load_reviews(path)] == [3, 3]
    entries = load_reviews(path, per_entry=True)
    assert shape(entries) == [[("Lost A sentence 0.", 0), ("Lost A sentence 1.", 1)], [("Lost B sentence 0.", 0)],
                              [("Fringe A sentence 0.", 1), ("Fringe A sentence 1.", 1), ("Fringe A sentence 2.", 0)]]
    assert [r.title for r in entries] == ["Lost", "Lost", "Fringe"]


def test_the_split_keeps_a_review_whole(tmp_path: Path) -> None:
    rows = "".join(tropes_rows(f"Show{n}", trope, [n % 2, 0, 1]) for n in range(40) for trope in ("A", "B"))
    path = write(tmp_path / "t.csv", TROPES_HEADER + rows)
    everything = load_reviews(path)
    parts = {part: load_reviews(path, part) for part in ("train", "dev", "test")}  # type: ignore[arg-type]
    assert sorted(r.key for reviews in parts.values() for r in reviews) == sorted(r.key for r in everything)
    for part, reviews in parts.items():
        assert reviews and all(split_of(r.key) == part and len(r.labels) == 6 for r in reviews)
    assert parts == {part: load_reviews(path, part) for part in parts}  # type: ignore[arg-type]  # stable


def test_a_reviews_split_is_pinned_by_its_key() -> None:
    # Pinned, as for sentences: a change of key or hash would move held-out test reviews into training.
    review = LabelledReview((SentenceInput("He dies."), SentenceInput("She lives.", BlockKind.list_item)), (1, 0), "x")
    assert review.key == "He dies. She lives."  # the sentences joined by a space, whatever their kinds
    assert (split_of(review.key), split_of("He dies.\nShe lives.")) == ("train", "dev")
    assert split_of("Great film. Ten out of ten.") == "train"


def test_a_category_column_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "challenge.csv", "sentence,spoiler,category\nHe was dead all along.,1,twist\n"
                 "The film is two hours long.,0, premise \nI loved it.,0,\n")
    assert [(r.category, r.review_label) for r in load_reviews(path)] == [("twist", 1), ("premise", 0), ("", 0)]
    assert {r.category for r in load_reviews(write(tmp_path / "plain.csv", "sentence,spoiler\nA.,1\n"))} == {""}
    assert not has_entries(path)


def test_has_entries_needs_a_csv_with_page_and_trope(tmp_path: Path) -> None:
    assert not has_entries(write(tmp_path / "x.jsonl", '{"text": "a", "label": 0}\n'))
    assert not has_entries(write(tmp_path / "p.csv", "sentence,spoiler,page\na,0,X\n"))
    assert has_entries(write(tmp_path / "t.csv", "\ufeffsentence,spoiler,page,trope\na,0,X,Y\n"))


def test_a_review_labelled_as_a_whole_is_read_into_sentences_without_their_own_labels(tmp_path: Path) -> None:
    from spoilerscan.training.data import half_split

    path = tmp_path / "imdb.jsonl"
    records = [{"review_id": f"rw{n}", "text": f"Review {n} opens. It ends with a twist.", "is_spoiler": n % 2 == 0}
               for n in range(40)]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    reviews = load_reviews(path)
    assert len(reviews) == 40 and not any(r.sentence_labels for r in reviews)
    assert [s.text for s in reviews[0].sentences] == ["Review 0 opens.", "It ends with a twist."]
    assert [r.review_label for r in reviews[:2]] == [1, 0] and reviews[0].key == "rw0"
    dev, test = load_reviews(path, "dev"), load_reviews(path, "test")
    assert {r.key for r in dev} | {r.key for r in test} == {r.key for r in reviews}
    assert all(half_split(r.key) == "test" for r in test) and not set(map(id, dev)) & set(map(id, test))
    with pytest.raises(DataFormatError, match="none of its reviews fall in the train part"):
        load_reviews(path, "train")  # labelled by whole review only: never trained on


def test_training_refuses_reviews_labelled_only_as_a_whole(tmp_path: Path) -> None:
    from spoilerscan.training.train import gather_data

    path = tmp_path / "imdb.jsonl"
    path.write_text(json.dumps({"text": "It was a dream.", "is_spoiler": True}) + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="labelled by whole review only"):
        gather_data([path], [], [])
