"""Pure rules of the campaign calendar: how many customers an event reaches, when its SMS waves go out,
quiet hours, and the yearly minimum per customer (SPEC §4 "Planning rules", from the seed).

All datetimes here are the shop's *local* wall-clock time (Asia/Shanghai for a JD shop) and naive:
quiet hours and "the eve at 20:00" are wall-clock rules. Convert to UTC at the edge (the worker), not
here. An aware datetime given to :class:`PlannedEvent` is refused so the two are never mixed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from siyu.core.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class EventKind:
    label_zh: str
    label_en: str
    coverage: Fraction
    """The share of the shop's customers an event of this kind should reach."""


EVENT_KINDS: dict[str, EventKind] = {
    "big": EventKind(
        "大促（618、双11、双12、年货节）", "big promotion (618, 11.11, 12.12, New Year goods)", Fraction(1)
    ),
    "medium": EventKind("中型活动（会员日等）", "medium event (member day, …)", Fraction(3, 10)),
    "routine": EventKind("店铺常规活动", "routine shop event", Fraction(1, 10)),
    # the seed lists "important new arrivals" among the medium events: same 30% coverage, own timing
    "new_arrival": EventKind("上新", "new arrivals", Fraction(3, 10)),
}

FESTIVALS: dict[str, tuple[str, str]] = {
    "618": ("618 年中大促", "618 mid-year sale"),
    "11.11": ("双11", "Singles' Day 11.11"),
    "12.12": ("双12", "12.12"),
    "nianhuo": ("年货节", "New Year goods festival"),
}

YEARLY_MINIMUM = 5
"""Every customer should receive at least 5–6 marketing SMS a year [seed]."""

PREHEAT_TIME = time(10, 0)
"""Preheat waves go out in the morning."""
EVE_TIME = time(20, 0)
"""The seed's last preheat wave: the eve, 20:00–22:00."""
QUIET_LEAD = timedelta(hours=1)
"""A wave moved out of the evening quiet hours goes this long before they begin, so that the whole
batch is delivered before the provider stops."""
SAME_DAY_LEAD = timedelta(hours=1)
"""The same-day wave of an event that starts during the day goes this long before the start."""
SEASON_618_PREHEAT = ((5, 25),)
"""618 preheat starts in 5.25–5.31 [seed]."""
SEASON_618_WAVES = ((6, 1), (6, 10), (6, 17))
"""2–3 waves during 6.1–6.20 [seed]."""
SEASON_618_END = (6, 20)


def coverage_share(kind: str) -> Fraction:
    """The share of customers an event of ``kind`` should reach (big 1, medium 3/10, routine 1/10,
    new arrivals 3/10)."""
    try:
        return EVENT_KINDS[kind].coverage
    except KeyError:
        raise _unknown_kind(kind) from None


def _unknown_kind(kind: str) -> InvalidInput:
    return InvalidInput(
        f"未知的活动类型「{kind}」", f"unknown event kind '{kind}'", code="campaign_unknown_event_kind", kind=kind
    )


BUCKETS = ("0", "1", "2", "3", "4", "5", "6+")


def coverage_buckets(counts: Iterable[int]) -> list[tuple[str, int]]:
    """How many customers received 0, 1, … 5, 6 or more marketing SMS (one count per customer)."""
    tally = [0] * len(BUCKETS)
    last = len(BUCKETS) - 1
    for count in counts:
        if count < 0:
            raise ValueError("a message count cannot be negative")
        tally[min(count, last)] += 1
    return list(zip(BUCKETS, tally, strict=True))


def below_minimum(count: int) -> bool:
    """Whether a customer's marketing SMS in the last year fall short of :data:`YEARLY_MINIMUM`."""
    return count < YEARLY_MINIMUM


# ---- quiet hours ---------------------------------------------------------------------------------------
def in_quiet_hours(local_time: time, quiet_start: time, quiet_end: time) -> bool:
    """Whether ``local_time`` is in [quiet_start, quiet_end), which may wrap midnight (20:00–08:00:
    20:00 is quiet, 07:59:59 is quiet, 08:00 is not). ``quiet_start == quiet_end`` means no quiet hours."""
    t = local_time.replace(tzinfo=None)
    start, end = quiet_start.replace(tzinfo=None), quiet_end.replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


def quiet_hours_end(local_dt: datetime, quiet_start: time, quiet_end: time) -> datetime:
    """The first local datetime at or after ``local_dt`` when sending may resume: ``local_dt`` itself
    when it is not in quiet hours, else the next ``quiet_end`` (same tzinfo as given)."""
    if not in_quiet_hours(local_dt.time(), quiet_start, quiet_end):
        return local_dt
    resume = local_dt.replace(
        hour=quiet_end.hour, minute=quiet_end.minute, second=quiet_end.second, microsecond=quiet_end.microsecond
    )
    if resume <= local_dt:  # quiet hours began today and end tomorrow
        resume += timedelta(days=1)
    return resume


# ---- events and waves ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PlannedEvent:
    """An event on the shop's calendar; ``starts_at``/``ends_at`` are naive shop-local datetimes."""

    name: str
    kind: str
    starts_at: datetime
    ends_at: datetime | None = None
    festival: str = ""  # "618" | "11.11" | "12.12" | "nianhuo" | ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise _unknown_kind(self.kind)
        if self.festival and self.festival not in FESTIVALS:
            raise InvalidInput(
                f"未知的大促节点「{self.festival}」",
                f"unknown festival '{self.festival}'",
                code="campaign_unknown_festival",
                festival=self.festival,
            )
        if self.starts_at.tzinfo is not None or (self.ends_at is not None and self.ends_at.tzinfo is not None):
            raise InvalidInput(
                "活动时间请使用店铺当地时间（不带时区）",
                "event times are the shop's local wall-clock time (naive datetimes)",
                code="campaign_event_time",
            )
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise InvalidInput(
                "活动结束时间必须晚于开始时间", "the event must end after it starts", code="campaign_event_time"
            )


