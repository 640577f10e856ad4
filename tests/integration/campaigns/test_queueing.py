"""Queueing a campaign (SPEC §3–4): arms, hold-out, rendering, blocking lints, batches, pause/resume/cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.campaigns import services
from siyu.campaigns.errors import BlockedByLints, CampaignState
from siyu.campaigns.models import Campaign, CampaignRecipient
from siyu.channels import services as channels
from siyu.channels.adapters import LocalSink
from siyu.channels.models import ContactCount, OutboxMessage, SinkMessage
from siyu.worker import outbox
from tests.factories.campaigns import frozen_audience, reachable_customers, spec
from tests.factories.shops import ShopWorld, make_shop

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 shop time


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


def arms(db: Session, campaign_id: int) -> dict[str, int]:
    rows = db.execute(
        select(CampaignRecipient.arm, func.count())
        .where(CampaignRecipient.campaign_id == campaign_id)
        .group_by(CampaignRecipient.arm)
    ).all()
    return {arm: n for arm, n in rows}


def test_queue_puts_each_reachable_customer_in_one_arm(db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    ok = reachable_customers(db, by, 200, name="李雷")
    no_consent = reachable_customers(db, by, 3, consent=False)
    no_phone = reachable_customers(db, by, 2, phone=False, consent=False)
    opted_out = reachable_customers(db, by, 1)
    channels.withdraw_consent(db, by=by, customer_id=opted_out[0], channel="sms", proof=channels.PROOF_REPLY)
    snapshot = frozen_audience(db, by, ok + no_consent + no_phone + opted_out)
    campaign = services.create_campaign(db, by=by, spec=spec(snapshot))
    report = services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)
    assert report.excluded == {"no_consent": 3, "no_phone": 2, "opted_out": 1}
    assert report.audience == 206 and report.targets + report.holdout == 200
    assert 1 <= report.holdout <= 25  # 5% of 200, drawn at random
    assert arms(db, campaign.id) == {"target": report.targets, "holdout": report.holdout, "excluded": 6}
    texts = db.scalars(select(OutboxMessage.text).where(OutboxMessage.campaign_id == campaign.id)).all()
    assert len(texts) == report.targets
    assert all(t.startswith("【测试旗舰店】亲爱的李雷，618大促") and t.endswith("拒收请回复R") for t in texts)
    assert len({t for t in texts}) == report.targets  # each carries its own short link
    assert campaign.status == "sending" and campaign.queued_count == report.targets


def test_hold_out_share_is_configurable_and_reproducible(db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    ids = list(range(1, 20_001))
    share = sum(services.in_holdout(7, c, 10) for c in ids) / len(ids)
    assert 0.09 < share < 0.11
    assert [services.in_holdout(7, c, 10) for c in ids[:50]] == [services.in_holdout(7, c, 10) for c in ids[:50]]
    assert not any(services.in_holdout(7, c, 0) for c in ids)
    campaign = services.create_campaign(db, by=by, spec=spec(None, holdout_pct=0))
    assert campaign.holdout_pct == 0


def test_notification_reaches_customers_without_marketing_consent_and_has_no_holdout(
    db: Session, world: ShopWorld
) -> None:
    by = world.principal.actor
    ids = reachable_customers(db, by, 20, consent=False)
    body = "您的订单已发货，物流单号请在京东APP查看"
    campaign = services.create_campaign(
        db, by=by, spec=spec(frozen_audience(db, by, ids), purpose="notification", body=body)
    )
    report = services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)
    assert (report.targets, report.holdout, report.excluded) == (20, 0, {})


def test_blocking_lints_stop_the_send_and_keep_the_draft(db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    snapshot = frozen_audience(db, by, reachable_customers(db, by, 5))
    campaign = services.create_campaign(db, by=by, spec=spec(snapshot, body="全场2折起，戳 {link}"))  # no opt-out
    with pytest.raises(BlockedByLints) as refused:
        services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)
    assert "optout_missing" in refused.value.details["problems"]
    assert campaign.status == "draft"
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_every_variable_must_resolve_for_every_recipient(db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    named = reachable_customers(db, by, 3, name="韩梅梅")
    nameless = reachable_customers(db, by, 2, name="")
    snapshot = frozen_audience(db, by, named + nameless)
    body = "{name}您好，会员日全场5折，戳 {link} 拒收请回复R"
    campaign = services.create_campaign(db, by=by, spec=spec(snapshot, body=body, holdout_pct=0))
    with pytest.raises(BlockedByLints) as refused:
        services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)
    assert refused.value.details["problems"] == ["variable_missing:name:2"]
    services.update_campaign(
        db, by=by, campaign_id=campaign.id, spec=spec(snapshot, body=body.replace("{name}", "{name|亲}"), holdout_pct=0)
    )
    assert services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW).targets == 5


def test_large_audiences_go_out_in_batches_of_at_most_30000(db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    snapshot = frozen_audience(db, by, reachable_customers(db, by, 7))
    with pytest.raises(Exception, match="30,000"):
        services.create_campaign(db, by=by, spec=spec(snapshot, batch_size=30_001))
    campaign = services.create_campaign(
        db, by=by, spec=spec(snapshot, holdout_pct=0, batch_size=3, batch_interval_minutes=30)
    )
    report = services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)
    rows = db.execute(select(OutboxMessage.batch_no, OutboxMessage.due_at).order_by(OutboxMessage.id)).all()
    assert report.batches == 3
    assert [b for b, _ in rows] == [1, 1, 1, 2, 2, 2, 3]
    assert [d for _, d in rows][::3] == [NOW, NOW + timedelta(minutes=30), NOW + timedelta(minutes=60)]


def test_scheduled_campaign_waits_for_its_time(db: Session, world: ShopWorld, sessions: sessionmaker) -> None:
    by = world.principal.actor
    campaign = services.create_campaign(
        db, by=by, spec=spec(frozen_audience(db, by, reachable_customers(db, by, 2)), holdout_pct=0)
    )
    later = NOW + timedelta(hours=3)
    services.queue_campaign(db, by=by, campaign_id=campaign.id, send_at=later, now=NOW)
    db.flush()
    assert campaign.status == "scheduled"
    assert outbox.claim(sessions, now=NOW) == []
    assert len(outbox.claim(sessions, now=later)) == 2


def test_pause_resume_cancel_follow_the_campaign_states(db: Session, world: ShopWorld, sessions: sessionmaker) -> None:
    by = world.principal.actor
    campaign = services.create_campaign(
        db, by=by, spec=spec(frozen_audience(db, by, reachable_customers(db, by, 4)), holdout_pct=0)
    )
    with pytest.raises(CampaignState):
        services.change_campaign(db, by=by, campaign_id=campaign.id, action="resume")
    services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)
    services.change_campaign(db, by=by, campaign_id=campaign.id, action="pause")
    db.flush()
    assert outbox.claim(sessions, now=NOW) == []
    services.change_campaign(db, by=by, campaign_id=campaign.id, action="resume")
    db.flush()
    first = outbox.claim(sessions, now=NOW, limit=2)
    sink = LocalSink(sessions)
    for item in first:
        outbox.settle(sessions, item.outbox_id, outbox.process(item, sink), now=NOW)
    services.change_campaign(db, by=by, campaign_id=campaign.id, action="cancel")
    db.flush()
    assert outbox.claim(sessions, now=NOW) == []
    db.expire_all()
    states = sorted(db.scalars(select(OutboxMessage.status)).all())
    assert states == ["cancelled", "cancelled", "sent", "sent"]
    with pytest.raises(CampaignState):
        services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)


def test_queued_campaign_is_sent_once_and_then_done(db: Session, world: ShopWorld, sessions: sessionmaker) -> None:
    by = world.principal.actor
    ids = reachable_customers(db, by, 30)
    campaign = services.create_campaign(db, by=by, spec=spec(frozen_audience(db, by, ids)))
    report = services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)
    db.flush()
    sink = LocalSink(sessions)
    while taken := outbox.claim(sessions, now=NOW):
        for item in taken:
            outbox.settle(sessions, item.outbox_id, outbox.process(item, sink), now=NOW)
    assert db.scalar(select(func.count()).select_from(SinkMessage)) == report.targets
    assert services.finish_campaigns(db, now=NOW) == 1
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == "done"  # type: ignore[union-attr]


def test_short_links_decode_to_their_recipient_only() -> None:
    code = services.short_code(12, 345)
    assert services.decode_short_code(code) == (12, 345)
    assert services.decode_short_code(code + "x") is None
    assert services.decode_short_code("") is None


def test_preview_counts_characters_parts_and_cost(db: Session, world: ShopWorld) -> None:
    shown = services.preview(
        db,
        shop_id=world.shop.id,
        channel="sms",
        signature="测试旗舰店",
        body="全场5折，拒收请回复R",
        purpose="marketing",
    )
    assert shown.text == "【测试旗舰店】全场5折，拒收请回复R"
    assert (shown.length, shown.parts, shown.cost_fen) == (18, 1, 5)
    assert shown.phone_preview == shown.text[:20]
    assert [lint.code for lint in shown.lints if lint.level == "block"] == []


def test_estimate_shows_who_will_actually_receive_after_opt_outs_caps_and_holdout(
    db: Session, world: ShopWorld
) -> None:
    by = world.principal.actor
    ok = reachable_customers(db, by, 100)
    no_consent = reachable_customers(db, by, 4, consent=False)
    opted_out = reachable_customers(db, by, 2)
    for customer_id in opted_out:
        channels.withdraw_consent(db, by=by, customer_id=customer_id, channel="sms", proof=channels.PROOF_REPLY)
    # two customers already had today's marketing SMS (the default daily cap is 1)
    for customer_id in ok[:2]:
        db.add(ContactCount(shop_id=by.shop_id, customer_id=customer_id, channel="sms", period="d2026-12-02", sent=1))
    db.flush()
    campaign = services.create_campaign(db, by=by, spec=spec(frozen_audience(db, by, ok + no_consent + opted_out)))
    estimate = services.estimate_campaign(db, shop_id=by.shop_id, campaign_id=campaign.id, now=NOW)
    assert estimate.audience == 106
    assert estimate.excluded == {"no_consent": 4, "opted_out": 2}
    assert estimate.targets + estimate.holdout == 100
    capped_in_target = sum(1 for c in ok[:2] if not services.in_holdout(campaign.id, c, 5))
    assert estimate.capped == capped_in_target
    assert estimate.receive == estimate.targets - capped_in_target
    assert estimate.cost_fen > 0
    # nothing was written: the estimate of a draft is the same as what queueing then decides
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    report = services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)
    assert (report.targets, report.holdout, report.excluded) == (estimate.targets, estimate.holdout, estimate.excluded)


# ---- streaming in chunks -------------------------------------------------------------------------------
def queued_rows(db: Session, campaign_id: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    recipients = db.execute(
        select(CampaignRecipient.customer_id, CampaignRecipient.arm, CampaignRecipient.reason)
        .where(CampaignRecipient.campaign_id == campaign_id)
        .order_by(CampaignRecipient.customer_id)
    ).all()
    messages = db.execute(
        select(
            OutboxMessage.customer_id,
            OutboxMessage.batch_no,
            OutboxMessage.due_at,
            OutboxMessage.text,
            OutboxMessage.parts,
            OutboxMessage.status,
            OutboxMessage.purpose,
        )
        .where(OutboxMessage.campaign_id == campaign_id)
        .order_by(OutboxMessage.id)
    ).all()
    return [tuple(r) for r in recipients], [tuple(m) for m in messages]


def mixed_audience(db: Session, by: services.Actor) -> list[int]:
    """Targets with and without a name, interleaved with customers who get no message."""
    ids = reachable_customers(db, by, 17, name="李雷")
    ids += reachable_customers(db, by, 3, consent=False)
    ids += reachable_customers(db, by, 9)  # no name: the body's fallback
    ids += reachable_customers(db, by, 2, phone=False, consent=False)
    opted_out = reachable_customers(db, by, 1)
    channels.withdraw_consent(db, by=by, customer_id=opted_out[0], channel="sms", proof=channels.PROOF_REPLY)
    return ids + opted_out + reachable_customers(db, by, 14, name="韩梅梅")


def test_an_audience_larger_than_a_chunk_gets_the_same_rows_as_in_one_pass(db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    ids = mixed_audience(db, by)
    campaign = services.create_campaign(
        db,
        by=by,
        spec=spec(frozen_audience(db, by, ids), holdout_pct=20, batch_size=4, batch_interval_minutes=30),
    )
    whole = db.begin_nested()
    one_pass = services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW, chunk=1_000)
    expected = queued_rows(db, campaign.id)
    whole.rollback()
    assert campaign.status == "draft" and queued_rows(db, campaign.id) == ([], [])

    chunked = services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW, chunk=7)
    assert chunked == one_pass
    assert queued_rows(db, campaign.id) == expected
    assert chunked.audience == len(ids) == 46
    assert chunked.excluded == {"no_consent": 3, "no_phone": 2, "opted_out": 1}
    assert chunked.holdout == sum(services.in_holdout(campaign.id, c, 20) for c in ids[:17] + ids[20:29] + ids[32:])
    recipients, messages = expected
    assert [b for _, b, *_ in messages] == [n // 4 + 1 for n in range(chunked.targets)]
    assert {d for _, b, d, *_ in messages if b == 3} == {NOW + timedelta(minutes=60)}
    assert sum(1 for _, arm, _ in recipients if arm == "target") == len(messages) == chunked.targets


def test_sparse_and_dense_chunks_find_the_same_customers(db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    sparse = mixed_audience(db, by)[::3]  # 16 of 46 consecutive customers
    campaign = services.create_campaign(db, by=by, spec=spec(frozen_audience(db, by, sparse), holdout_pct=20))
    whole = db.begin_nested()
    one_chunk = services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW)  # = ANY / IN (…) lookups
    expected = queued_rows(db, campaign.id)
    whole.rollback()
    single = services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW, chunk=1)  # ranges of one id
    assert single == one_chunk and queued_rows(db, campaign.id) == expected
    assert single.audience == 16 and single.excluded == {"no_consent": 1, "no_phone": 1}
    assert {c for c, *_ in expected[0]} == set(sparse)


def test_a_live_audience_is_streamed_in_chunks_too(
    db: Session, world: ShopWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from siyu.segments import services as segments

    by = world.principal.actor
    ids = reachable_customers(db, by, 12, name="李雷")
    audience = segments.create_audience(
        db, by=world.principal, name="北京", definition={"field": "city", "values": ["北京市"]}
    )
    # the segment engine (DuckDB on SQLite) reads committed data only: stand in for its answer
    monkeypatch.setattr(services.audiences, "audience_members", lambda _session, **_: sorted(ids))
    campaign = services.create_campaign(db, by=by, spec=spec(None, audience_id=audience.id, holdout_pct=0))
    report = services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW, chunk=5)
    assert (report.audience, report.targets) == (12, 12)
    recipients, messages = queued_rows(db, campaign.id)
    assert [c for c, *_ in recipients] == [c for c, *_ in messages] == sorted(ids)


@pytest.mark.parametrize(
    ("last_name", "problem", "fixed"),
    [
        ("", "variable_missing:name:1", "{name|亲}您好，会员日全场5折，戳 {link} 拒收请回复R"),
        ("欧阳" * 20, "variable_too_long:1", "亲，会员日全场5折，戳 {link} 拒收请回复R"),
    ],
)
def test_a_blocking_problem_in_the_last_chunk_leaves_nothing_written(
    db: Session, world: ShopWorld, last_name: str, problem: str, fixed: str
) -> None:
    by = world.principal.actor
    ids = reachable_customers(db, by, 22, name="韩梅梅") + reachable_customers(db, by, 1, name=last_name)
    body = "{name}您好，会员日全场5折，戳 {link} 拒收请回复R"
    snapshot = frozen_audience(db, by, ids)
    campaign = services.create_campaign(db, by=by, spec=spec(snapshot, body=body, holdout_pct=0))
    with pytest.raises(BlockedByLints) as refused:
        services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW, chunk=5)  # 4 chunks written first
    assert refused.value.details["problems"] == [problem]
    assert campaign.status == "draft"
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.scalar(select(func.count()).select_from(CampaignRecipient)) == 0
    # the same session goes on: nothing half-written stands in the way of queueing the fixed draft
    services.update_campaign(db, by=by, campaign_id=campaign.id, spec=spec(snapshot, body=fixed, holdout_pct=0))
    assert services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW, chunk=5).targets == 23


def test_copy_insert_writes_rows_on_either_engine(db: Session, world: ShopWorld) -> None:
    from siyu.db import DriverSQL

    by = world.principal.actor
    ids = reachable_customers(db, by, 3)
    campaign = services.create_campaign(db, by=by, spec=spec(frozen_audience(db, by, ids)))
    sql = DriverSQL(db)
    columns = ("campaign_id", "customer_id", "shop_id", "arm", "reason")
    assert sql.copy_insert("campaign_recipients", columns, []) == 0
    rows = ((campaign.id, c, by.shop_id, "excluded", "a\tb\\c\nd") for c in ids)
    assert sql.copy_insert("campaign_recipients", columns, rows) == 3  # a generator streams
    reasons = db.scalars(select(CampaignRecipient.reason).where(CampaignRecipient.campaign_id == campaign.id)).all()
    assert reasons == ["a\tb\\c\nd"] * 3


def test_each_chunk_finds_its_customers_last_paid_product(db: Session, world: ShopWorld) -> None:
    from siyu.customers.models import Customer, OrderLine
    from tests.factories.customers import make_order

    by = world.principal.actor
    ids = reachable_customers(db, by, 9, name="李雷")
    for n, customer_id in enumerate(ids[:8]):
        customer = db.get(Customer, customer_id)
        assert customer is not None
        # an older paid order, the latest paid one, and a newer unpaid one that does not count
        for product, month, paid in (("旧款", 1, True), (f"面霜{n}", 6, True), ("取消的", 9, False)):
            order = make_order(db, customer, at=datetime(2026, month, 1, tzinfo=UTC), is_paid=paid)
            for line in db.scalars(select(OrderLine).where(OrderLine.order_id == order.id)):
                line.product_name = product
    db.flush()
    body = "{name}，您买过的{last_product|好物}上新了，戳 {link} 拒收请回复R"
    campaign = services.create_campaign(db, by=by, spec=spec(frozen_audience(db, by, ids), body=body, holdout_pct=0))
    services.queue_campaign(db, by=by, campaign_id=campaign.id, now=NOW, chunk=4)
    rows = db.execute(
        select(OutboxMessage.customer_id, OutboxMessage.text).where(OutboxMessage.campaign_id == campaign.id)
    ).all()
    texts = {customer_id: text for customer_id, text in rows}
    assert [texts[c].split("上新了")[0] for c in ids] == [
        *(f"【测试旗舰店】李雷，您买过的面霜{n}" for n in range(8)),
        "【测试旗舰店】李雷，您买过的好物",
    ]
