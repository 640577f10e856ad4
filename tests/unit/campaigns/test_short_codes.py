"""Personal short-link codes: a keyed, reversible permutation of (campaign id, customer id) in base 62."""

from __future__ import annotations

import random
import string
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.campaigns.services import decode_short_code, short_code, short_codes

IDS = st.integers(min_value=0, max_value=2**31 - 1)
# ids of every size: the code's length (6–12) follows their bit lengths
SIZED_IDS = st.integers(min_value=0, max_value=31).flatmap(lambda bits: st.integers(0, 2**bits - 1))
ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase


@given(SIZED_IDS, SIZED_IDS)
def test_every_pair_of_ids_round_trips_in_at_most_12_base62_characters(campaign_id: int, customer_id: int) -> None:
    code = short_code(campaign_id, customer_id)
    assert 6 <= len(code) <= 12 and set(code) <= set(ALPHABET)
    assert decode_short_code(code) == (campaign_id, customer_id)


@given(IDS, IDS)
def test_round_trip_over_the_whole_id_range(campaign_id: int, customer_id: int) -> None:
    assert decode_short_code(short_code(campaign_id, customer_id)) == (campaign_id, customer_id)


@given(SIZED_IDS, st.lists(SIZED_IDS, max_size=60))
def test_the_vectorised_codes_are_the_same_strings(campaign_id: int, customer_ids: list[int]) -> None:
    assert short_codes(campaign_id, customer_ids) == [short_code(campaign_id, c) for c in customer_ids]


def test_codes_stay_short_for_realistic_ids() -> None:
    assert len(short_code(3, 100_000)) == 6  # as short as the sqids codes they replace
    assert len(short_code(120, 2**31 - 1)) == 9
    assert len(short_code(2**19 - 1, 2**31 - 1)) == 11  # still fits Aliyun's 35-character variable with the link
    assert len(short_code(2**31 - 1, 2**31 - 1)) == 12


def test_consecutive_customers_get_unrelated_codes() -> None:
    codes = short_codes(7, list(range(1, 1_001)))
    assert len(set(codes)) == 1_000
    # no shared prefix or suffix gives the sequence away
    assert sum(c[0] == d[0] for c, d in pairwise(codes)) < 100  # ~16 by chance
    assert len({c[-2:] for c in codes}) > 500


@pytest.mark.parametrize(("campaign_id", "customer_id"), [(12, 345), (1, 999_999), (5_000, 2**31 - 1), (2**27, 3)])
def test_a_tampered_code_does_not_decode_to_another_recipient(campaign_id: int, customer_id: int) -> None:
    code = short_code(campaign_id, customer_id)
    accepted = 0
    for i, original in enumerate(code):
        for ch in ALPHABET:
            if ch != original:
                decoded = decode_short_code(code[:i] + ch + code[i + 1 :])
                assert decoded != (campaign_id, customer_id)
                accepted += decoded is not None
    # 10 bits of redundancy (4 in 12-character codes) and the id range: nearly every change is refused
    assert accepted <= (len(code) * 61) // (16 if len(code) == 12 else 200)
    for swapped in (code[1] + code[0] + code[2:], code[::-1], code[:-1], code + code[-1]):
        if swapped != code:
            assert decode_short_code(swapped) != (campaign_id, customer_id)


def test_garbage_is_refused() -> None:
    for junk in ("", "abc", "Ab3xYz!", "ab-cd-ef", "0" * 13, "中文中文中文", "ｱｲｳｴｵｶ", "Ab3xYz\n"):
        assert decode_short_code(junk) is None
    # random strings of every length: about 1 in 1,000 passes the redundancy check
    draw = random.Random(4)
    accepted = sum(
        decode_short_code("".join(draw.choice(ALPHABET) for _ in range(draw.randint(6, 12)))) is not None
        for _ in range(20_000)
    )
    assert accepted < 60


def test_ids_outside_the_integer_columns_are_refused() -> None:
    for bad in ((-1, 1), (1, -1), (2**31, 1), (1, 2**31)):
        with pytest.raises(ValueError):
            short_code(*bad)
    with pytest.raises(ValueError):
        short_codes(1, [1, 2**31])
    assert short_codes(1, []) == []
