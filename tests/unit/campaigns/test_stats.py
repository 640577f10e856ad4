"""Hold-out attribution: incremental conversion and GMV with their intervals, ROI, the seed's benchmark."""

from __future__ import annotations

import math
import statistics
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.campaigns.stats import (
    MIN_ARM,
    SEED_BENCHMARK,
    SEED_BENCHMARK_AOV_FEN,
    SEED_BENCHMARK_CONVERSION,
    SEED_BENCHMARK_ROI,
    ArmTotals,
    incremental,
    roi,
)
from siyu.core.errors import InvalidInput


def totals(gmvs: list[int]) -> ArmTotals:
    """An arm from each recipient's GMV in fen (0 = did not convert)."""
    return ArmTotals(
        recipients=len(gmvs),
        converted=sum(1 for g in gmvs if g > 0),
        gmv_fen=sum(gmvs),
        gmv_sq_fen=sum(g * g for g in gmvs),
    )


# target: 100 recipients, 30 ordered ¥100 each; hold-out: 100 recipients, 20 ordered ¥100 each
TARGET = totals([10_000] * 30 + [0] * 70)
HOLDOUT = totals([10_000] * 20 + [0] * 80)


def test_conversion_lift_uses_the_unpooled_wald_interval() -> None:
    r = incremental(TARGET, HOLDOUT)
    assert r.enough_data and r.reason_zh == r.reason_en == ""
    assert r.conversion_target == pytest.approx(0.30)
    assert r.conversion_holdout == pytest.approx(0.20)
    assert r.conversion_lift == pytest.approx(0.10)
    # by hand: se² = 0.3·0.7/100 + 0.2·0.8/100 = 0.0021 + 0.0016 = 0.0037; 1.96·√0.0037 = 0.119222…
    half = 1.96 * math.sqrt(0.0037)
    assert half == pytest.approx(0.1192221, abs=1e-7)
    assert r.conversion_lift_low == pytest.approx(0.10 - 0.1192221, abs=1e-7)
    assert r.conversion_lift_high == pytest.approx(0.10 + 0.1192221, abs=1e-7)
    assert not r.conversion_significant


def test_gmv_lift_uses_welchs_standard_error_with_sample_variances() -> None:
    r = incremental(TARGET, HOLDOUT)
    assert r.gmv_per_recipient_target == pytest.approx(3_000)
    assert r.gmv_per_recipient_holdout == pytest.approx(2_000)
    assert r.gmv_lift_per_recipient == pytest.approx(1_000)
    # by hand: s₁² = 10⁸·0.3·0.7·100/99, s₀² = 10⁸·0.2·0.8·100/99 → se² = (0.21 + 0.16)·10⁸/99 = 3.7·10⁷/99
    se = math.sqrt(3.7e7 / 99)
    assert se == pytest.approx(611.3406, abs=1e-4)
    # and independently from the per-customer values with the standard library (n − 1 variance)
    t = [10_000] * 30 + [0] * 70
    h = [10_000] * 20 + [0] * 80
    se_stdlib = math.sqrt(statistics.variance(t) / 100 + statistics.variance(h) / 100)
    assert se_stdlib == pytest.approx(se)
    assert r.gmv_lift_low == pytest.approx(1_000 - 1.96 * se)
    assert r.gmv_lift_high == pytest.approx(1_000 + 1.96 * se)
    assert r.gmv_lift_low == pytest.approx(-198.2276, abs=1e-3)
    # incremental GMV: lift per recipient × target recipients, the interval scaled the same way
    assert r.incremental_gmv_fen == 100_000
    assert r.incremental_gmv_low_fen == round((1_000 - 1.96 * se) * 100) == -19_823
    assert r.incremental_gmv_high_fen == round((1_000 + 1.96 * se) * 100) == 219_823
    assert not r.gmv_significant


def test_a_clear_lift_is_significant_and_z_widens_the_interval() -> None:
    target = totals([20_000] * 400 + [0] * 600)
    holdout = totals([20_000] * 100 + [0] * 900)
    r = incremental(target, holdout)
    assert r.conversion_lift == pytest.approx(0.30)
    assert r.conversion_significant and r.gmv_significant
    assert r.incremental_gmv_fen == 6_000 * 1_000
    wide = incremental(target, holdout, z=2.576)
    assert wide.conversion_lift_low is not None and r.conversion_lift_low is not None
    assert wide.conversion_lift_low < r.conversion_lift_low


