"""Template terms, discounts, windows and channels (pure rules, no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.promotions import domain
from siyu.promotions.domain import Offer, OrderLine, TemplateTerms, check_terms
from siyu.promotions.errors import (
    ChannelNotAllowed,
    InvalidTemplate,
    NothingInScope,
    ThresholdNotMet,
    UnknownChannel,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
BASE = TemplateTerms(
    kind="full_reduction",
    claim_start=T0,
    claim_end=T0 + timedelta(days=7),
    total_stock=10,
    threshold_fen=10_000,
    reduction_fen=2_000,
    use_end=T0 + timedelta(days=30),
)


def refused(terms: TemplateTerms) -> InvalidTemplate:
    with pytest.raises(InvalidTemplate) as caught:
        check_terms(terms)
    assert caught.value.zh and caught.value.en
    return caught.value


def test_a_plain_full_reduction_template_is_accepted() -> None:
    check_terms(BASE)


def test_full_reduction_needs_the_threshold() -> None:
    assert refused(replace(BASE, threshold_fen=0)).details["field"] == "threshold_fen"


def test_full_reduction_refuses_a_reduction_as_large_as_the_threshold() -> None:
    error = refused(replace(BASE, reduction_fen=10_000))
    assert error.details["field"] == "reduction_fen"
    assert "小于门槛" in error.zh and "less than its threshold" in error.en


def test_discount_pct_outside_1_to_99_is_refused() -> None:
    for pct in (0, 100, -5, None):
        refused(replace(BASE, kind="discount", threshold_fen=0, reduction_fen=0, discount_pct=pct))
    check_terms(replace(BASE, kind="discount", threshold_fen=0, reduction_fen=0, discount_pct=85))


def test_only_a_discount_coupon_has_a_percentage_or_a_cap() -> None:
    refused(replace(BASE, discount_pct=85))
    refused(replace(BASE, max_discount_fen=500))


def test_a_no_threshold_coupon_has_a_reduction_and_no_threshold() -> None:
    check_terms(replace(BASE, kind="no_threshold", threshold_fen=0, reduction_fen=500))
    refused(replace(BASE, kind="no_threshold", threshold_fen=100, reduction_fen=500))
    refused(replace(BASE, kind="no_threshold", threshold_fen=0, reduction_fen=0))


def test_reversed_windows_are_refused() -> None:
    assert refused(replace(BASE, claim_end=T0 - timedelta(hours=1))).details["field"] == "claim_end"
    reversed_use = replace(BASE, use_start=T0 + timedelta(days=40), use_end=T0 + timedelta(days=30))
    assert refused(reversed_use).details["field"] == "use_end"


def test_the_use_window_may_not_end_before_the_claim_window() -> None:
    refused(replace(BASE, use_end=T0 + timedelta(days=3)))


def test_a_use_window_is_required_fixed_or_relative() -> None:
    refused(replace(BASE, use_end=None))
    check_terms(replace(BASE, use_end=None, use_days=7))
    refused(replace(BASE, use_end=None, use_days=0))


def test_stock_below_one_and_limits_below_one_are_refused() -> None:
    assert refused(replace(BASE, total_stock=0)).details["field"] == "total_stock"
    assert refused(replace(BASE, per_customer_limit=0)).details["field"] == "per_customer_limit"


def test_a_scoped_coupon_lists_its_skus_or_categories_and_a_shop_coupon_lists_none() -> None:
    refused(replace(BASE, scope="skus"))
    refused(replace(BASE, scope="shop", scope_items=("100001",)))
    refused(replace(BASE, scope="brands", scope_items=("x",)))
    check_terms(replace(BASE, scope="categories", scope_items=("洗护",)))


def test_fission_friends_go_with_the_fission_channel_only() -> None:
    refused(replace(BASE, channel="fission"))
    refused(replace(BASE, channel="any", fission_friends=3))
    check_terms(replace(BASE, channel="fission", fission_friends=3))
    refused(replace(BASE, channel="everyone"))


def test_naive_times_are_refused() -> None:
    refused(replace(BASE, claim_start=T0.replace(tzinfo=None)))


# ---- windows --------------------------------------------------------------------------------------------
def test_the_claim_window_includes_both_ends() -> None:
    assert domain.claim_window_state(BASE, T0 - timedelta(microseconds=1)) == "early"
    assert domain.claim_window_state(BASE, T0) == "open"
    assert domain.claim_window_state(BASE, BASE.claim_end) == "open"
    assert domain.claim_window_state(BASE, BASE.claim_end + timedelta(microseconds=1)) == "closed"


def test_a_fixed_use_window_starts_at_claim_or_use_start() -> None:
    claimed = T0 + timedelta(days=1)
    assert domain.validity(BASE, claimed) == (claimed, BASE.use_end)
    later_start = replace(BASE, use_start=T0 + timedelta(days=3))
    assert domain.validity(later_start, claimed) == (T0 + timedelta(days=3), BASE.use_end)


def test_a_relative_window_runs_use_days_from_the_claim_but_never_past_a_fixed_end() -> None:
    relative = replace(BASE, use_end=None, use_days=7)
    claimed = T0 + timedelta(days=2)
    assert domain.validity(relative, claimed) == (claimed, claimed + timedelta(days=7))
    capped = replace(BASE, use_end=T0 + timedelta(days=8), use_days=7)
    assert domain.validity(capped, claimed) == (claimed, T0 + timedelta(days=8))


# ---- channels -------------------------------------------------------------------------------------------
def test_a_group_only_coupon_is_claimed_only_through_the_group_channel() -> None:
    domain.check_channel("group", "group", is_member=False)
    for channel in ("shop", "member", "mall", "api"):
        with pytest.raises(ChannelNotAllowed):
            domain.check_channel("group", channel, is_member=True)


def test_a_member_coupon_needs_a_member_through_any_channel() -> None:
    for channel in domain.CHANNELS:
        domain.check_channel("member", channel, is_member=True)
        with pytest.raises(ChannelNotAllowed):
            domain.check_channel("member", channel, is_member=False)


def test_an_unknown_channel_is_refused() -> None:
    with pytest.raises(UnknownChannel):
        domain.check_channel("any", "telepathy", is_member=True)


# ---- discounts ------------------------------------------------------------------------------------------
FULL = Offer("full_reduction", threshold_fen=10_000, reduction_fen=2_000)


def test_full_reduction_takes_exactly_the_reduction_at_the_threshold() -> None:
    assert domain.price_order(FULL, [OrderLine("1", "c", 10_000)]) == (10_000, 2_000)
    with pytest.raises(ThresholdNotMet):
        domain.price_order(FULL, [OrderLine("1", "c", 9_999)])


def test_a_discount_is_rounded_down_to_whole_fen() -> None:
    offer = Offer("discount", discount_pct=85)
    # 15% of 9,999 fen is 1,499.85 fen: the discount is 1,499, the customer pays 8,500
    assert domain.price_order(offer, [OrderLine("1", "c", 9_999)]) == (9_999, 1_499)


def test_a_discount_is_capped_by_max_discount_fen() -> None:
    offer = Offer("discount", discount_pct=50, max_discount_fen=3_000)
    assert domain.price_order(offer, [OrderLine("1", "c", 20_000)])[1] == 3_000


def test_no_threshold_never_takes_more_than_the_order() -> None:
    offer = Offer("no_threshold", reduction_fen=1_000)
    assert domain.price_order(offer, [OrderLine("1", "c", 600)])[1] == 600


def test_a_sku_coupon_counts_only_lines_of_its_skus() -> None:
    offer = Offer("full_reduction", 5_000, 1_000, scope="skus", scope_items=frozenset({"A"}))
    lines = [OrderLine("A", "x", 4_000), OrderLine("B", "x", 9_000)]
    with pytest.raises(ThresholdNotMet):
        domain.price_order(offer, lines)
    assert domain.price_order(offer, [*lines, OrderLine("A", "x", 1_000)]) == (5_000, 1_000)


def test_a_category_coupon_on_an_order_without_its_categories_is_refused() -> None:
    offer = Offer("no_threshold", reduction_fen=100, scope="categories", scope_items=frozenset({"母婴"}))
    with pytest.raises(NothingInScope):
        domain.price_order(offer, [OrderLine("A", "洗护", 4_000)])
    assert domain.price_order(offer, [OrderLine("A", "母婴", 50), OrderLine("B", "洗护", 9_000)]) == (50, 50)


offers = st.one_of(
    st.builds(
        lambda t, r: Offer("full_reduction", threshold_fen=t, reduction_fen=min(r, t - 1)),
        st.integers(2, 10**7),
        st.integers(1, 10**7),
    ),
    st.builds(
        lambda p, t, cap: Offer("discount", threshold_fen=t, discount_pct=p, max_discount_fen=cap),
        st.integers(1, 99),
        st.integers(0, 10**6),
        st.none() | st.integers(1, 10**6),
    ),
    st.builds(lambda r: Offer("no_threshold", reduction_fen=r), st.integers(1, 10**7)),
)


@given(offers, st.integers(0, 10**8))
def test_a_discount_is_never_negative_nor_more_than_the_amount(offer: Offer, amount: int) -> None:
    off = domain.discount_for(offer, amount)
    assert 0 <= off <= amount


@given(offers, st.integers(1, 10**8))
def test_a_discount_is_exact(offer: Offer, amount: int) -> None:
    off = domain.discount_for(offer, amount)
    if offer.kind == "full_reduction" and amount >= offer.threshold_fen:
        assert off == offer.reduction_fen
    if offer.kind == "discount":
        assert offer.discount_pct is not None
        exact = amount * (100 - offer.discount_pct) // 100  # the largest whole fen not above the true value
        assert exact * 100 <= amount * (100 - offer.discount_pct) < (exact + 1) * 100
        assert off == (exact if offer.max_discount_fen is None else min(exact, offer.max_discount_fen))
    if offer.kind == "no_threshold":
        assert off == min(offer.reduction_fen, amount)


@given(st.integers(2, 10**7), st.integers(1, 10**7), st.integers(0, 10**8))
def test_full_reduction_applies_exactly_when_the_threshold_is_reached(
    threshold: int, reduction: int, amount: int
) -> None:
    offer = Offer("full_reduction", threshold_fen=threshold, reduction_fen=min(reduction, threshold - 1))
    if amount >= threshold:
        assert domain.price_order(offer, [OrderLine("1", "c", amount)])[1] == offer.reduction_fen
    else:
        with pytest.raises(ThresholdNotMet):
            domain.price_order(offer, [OrderLine("1", "c", amount)])


def test_codes_are_twelve_symbols_of_the_unambiguous_alphabet_and_differ() -> None:
    codes = {domain.new_code() for _ in range(1_000)}
    assert len(codes) == 1_000
    assert all(len(c) == 12 and set(c) <= set(domain.CODE_ALPHABET) for c in codes)
