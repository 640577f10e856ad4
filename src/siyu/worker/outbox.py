"""The outbox loop: take due rows, check consent, quiet hours and caps, send, record the outcome.

Exactly once, even when a worker is killed at any moment:
1. *Claim* (one transaction): due rows are locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number
   of workers share the outbox; SQLite has one writer), checked, counted against the caps, and marked
   ``sending`` with a lease. Nothing has left Siyu yet.
2. *Send*: the adapter hands each message to the provider, with the outbox id as client reference.
3. *Settle* (one transaction per row): ``sent`` / back to ``queued`` with backoff / ``failed``.
A worker that dies between 1 and 3 leaves rows ``sending`` with a lease that runs out. The next worker
does not send them blindly: providers do not deduplicate, so it first asks the provider (``lookup``)
whether the message arrived, and only sends it when it did not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from siyu.campaigns.models import Campaign
from siyu.campaigns.planning import in_quiet_hours, quiet_hours_end
from siyu.channels.adapters import ChannelAdapter, Outcome, Outgoing
from siyu.channels.models import ChannelSettings, ContactCount, OutboxMessage
from siyu.channels.services import cap_periods, channel_settings, may_market
from siyu.config import get_settings
from siyu.core.phones import PhoneVault
from siyu.customers.models import Customer
from siyu.db import insert_ignoring_conflicts, transaction, utcnow
from siyu.shops.models import Shop

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # default (SIYU_WORKER_LEASE_SECONDS): far longer than a provider call may take
MAX_ATTEMPTS = 6
SEND_MARGIN = timedelta(seconds=15)  # longer than a provider call may take (the HTTP adapter's timeout)
BACKOFF_SECONDS = (5, 30, 120, 600, 1800)  # after the 1st, 2nd, … temporary failure


def backoff(attempts: int) -> timedelta:
    """How long a message waits after its ``attempts``-th temporary failure."""
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


@dataclass(frozen=True, slots=True)
class Claimed:
    outbox_id: int
    message: Outgoing
    verify: bool  # its lease ran out while sending: ask the provider before sending again
    attempts: int = 0  # the row's attempts when claimed: a settle by a worker whose lease was taken over is ignored
    send_before: float = float("inf")  # time.monotonic() after which sending could outlast the lease


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _take_cap(session: Session, row: OutboxMessage, settings: ChannelSettings, local: datetime) -> bool:
    """Count one marketing message against the customer's daily and weekly caps; False when either is full."""
    day, week = cap_periods(local)
    for period, cap in ((day, settings.daily_cap), (week, settings.weekly_cap)):
        if cap <= 0:
            continue
        insert_ignoring_conflicts(
            session,
            ContactCount.__table__,
            [
                {
                    "shop_id": row.shop_id,
                    "customer_id": row.customer_id,
                    "channel": row.channel,
                    "period": period,
                    "sent": 0,
                }
            ],
        )
        taken = session.execute(
            update(ContactCount)
            .where(
                ContactCount.shop_id == row.shop_id,
                ContactCount.customer_id == row.customer_id,
                ContactCount.channel == row.channel,
                ContactCount.period == period,
                ContactCount.sent < cap,
            )
            .values(sent=ContactCount.sent + 1)
        ).rowcount  # type: ignore[attr-defined]
        if not taken:
            return False  # the transaction is rolled back to the savepoint by the caller
    return True


def _give_back_cap(session: Session, row: OutboxMessage, zone: ZoneInfo, at: datetime) -> None:
    for period in cap_periods(at.astimezone(zone)):
        session.execute(
            update(ContactCount)
            .where(
                ContactCount.shop_id == row.shop_id,
                ContactCount.customer_id == row.customer_id,
                ContactCount.channel == row.channel,
                ContactCount.period == period,
                ContactCount.sent > 0,
            )
            .values(sent=ContactCount.sent - 1)
        )


def _phone_of(vault: PhoneVault, customer: Customer | None) -> str | None:
    """The customer's mobile, or None when there is none or its cipher cannot be read (a wrong key, a damaged
    row): that one message fails as ``bad_phone`` instead of stopping every worker."""
    if customer is None or not customer.phone_cipher:
        return None
    try:
        return vault.decrypt(customer.phone_cipher)
    except Exception:  # InvalidTag, bad base64, an unknown version: all mean unreadable
        log.warning("outbox: customer %s has an unreadable phone cipher", customer.id)
        return None


