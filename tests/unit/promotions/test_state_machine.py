"""The coupon's state machine: locked → claimed → used → claimed on refund; claimed/locked → expired."""

from __future__ import annotations

import contextlib
import itertools

import pytest

from siyu.promotions.domain import TRANSITIONS, CouponEvent, CouponStatus, initial_status, next_status
from siyu.promotions.errors import IllegalTransition


def test_a_fission_coupon_starts_locked_and_others_start_claimed() -> None:
    assert initial_status("fission") is CouponStatus.LOCKED
    for restriction in ("any", "member", "group"):
        assert initial_status(restriction) is CouponStatus.CLAIMED


def test_the_n_th_friend_unlocks_a_locked_coupon() -> None:
    assert next_status("locked", "unlock") is CouponStatus.CLAIMED


def test_a_claimed_coupon_is_used_and_a_refund_inside_the_window_gives_it_back() -> None:
    assert next_status("claimed", "use") is CouponStatus.USED
    assert next_status("used", "refund") is CouponStatus.CLAIMED


def test_a_refund_after_the_window_expires_the_coupon() -> None:
    assert next_status("used", "refund_late") is CouponStatus.EXPIRED


def test_locked_and_claimed_coupons_expire_but_used_ones_do_not() -> None:
    assert next_status("locked", "expire") is CouponStatus.EXPIRED
    assert next_status("claimed", "expire") is CouponStatus.EXPIRED
    with pytest.raises(IllegalTransition):
        next_status("used", "expire")


def test_expired_is_final() -> None:
    for event in CouponEvent:
        with pytest.raises(IllegalTransition):
            next_status("expired", event)


def test_a_locked_coupon_cannot_be_used_and_a_claimed_one_cannot_be_unlocked_again() -> None:
    with pytest.raises(IllegalTransition):
        next_status("locked", "use")
    with pytest.raises(IllegalTransition):
        next_status("claimed", "unlock")


def test_exactly_the_six_listed_moves_are_legal() -> None:
    legal = set()
    for status, event in itertools.product(CouponStatus, CouponEvent):
        with contextlib.suppress(IllegalTransition):
            legal.add((status, event, next_status(status, event)))
    assert legal == {(s, e, t) for (s, e), t in TRANSITIONS.items()}
    assert len(legal) == 6


def test_unknown_states_and_events_are_refused_with_the_domain_error() -> None:
    with pytest.raises(IllegalTransition):
        next_status("lost", "use")
    with pytest.raises(IllegalTransition):
        next_status("claimed", "steal")
