"""RFM analysis and stage distributions of a shop (SPEC §2), computed set-based on the segment engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.db import utcnow
from siyu.segments.domain import (
    LIFECYCLE_STAGES,
    LOYALTY_STAGES,
    MONETARY_LEVELS,
    SEGMENT_BY_CODE,
    SEGMENT_ORDER,
    RfmSettings,
    StageSettings,
)
from siyu.segments.engine import DuckDBEngine, SegmentEngine, engine_for
from siyu.segments.errors import UnknownSegment
from siyu.segments.models import SegmentSettings
from siyu.segments.sql import Moment, facts_ctes, rfm_scored_ctes
from siyu.shops.models import Shop


@dataclass(frozen=True, slots=True)
class SegmentFigures:
    code: str
    zh: str
    en: str
    advice_zh: str
    advice_en: str
    customers: int
    customer_share: float
    spend_fen: int
    spend_share: float
    orders: int
    aov_fen: int  # average order value: spend / orders


@dataclass(frozen=True, slots=True)
class MatrixCell:
    r_score: int
    f_score: int
    customers: int
    spend_fen: int


@dataclass(frozen=True, slots=True)
class RfmReport:
    as_of: datetime
    window_days: int
    buyers: int
    spend_fen: int
    orders: int
    avg_recency_days: float
    avg_frequency: float
    avg_monetary_fen: float
    segments: list[SegmentFigures] = field(default_factory=list)
    matrix: list[MatrixCell] = field(default_factory=list)
    engine: str = ""


@dataclass(frozen=True, slots=True)
class StageCount:
    kind: str  # lifecycle | loyalty | monetary
    code: str  # "" for customers without a purchase
    zh: str
    en: str
    customers: int


def load_settings(session: Session, shop_id: int) -> tuple[RfmSettings, StageSettings]:
    row = session.get(SegmentSettings, shop_id)
    if row is None:
        return RfmSettings(), StageSettings()
    return RfmSettings.model_validate(row.rfm or {}), StageSettings.model_validate(row.stages or {})


def moment_for(session: Session, shop_id: int, as_of: datetime | None = None) -> Moment:
    shop = session.get_one(Shop, shop_id)
    # "now" is taken to the minute: repeated questions within a minute share cached facts
    return Moment.of(as_of or utcnow().replace(second=0, microsecond=0), shop.timezone)


def _params(shop_id: int, moment: Moment, settings: RfmSettings) -> dict[str, Any]:
    return {"shop_id": shop_id, **moment.params(settings.window_days)}


def _scored_source(
    session: Session, shop_id: int, engine: SegmentEngine, settings: RfmSettings, moment: Moment, params: dict[str, Any]
) -> tuple[str, str]:
    """Where the scored buyers come from: a table DuckDB keeps (computed once for several questions), or
    the CTEs themselves. Returns (relation, SQL prefix)."""
    ctes = "WITH " + rfm_scored_ctes(settings, moment).strip()
    if isinstance(engine, DuckDBEngine):
        return engine.materialized(session, shop_id, ctes + "\nSELECT * FROM rfm_scored", params), ""
    return "rfm_scored", ctes + "\n"


def rfm_report(
    session: Session,
    *,
    shop_id: int,
    as_of: datetime | None = None,
    settings: RfmSettings | None = None,
    engine: SegmentEngine | None = None,
) -> RfmReport:
    """The 8 segments with counts, shares, spend and AOV, the R×F matrix and the averages."""
    rfm, _stages = load_settings(session, shop_id)
    settings = settings or rfm
    moment = moment_for(session, shop_id, as_of)
    engine = engine or engine_for(session)
    params = _params(shop_id, moment, settings)
    source, head = _scored_source(session, shop_id, engine, settings, moment, params)
    by_segment = {
        code: (int(n), int(spend or 0), int(orders or 0))
        for code, n, spend, orders in engine.run(
            session,
            shop_id,
            head + f"SELECT segment, COUNT(*), SUM(monetary_fen), SUM(frequency) FROM {source} GROUP BY segment",
            params,
        )
    }
    matrix = [
        MatrixCell(int(r), int(f), int(n), int(spend or 0))
        for r, f, n, spend in engine.run(
            session,
            shop_id,
            head + f"SELECT r_score, f_score, COUNT(*), SUM(monetary_fen) FROM {source} GROUP BY r_score, f_score "
            "ORDER BY r_score, f_score",
            params,
        )
    ]
    averages = engine.run(
        session, shop_id, head + f"SELECT AVG(recency_days), AVG(frequency), AVG(monetary_fen) FROM {source}", params
    )[0]
    buyers = sum(v[0] for v in by_segment.values())
    spend = sum(v[1] for v in by_segment.values())
    orders = sum(v[2] for v in by_segment.values())
    segments = []
    for code in SEGMENT_ORDER:
        n, seg_spend, seg_orders = by_segment.get(code, (0, 0, 0))
        seg = SEGMENT_BY_CODE[code]
        segments.append(
            SegmentFigures(
                code,
                seg.zh,
                seg.en,
                seg.advice_zh,
                seg.advice_en,
                n,
                n / buyers if buyers else 0.0,
                seg_spend,
                seg_spend / spend if spend else 0.0,
                seg_orders,
                seg_spend // seg_orders if seg_orders else 0,
            )
        )
    return RfmReport(
        as_of=moment.as_of,
        window_days=settings.window_days,
        buyers=buyers,
        spend_fen=spend,
        orders=orders,
        avg_recency_days=float(averages[0] or 0),
        avg_frequency=float(averages[1] or 0),
        avg_monetary_fen=float(averages[2] or 0),
        segments=segments,
        matrix=matrix,
        engine=engine.name,
    )


RFM_CUSTOMER_COLUMNS = (
    "customer_id",
    "account",
    "name",
    "city",
    "phone_masked",
    "recency_days",
    "frequency",
    "monetary_fen",
    "r_score",
    "f_score",
    "m_score",
    "segment",
)


def rfm_customers(
    session: Session,
    *,
    shop_id: int,
    segment: str | None = None,
    as_of: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
    engine: SegmentEngine | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """One segment's customers (or all buyers), best spenders first: (total, rows)."""
    if segment is not None and segment not in SEGMENT_BY_CODE:
        raise UnknownSegment(segment)
    settings, _stages = load_settings(session, shop_id)
    moment = moment_for(session, shop_id, as_of)
    engine = engine or engine_for(session)
    params = {
        **_params(shop_id, moment, settings),
        "segment": segment or "",
        "all": segment is None,
        "limit": int(limit),
        "offset": int(offset),
    }
    base = _params(shop_id, moment, settings)
    source, head = _scored_source(session, shop_id, engine, settings, moment, base)
    where = "WHERE (:all OR s.segment = :segment)"
    total = int(engine.run(session, shop_id, head + f"SELECT COUNT(*) FROM {source} s {where}", params)[0][0])
    rows = engine.run(
        session,
        shop_id,
        head
        + f"""
SELECT s.customer_id, c.account, c.name, c.city, c.phone_masked, s.recency_days, s.frequency, s.monetary_fen,
       s.r_score, s.f_score, s.m_score, s.segment
FROM {source} s JOIN {{customers}} c ON c.id = s.customer_id
{where}
ORDER BY s.monetary_fen DESC, s.customer_id
LIMIT :limit OFFSET :offset""",
        params,
    )
    return total, [dict(zip(RFM_CUSTOMER_COLUMNS, r, strict=True)) for r in rows]


