"""A site's material as labelled reviews: marked published reviews and CSV/JSONL exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from spoilerscan.adapt.labels import export_reviews, marked_review, site_reviews
from spoilerscan.errors import InputError, SpoilerscanError
from spoilerscan.reading.document import Format

MARKED = (
    "# The Sixth Sense\n\n"
    "A patient, quiet film. >!Crowe was dead all along.!< I cried.\n\n"
    "Also ||the mother knew||. [spoiler=ending]Cole talks to the dead.[/spoiler]\n\n"
    "[spoiler]On a line of its own.[/spoiler]\n\n"
    "<details><summary>Spoiler</summary>It was his wife's ring.</details>\n\n"
    "████ fine acting.\n"
)


def labelled(text: str, fmt: Format = Format.markdown) -> list[tuple[int, str]]:
    review = marked_review(text, fmt, "key", unmarked_are_clean=False)
    assert review is not None and review.labels is not None
    return [(label, s.text) for label, s in zip(review.labels, review.sentences, strict=True)]


def test_marked_sentences_are_spoilers_and_their_markup_is_gone() -> None:
    assert labelled(MARKED) == [
        (0, "The Sixth Sense"),
        (0, "A patient, quiet film."),
        (1, "Crowe was dead all along."),
        (0, "I cried."),
        (1, "Also the mother knew ."),  # the sentence is mostly hidden
        (1, "Cole talks to the dead."),
        (1, "On a line of its own."),
        (1, "It was his wife's ring."),  # the summary's word is not the spoiler
        (0, "fine acting."),  # redacted text holds no words to learn from
    ]


def test_html_spoiler_elements() -> None:
    page = '<p>Great cast. <span class="spoiler">The butler did it.</span></p>\n<p>See it.</p>\n'
    assert labelled(page, Format.html) == [(0, "Great cast."), (1, "The butler did it."), (0, "See it.")]


def test_a_review_without_marks_counts_only_when_told() -> None:
    text = "A fine film. Nothing more to say.\n"
    assert marked_review(text, Format.text, "k", unmarked_are_clean=False) is None
    review = marked_review(text, Format.text, "k", unmarked_are_clean=True)
    assert review is not None and review.labels == (0, 0) and review.label == 0


def test_a_directory_of_reviews_and_exports(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "one.md").write_text(MARKED, encoding="utf-8")
    (tmp_path / "site" / "unmarked.md").write_text("Nothing hidden here.\n", encoding="utf-8")
    (tmp_path / "site" / "notes.rst").write_text("Also read. >!He lives.!<\n", encoding="utf-8")
    (tmp_path / "site" / "mod.csv").write_text("id,text,is_spoiler\n1,The dog dies. So sad.,true\n2,Nice.,0\n",
                                               encoding="utf-8")
    skipped: list[str] = []
    reviews = site_reviews([str(tmp_path / "site")], on_skip=skipped.append)
    assert skipped == [str(tmp_path / "site" / "unmarked.md")]
    by_key = {r.key: r for r in reviews}
    assert by_key[str(tmp_path / "site" / "notes.rst")].labels == (0, 1)
    assert by_key["The dog dies. So sad."].labels is None and by_key["The dog dies. So sad."].label == 1
    assert [s.text for s in by_key["The dog dies. So sad."].sentences] == ["The dog dies.", "So sad."]
    assert by_key["Nice."].label == 0


def test_jsonl_rows_are_reviews_and_review_ids_group_sentences(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    rows = [{"review_id": "a", "sentence": "Great film.", "spoiler": 0},
            {"review_id": "a", "sentence": "He dies.", "spoiler": 1},
            {"review_id": "b", "sentence": "Fine.", "spoiler": False},
            {"text": "A tweet. #got", "label": "no"}]
    path.write_text("\ufeff" + "\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    reviews = list(export_reviews(path))
    assert [(r.key, r.label, r.labels) for r in reviews] == [
        ("A tweet. #got", 0, None), (f"{path}#a", 1, (0, 1)), (f"{path}#b", 0, (0,))]


@pytest.mark.parametrize(("content", "message"), [
    ("id,body,flag\n1,x,1\n", "needs a text column (text, sentence, review_text) and a label column"),
    ("text,label\nHe dies.,maybe\n", "cannot read label 'maybe'"),
])
def test_bad_exports_say_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SpoilerscanError, match=re.escape(message)):  # one line, exit 2, whichever kind
        list(export_reviews(path))


def test_a_missing_input_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        site_reviews([str(tmp_path / "missing.csv")])


def test_a_review_id_on_whole_reviews_does_not_make_them_sentences(tmp_path: Path) -> None:
    path = tmp_path / "imdb.jsonl"
    path.write_text(json.dumps({"review_id": "rw1", "text": "It opens well. Then he dies.", "is_spoiler": True}) + "\n",
                    encoding="utf-8")
    (review,) = export_reviews(path)
    assert review.labels is None and review.label == 1 and len(review.sentences) == 2