def test_unequal_arms_and_varied_gmv_match_the_formulas() -> None:
    t = [0] * 50 + [5_000, 12_000, 30_000, 8_800, 19_900] * 10
    h = [0] * 25 + [6_000, 9_900] * 5
    r = incremental(totals(t), totals(h))
    p1, p0 = 50 / 100, 10 / 35
    se_c = math.sqrt(p1 * (1 - p1) / 100 + p0 * (1 - p0) / 35)
    assert r.conversion_lift_low == pytest.approx(p1 - p0 - 1.96 * se_c)
    m1, m0 = statistics.fmean(t), statistics.fmean(h)
    se_g = math.sqrt(statistics.variance(t) / 100 + statistics.variance(h) / 35)
    assert r.gmv_lift_per_recipient == pytest.approx(m1 - m0)
    assert r.gmv_lift_high == pytest.approx(m1 - m0 + 1.96 * se_g)
    assert r.incremental_gmv_fen == round((m1 - m0) * 100)


def test_arms_below_30_recipients_give_no_interval_but_say_why() -> None:
    r = incremental(totals([10_000] * 5 + [0] * 24), HOLDOUT)
    assert MIN_ARM == 30
    assert not r.enough_data
    assert r.conversion_lift_low is r.conversion_lift_high is None
    assert r.gmv_lift_low is r.gmv_lift_high is None
    assert r.incremental_gmv_low_fen is r.incremental_gmv_high_fen is None
    assert "30" in r.reason_zh and "30" in r.reason_en
    assert r.incremental_gmv_fen == round((50_000 / 29 - 2_000) * 29)
    assert not r.conversion_significant and not r.gmv_significant


def test_exactly_30_in_each_arm_is_enough() -> None:
    assert incremental(totals([100] * 30), totals([0] * 30)).enough_data


def test_empty_arms_do_not_divide_by_zero() -> None:
    empty = ArmTotals(0, 0, 0, 0)
    r = incremental(empty, empty)
    assert (r.conversion_target, r.conversion_holdout, r.conversion_lift) == (0.0, 0.0, 0.0)
    assert r.gmv_lift_per_recipient == 0.0 and r.incremental_gmv_fen == 0
    assert not r.enough_data
    r = incremental(TARGET, empty)
    assert r.conversion_lift == pytest.approx(0.30) and r.incremental_gmv_fen == 300_000


def test_an_arm_of_one_has_no_variance() -> None:
    assert totals([5]).variance_gmv is None
    assert totals([5, 7]).variance_gmv == pytest.approx(2.0)


def test_nobody_converting_gives_zero_width_intervals() -> None:
    r = incremental(totals([0] * 50), totals([0] * 50))
    assert r.conversion_lift_low == r.conversion_lift_high == 0.0
    assert r.incremental_gmv_low_fen == r.incremental_gmv_high_fen == 0


@pytest.mark.parametrize(
    "arm",
    [(-1, 0, 0, 0), (10, 11, 0, 0), (10, 1, 100, 99), (0, 0, 5, 25), (10, 1, 0, -1)],
)
def test_inconsistent_totals_are_refused(arm: tuple[int, int, int, int]) -> None:
    with pytest.raises(InvalidInput) as caught:
        ArmTotals(*arm)
    assert caught.value.code == "campaign_invalid_totals"


@given(
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=30, max_size=80),
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=30, max_size=80),
)
def test_the_interval_always_contains_the_estimate(t: list[int], h: list[int]) -> None:
    r = incremental(totals(t), totals(h))
    assert r.conversion_lift_low is not None and r.conversion_lift_high is not None
    assert r.conversion_lift_low <= r.conversion_lift <= r.conversion_lift_high
    assert r.gmv_lift_low is not None and r.gmv_lift_high is not None
    assert r.gmv_lift_low <= r.gmv_lift_per_recipient + 1e-6
    assert r.gmv_lift_per_recipient <= r.gmv_lift_high + 1e-6
    se = math.sqrt(statistics.variance(t) / len(t) + statistics.variance(h) / len(h))
    assert r.gmv_lift_high - r.gmv_lift_low == pytest.approx(2 * 1.96 * se, rel=1e-6, abs=1e-6)


# ---- ROI and the seed's benchmark ----------------------------------------------------------------------
def test_roi_is_gmv_over_cost() -> None:
    assert roi(250_000, 10_000) == Decimal("25.00")
    assert roi(100, 3) == Decimal("33.33")
    assert roi(200, 3) == Decimal("66.67")
    assert roi(0, 500) == Decimal("0.00")


def test_roi_without_cost_is_unknown() -> None:
    assert roi(10_000, 0) is None
    with pytest.raises(ValueError):
        roi(10_000, -1)


def test_the_seeds_benchmark_is_roi_1_to_25_at_aov_100_to_250_yuan_and_conversion_above_25_percent() -> None:
    assert (
        Decimal(25),
        (10_000, 25_000),
        0.25,
    ) == (SEED_BENCHMARK_ROI, SEED_BENCHMARK_AOV_FEN, SEED_BENCHMARK_CONVERSION)
    assert SEED_BENCHMARK.applies_to(10_000) and SEED_BENCHMARK.applies_to(25_000)
    assert not SEED_BENCHMARK.applies_to(9_999) and not SEED_BENCHMARK.applies_to(25_001)
