"""Money is exact: integer fen, never float (SPEC §0)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.core.money import format_yuan, parse_yuan


@pytest.mark.parametrize(
    ("text", "fen"),
    [("59.90", 5990), ("1,299.00", 129900), ("¥0.01", 1), ("12", 1200), ("\t88.8\t", 8880), ("￥3元", 300)],
)
def test_yuan_text_becomes_exact_fen(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "1.234", "nan", "inf"])
def test_text_that_is_not_an_exact_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_yuan(text)


@given(st.integers(min_value=0, max_value=10**13))
def test_formatting_and_parsing_round_trip_for_any_amount(fen: int) -> None:
    assert parse_yuan(format_yuan(fen)) == fen


def test_formatting_groups_thousands_with_two_decimals() -> None:
    assert format_yuan(123456) == "¥1,234.56"
    assert format_yuan(-5) == "-¥0.05"
    assert format_yuan(None) == "—"
