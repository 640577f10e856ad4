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

**One send rate for all workers.** ``ChannelSettings.rate_per_second`` (at least 1: a CHECK constraint and
the API's bounds; there is no "unlimited") is shared by every worker process of every machine. The
``channel_settings`` row counts the current one-second window (``rate_window``: whole seconds since
2000-01-01 UTC, which fits the integer column until 2068) and the sends handed out in it (``rate_used``).
A claim reserves, per shop and channel, at most as many sends as it has due rows, under a row lock
(``SELECT … FOR UPDATE`` on PostgreSQL, in its own short transaction so workers do not queue behind each
other's claims; SQLite's single writer lock does it there), takes only that many rows, and gives back what it
did not use (rows skipped, failed or held for quiet hours). The window never moves back, so a worker whose
clock lags counts in the newer window instead of opening a fresh one. It limits claims (a lookup after a
crash counts as a send): the sends of one window leave during that second and the provider call after it,
and like any fixed window two busy windows side by side may put up to twice the rate into one sliding second.
"""

from __future__ import annotations

import logging
import math
import threading
import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from siyu.campaigns.models import Campaign
from siyu.campaigns.planning import in_quiet_hours, quiet_hours_end
from siyu.channels.adapters import ChannelAdapter, Outcome, Outgoing
from siyu.channels.models import ChannelSettings, ContactCount, OutboxMessage
from siyu.channels.services import cap_periods, channel_settings, may_market, quiet_hours
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


# ---- the shared send-rate window (pure arithmetic; the rows are in channel_settings) -------------------
RATE_EPOCH = datetime(2000, 1, 1, tzinfo=UTC).timestamp()  # whole seconds, so windows are wall-clock seconds


def rate_window(at: float) -> int:
    """The one-second window the wall-clock time ``at`` (``time.time()``) falls in."""
    return math.floor(at - RATE_EPOCH)


def until_next_window(at: float) -> float:
    """Seconds from ``at`` to the start of the next window (in (0, 1])."""
    return RATE_EPOCH + rate_window(at) + 1 - at


@dataclass(frozen=True, slots=True)
class Reservation:
    window: int  # what rate_window becomes
    used: int  # what rate_used becomes
    granted: int  # sends this claim may make


def reserve(*, rate: int, window: int, used: int, now_window: int, wanted: int) -> Reservation:
    """Take up to ``wanted`` sends from a window holding ``used`` of ``rate``; a later window starts at 0.

    A stored window ahead of ``now_window`` (another worker's clock runs ahead) is kept, never moved back."""
    if now_window > window:
        window, used = now_window, 0
    granted = max(0, min(wanted, rate - used))
    return Reservation(window, used + granted, granted)


def give_back(*, window: int, used: int, reserved_window: int, unused: int) -> int:
    """``rate_used`` after returning ``unused`` sends reserved in ``reserved_window`` (nothing once it is over)."""
    if window != reserved_window:
        return used
    return max(0, used - unused)


def _reserve_sends(session: Session, *, shop_id: int, channel: str, wanted: int, now_window: int) -> Reservation:
    """Reserve sends of the shop's channel in the current window, under a lock on its settings row."""
    settings_id = channel_settings(session, shop_id=shop_id, channel=channel).id
    rate, window, used = session.execute(
        select(ChannelSettings.rate_per_second, ChannelSettings.rate_window, ChannelSettings.rate_used)
        .where(ChannelSettings.id == settings_id)
        .with_for_update()
    ).one()
    taken = reserve(rate=rate, window=window, used=used, now_window=now_window, wanted=wanted)
    if (taken.window, taken.used) != (window, used):
        session.execute(
            update(ChannelSettings)
            .where(ChannelSettings.id == settings_id)
            .values(rate_window=taken.window, rate_used=taken.used)
        )
    return taken


def _give_back_sends(factory: sessionmaker[Session], unused: list[tuple[int, str, int, int]]) -> None:
    """Return sends reserved but not used, ``(shop_id, channel, window, unused)`` each, in one transaction."""
    with transaction(factory, write=True) as session:
        for shop_id, channel, reserved_window, count in unused:
            found = session.execute(
                select(ChannelSettings.id, ChannelSettings.rate_window, ChannelSettings.rate_used)
                .where(ChannelSettings.shop_id == shop_id, ChannelSettings.channel == channel)
                .with_for_update()
            ).one_or_none()
            if found is None:
                continue
            settings_id, window, used = found
            left = give_back(window=window, used=used, reserved_window=reserved_window, unused=count)
            if left != used:
                session.execute(update(ChannelSettings).where(ChannelSettings.id == settings_id).values(rate_used=left))


@dataclass(frozen=True, slots=True)
class Claimed:
    outbox_id: int
    message: Outgoing
    verify: bool  # its lease ran out while sending: ask the provider before sending again
    attempts: int = 0  # the row's attempts when claimed: a settle by a worker whose lease was taken over is ignored
    send_before: float = float("inf")  # time.monotonic() after which sending could outlast the lease


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


@dataclass(frozen=True, slots=True)
class Batch:
    items: list[Claimed]
    throttled: bool  # due rows were left because a shop's send rate for this second was used up


def take(
    factory: sessionmaker[Session],
    *,
    limit: int = 50,
    now: datetime | None = None,
    clock: Callable[[], float] = clock_time.time,
) -> Batch:
    """Take up to ``limit`` due rows for this worker (one transaction), within each shop's shared send rate.

    ``now`` is the time rows are due against; ``clock`` (``time.time`` by default) places the claim in its
    one-second rate window. A batch that is ``throttled`` with no items means: wait for the next window
    (:func:`until_next_window`), not for new rows. A claim that fails, or a worker killed between reserving
    and giving back, loses at most that second's unused reservation: fewer sends, never more."""
    now = now or utcnow()
    now_window = rate_window(clock())
    key = get_settings()
    vault = PhoneVault(key.phone_key, key.phone_hash_salt)
    lease = timedelta(seconds=key.worker_lease_seconds)
    # a send must end before the lease does, or another worker could look it up too early and send again
    deadline = monotonic() + (lease - min(SEND_MARGIN, lease / 2)).total_seconds()
    claimed: list[Claimed] = []
    throttled = False
    budget: dict[tuple[int, str], int] = {}
    reserved_window: dict[tuple[int, str], int] = {}
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
        wanted: dict[tuple[int, str], int] = {}
        for row in rows:
            wanted[(row.shop_id, row.channel)] = wanted.get((row.shop_id, row.channel), 0) + 1
        # PostgreSQL: each reservation commits at once (its own transaction), so concurrent claims wait on the
        # settings row for a moment only; SQLite: this transaction already holds the one writer lock
        separate = session.get_bind().dialect.name != "sqlite"
        for (shop_id, channel), count in wanted.items():
            if separate:
                with transaction(factory, write=True) as own:
                    reserved = _reserve_sends(
                        own, shop_id=shop_id, channel=channel, wanted=count, now_window=now_window
                    )
            else:
                reserved = _reserve_sends(
                    session, shop_id=shop_id, channel=channel, wanted=count, now_window=now_window
                )
            budget[(shop_id, channel)] = reserved.granted
            reserved_window[(shop_id, channel)] = reserved.window
        zones: dict[int, ZoneInfo] = {}
        for row in rows:
            if budget[(row.shop_id, row.channel)] <= 0:
                throttled = True  # left as it is (unlocked at commit) for the next window
                continue
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
                start, end = quiet_hours(settings)
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
            budget[(row.shop_id, row.channel)] -= 1
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
    unused = [(shop, channel, reserved_window[(shop, channel)], n) for (shop, channel), n in budget.items() if n > 0]
    if unused:
        _give_back_sends(factory, unused)
    return Batch(claimed, throttled)


def claim(
    factory: sessionmaker[Session],
    *,
    limit: int = 50,
    now: datetime | None = None,
    clock: Callable[[], float] = clock_time.time,
    wait: bool = True,
) -> list[Claimed]:
    """:func:`take`'s rows. When the send rate of this second is used up and nothing was taken, it waits for
    the next window (with ``wait``, once, at most a second), so an empty answer means nothing may go now."""
    batch = take(factory, limit=limit, now=now, clock=clock)
    if wait and batch.throttled and not batch.items:
        clock_time.sleep(until_next_window(clock()))
        batch = take(factory, limit=limit, now=now, clock=clock)
    return batch.items


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
    """One claim–send–settle round; returns how many rows it took (waiting for the next rate window when
    this one is used up, see :func:`claim`)."""
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
