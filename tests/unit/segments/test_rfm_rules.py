"""SPEC §2 RFM rules, pure: scores, ties, segments, stages (seed [S] 002)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.segments.domain import (
    SEGMENTS,
    CustomerRfm,
    RfmSettings,
    StageSettings,
    cut_score,
    lifecycle_stage,
    loyalty_stage,
    monetary_level,
    quintile_scores,
    score_customers,
    segment_for,
)


def test_five_distinct_values_get_scores_one_to_five() -> None:
    assert quintile_scores([10, 20, 30, 40, 50]) == [1, 2, 3, 4, 5]


def test_tied_values_always_share_a_score() -> None:
    scores = quintile_scores([5, 5, 5, 5, 9, 1])
    assert scores[0] == scores[1] == scores[2] == scores[3]
    assert scores == [1, 1, 1, 1, 5, 1]  # the tie starts at rank 2 of 6: the bottom fifth


def test_a_single_customer_scores_one() -> None:
    assert quintile_scores([42]) == [1]


def test_for_recency_fewer_days_score_higher() -> None:
    assert quintile_scores([1, 400, 30, 90, 200], higher_is_better=False) == [5, 1, 4, 3, 2]


def test_cut_points_score_each_reached_cut() -> None:
    assert [cut_score(v, [1, 2, 3, 5]) for v in (0, 1, 2, 4, 9)] == [1, 2, 3, 4, 5]
    assert [cut_score(d, [180, 90, 30, 15], higher_is_better=False) for d in (400, 100, 60, 20, 3)] == [1, 2, 3, 4, 5]


def test_the_eight_segments_follow_the_seed_table() -> None:
    assert segment_for(True, True, True).zh == "重要价值客户"
    assert segment_for(True, True, False).zh == "一般价值客户"
    assert segment_for(True, False, True).zh == "重要发展客户"
    assert segment_for(True, False, False).zh == "一般发展客户"
    assert segment_for(False, True, True).zh == "重要保持客户"
    assert segment_for(False, True, False).zh == "一般保持客户"
    assert segment_for(False, False, True).zh == "重要挽留客户"
    assert segment_for(False, False, False).zh == "一般挽留客户"
    assert len({s.code for s in SEGMENTS.values()}) == 8


def test_average_split_compares_with_the_population_averages() -> None:
    rows = [CustomerRfm(1, 10, 5, 90_000), CustomerRfm(2, 200, 1, 10_000), CustomerRfm(3, 30, 1, 20_000)]
    scored = {s.customer_id: s.segment for s in score_customers(rows, RfmSettings())}
    # averages: R 80 days, F 2.33, M 40,000 fen
    assert scored == {1: "champions", 2: "low_value", 3: "needs_growth"}


def test_a_value_exactly_at_the_average_counts_as_low() -> None:
    rows = [CustomerRfm(1, 10, 2, 100), CustomerRfm(2, 10, 2, 100)]
    assert {s.segment for s in score_customers(rows, RfmSettings())} == {"low_value"}


def test_custom_thresholds_split_by_fixed_values() -> None:
    settings = RfmSettings(split_mode="custom", r_high_max_days=30, f_high_min=3, m_high_min_fen=50_000)
    rows = [CustomerRfm(1, 30, 3, 50_000), CustomerRfm(2, 31, 2, 49_999)]
    assert [s.segment for s in score_customers(rows, settings)] == ["champions", "low_value"]


def test_cut_points_must_be_four_and_ordered() -> None:
    with pytest.raises(ValueError):
        RfmSettings(f_cuts=[1, 2, 3])
    with pytest.raises(ValueError):
        RfmSettings(r_cuts_days=[15, 30, 90, 180])


@pytest.mark.parametrize(
    ("days", "stage"),
    [
        (0, "after_sale"),
        (15, "after_sale"),
        (16, "active"),
        (90, "usage"),
        (180, "silent"),
        (365, "sleeping"),
        (366, "lost"),
    ],
)
def test_lifecycle_stage_from_recency(days: int, stage: str) -> None:
    assert lifecycle_stage(days, StageSettings()) == stage


@pytest.mark.parametrize(
    ("orders", "stage"), [(0, "prospect"), (1, "new"), (2, "returning"), (3, "regular"), (6, "loyal"), (10, "fan")]
)
def test_loyalty_stage_from_frequency(orders: int, stage: str) -> None:
    assert loyalty_stage(orders, StageSettings()) == stage


def test_monetary_level_from_the_m_score() -> None:
    assert [monetary_level(s) for s in (1, 2, 3, 4, 5)] == ["low", "low", "medium", "medium", "high"]


population = st.lists(
    st.builds(
        CustomerRfm,
        customer_id=st.integers(1, 10**6),
        recency_days=st.integers(0, 730),
        frequency=st.integers(1, 40),
        monetary_fen=st.integers(1, 10**7),
    ),
    min_size=1,
    max_size=80,
    unique_by=lambda c: c.customer_id,
)


@given(population, st.sampled_from(["average", "score", "custom"]), st.sampled_from(["quintile", "cuts"]))
def test_every_customer_lands_in_exactly_one_segment_with_scores_in_range(
    rows: list[CustomerRfm], split: str, mode: str
) -> None:
    scored = score_customers(rows, RfmSettings(split_mode=split, score_mode=mode))  # type: ignore[arg-type]
    assert [s.customer_id for s in scored] == [r.customer_id for r in rows]
    assert all(1 <= s.r_score <= 5 and 1 <= s.f_score <= 5 and 1 <= s.m_score <= 5 for s in scored)
    counts: dict[str, int] = {}
    for s in scored:
        counts[s.segment] = counts.get(s.segment, 0) + 1
    assert sum(counts.values()) == len(rows)
    assert set(counts) <= {seg.code for seg in SEGMENTS.values()}


@given(population)
def test_better_values_never_score_lower(rows: list[CustomerRfm]) -> None:
    scored = score_customers(rows, RfmSettings())
    for a in scored:
        for b in scored:
            if a.frequency > b.frequency:
                assert a.f_score >= b.f_score
            if a.recency_days < b.recency_days:
                assert a.r_score >= b.r_score
