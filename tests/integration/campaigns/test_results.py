"""The results report (SPEC §4): delivery, clicks, opt-outs, orders in the attribution window, GMV, cost,
ROI, and the increment over the hold-out arm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.campaigns import queries, services
from siyu.campaigns.models import CampaignRecipient, LinkClick
from siyu.channels import services as channels
from siyu.channels.adapters import LocalSink
from siyu.customers.models import Customer
from siyu.worker import outbox
from tests.factories.campaigns import frozen_audience, reachable_customers, spec
from tests.factories.customers import make_order
from tests.factories.shops import make_shop

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def test_results_show_orders_in_the_window_and_the_increment_over_the_hold_out(
    db: Session, sessions: sessionmaker
) -> None:
    world = make_shop(db)
    by = world.principal.actor
    ids = reachable_customers(db, by, 120)
    campaign = services.create_campaign(db, by=by, spec=spec(frozen_audience(db, by, ids), holdout_pct=50))
    report = services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)
    db.flush()
    sink = LocalSink(sessions)
    while taken := outbox.claim(sessions, now=NOW):
        for item in taken:
            outbox.settle(sessions, item.outbox_id, outbox.process(item, sink), now=NOW)
    arm = dict(db.execute(select(CampaignRecipient.customer_id, CampaignRecipient.arm)).all())
    targets = [c for c in ids if arm[c] == "target"]
    holdouts = [c for c in ids if arm[c] == "holdout"]
    for customer_id in targets[:20]:  # 20 target customers order ¥150 within the window
        make_order(db, db.get(Customer, customer_id), paid_fen=15_000, at=NOW + timedelta(days=2))  # type: ignore[arg-type]
    make_order(db, db.get(Customer, targets[20]), paid_fen=99_900, at=NOW + timedelta(days=8))  # type: ignore[arg-type]
    for customer_id in holdouts[:5]:
        make_order(db, db.get(Customer, customer_id), paid_fen=15_000, at=NOW + timedelta(days=1))  # type: ignore[arg-type]
    db.add_all(LinkClick(shop_id=by.shop_id, campaign_id=campaign.id, customer_id=c) for c in targets[:3] + targets[:1])
    db.flush()
    results = queries.campaign_results(db, campaign=db.merge(campaign), now=NOW + timedelta(days=10))
    assert results.sent == report.targets == len(targets)
    assert (results.clicked, results.ordered, results.gmv_fen) == (3, 20, 300_000)  # the day-8 order is outside
    assert results.cost_fen == report.parts * 5
    assert results.roi == (Decimal(results.gmv_fen) / results.cost_fen).quantize(Decimal("0.01"), ROUND_HALF_UP)
    inc = results.incremental
    assert inc is not None and inc.enough_data
    assert inc.conversion_target == 20 / len(targets) and inc.conversion_holdout == 5 / len(holdouts)
    expected = round((300_000 / len(targets) - 75_000 / len(holdouts)) * len(targets))
    assert inc.incremental_gmv_fen == expected
    assert inc.incremental_gmv_low_fen is not None and inc.incremental_gmv_low_fen < expected
    assert results.benchmark.roi == 25 and results.benchmark.conversion == 0.25


def test_opt_out_reply_counts_against_the_campaign_that_reached_the_customer(
    db: Session, sessions: sessionmaker
) -> None:
    world = make_shop(db)
    by = world.principal.actor
    ids = reachable_customers(db, by, 3)
    campaign = services.create_campaign(db, by=by, spec=spec(frozen_audience(db, by, ids), holdout_pct=0))
    services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)
    db.flush()
    sink = LocalSink(sessions)
    for item in outbox.claim(sessions, now=NOW):
        outbox.settle(sessions, item.outbox_id, outbox.process(item, sink), now=NOW)
    db.expire_all()
    phone = f"139{ids[0]:08d}"
    reply = channels.receive_reply(db, by=by, channel="sms", phone=phone, text="退订")
    assert reply.campaign_id == campaign.id
    assert queries.campaign_results(db, campaign=db.merge(campaign)).opted_out == 1
