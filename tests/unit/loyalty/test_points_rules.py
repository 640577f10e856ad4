"""The pure rules of points and tiers (siyu.loyalty.domain), one test per rule."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from siyu.loyalty.domain import (
    CheckinRule,
    Lot,
    NotEnoughPoints,
    ProgramSettings,
    TierRung,
    checkin_bonus,
    clawback,
    fitting_level,
    growth_for_order,
    is_member_day,
    normalise_mobile,
    order_points,
    phone_hmac,
    repay_debt,
    reviewed_level,
    streak_on,
    take_fifo,
)

RUNGS = [TierRung(1, 0, 100), TierRung(2, 50_000, 120), TierRung(3, 200_000, 150), TierRung(4, 500_000, 200)]


# ---- earning ------------------------------------------------------------------------------------------------
def test_order_points_count_whole_yuan_then_multiply_and_round_down() -> None:
    # ¥250.99 at 1 pt/yuan: the 99 fen earn nothing; 250 × 1.5 (gold) × 2 (member day) = 750
    assert order_points(25_099, points_per_yuan=1, tier_pct=150, day_pct=200) == 750
    assert order_points(25_099, points_per_yuan=1) == 250
    # 1.2 × 1 yuan = 1.2 → 1; 1.2 × 5 yuan = 6
    assert order_points(199, points_per_yuan=1, tier_pct=120) == 1
    assert order_points(500, points_per_yuan=1, tier_pct=120) == 6
    assert order_points(1_999, points_per_yuan=3, tier_pct=150) == 85  # 19 yuan × 3 × 1.5 = 85.5
    assert order_points(100_00, points_per_yuan=2, tier_pct=125, day_pct=300) == 750


def test_an_order_under_one_yuan_or_unpaid_earns_nothing() -> None:
    assert order_points(99, points_per_yuan=10, tier_pct=200, day_pct=200) == 0
    assert order_points(0, points_per_yuan=1) == 0
    assert order_points(-5_000, points_per_yuan=1) == 0
    assert order_points(5_000, points_per_yuan=0) == 0


def test_growth_is_one_per_yuan_paid_by_default_and_never_negative() -> None:
    assert growth_for_order(25_099, 1) == 250
    assert growth_for_order(99, 1) == 0
    assert growth_for_order(-100, 1) == 0
    assert growth_for_order(10_000, 0) == 0


def test_the_member_day_is_that_day_of_each_month_only_when_set() -> None:
    assert is_member_day(date(2025, 3, 18), 18)
    assert is_member_day(date(2025, 4, 18), 18)
    assert not is_member_day(date(2025, 3, 17), 18)
    assert not is_member_day(date(2025, 3, 18), None)


# ---- FIFO, refunds, debt --------------------------------------------------------------------------------------
def test_points_are_spent_oldest_first_across_lots() -> None:
    lots = [Lot(1, 30), Lot(2, 50), Lot(3, 20)]
    assert take_fifo(lots, 60) == [(1, 30), (2, 30)]
    assert take_fifo(lots, 30) == [(1, 30)]
    assert take_fifo(lots, 100) == [(1, 30), (2, 50), (3, 20)]
    assert take_fifo(lots, 0) == []


def test_empty_lots_are_skipped_when_spending() -> None:
    assert take_fifo([Lot(1, 0), Lot(2, 5)], 3) == [(2, 3)]


def test_a_spend_takes_all_or_nothing() -> None:
    with pytest.raises(NotEnoughPoints) as caught:
        take_fifo([Lot(1, 30), Lot(2, 50)], 81)
    assert (caught.value.wanted, caught.value.available) == (81, 80)
    with pytest.raises(ValueError):
        take_fifo([Lot(1, 30)], -1)


def test_a_refund_takes_back_the_points_its_order_earned_from_its_own_lot_first() -> None:
    plan = clawback(100, 100, [Lot(7, 500)])
    assert (plan.from_order_lot, plan.from_other_lots, plan.debt, plan.taken) == (100, [], 0, 100)


def test_a_refund_takes_what_its_lot_lacks_from_other_lots_oldest_first() -> None:
    plan = clawback(100, 30, [Lot(7, 50), Lot(8, 50)])
    assert (plan.from_order_lot, plan.from_other_lots, plan.debt, plan.taken) == (30, [(7, 50), (8, 20)], 0, 100)


def test_points_already_spent_become_a_debt_not_a_negative_balance() -> None:
    plan = clawback(100, 30, [Lot(7, 50)])
    assert (plan.from_order_lot, plan.from_other_lots, plan.debt, plan.taken) == (30, [(7, 50)], 20, 80)
    nothing_left = clawback(100, 0, [])
    assert (nothing_left.taken, nothing_left.debt) == (0, 100)


def test_later_earnings_repay_the_debt_first() -> None:
    assert repay_debt(30, 100) == 30  # all of it goes to the debt
    assert repay_debt(150, 100) == 100  # the debt is cleared, 50 are credited
    assert repay_debt(150, 0) == 0
    assert repay_debt(-5, 10) == 0


# ---- check-in streaks -------------------------------------------------------------------------------------------
def test_a_streak_counts_consecutive_days_ending_today() -> None:
    today = date(2025, 3, 10)
    days = [today - timedelta(days=n) for n in (1, 2, 3, 5)]
    assert streak_on(today, days) == 4
    assert streak_on(today, []) == 1
    assert streak_on(today, [today - timedelta(days=2)]) == 1  # a missed day breaks the streak


def test_the_streak_bonus_comes_on_its_day_and_the_cycle_restarts_after_the_longest() -> None:
    rule = CheckinRule(points=5, streak_bonus={7: 20, 3: 5})
    bonuses = [checkin_bonus(day, rule) for day in range(1, 16)]
    assert bonuses == [0, 0, 5, 0, 0, 0, 20, 0, 0, 5, 0, 0, 0, 20, 0]
    assert checkin_bonus(3, CheckinRule(streak_bonus={})) == 0


# ---- tiers --------------------------------------------------------------------------------------------------------
def test_the_fitting_tier_is_the_highest_threshold_reached() -> None:
    assert fitting_level(0, RUNGS) == 1
    assert fitting_level(49_999, RUNGS) == 1
    assert fitting_level(50_000, RUNGS) == 2
    assert fitting_level(499_999, RUNGS) == 3
    assert fitting_level(10_000_000, list(reversed(RUNGS))) == 4
    assert fitting_level(123, []) == 1


def test_a_review_upgrades_at_once_whatever_the_downgrade_rule() -> None:
    for rule in ("none", "one_level", "to_fitting"):
        assert reviewed_level(1, 600_000, RUNGS, rule) == 4
        assert reviewed_level(2, 200_000, RUNGS, rule) == 3


def test_downgrade_none_keeps_the_tier() -> None:
    assert reviewed_level(4, 0, RUNGS, "none") == 4


def test_downgrade_one_level_steps_down_one_tier_per_review() -> None:
    assert reviewed_level(4, 0, RUNGS, "one_level") == 3
    assert reviewed_level(3, 0, RUNGS, "one_level") == 2
    assert reviewed_level(2, 0, RUNGS, "one_level") == 1
    assert reviewed_level(1, 0, RUNGS, "one_level") == 1
    assert reviewed_level(4, 250_000, RUNGS, "one_level") == 3  # never below what still fits


def test_downgrade_to_fitting_drops_straight_to_the_tier_that_fits() -> None:
    assert reviewed_level(4, 0, RUNGS, "to_fitting") == 1
    assert reviewed_level(4, 60_000, RUNGS, "to_fitting") == 2
    assert reviewed_level(3, 200_000, RUNGS, "to_fitting") == 3


# ---- phones and the matching hash ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "mobile"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("(+86)19912345678", "19912345678"),
        ("（+86）19912345678", "19912345678"),
    ],
)
def test_a_typed_mobile_is_normalised_to_eleven_digits(typed: str, mobile: str) -> None:
    assert normalise_mobile(typed) == mobile


@pytest.mark.parametrize(
    "typed", ["", "1380013800", "138001380001", "12800138000", "23800138000", "138****8000", "abc"]
)
def test_what_is_not_a_mainland_mobile_is_refused(typed: str) -> None:
    assert normalise_mobile(typed) is None


def test_the_matching_hash_is_hmac_sha256_of_the_eleven_digits_in_lowercase_hex() -> None:
    secret, mobile = "shared-brand-secret", "13800138000"
    expected = hmac.new(secret.encode("utf-8"), mobile.encode("utf-8"), hashlib.sha256).hexdigest()
    assert phone_hmac(secret, mobile) == expected
    assert len(expected) == 64 and expected == expected.lower()
    assert phone_hmac("another-secret", mobile) != expected  # a different key, a different hash
    assert phone_hmac(secret, mobile) != hashlib.sha256(mobile.encode()).hexdigest()  # keyed, not plain


# ---- settings -------------------------------------------------------------------------------------------------
def test_programme_defaults_are_sensible() -> None:
    settings = ProgramSettings()
    assert (settings.points_per_yuan, settings.expiry_days, settings.member_day, settings.downgrade) == (
        1,
        365,
        None,
        "one_level",
    )
    assert settings.checkin.streak_bonus == {3: 5, 7: 20}


def test_programme_settings_refuse_out_of_range_figures() -> None:
    for bad in (
        {"points_per_yuan": -1},
        {"member_day": 29},  # not every month has one
        {"member_day": 0},
        {"member_day_multiplier_pct": 99},
        {"expiry_days": 4_000},
        {"tier_window_days": 7},
        {"downgrade": "sometimes"},
        {"tier_basis": "mood"},
        {"interactions": {"dance": {"points": 5}}},
        {"checkin": {"streak_bonus": {0: 5}}},
        {"checkin": {"streak_bonus": {3: -1}}},
        {"interactions": {"cart": {"points": -2}}},
    ):
        with pytest.raises(ValidationError):
            ProgramSettings.model_validate(bad)


def test_streak_bonus_days_are_kept_in_order() -> None:
    assert list(CheckinRule(streak_bonus={7: 20, 3: 5, 5: 1}).streak_bonus) == [3, 5, 7]


def test_checkin_is_once_a_day_and_an_unset_interaction_earns_nothing() -> None:
    settings = ProgramSettings.model_validate(
        {"checkin": {"points": 8, "growth": 2}, "interactions": {"cart": {"points": 2, "daily_limit": 5}}}
    )
    checkin = settings.interaction("checkin")
    assert (checkin.points, checkin.daily_limit, checkin.lifetime_limit, checkin.growth) == (8, 1, 0, 2)
    assert settings.interaction("cart").points == 2
    vote = settings.interaction("vote")  # not configured in this programme
    assert (vote.points, vote.daily_limit) == (0, 0)


def test_settings_survive_a_json_round_trip() -> None:
    settings = ProgramSettings(member_day=18, checkin=CheckinRule(streak_bonus={2: 3}))
    again = ProgramSettings.model_validate(settings.model_dump(mode="json"))
    assert again == settings
    assert again.checkin.streak_bonus == {2: 3}
