"""Read side of campaigns: the results report (delivery, clicks, opt-outs, orders, GMV, cost, ROI) and the
incremental effect against the hold-out arm."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.campaigns import stats
from siyu.campaigns.models import Campaign, LinkClick
from siyu.channels.models import InboundReply, OutboxMessage
from siyu.db import DriverSQL, utcnow


@dataclass
class CampaignResults:
    campaign_id: int
    statuses: dict[str, int] = field(default_factory=dict)  # outbox rows per status
    skipped: dict[str, int] = field(default_factory=dict)  # skipped rows per reason
    sent: int = 0  # reached the provider (sent or delivered)
    delivered: int = 0
    failed: int = 0
    clicked: int = 0  # distinct recipients who clicked their link
    opted_out: int = 0
    window_start: datetime | None = None
    window_end: datetime | None = None
    ordered: int = 0  # target recipients who ordered in the window
    gmv_fen: int = 0  # their paid GMV in the window
    cost_fen: int = 0
    roi: Decimal | None = None
    conversion: float = 0.0  # ordered / target recipients
    incremental: stats.Incremental | None = None
    incremental_roi: Decimal | None = None
    benchmark: stats.Benchmark = stats.SEED_BENCHMARK


def _arm_totals(session: Session, campaign: Campaign, start: datetime, end: datetime) -> dict[str, stats.ArmTotals]:
    sql = DriverSQL(session)
    p = sql.ph
    rows = sql.query(
        "SELECT arm, COUNT(*), SUM(CASE WHEN g > 0 THEN 1 ELSE 0 END), SUM(g), SUM(g * g) FROM ("
        " SELECT r.arm AS arm, r.customer_id, COALESCE(SUM(o.paid_fen), 0) AS g"
        " FROM campaign_recipients r LEFT JOIN orders o ON o.customer_id = r.customer_id AND o.shop_id = r.shop_id"
        f"  AND o.is_paid AND o.ordered_at >= {p} AND o.ordered_at < {p}"
        f" WHERE r.campaign_id = {p} AND r.arm IN ('target', 'holdout') GROUP BY r.arm, r.customer_id"
        ") AS per_customer GROUP BY arm",
        (sql.time_value(start), sql.time_value(end), campaign.id),
    )
    return {
        str(arm): stats.ArmTotals(int(n), int(conv or 0), int(gmv or 0), int(sq or 0)) for arm, n, conv, gmv, sq in rows
    }


def campaign_results(session: Session, *, campaign: Campaign, now: datetime | None = None) -> CampaignResults:
    """Everything the results page shows for one campaign."""
    now = now or utcnow()
    results = CampaignResults(campaign.id)
    for status, reason, count in session.execute(
        select(OutboxMessage.status, OutboxMessage.last_error, func.count())
        .where(OutboxMessage.campaign_id == campaign.id)
        .group_by(OutboxMessage.status, OutboxMessage.last_error)
    ):
        results.statuses[status] = results.statuses.get(status, 0) + count
        if status == "skipped":
            results.skipped[reason] = results.skipped.get(reason, 0) + count
    results.delivered = results.statuses.get("delivered", 0)
    results.sent = results.statuses.get("sent", 0) + results.delivered
    results.failed = results.statuses.get("failed", 0)
    sent_parts = session.scalar(
        select(func.coalesce(func.sum(OutboxMessage.parts), 0)).where(
            OutboxMessage.campaign_id == campaign.id, OutboxMessage.status.in_(("sent", "delivered"))
        )
    )
    results.cost_fen = int(sent_parts or 0) * campaign.price_fen_per_part
    results.clicked = int(
        session.scalar(
            select(func.count(func.distinct(LinkClick.customer_id))).where(LinkClick.campaign_id == campaign.id)
        )
        or 0
    )
    results.opted_out = int(
        session.scalar(
            select(func.count(func.distinct(InboundReply.customer_id))).where(
                InboundReply.campaign_id == campaign.id, InboundReply.opt_out.is_(True)
            )
        )
        or 0
    )
    if campaign.started_at is None:
        return results
    start = campaign.scheduled_at or campaign.started_at
    end = min(start + timedelta(days=campaign.attribution_days), max(now, start))
    results.window_start, results.window_end = start, start + timedelta(days=campaign.attribution_days)
    arms = _arm_totals(session, campaign, start, end)
    target = arms.get("target", stats.ArmTotals(0, 0, 0, 0))
    holdout = arms.get("holdout", stats.ArmTotals(0, 0, 0, 0))
    results.ordered, results.gmv_fen = target.converted, target.gmv_fen
    results.conversion = target.conversion
    results.roi = stats.roi(target.gmv_fen, results.cost_fen)
    if holdout.recipients:
        results.incremental = stats.incremental(target, holdout)
        results.incremental_roi = stats.roi(results.incremental.incremental_gmv_fen, results.cost_fen)
    return results