def claim(factory: sessionmaker[Session], *, limit: int = 50, now: datetime | None = None) -> list[Claimed]:
    """Take up to ``limit`` due rows for this worker (one transaction)."""
    now = now or utcnow()
    key = get_settings()
    vault = PhoneVault(key.phone_key, key.phone_hash_salt)
    lease = timedelta(seconds=key.worker_lease_seconds)
    # a send must end before the lease does, or another worker could look it up too early and send again
    deadline = monotonic() + (lease - min(SEND_MARGIN, lease / 2)).total_seconds()
    claimed: list[Claimed] = []
    with transaction(factory, write=True) as session:
        live = select(Campaign.id).where(Campaign.status.in_(("sending", "scheduled")))
        rows = session.scalars(
            select(OutboxMessage)
            .where(
                or_(
                    (OutboxMessage.status == "queued") & (OutboxMessage.due_at <= now),
                    (OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now),
                ),
                or_(OutboxMessage.campaign_id.is_(None), OutboxMessage.campaign_id.in_(live)),
            )
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        zones: dict[int, ZoneInfo] = {}
        for row in rows:
            verify = row.status == "sending"
            settings = channel_settings(session, shop_id=row.shop_id, channel=row.channel)
            if row.shop_id not in zones:
                zones[row.shop_id] = ZoneInfo(session.get(Shop, row.shop_id).timezone or "Asia/Shanghai")  # type: ignore[union-attr]
            zone = zones[row.shop_id]
            if not verify and row.purpose == "marketing":
                if not may_market(session, shop_id=row.shop_id, customer_id=row.customer_id, channel=row.channel):
                    row.status, row.last_error = "skipped", "opted_out"
                    continue
                local = now.astimezone(zone)
                start, end = _hhmm(settings.quiet_start), _hhmm(settings.quiet_end)
                if in_quiet_hours(local.time().replace(tzinfo=None), start, end):
                    row.due_at = quiet_hours_end(local, start, end).astimezone(now.tzinfo)
                    continue  # waits, never dropped
            customer = session.get(Customer, row.customer_id)
            phone = _phone_of(vault, customer)
            if phone is None:  # checked before the caps, so a message that cannot go out takes no cap
                row.status, row.last_error = (
                    "failed",
                    "no_phone" if not customer or not customer.phone_cipher else "bad_phone",
                )
                row.lease_until = None
                continue
            if not verify and row.purpose == "marketing":
                with session.begin_nested() as nested:
                    if not _take_cap(session, row, settings, now.astimezone(zone)):
                        nested.rollback()
                        row.status, row.last_error = "skipped", "frequency_cap"
                        continue
            row.status, row.lease_until = "sending", now + lease
            row.attempts += 1  # a look-up after a crash counts too, so an unanswered message ends failed
            claimed.append(
                Claimed(
                    row.id,
                    Outgoing(
                        shop_id=row.shop_id,
                        channel=row.channel,
                        client_ref=str(row.id),
                        to=phone,
                        to_masked=customer.phone_masked,  # type: ignore[union-attr]
                        text=row.text,
                    ),
                    verify,
                    row.attempts,
                    deadline,
                )
            )
    return claimed


def settle(
    factory: sessionmaker[Session],
    outbox_id: int,
    outcome: Outcome,
    *,
    now: datetime | None = None,
    attempts: int | None = None,
) -> str:
    """Record what the provider said; returns the row's new status. With ``attempts`` (the claim's), a row
    another worker has taken over since is left alone."""
    now = now or utcnow()
    with transaction(factory, write=True) as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.id == outbox_id).with_for_update())
        if row is None or row.status != "sending" or outcome.result == "late":
            return row.status if row is not None else "missing"
        if attempts is not None and row.attempts != attempts:
            return row.status
        if outcome.result == "sent":
            row.status, row.sent_at, row.provider_ref, row.last_error = "sent", now, outcome.provider_ref, ""
        elif outcome.result == "unknown" and row.attempts < MAX_ATTEMPTS:
            # the provider may have it: keep the lease; the next claim after it runs out looks it up first
            row.last_error = outcome.error[:300]
        elif outcome.result == "retry" and row.attempts < MAX_ATTEMPTS:
            row.status, row.due_at, row.last_error = "queued", now + backoff(row.attempts), outcome.error[:300]
            row.lease_until = None
            if row.purpose == "marketing":
                zone = ZoneInfo(session.get(Shop, row.shop_id).timezone or "Asia/Shanghai")  # type: ignore[union-attr]
                _give_back_cap(session, row, zone, now)
        else:
            row.status, row.last_error, row.lease_until = "failed", outcome.error[:300] or "failed", None
            if row.purpose == "marketing":
                zone = ZoneInfo(session.get(Shop, row.shop_id).timezone or "Asia/Shanghai")  # type: ignore[union-attr]
                _give_back_cap(session, row, zone, now)
        return row.status


def process(item: Claimed, adapter: ChannelAdapter) -> Outcome:
    """Send one claimed message, asking the provider first when an earlier attempt may have reached it.

    A message whose lease is nearly over is not sent (``late``): it stays ``sending`` until the lease runs
    out, then the next claim looks it up first — so no two workers can ever both send it."""
    if monotonic() >= item.send_before:
        return Outcome("late")
    if item.verify:
        known = adapter.lookup(item.message.shop_id, item.message.client_ref)
        if known is not None and known.result == "sent":
            return known
    try:
        return adapter.send(item.message)
    except Exception as error:  # an adapter bug must not stop the worker; the message may have left
        log.exception("adapter failed on outbox %s", item.outbox_id)
        return Outcome("unknown", error=f"{type(error).__name__}: {error}")


def run_once(
    factory: sessionmaker[Session], adapter_for: Callable[[int, str], ChannelAdapter], *, limit: int = 50
) -> int:
    """One claim–send–settle round; returns how many rows it took."""
    claimed = claim(factory, limit=limit)
    for item in claimed:
        outcome = process(item, adapter_for(item.message.shop_id, item.message.channel))
        settle(factory, item.outbox_id, outcome, attempts=item.attempts)
    return len(claimed)


def run(
    factory: sessionmaker[Session],
    adapter_for: Callable[[int, str], ChannelAdapter],
    *,
    stop: threading.Event,
    limit: int = 50,
    idle_seconds: float = 1.0,
) -> None:
    """Work until ``stop`` is set, sleeping ``idle_seconds`` whenever nothing is due."""
    while not stop.is_set():
        if run_once(factory, adapter_for, limit=limit) == 0:
            stop.wait(idle_seconds)
