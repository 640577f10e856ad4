"""Phones: kept as given, masked on screen, encrypted at rest, keyed hash only for complete numbers."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.core.phones import PhoneVault, analyse

VAULT = PhoneVault(base64.b64encode(b"k" * 32).decode(), "salt")


def test_a_full_mobile_is_masked_and_hashable() -> None:
    facts = analyse("+86 138 0013 8000")
    assert facts is not None
    assert (facts.masked, facts.tail, facts.full_mobile) == ("138****8000", "8000", "13800138000")


def test_a_masked_jd_phone_is_kept_exactly_and_never_completed() -> None:
    facts = analyse("138****1234")
    assert facts is not None
    assert (facts.given, facts.masked, facts.tail, facts.full_mobile) == ("138****1234", "138****1234", "1234", None)


def test_a_virtual_number_with_extension_is_masked_and_not_hashed() -> None:
    facts = analyse("13800138000-5678")
    assert facts is not None
    assert (facts.masked, facts.full_mobile) == ("138****8000-5678", None)


def test_an_empty_phone_is_nothing() -> None:
    assert analyse(" \t") is None


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True) | st.text(min_size=1, max_size=30))
def test_encryption_round_trips(clear: str) -> None:
    assert VAULT.decrypt(VAULT.encrypt(clear)) == clear


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_an_encrypted_phone_never_contains_the_number(clear: str) -> None:
    sealed = VAULT.encrypt(clear)
    assert VAULT.decrypt(sealed) == clear
    assert clear not in sealed


def test_the_same_phone_encrypts_differently_each_time_but_hashes_the_same() -> None:
    assert VAULT.encrypt("13800138000") != VAULT.encrypt("13800138000")
    assert VAULT.match_hash("13800138000") == VAULT.match_hash("13800138000")
    assert PhoneVault(base64.b64encode(b"k" * 32).decode(), "other").match_hash("13800138000") != VAULT.match_hash(
        "13800138000"
    )


def test_a_wrong_size_key_is_refused() -> None:
    with pytest.raises(ValueError):
        PhoneVault(base64.b64encode(b"short").decode(), "salt")
