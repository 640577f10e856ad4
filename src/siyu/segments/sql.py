"""The set-based SQL of segments, built once from the shop's settings (PostgreSQL/DuckDB dialect).

Everything here is text plus ``:name`` parameters; numbers taken from validated settings are inlined
as integers. No Python loop ever touches a customer: engines do the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from siyu.segments.domain import LIFECYCLE_STAGES, LOYALTY_STAGES, SEGMENTS, RfmSettings, StageSettings

PAID = "o.is_paid AND o.paid_fen > 0"  # a purchase: paid, and not a zero-spend (fully refunded) order


@dataclass(frozen=True, slots=True)
class Moment:
    """When segments are evaluated: an instant in UTC and the shop-local calendar around it."""

    as_of: datetime  # aware UTC
    offset_minutes: int  # shop zone's UTC offset at that instant
    local_date: date

    @classmethod
    def of(cls, as_of: datetime, timezone: str) -> Moment:
        as_of = as_of.astimezone(UTC)
        local = as_of.astimezone(ZoneInfo(timezone))
        offset = int((local.utcoffset() or timedelta()).total_seconds() // 60)
        return cls(as_of, offset, local.date())

    def days_ago(self, days: int) -> datetime:
        return self.as_of - timedelta(days=days)

    def params(self, window_days: int) -> dict[str, object]:
        return {
            "as_of": _naive(self.as_of),
            "as_of_date": self.local_date,
            "window_start": _naive(self.days_ago(window_days)),
        }


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def local_date_of(column: str, moment: Moment) -> str:
    return f"CAST({column} + INTERVAL '{int(moment.offset_minutes)} minutes' AS DATE)"


def days_since(column: str, moment: Moment) -> str:
    """Whole shop-local calendar days from the column's date to the evaluation date."""
    return f"(CAST(:as_of_date AS DATE) - {local_date_of(column, moment)})"


def _score(value: str, rank: str, cuts: list[int], mode: str, higher_is_better: bool) -> str:
    if mode == "quintile":
        return f"(1 + CAST(FLOOR((5.0 * ({rank} - 1)) / n) AS INTEGER))"
    compare = ">=" if higher_is_better else "<="
    return "(1 + " + " + ".join(f"CASE WHEN {value} {compare} {int(c)} THEN 1 ELSE 0 END" for c in cuts) + ")"


def rfm_scored_ctes(settings: RfmSettings, moment: Moment) -> str:
    """CTEs ``rfm_base`` … ``rfm_scored``: one row per buyer in the window, scored and segmented."""
    if settings.split_mode == "average":  # integer comparisons: value·n against the population's sum
        highs = ("recency_days * n < sum_r", "frequency * n > sum_f", "monetary_fen * n > sum_m")
    elif settings.split_mode == "score":
        t = int(settings.score_threshold)
        highs = (f"r_score >= {t}", f"f_score >= {t}", f"m_score >= {t}")
    else:
        highs = (
            f"recency_days <= {int(settings.r_high_max_days)}",
            f"frequency >= {int(settings.f_high_min)}",
            f"monetary_fen >= {int(settings.m_high_min_fen)}",
        )
    segment_case = (
        "CASE "
        + " ".join(
            f"WHEN ({highs[0]}) = {str(r).upper()} AND ({highs[1]}) = {str(f).upper()} "
            f"AND ({highs[2]}) = {str(m).upper()} THEN '{seg.code}'"
            for (r, f, m), seg in SEGMENTS.items()
        )
        + " END"
    )
    r_score = _score("recency_days", "r_rank", settings.r_cuts_days, settings.score_mode, False)
    f_score = _score("frequency", "f_rank", settings.f_cuts, settings.score_mode, True)
    m_score = _score("monetary_fen", "m_rank", settings.m_cuts_fen, settings.score_mode, True)
    return f"""
rfm_base AS (
    SELECT o.customer_id, COUNT(*) AS frequency, SUM(o.paid_fen) AS monetary_fen, MAX(o.ordered_at) AS last_at
    FROM {{orders}} o
    WHERE o.shop_id = :shop_id AND {PAID} AND o.ordered_at >= :window_start AND o.ordered_at < :as_of
    GROUP BY o.customer_id
),
rfm_ranked AS (
    SELECT customer_id, frequency, monetary_fen, {days_since("last_at", moment)} AS recency_days,
           COUNT(*) OVER () AS n,
           SUM({days_since("last_at", moment)}) OVER () AS sum_r,
           SUM(frequency) OVER () AS sum_f,
           SUM(monetary_fen) OVER () AS sum_m,
           RANK() OVER (ORDER BY {days_since("last_at", moment)} DESC) AS r_rank,
           RANK() OVER (ORDER BY frequency) AS f_rank,
           RANK() OVER (ORDER BY monetary_fen) AS m_rank
    FROM rfm_base
),
rfm_scores AS (
    SELECT customer_id, recency_days, frequency, monetary_fen, n, sum_r, sum_f, sum_m,
           {r_score} AS r_score, {f_score} AS f_score, {m_score} AS m_score
    FROM rfm_ranked
),
rfm_scored AS (
    SELECT customer_id, recency_days, frequency, monetary_fen, r_score, f_score, m_score,
           {segment_case} AS segment,
           CASE WHEN m_score >= 5 THEN 'high' WHEN m_score >= 3 THEN 'medium' ELSE 'low' END AS monetary_level
    FROM rfm_scores
)"""


