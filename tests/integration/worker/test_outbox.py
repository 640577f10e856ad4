"""The outbox loop (DESIGN "Background work"): consent, quiet hours, caps across campaigns, retries with
backoff, and no second send after a crash — against a real database, through the local sink."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.campaigns.models import Campaign
from siyu.channels import services
from siyu.channels.adapters import LocalSink, Outcome, Outgoing
from siyu.channels.models import ContactCount, OutboxMessage, SinkMessage
from siyu.config import get_settings
from siyu.core.phones import PhoneVault
from siyu.customers.models import Customer
from siyu.worker import outbox
from tests.factories.customers import make_customer
from tests.factories.shops import ShopWorld, make_shop

# 2026-12-02 10:00 in Shanghai: inside sending hours
DAY = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
PROOF = services.ConsentProof(source="h5", text="同意接收营销短信")


@dataclass
class Shop:
    world: ShopWorld
    customers: list[int]


@pytest.fixture
def shop(db: Session) -> Shop:
    world = make_shop(db)
    key = get_settings()
    vault = PhoneVault(key.phone_key, key.phone_hash_salt)
    ids = []
    for n in range(3):
        mobile = f"1380000000{n}"
        customer = make_customer(
            db, world.shop.id, phone_cipher=vault.encrypt(mobile), phone_masked=f"138****000{n}", phone_tail=f"000{n}"
        )
        services.grant_consent(db, by=world.principal.actor, customer_id=customer.id, channel="sms", proof=PROOF)
        ids.append(customer.id)
    db.flush()
    return Shop(world, ids)


def campaign(db: Session, shop: Shop, status: str = "sending") -> Campaign:
    row = Campaign(shop_id=shop.world.shop.id, name="618", status=status, signature="测试店", body="x")
    db.add(row)
    db.flush()
    return row


def queue(db: Session, shop: Shop, camp: Campaign, customer_ids: list[int] | None = None, at: datetime = DAY) -> None:
    for customer_id in customer_ids if customer_ids is not None else shop.customers:
        db.add(
            OutboxMessage(
                shop_id=shop.world.shop.id,
                channel="sms",
                campaign_id=camp.id,
                customer_id=customer_id,
                text="【测试店】全场5折 拒收请回复R",
                due_at=at,
            )
        )
    db.flush()


def statuses(db: Session) -> list[tuple[int, str, str]]:
    db.expire_all()
    return [
        (r.customer_id, r.status, r.last_error) for r in db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    ]


def work(sessions: sessionmaker[Session], now: datetime, adapter: object | None = None) -> int:
    sink = adapter or LocalSink(sessions)
    taken = outbox.claim(sessions, now=now)
    for item in taken:
        outbox.settle(sessions, item.outbox_id, outbox.process(item, sink), now=now)  # type: ignore[arg-type]
    return len(taken)


def test_worker_sends_each_due_message_once_through_the_sink(db: Session, sessions: sessionmaker, shop: Shop) -> None:
    queue(db, shop, campaign(db, shop))
    assert work(sessions, DAY) == 3
    assert work(sessions, DAY + timedelta(minutes=5)) == 0
    assert [s for _, s, _ in statuses(db)] == ["sent"] * 3
    sunk = db.scalars(select(SinkMessage.to_masked).order_by(SinkMessage.id)).all()
    assert sunk == ["138****0000", "138****0001", "138****0002"]


def test_opted_out_customer_never_receives_marketing(db: Session, sessions: sessionmaker, shop: Shop) -> None:
    queue(db, shop, campaign(db, shop))
    services.withdraw_consent(
        db,
        by=shop.world.principal.actor,
        customer_id=shop.customers[1],
        channel="sms",
        proof=services.ConsentProof(source="reply", text="R"),
    )
    db.flush()
    work(sessions, DAY)
    assert statuses(db)[1] == (shop.customers[1], "skipped", "opted_out")
    assert db.scalar(select(func.count()).select_from(SinkMessage)) == 2


def test_quiet_hours_make_marketing_wait_until_morning_not_drop(
    db: Session, sessions: sessionmaker, shop: Shop
) -> None:
    night = datetime(2026, 12, 2, 13, 30, tzinfo=UTC)  # 21:30 in Shanghai
    queue(db, shop, campaign(db, shop), at=night)
    assert work(sessions, night) == 0
    db.expire_all()
    due = {r.due_at for r in db.scalars(select(OutboxMessage))}
    assert due == {datetime(2026, 12, 3, 0, 0, tzinfo=UTC)}  # 08:00 the next morning, shop time
    assert [s for _, s, _ in statuses(db)] == ["queued"] * 3
    assert work(sessions, datetime(2026, 12, 3, 0, 0, tzinfo=UTC)) == 3


def test_daily_cap_holds_across_two_campaigns(db: Session, sessions: sessionmaker, shop: Shop) -> None:
    first, second = campaign(db, shop), campaign(db, shop)
    queue(db, shop, first)
    queue(db, shop, second)
    work(sessions, DAY)
    states = statuses(db)
    assert [s for _, s, _ in states[:3]] == ["sent"] * 3
    assert [(s, e) for _, s, e in states[3:]] == [("skipped", "frequency_cap")] * 3
    counts = db.scalars(select(ContactCount.sent).where(ContactCount.period.like("d%"))).all()
    assert counts == [1, 1, 1]


def test_weekly_cap_counts_the_shop_week(db: Session, sessions: sessionmaker, shop: Shop) -> None:
    settings = services.channel_settings(db, shop_id=shop.world.shop.id, channel="sms")
    settings.daily_cap, settings.weekly_cap = 5, 2
    db.flush()
    for day in range(3):  # Wed, Thu, Fri of one ISO week
        camp = campaign(db, shop)
        queue(db, shop, camp, [shop.customers[0]], at=DAY + timedelta(days=day))
        work(sessions, DAY + timedelta(days=day))
    assert [s for _, s, _ in statuses(db)] == ["sent", "sent", "skipped"]


def test_paused_campaign_is_not_sent_until_resumed(db: Session, sessions: sessionmaker, shop: Shop) -> None:
    camp = campaign(db, shop, status="paused")
    queue(db, shop, camp)
    assert work(sessions, DAY) == 0
    camp.status = "sending"
    db.flush()
    assert work(sessions, DAY) == 3


class Flaky:
    """A provider that answers 429 a few times, then accepts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[str] = []

    def send(self, message: Outgoing) -> Outcome:
        if self.failures > 0:
            self.failures -= 1
            return Outcome("retry", error="429 throttled")
        self.sent.append(message.client_ref)
        return Outcome("sent", provider_ref=f"p{message.client_ref}")

    def lookup(self, shop_id: int, client_ref: str) -> Outcome | None:
        return Outcome("sent") if client_ref in self.sent else None