@dataclass(frozen=True, slots=True)
class Wave:
    """One suggested send of an event, at a local datetime outside quiet hours."""

    send_at: datetime
    label_zh: str
    label_en: str
    moved: bool = False
    """The seed's time fell into quiet hours and the wave was moved."""
    warning_zh: str = ""
    warning_en: str = ""
    step: str = ""
    """What rule made the wave: preheat, season_preheat, eve, same_day, season."""


def _at(day: date, t: time) -> datetime:
    return datetime.combine(day, t)


def _move_out_of_quiet(dt: datetime, quiet_start: time, quiet_end: time) -> datetime:
    """An evening time goes to QUIET_LEAD before quiet hours begin the same day; a small-hours time
    goes to the end of quiet hours."""
    if not in_quiet_hours(dt.time(), quiet_start, quiet_end):
        return dt
    if dt.time() >= quiet_start:
        earlier = _at(dt.date(), quiet_start) - QUIET_LEAD
        if not in_quiet_hours(earlier.time(), quiet_start, quiet_end):
            return earlier
    return quiet_hours_end(dt, quiet_start, quiet_end)


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def plan_waves(event: PlannedEvent, *, quiet_start: time, quiet_end: time) -> list[Wave]:
    """The SMS waves the seed advises for ``event``, sorted, one per send time, all outside quiet hours.

    - preheat 2–3 days before at 10:00 (D-3, D-2); new arrivals 1–2 days before (D-2, and D-1 by the eve);
    - the last preheat wave on the eve (D-1) at 20:00 — which also is "the day before" of a 0:00 start;
      in quiet hours (default 20:00–08:00) it moves to one hour before they begin, with a warning;
    - an event that does not start at 0:00 also gets a wave that day, one hour before the start (a 10:00
      start: 09:00; a 20:00 start: 19:00), moved out of quiet hours but never later than the start,
      and dropped when that leaves no time on the same day outside quiet hours;
    - festival 618: a preheat wave on 5.25 and waves on 6.1, 6.10 and 6.17 (the seed's 2–3 waves in
      6.1–6.20). These season waves are the only ones allowed after the start, up to ``ends_at``
      (or the end of 6.20).

    Every other wave is before the start. Quiet hours: an evening time moves earlier the same day, a
    small-hours time later, to the end of the quiet hours.
    """
    start = event.starts_at
    day = start.date()
    quiet_label_zh = f"{_hhmm(quiet_start)}–{_hhmm(quiet_end)}"
    candidates: list[tuple[datetime, str, str, str]] = []  # (seed time, zh, en, step), in priority order

    if event.kind == "new_arrival":
        candidates.append(
            (_at(day - timedelta(days=2), PREHEAT_TIME), "上新预热（前2天）", "new-arrival preheat (D-2)", "preheat")
        )
    else:
        for days in (3, 2):
            candidates.append(
                (_at(day - timedelta(days=days), PREHEAT_TIME), f"预热（前{days}天）", f"preheat (D-{days})", "preheat")
            )
    candidates.append(
        (_at(day - timedelta(days=1), EVE_TIME), "最后一波预热（前一晚）", "last preheat wave (the eve)", "eve")
    )
    if start.time() != time(0):
        candidates.append((start - SAME_DAY_LEAD, "活动当天提醒", "same-day reminder", "same_day"))

    season_end = event.ends_at
    if event.festival == "618":
        year = start.year
        for month, dom in SEASON_618_PREHEAT:
            candidates.append(
                (datetime(year, month, dom, PREHEAT_TIME.hour), "618 预热启动", "618 preheat opens", "season_preheat")
            )
        for n, (month, dom) in enumerate(SEASON_618_WAVES, start=1):
            candidates.append(
                (datetime(year, month, dom, PREHEAT_TIME.hour), f"618 第{n}波", f"618 wave {n}", "season")
            )
        limit = datetime(year, *SEASON_618_END) + timedelta(days=1)
        season_end = min(season_end, limit) if season_end is not None else limit

    waves: dict[datetime, Wave] = {}
    for seed_at, zh, en, step in candidates:
        send_at = _move_out_of_quiet(seed_at, quiet_start, quiet_end)
        if step == "season":
            if season_end is None or send_at >= season_end:
                continue
        elif step == "same_day":
            send_at = min(send_at, start)  # moved later than the start: send at the start at the latest
            if send_at.date() != day or in_quiet_hours(send_at.time(), quiet_start, quiet_end):
                continue
        elif send_at >= start:
            continue
        if send_at in waves:
            continue
        moved = send_at != seed_at
        warning_zh = warning_en = ""
        if moved:
            warning_zh = (
                f"建议的 {seed_at:%m-%d %H:%M} 在免打扰时段（{quiet_label_zh}）内：服务商在该时段不下发营销短信，"
                f"已调整到 {send_at:%m-%d %H:%M}"
            )
            warning_en = (
                f"the suggested {seed_at:%m-%d %H:%M} is inside the quiet hours ({quiet_label_zh}), when providers "
                f"do not deliver marketing SMS; moved to {send_at:%m-%d %H:%M}"
            )
        waves[send_at] = Wave(send_at, zh, en, moved, warning_zh, warning_en, step)
    return sorted(waves.values(), key=lambda w: w.send_at)