def lifecycle_case(days: str, stages: StageSettings) -> str:
    whens = " ".join(
        f"WHEN {days} <= {int(bound)} THEN '{code}'"
        for bound, (code, _zh, _en) in zip(stages.recency_days, LIFECYCLE_STAGES, strict=False)
    )
    return f"CASE WHEN {days} IS NULL THEN NULL {whens} ELSE '{LIFECYCLE_STAGES[-1][0]}' END"


def loyalty_case(frequency: str, stages: StageSettings) -> str:
    whens = " ".join(
        f"WHEN {frequency} >= {int(minimum)} THEN '{code}'"
        for minimum, (code, _zh, _en) in reversed(list(zip(stages.frequency_min, LOYALTY_STAGES[1:], strict=True)))
    )
    return f"CASE {whens} ELSE '{LOYALTY_STAGES[0][0]}' END"


def facts_ctes(rfm: RfmSettings, stages: StageSettings, moment: Moment) -> str:
    """CTEs ending in ``facts``: one row per customer of the shop with profile, all-time purchase
    figures, stages, and (for buyers in the RFM window) the RFM segment and monetary level."""
    return f"""WITH {rfm_scored_ctes(rfm, moment).strip()},
paid_all AS (
    SELECT o.customer_id, COUNT(*) AS orders_all, SUM(o.paid_fen) AS spent_all, MAX(o.ordered_at) AS last_at
    FROM {{orders}} o
    WHERE o.shop_id = :shop_id AND {PAID} AND o.ordered_at < :as_of
    GROUP BY o.customer_id
),
facts AS (
    SELECT c.id AS customer_id, c.gender, c.city, c.province, c.source_channel, c.is_member, c.follows_shop,
           c.birthday, c.created_at, c.member_since,
           COALESCE(p.orders_all, 0) AS orders_all, COALESCE(p.spent_all, 0) AS spent_all, p.last_at,
           {days_since("p.last_at", moment)} AS days_since_last,
           {lifecycle_case(days_since("p.last_at", moment), stages)} AS lifecycle_stage,
           {loyalty_case("COALESCE(p.orders_all, 0)", stages)} AS loyalty_stage,
           s.segment AS rfm_segment, s.monetary_level
    FROM {{customers}} c
    LEFT JOIN paid_all p ON p.customer_id = c.id
    LEFT JOIN rfm_scored s ON s.customer_id = c.id
    WHERE c.shop_id = :shop_id
)"""
