"""The window arithmetic of the shared send rate (siyu.worker.outbox): whole seconds, never moving back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siyu.worker.outbox import RATE_EPOCH, Reservation, give_back, rate_window, reserve, until_next_window

T = datetime(2026, 12, 2, 2, 0, tzinfo=UTC).timestamp()


def test_a_window_is_one_wall_clock_second_counted_from_2000() -> None:
    assert rate_window(RATE_EPOCH) == 0
    assert rate_window(T) == rate_window(T + 0.999) == rate_window(T + 1) - 1
    assert rate_window(T - 0.001) == rate_window(T) - 1
    assert rate_window(datetime(2068, 1, 1, tzinfo=UTC).timestamp()) < 2**31  # fits the integer column


def test_until_next_window() -> None:
    assert until_next_window(T) == pytest.approx(1.0)
    assert until_next_window(T + 0.25) == pytest.approx(0.75)
    assert 0 < until_next_window(T + 0.999999) <= 0.001


def test_a_new_window_starts_from_zero() -> None:
    assert reserve(rate=50, window=10, used=50, now_window=11, wanted=20) == Reservation(11, 20, 20)
    assert reserve(rate=50, window=0, used=0, now_window=11, wanted=80) == Reservation(11, 50, 50)


def test_the_same_window_hands_out_only_what_is_left() -> None:
    assert reserve(rate=50, window=11, used=45, now_window=11, wanted=20) == Reservation(11, 50, 5)
    assert reserve(rate=50, window=11, used=50, now_window=11, wanted=20) == Reservation(11, 50, 0)
    assert reserve(rate=50, window=11, used=10, now_window=11, wanted=0) == Reservation(11, 10, 0)


def test_a_window_never_moves_back_for_a_worker_whose_clock_lags() -> None:
    # another worker (clock ahead) already counts window 12: this one's window 11 counts in 12 too
    assert reserve(rate=50, window=12, used=48, now_window=11, wanted=5) == Reservation(12, 50, 2)


def test_a_rate_lowered_below_what_was_used_hands_out_nothing() -> None:
    assert reserve(rate=10, window=11, used=30, now_window=11, wanted=5) == Reservation(11, 30, 0)


def test_giving_back_counts_only_in_the_window_it_was_reserved_in() -> None:
    assert give_back(window=11, used=30, reserved_window=11, unused=4) == 26
    assert give_back(window=12, used=3, reserved_window=11, unused=4) == 3  # that window is over
    assert give_back(window=11, used=2, reserved_window=11, unused=4) == 0
