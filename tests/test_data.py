"""Loading labelled training data: every accepted format, and clear errors for the rest."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from spoilerscan.data import LabelledSentence, load_labelled, parse_label, reddit_sentences, source_name, split_of
from spoilerscan.errors import EXIT_USAGE, DataFormatError


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def pairs(rows: list[LabelledSentence]) -> list[tuple[str, int]]:
    return [(r.text, r.label) for r in rows]


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
    rows = load_labelled(path)
    assert pairs(rows) == [
        ("He was dead all along.", 1), ("Great acting, lovely score.", 0), ("Twist: she is his mother.", 1),
        ("Boring middle.", 0), ("Lowercase.", 1), ("Lowercase no.", 0)]
    assert {r.source for r in rows} == {"tropes/dev"}


def test_csv_with_text_and_label_columns_bom_crlf_and_blank_text(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", "\ufeffText,Label\r\n  Spaced out.  ,1\r\n,0\r\n\"Multi\r\nline.\",0\r\n")
    assert pairs(load_labelled(path)) == [("Spaced out.", 1), ("Multi\r\nline.", 0)]


def test_jsonl_with_text_and_label(tmp_path: Path) -> None:
    lines = [{"text": "He dies.", "label": 1}, {"sentence": "Nice.", "spoiler": False},
             {"text": "She lives.", "label": "true"}, {"text": "Meh.", "label": 0, "extra": "ignored"}]
    path = write(tmp_path / "s.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    assert pairs(load_labelled(path)) == [("He dies.", 1), ("Nice.", 0), ("She lives.", 1), ("Meh.", 0)]


def test_goodreads_review_jsonl(tmp_path: Path) -> None:
    reviews = [
        {"user_id": "u1", "review_sentences": [[0, "A fine book."], [1, "The butler did it."], [0, "  "],
                                               [0, "Read it."]]},
        {"user_id": "u2", "review_sentences": [[1, "Everyone dies."]]},
    ]
    path = write(tmp_path / "goodreads" / "reviews.jsonl", "\n".join(json.dumps(r) for r in reviews))
    rows = load_labelled(path)
    assert pairs(rows) == [("A fine book.", 0), ("The butler did it.", 1), ("Read it.", 0), ("Everyone dies.", 1)]
    assert rows[0].source == "goodreads/reviews"
    # Neighbours within the same review are its context, never across reviews.
    assert [r.context for r in rows] == ["The butler did it.", "A fine book. Read it.", "The butler did it.", ""]


def test_reddit_comments_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "reddit" / "comments.csv",
                 "Movie,Comment,Comment Type\n"
                 '"Sense","Loved it. >!Malcolm was dead the whole time.!< Go see it.",spoiler\n'
                 '"Sense","No spoilers here. Just vibes.",non-spoiler\n'
                 '"Sense","Marked but the comment is not a spoiler. >!Odd.!<",Non-Spoiler\n')
    assert pairs(load_labelled(path)) == [
        ("Loved it.", 0), ("Malcolm was dead the whole time.", 1), ("Go see it.", 0),
        ("No spoilers here.", 0), ("Just vibes.", 0),
        ("Marked but the comment is not a spoiler.", 0), ("Odd.", 0)]


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
        load_labelled(path)
    assert str(caught.value).startswith(f"{path}:4: cannot read label 'perhaps'")
    assert caught.value.exit_code == EXIT_USAGE


def test_csv_unknown_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "cols.csv", "review,verdict\nGood.,1\n")
    with pytest.raises(DataFormatError, match=rf"^{path}:1: columns \['review', 'verdict'\] lack a text column"):
        load_labelled(path)


def test_csv_missing_label_column(tmp_path: Path) -> None:
    path = write(tmp_path / "cols.csv", "sentence,page\nGood.,x\n")
    with pytest.raises(DataFormatError, match=rf"^{path}:1: .*label column"):
        load_labelled(path)


def test_reddit_unknown_comment_type(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "Movie,Comment,Comment Type\nM,Fine.,spoiler\nM,Hm.,maybe\n")
    with pytest.raises(DataFormatError, match=rf"^{path}:3: unknown Comment Type 'maybe'"):
        load_labelled(path)


def test_jsonl_unknown_keys_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "k.jsonl", '{"text": "a", "label": 0}\n\n{"body": "b", "label": 1}\n')
    with pytest.raises(DataFormatError, match=rf"^{path}:3: keys \['body', 'label'\] lack"):
        load_labelled(path)


def test_jsonl_bad_label_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "k.jsonl", '{"text": "a", "label": 0}\n{"text": "b", "label": "yes please"}\n')
    with pytest.raises(DataFormatError, match=rf"^{path}:2: cannot read label"):
        load_labelled(path)


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
        load_labelled(path)


def test_missing_file_unknown_suffix_not_utf8_and_empty(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no such data file"):
        load_labelled(tmp_path / "nope.csv")
    with pytest.raises(DataFormatError, match="unknown data format"):
        load_labelled(write(tmp_path / "d.tsv", "sentence\tspoiler\n"))
    with pytest.raises(DataFormatError, match="not UTF-8"):
        load_labelled(write(tmp_path / "l.csv", "sentence,spoiler\ncaf\u00e9,1\n", encoding="latin-1"))
    with pytest.raises(DataFormatError, match="no labelled sentences"):
        load_labelled(write(tmp_path / "e.csv", "sentence,spoiler\n"))


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


def test_load_labelled_split_keeps_only_that_part(tmp_path: Path) -> None:
    lines = "".join(f"sentence number {i}.,{i % 2}\n" for i in range(300))
    path = write(tmp_path / "h.csv", "sentence,spoiler\n" + lines)
    parts = {part: load_labelled(path, part) for part in ("train", "dev", "test")}  # type: ignore[arg-type]
    assert sum(len(rows) for rows in parts.values()) == 300
    for part, rows in parts.items():
        assert rows and all(split_of(r.text) == part for r in rows)
    texts = [{r.text for r in rows} for rows in parts.values()]
    assert not (texts[0] & texts[1] or texts[0] & texts[2] or texts[1] & texts[2])


def test_empty_split_part_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path / "two.csv", "sentence,spoiler\na,1\nb,0\n")  # both hash to train
    assert len(load_labelled(path, "train")) == 2
    with pytest.raises(DataFormatError, match=rf"^{path}: none of its sentences fall in the test part"):
        load_labelled(path, "test")