def stage_report(
    session: Session, *, shop_id: int, as_of: datetime | None = None, engine: SegmentEngine | None = None
) -> list[StageCount]:
    """Customers per lifecycle stage, loyalty stage and monetary level (all customers of the shop)."""
    rfm, stages = load_settings(session, shop_id)
    moment = moment_for(session, shop_id, as_of)
    engine = engine or engine_for(session)
    params = _params(shop_id, moment, rfm)
    ctes = facts_ctes(rfm, stages, moment)
    counts: dict[tuple[str, str], int] = {}
    for kind, column in (
        ("lifecycle", "lifecycle_stage"),
        ("loyalty", "loyalty_stage"),
        ("monetary", "monetary_level"),
    ):
        for code, n in engine.run(
            session, shop_id, ctes + f"\nSELECT {column}, COUNT(*) FROM facts GROUP BY 1", params
        ):
            counts[(kind, code or "")] = int(n)
    result = []
    for kind, names in (("lifecycle", LIFECYCLE_STAGES), ("loyalty", LOYALTY_STAGES), ("monetary", MONETARY_LEVELS)):
        for code, zh, en in names:
            result.append(StageCount(kind, code, zh, en, counts.get((kind, code), 0)))
        if (kind, "") in counts:
            zh, en = (
                ("统计周期内未购买", "no purchase in the RFM window")
                if kind == "monetary"
                else ("未购买", "no purchase")
            )
            result.append(StageCount(kind, "", zh, en, counts[(kind, "")]))
    return result