def test_temporary_failures_retry_with_backoff(db: Session, sessions: sessionmaker, shop: Shop) -> None:
    queue(db, shop, campaign(db, shop), [shop.customers[0]])
    provider = Flaky(failures=2)
    work(sessions, DAY, provider)
    db.expire_all()
    row = db.scalars(select(OutboxMessage)).one()
    assert (row.status, row.attempts, row.due_at) == ("queued", 1, DAY + timedelta(seconds=5))
    assert db.scalar(select(func.sum(ContactCount.sent))) == 0  # a message not sent does not count
    assert work(sessions, DAY + timedelta(seconds=4), provider) == 0
    work(sessions, DAY + timedelta(seconds=5), provider)
    work(sessions, DAY + timedelta(seconds=40), provider)
    assert statuses(db)[0][1] == "sent" and provider.sent == [str(row.id)]


def test_permanent_failure_after_the_last_attempt_is_visible(db: Session, sessions: sessionmaker, shop: Shop) -> None:
    queue(db, shop, campaign(db, shop), [shop.customers[0]])
    provider = Flaky(failures=100)
    at = DAY
    for _ in range(outbox.MAX_ATTEMPTS):
        work(sessions, at, provider)
        at += timedelta(hours=1)
    assert statuses(db)[0] == (shop.customers[0], "failed", "429 throttled")


def test_after_a_crash_the_worker_asks_the_provider_before_sending_again(
    db: Session, sessions: sessionmaker, shop: Shop
) -> None:
    queue(db, shop, campaign(db, shop), shop.customers[:2])
    provider = Flaky(failures=0)
    taken = outbox.claim(sessions, now=DAY)
    provider.send(taken[0].message)  # reached the provider, then the worker died: nothing settled
    later = DAY + outbox.LEASE + timedelta(seconds=1)
    assert work(sessions, DAY + timedelta(seconds=30), provider) == 0  # leases still held
    assert work(sessions, later, provider) == 2
    assert sorted(provider.sent) == sorted(str(t.outbox_id) for t in taken)  # each exactly once
    assert [s for _, s, _ in statuses(db)] == ["sent", "sent"]


def test_the_sink_records_a_client_reference_once(sessions: sessionmaker, shop: Shop, db: Session) -> None:
    sink = LocalSink(sessions)
    message = Outgoing(shop.world.shop.id, "sms", "42", "13800000000", "138****0000", "hi")
    first, again = sink.send(message), sink.send(message)
    assert first == again and sink.lookup(shop.world.shop.id, "42") == first
    assert sink.lookup(shop.world.shop.id, "43") is None


def test_a_message_whose_lease_is_nearly_over_is_not_sent_and_left_for_the_look_up(
    db: Session, sessions: sessionmaker, shop: Shop
) -> None:
    queue(db, shop, campaign(db, shop), [shop.customers[0]])
    provider = Flaky(failures=0)
    (item,) = outbox.claim(sessions, now=DAY)
    late = replace(item, send_before=0.0)
    assert outbox.process(late, provider).result == "late" and provider.sent == []
    assert outbox.settle(sessions, item.outbox_id, outbox.Outcome("late"), now=DAY) == "sending"
    taken_over = outbox.claim(sessions, now=DAY + outbox.LEASE + timedelta(seconds=1))
    assert [t.verify for t in taken_over] == [True]
    stale = outbox.settle(sessions, item.outbox_id, Outcome("retry", error="x"), now=DAY, attempts=item.attempts)
    assert stale == "sending"  # the first worker's late answer does not overwrite the second worker's claim


def test_an_unreadable_phone_fails_that_message_only_and_takes_no_cap(
    db: Session, sessions: sessionmaker, shop: Shop
) -> None:
    broken = db.get(Customer, shop.customers[1])
    assert broken is not None
    broken.phone_cipher = "v1:not-a-cipher"
    db.flush()
    queue(db, shop, campaign(db, shop))
    assert work(sessions, DAY) == 2
    by_customer = {cid: (status, error) for cid, status, error in statuses(db)}
    assert by_customer[shop.customers[1]] == ("failed", "bad_phone")
    assert by_customer[shop.customers[0]][0] == by_customer[shop.customers[2]][0] == "sent"
    counted = db.scalars(select(ContactCount.customer_id).where(ContactCount.sent > 0)).all()
    assert shop.customers[1] not in counted
