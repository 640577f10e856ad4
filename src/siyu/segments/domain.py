"""Pure rules of segmentation (SPEC §2, seed [S] 002): RFM scores and segments, stages, levels.

These functions are the reference: the set-based SQL in ``rfm.py`` must give the same answers
(tests compare them on generated data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, model_validator


@dataclass(frozen=True, slots=True)
class Segment:
    code: str
    zh: str
    en: str
    advice_zh: str
    advice_en: str


# (R high, F high, M high) -> segment. "High R" means recent. [S]
SEGMENTS: dict[tuple[bool, bool, bool], Segment] = {
    (True, True, True): Segment(
        "champions", "重要价值客户", "Important value", "店铺超级用户，重点维护", "keep them close"
    ),
    (True, True, False): Segment(
        "loyal_small_basket",
        "一般价值客户",
        "General value",
        "购买频率高但客单价低，培养成 VIP",
        "buy often, small baskets: grow into VIP",
    ),
    (True, False, True): Segment(
        "promising",
        "重要发展客户",
        "Important development",
        "可能是新客，需提高复购率",
        "new and valuable: raise repurchase",
    ),
    (True, False, False): Segment(
        "needs_growth", "一般发展客户", "General development", "购买次数和金额低，急需提高", "urgent to grow"
    ),
    (False, True, True): Segment(
        "at_risk_valuable",
        "重要保持客户",
        "Important retention",
        "高价值但在流失，主动唤醒、跟踪",
        "drifting high-value: wake and follow",
    ),
    (False, True, False): Segment(
        "at_risk", "一般保持客户", "General retention", "需要用心维护", "needs effort to keep"
    ),
    (False, False, True): Segment(
        "win_back", "重要挽留客户", "Important win-back", "一次大额消费，需要唤醒挽回", "big spend once: win back"
    ),
    (False, False, False): Segment(
        "low_value", "一般挽留客户", "General win-back", "低价值，可考虑过滤", "low value: may be filtered out"
    ),
}
SEGMENT_BY_CODE: dict[str, Segment] = {s.code: s for s in SEGMENTS.values()}
SEGMENT_ORDER: tuple[str, ...] = tuple(s.code for s in SEGMENTS.values())

# Lifecycle stage from recency [S]; loyalty stage from frequency [S]; monetary level.
LIFECYCLE_STAGES: tuple[tuple[str, str, str], ...] = (
    ("after_sale", "售后期", "After-sale"),
    ("active", "活跃期", "Active"),
    ("usage", "使用期", "Usage"),
    ("silent", "沉默期", "Silent"),
    ("sleeping", "睡眠期", "Sleeping"),
    ("lost", "流失期", "Lost"),
)
LOYALTY_STAGES: tuple[tuple[str, str, str], ...] = (
    ("prospect", "潜客", "Prospect"),
    ("new", "新客", "New"),
    ("returning", "回头客", "Returning"),
    ("regular", "老客", "Regular"),
    ("loyal", "忠诚客户", "Loyal"),
    ("fan", "粉丝", "Fan"),
)
MONETARY_LEVELS: tuple[tuple[str, str, str], ...] = (
    ("low", "低消费", "Low spend"),
    ("medium", "中消费", "Medium spend"),
    ("high", "高消费", "High spend"),
)


class RfmSettings(BaseModel):
    """How a shop scores and splits RFM. Defaults follow the seed: high/low against the averages."""

    window_days: int = Field(default=365, ge=1, le=3650, description="orders within this many days count")
    # Scores 1–5: "quintile" ranks customers; "cuts" uses the shop's own 4 ascending cut points per metric.
    score_mode: Literal["quintile", "cuts"] = "quintile"
    r_cuts_days: list[int] = Field(default_factory=lambda: [180, 90, 30, 15])  # fewer days = higher score
    f_cuts: list[int] = Field(default_factory=lambda: [1, 2, 3, 5])
    m_cuts_fen: list[int] = Field(default_factory=lambda: [10_000, 30_000, 80_000, 200_000])
    # High/low split for the 8 segments: against the averages, by score (≥ threshold), or fixed values.
    split_mode: Literal["average", "score", "custom"] = "average"
    score_threshold: int = Field(default=3, ge=2, le=5)
    r_high_max_days: int = Field(default=90, ge=0)
    f_high_min: int = Field(default=2, ge=1)
    m_high_min_fen: int = Field(default=50_000, ge=0)

    @model_validator(mode="after")
    def _cuts_ascending(self) -> RfmSettings:
        for name, cuts, descending in (
            ("r_cuts_days", self.r_cuts_days, True),
            ("f_cuts", self.f_cuts, False),
            ("m_cuts_fen", self.m_cuts_fen, False),
        ):
            ordered = sorted(cuts, reverse=descending)
            if len(cuts) != 4 or cuts != ordered or len(set(cuts)) != 4:
                raise ValueError(
                    f"{name} needs 4 distinct cut points in {'descending' if descending else 'ascending'} order"
                )
        return self


class StageSettings(BaseModel):
    """Stage boundaries, configurable per shop."""

    # upper bounds in days since the last paid order: after-sale ≤ 15, active ≤ 30, usage ≤ 90, silent ≤ 180,
    # sleeping ≤ 365, lost beyond
    recency_days: list[int] = Field(default_factory=lambda: [15, 30, 90, 180, 365])
    # lower bounds of paid orders: new ≥ 1, returning ≥ 2, regular ≥ 3, loyal ≥ 6, fan ≥ 10 (prospect: none)
    frequency_min: list[int] = Field(default_factory=lambda: [1, 2, 3, 6, 10])

    @model_validator(mode="after")
    def _ascending(self) -> StageSettings:
        for name, values in (("recency_days", self.recency_days), ("frequency_min", self.frequency_min)):
            if len(values) != 5 or values != sorted(set(values)) or values[0] < 0:
                raise ValueError(f"{name} needs 5 distinct ascending values")
        if self.frequency_min[0] < 1:
            raise ValueError("frequency_min starts at 1 or more (0 paid orders is a prospect)")
        return self


def quintile_scores(values: Sequence[int], *, higher_is_better: bool = True) -> list[int]:
    """Score 1–5 by rank: equal values get equal scores; score = 1 + floor(5·(rank−1)/n).

    rank is the competition rank (1 + how many are strictly worse), so ties never split.
    """
    n = len(values)
    if n == 0:
        return []
    ordered = sorted(values, reverse=not higher_is_better)
    first_rank: dict[int, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_rank.setdefault(value, position)
    return [1 + (5 * (first_rank[v] - 1)) // n for v in values]


def cut_score(value: int, cuts: Sequence[int], *, higher_is_better: bool = True) -> int:
    """Score 1–5 against 4 cut points: each cut reached adds one."""
    if higher_is_better:
        return 1 + sum(1 for c in cuts if value >= c)
    return 1 + sum(1 for c in cuts if value <= c)


def segment_for(r_high: bool, f_high: bool, m_high: bool) -> Segment:
    return SEGMENTS[(r_high, f_high, m_high)]


def lifecycle_stage(days_since_last: int | None, settings: StageSettings) -> str:
    if days_since_last is None:
        return "lost"
    for bound, (code, _zh, _en) in zip(settings.recency_days, LIFECYCLE_STAGES, strict=False):
        if days_since_last <= bound:
            return code
    return LIFECYCLE_STAGES[-1][0]


def loyalty_stage(paid_orders: int, settings: StageSettings) -> str:
    stage = LOYALTY_STAGES[0][0]
    for minimum, (code, _zh, _en) in zip(settings.frequency_min, LOYALTY_STAGES[1:], strict=True):
        if paid_orders >= minimum:
            stage = code
    return stage


def monetary_level(m_score: int) -> str:
    """高/中/低 from the M score: 5 high, 3–4 medium, 1–2 low."""
    return "high" if m_score >= 5 else "medium" if m_score >= 3 else "low"


@dataclass(frozen=True, slots=True)
class CustomerRfm:
    customer_id: int
    recency_days: int
    frequency: int
    monetary_fen: int


@dataclass(frozen=True, slots=True)
class ScoredRfm:
    customer_id: int
    recency_days: int
    frequency: int
    monetary_fen: int
    r_score: int
    f_score: int
    m_score: int
    segment: str


def score_customers(rows: Sequence[CustomerRfm], settings: RfmSettings) -> list[ScoredRfm]:
    """The reference scoring of a whole population (the SQL does the same, set-based)."""
    if not rows:
        return []
    if settings.score_mode == "quintile":
        r = quintile_scores([c.recency_days for c in rows], higher_is_better=False)
        f = quintile_scores([c.frequency for c in rows])
        m = quintile_scores([c.monetary_fen for c in rows])
    else:
        r = [cut_score(c.recency_days, settings.r_cuts_days, higher_is_better=False) for c in rows]
        f = [cut_score(c.frequency, settings.f_cuts) for c in rows]
        m = [cut_score(c.monetary_fen, settings.m_cuts_fen) for c in rows]
    n = len(rows)
    sum_r = sum(c.recency_days for c in rows)
    sum_f = sum(c.frequency for c in rows)
    sum_m = sum(c.monetary_fen for c in rows)
    result = []
    for i, c in enumerate(rows):
        if settings.split_mode == "average":  # integer comparisons: value·n against the sum
            highs = (c.recency_days * n < sum_r, c.frequency * n > sum_f, c.monetary_fen * n > sum_m)
        elif settings.split_mode == "score":
            t = settings.score_threshold
            highs = (r[i] >= t, f[i] >= t, m[i] >= t)
        else:
            highs = (
                c.recency_days <= settings.r_high_max_days,
                c.frequency >= settings.f_high_min,
                c.monetary_fen >= settings.m_high_min_fen,
            )
        result.append(
            ScoredRfm(
                c.customer_id, c.recency_days, c.frequency, c.monetary_fen, r[i], f[i], m[i], segment_for(*highs).code
            )
        )
    return result
