"""The campaign calendar: coverage per event kind, SMS waves per the seed, quiet hours (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.campaigns.planning import (
    EVENT_KINDS,
    YEARLY_MINIMUM,
    PlannedEvent,
    Wave,
    below_minimum,
    coverage_buckets,
    coverage_share,
    in_quiet_hours,
    plan_waves,
    quiet_hours_end,
)
from siyu.core.errors import InvalidInput

QUIET = {"quiet_start": time(20, 0), "quiet_end": time(8, 0)}


def when(waves: list[Wave]) -> list[datetime]:
    return [w.send_at for w in waves]


# ---- coverage ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "share"),
    [("big", Fraction(1)), ("medium", Fraction(3, 10)), ("routine", Fraction(1, 10)), ("new_arrival", Fraction(3, 10))],
)
def test_events_cover_the_seeds_share_of_customers(kind: str, share: Fraction) -> None:
    assert coverage_share(kind) == share
    assert EVENT_KINDS[kind].label_zh and EVENT_KINDS[kind].label_en


def test_an_unknown_event_kind_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        coverage_share("huge")
    assert caught.value.code == "campaign_unknown_event_kind"


def test_customers_are_bucketed_by_marketing_sms_received() -> None:
    assert coverage_buckets([0, 0, 1, 5, 6, 7, 30, 3]) == [
        ("0", 2),
        ("1", 1),
        ("2", 0),
        ("3", 1),
        ("4", 0),
        ("5", 1),
        ("6+", 3),
    ]
    assert coverage_buckets([]) == [(label, 0) for label in ("0", "1", "2", "3", "4", "5", "6+")]
    with pytest.raises(ValueError):
        coverage_buckets([-1])


def test_every_customer_should_get_at_least_five_marketing_sms_a_year() -> None:
    assert YEARLY_MINIMUM == 5
    assert below_minimum(4) and below_minimum(0)
    assert not below_minimum(5) and not below_minimum(6)


# ---- quiet hours ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("t", "quiet"),
    [
        (time(19, 59, 59, 999_999), False),
        (time(20, 0), True),
        (time(23, 59, 59), True),
        (time(0, 0), True),
        (time(7, 59, 59, 999_999), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_20_to_8_wrap_midnight_and_include_20_00_but_not_08_00(t: time, quiet: bool) -> None:
    assert in_quiet_hours(t, time(20), time(8)) is quiet


@pytest.mark.parametrize(
    ("t", "quiet"), [(time(11, 59), False), (time(12), True), (time(13, 59), True), (time(14), False)]
)
def test_quiet_hours_within_one_day(t: time, quiet: bool) -> None:
    assert in_quiet_hours(t, time(12), time(14)) is quiet


@pytest.mark.parametrize("t", [time(0), time(8), time(20), time(23, 59)])
def test_equal_start_and_end_mean_no_quiet_hours(t: time) -> None:
    assert not in_quiet_hours(t, time(8), time(8))


@pytest.mark.parametrize(
    ("local", "resume"),
    [
        (datetime(2026, 5, 31, 19, 59), datetime(2026, 5, 31, 19, 59)),  # not quiet: unchanged
        (datetime(2026, 5, 31, 20, 0), datetime(2026, 6, 1, 8, 0)),
        (datetime(2026, 5, 31, 23, 30), datetime(2026, 6, 1, 8, 0)),
        (datetime(2026, 6, 1, 0, 0), datetime(2026, 6, 1, 8, 0)),
        (datetime(2026, 6, 1, 7, 59, 59), datetime(2026, 6, 1, 8, 0)),
        (datetime(2026, 6, 1, 8, 0), datetime(2026, 6, 1, 8, 0)),
        (datetime(2026, 12, 31, 21, 0), datetime(2027, 1, 1, 8, 0)),
    ],
)
def test_sending_resumes_when_quiet_hours_end(local: datetime, resume: datetime) -> None:
    assert quiet_hours_end(local, time(20), time(8)) == resume


def test_quiet_hours_end_keeps_the_timezone_and_handles_same_day_quiet_hours() -> None:
    shanghai = timezone(timedelta(hours=8))
    got = quiet_hours_end(datetime(2026, 6, 1, 22, 15, 30, tzinfo=shanghai), time(20), time(8))
    assert got == datetime(2026, 6, 2, 8, 0, tzinfo=shanghai) and got.tzinfo is shanghai
    assert quiet_hours_end(datetime(2026, 6, 1, 13), time(12), time(14)) == datetime(2026, 6, 1, 14)
    assert quiet_hours_end(datetime(2026, 6, 1, 3), time(8), time(8)) == datetime(2026, 6, 1, 3)


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
    st.times(),
    st.times(),
)
def test_the_resume_time_is_never_quiet_never_earlier_and_at_most_a_day_later(
    local: datetime, start: time, end: time
) -> None:
    resume = quiet_hours_end(local, start, end)
    assert local <= resume <= local + timedelta(days=1)
    assert not in_quiet_hours(resume.time(), start, end)


# ---- waves ---------------------------------------------------------------------------------------------
def test_618_gets_its_preheat_in_late_may_the_eve_and_waves_in_early_june() -> None:
    event = PlannedEvent("618 年中大促", "big", datetime(2026, 6, 1, 0, 0), datetime(2026, 6, 18, 23, 59), "618")
    waves = plan_waves(event, **QUIET)
    assert when(waves) == [
        datetime(2026, 5, 25, 10),  # 618 preheat opens (5.25–5.31)
        datetime(2026, 5, 29, 10),  # D-3
        datetime(2026, 5, 30, 10),  # D-2
        datetime(2026, 5, 31, 19),  # the eve, moved from 20:00
        datetime(2026, 6, 1, 10),  # 2–3 waves in 6.1–6.20
        datetime(2026, 6, 10, 10),
        datetime(2026, 6, 17, 10),
    ]
    assert [w.step for w in waves] == ["season_preheat", "preheat", "preheat", "eve", "season", "season", "season"]
    assert [w.moved for w in waves] == [False, False, False, True, False, False, False]
    assert all(w.label_zh and w.label_en for w in waves)


def test_618_waves_stop_at_the_events_end() -> None:
    event = PlannedEvent("618", "big", datetime(2026, 6, 1), datetime(2026, 6, 5), "618")
    assert [w.send_at for w in plan_waves(event, **QUIET) if w.step == "season"] == [datetime(2026, 6, 1, 10)]


def test_618_season_waves_end_with_6_20_when_the_event_has_no_end() -> None:
    event = PlannedEvent("618 返场", "big", datetime(2026, 6, 15, 0, 0), None, "618")
    season = [w.send_at for w in plan_waves(event, **QUIET) if w.step == "season"]
    assert season == [datetime(2026, 6, 1, 10), datetime(2026, 6, 10, 10), datetime(2026, 6, 17, 10)]


def test_a_midnight_start_sends_the_day_before_and_the_eve_wave_leaves_quiet_hours_with_a_warning() -> None:
    event = PlannedEvent("双11", "big", datetime(2026, 11, 11, 0, 0), festival="11.11")
    waves = plan_waves(event, **QUIET)
    assert when(waves) == [datetime(2026, 11, 8, 10), datetime(2026, 11, 9, 10), datetime(2026, 11, 10, 19)]
    eve = waves[-1]
    assert eve.step == "eve" and eve.moved
    assert "20:00–08:00" in eve.warning_zh and "11-10 20:00" in eve.warning_zh and "11-10 19:00" in eve.warning_zh
    assert "quiet hours" in eve.warning_en and "do not deliver marketing SMS" in eve.warning_en
    assert all(w.send_at < event.starts_at for w in waves)


def test_waves_that_were_not_moved_carry_no_warning() -> None:
    waves = plan_waves(PlannedEvent("双12", "big", datetime(2026, 12, 12)), **QUIET)
    assert all(w.warning_zh == w.warning_en == "" for w in waves if not w.moved)


def test_a_10_00_start_sends_that_morning_and_the_day_before() -> None:
    event = PlannedEvent("会员日", "medium", datetime(2026, 3, 8, 10, 0))
    waves = plan_waves(event, **QUIET)
    assert when(waves) == [
        datetime(2026, 3, 5, 10),
        datetime(2026, 3, 6, 10),
        datetime(2026, 3, 7, 19),
        datetime(2026, 3, 8, 9),
    ]
    assert waves[-1].step == "same_day" and not waves[-1].moved


def test_a_20_00_start_gets_its_same_day_wave_before_quiet_hours() -> None:
    waves = plan_waves(PlannedEvent("开门红", "big", datetime(2026, 5, 31, 20, 0)), **QUIET)
    assert waves[-1].send_at == datetime(2026, 5, 31, 19) and waves[-1].step == "same_day"
    assert all(w.send_at < datetime(2026, 5, 31, 20) for w in waves)


def test_a_same_day_wave_that_would_fall_after_the_start_goes_at_the_start() -> None:
    # quiet hours end at 08:30, the event opens at 09:00: 08:00 is quiet, so the wave goes at 08:30
    waves = plan_waves(
        PlannedEvent("早场", "routine", datetime(2026, 3, 8, 9)), quiet_start=time(20), quiet_end=time(8, 30)
    )
    assert waves[-1].send_at == datetime(2026, 3, 8, 8, 30) and waves[-1].moved
    # quiet until 10:00 and an event at 09:30: the same-day wave cannot leave quiet hours before the start
    waves = plan_waves(
        PlannedEvent("早场", "routine", datetime(2026, 3, 8, 9, 30)), quiet_start=time(20), quiet_end=time(10)
    )
    assert all(w.step != "same_day" for w in waves)


def test_new_arrivals_are_announced_one_to_two_days_before() -> None:
    waves = plan_waves(PlannedEvent("夏装上新", "new_arrival", datetime(2026, 4, 1, 0, 0)), **QUIET)
    assert when(waves) == [datetime(2026, 3, 30, 10), datetime(2026, 3, 31, 19)]


def test_with_later_quiet_hours_the_eve_wave_stays_at_20_00() -> None:
    waves = plan_waves(PlannedEvent("双12", "big", datetime(2026, 12, 12)), quiet_start=time(22), quiet_end=time(8))
    eve = waves[-1]
    assert eve.send_at == datetime(2026, 12, 11, 20) and not eve.moved and eve.warning_zh == ""


def test_without_quiet_hours_nothing_moves() -> None:
    waves = plan_waves(PlannedEvent("双12", "big", datetime(2026, 12, 12)), quiet_start=time(0), quiet_end=time(0))
    assert not any(w.moved for w in waves)
    assert waves[-1].send_at == datetime(2026, 12, 11, 20)


def test_a_morning_wave_in_quiet_hours_moves_later_to_their_end() -> None:
    waves = plan_waves(PlannedEvent("会员日", "medium", datetime(2026, 3, 8)), quiet_start=time(20), quiet_end=time(11))
    preheats = [w for w in waves if w.step == "preheat"]
    assert [w.send_at for w in preheats] == [datetime(2026, 3, 5, 11), datetime(2026, 3, 6, 11)]
    assert all(w.moved and w.warning_en for w in preheats)


def test_waves_are_deduplicated() -> None:
    # the 618 preheat opening (5.25 10:00) is also D-3 of an event on 5.28
    waves = plan_waves(PlannedEvent("预售", "big", datetime(2026, 5, 28), None, "618"), **QUIET)
    assert len(when(waves)) == len(set(when(waves)))
    assert [w.step for w in waves if w.send_at == datetime(2026, 5, 25, 10)] == ["preheat"]


@pytest.mark.parametrize(
    "event",
    [
        {"starts_at": datetime(2026, 6, 1, tzinfo=UTC)},
        {"ends_at": datetime(2026, 6, 2, tzinfo=UTC)},
        {"ends_at": datetime(2026, 5, 31)},
        {"kind": "huge"},
        {"festival": "双11"},
    ],
)
def test_a_planned_event_must_be_well_formed(event: dict[str, object]) -> None:
    fields: dict[str, object] = {"name": "x", "kind": "big", "starts_at": datetime(2026, 6, 1), **event}
    with pytest.raises(InvalidInput):
        PlannedEvent(**fields)  # type: ignore[arg-type]


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0)
    ),
    st.sampled_from(list(EVENT_KINDS)),
    st.sampled_from(["", "618", "11.11", "12.12", "nianhuo"]),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_waves_are_sorted_unique_outside_quiet_hours_and_before_the_start(
    starts_at: datetime, kind: str, festival: str, quiet_start: time, quiet_end: time
) -> None:
    event = PlannedEvent("x", kind, starts_at, None, festival)
    waves = plan_waves(event, quiet_start=quiet_start, quiet_end=quiet_end)
    times = when(waves)
    assert times == sorted(set(times))
    for w in waves:
        assert not in_quiet_hours(w.send_at.time(), quiet_start, quiet_end)
        if w.step == "season":
            assert w.send_at < datetime(starts_at.year, 6, 21)
        elif w.step == "same_day":
            assert w.send_at <= starts_at and w.send_at.date() == starts_at.date()
        else:
            assert w.send_at < starts_at
        assert w.moved == bool(w.warning_zh) == bool(w.warning_en)
