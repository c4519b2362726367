"""LSP positions in each encoding: emoji (two UTF-16 units, four UTF-8 bytes), accented text, CRLF and CR."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

from spoilerscan.lsp.positions import Encoding, LineTable, code_units, encoding_of

TEXT = "Café 😀 night.\r\nThe ghost 👻👻 was Malcolm.\rLast line é\nend"


def expected_position(text: str, offset: int, encoding: Encoding) -> types.Position:
    """The position worked out the slow, obvious way: count lines, then encode the line's prefix."""
    lines = text[:offset].replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return types.Position(len(lines) - 1, code_units(lines[-1], encoding))


@pytest.mark.parametrize("encoding", list(Encoding))
def test_every_offset_has_the_position_its_encoding_counts(encoding: Encoding) -> None:
    table = LineTable(TEXT, encoding)
    for offset in range(len(TEXT) + 1):
        if TEXT[offset - 1 : offset + 1] == "\r\n":
            continue  # between CR and LF: not a place a client can name
        assert table.position(offset) == expected_position(TEXT, offset, encoding), offset


@pytest.mark.parametrize("encoding", list(Encoding))
def test_offset_is_the_inverse_of_position(encoding: Encoding) -> None:
    table = LineTable(TEXT, encoding)
    for offset in range(len(TEXT) + 1):
        if TEXT[offset - 1 : offset + 1] != "\r\n":
            assert table.offset(table.position(offset)) == offset


def test_an_emoji_is_two_utf16_units_and_four_utf8_bytes() -> None:
    text = "I 😀 it. He dies."
    start = text.index("He")
    assert LineTable(text, Encoding.utf16).position(start) == types.Position(0, start + 1)
    assert LineTable(text, Encoding.utf8).position(start) == types.Position(0, start + 3)
    assert LineTable(text, Encoding.utf32).position(start) == types.Position(0, start)
    assert LineTable("é.", Encoding.utf8).position(1) == types.Position(0, 2)


def test_positions_past_a_line_end_or_the_last_line_are_clamped() -> None:
    table = LineTable("ab\ncd", Encoding.utf16)
    assert table.offset(types.Position(0, 99)) == 2  # the end of line 0, before its break
    assert table.offset(types.Position(7, 0)) == 5  # past the last line: the end of the text
    assert table.position(99) == types.Position(1, 2)


def test_a_position_inside_a_surrogate_pair_means_the_emojis_start() -> None:
    table = LineTable("a😀b", Encoding.utf16)
    assert table.offset(types.Position(0, 2)) == 1
    assert table.offset(types.Position(0, 3)) == 2


def test_only_cr_lf_and_crlf_end_lines() -> None:
    text = "one\u2028still one\x0cstill\nsecond"
    table = LineTable(text, Encoding.utf16)
    assert table.line_count == 2
    assert table.position(text.index("second")) == types.Position(1, 0)
    assert table.position(text.index("still\n")) == types.Position(0, text.index("still\n"))


@pytest.mark.parametrize("encoding", list(Encoding))
def test_ranges_converts_many_spans_as_position_does_one_by_one(encoding: Encoding) -> None:
    table = LineTable(TEXT, encoding)
    spans = [(20, 30), (0, 4), (5, 40), (len(TEXT) - 3, len(TEXT)), (0, 4), (17, 17)]
    assert table.ranges(spans) == [types.Range(table.position(s), table.position(e)) for s, e in spans]


@given(st.text(alphabet=st.sampled_from(list("ab é😀\n\r👻")), max_size=40), st.sampled_from(list(Encoding)))
def test_ranges_and_position_agree_on_any_text(text: str, encoding: Encoding) -> None:
    table = LineTable(text, encoding)
    offsets = [o for o in range(len(text) + 1) if text[o - 1 : o + 1] != "\r\n"]
    spans = list(zip(offsets, reversed(offsets), strict=True))
    assert table.ranges(spans) == [types.Range(table.position(s), table.position(e)) for s, e in spans]
    for offset in offsets:
        assert table.position(offset) == expected_position(text, offset, encoding)
        assert table.offset(table.position(offset)) == offset


def test_the_agreed_encoding_is_used_and_utf16_is_the_default() -> None:
    assert encoding_of("utf-8") is Encoding.utf8
    assert encoding_of("utf-32") is Encoding.utf32
    assert encoding_of(None) is Encoding.utf16
    assert encoding_of("latin-1") is Encoding.utf16
