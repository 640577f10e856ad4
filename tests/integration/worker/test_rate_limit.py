"""One send rate for all workers (DESIGN "Background work": sends respect per-provider rate limits): however
many workers claim at once, a shop's channel never gets more than ``rate_per_second`` claims in one second,
and across seconds every message still goes exactly once. Real commits and several connections, so
``fresh_engine``; threads stand for worker processes (on SQLite they queue for the one writer lock)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.sending import outbox_counts, queued_campaign
from siyu.channels.adapters import Outcome
from siyu.channels.models import ChannelSettings, Consent, OutboxMessage
from siyu.db import session_factory, transaction
from siyu.worker import outbox
from siyu.worker.runner import Runner

T0 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC).timestamp()


def _set_rate(factory: sessionmaker[Session], shop_id: int, rate: int) -> None:
    with transaction(factory, write=True) as session:
        session.execute(
            update(ChannelSettings)
            .where(ChannelSettings.shop_id == shop_id, ChannelSettings.channel == "sms")
            .values(rate_per_second=rate)
        )


def _rate_row(factory: sessionmaker[Session], shop_id: int) -> tuple[int, int]:
    with transaction(factory) as session:
        window, used = session.execute(
            select(ChannelSettings.rate_window, ChannelSettings.rate_used).where(
                ChannelSettings.shop_id == shop_id, ChannelSettings.channel == "sms"
            )
        ).one()
    return window, used


def _claim_in_windows(
    factory: sessionmaker[Session], *, workers: int, limit: int, windows: int
) -> tuple[list[int], Counter[int]]:
    """``workers`` threads claim (and settle as sent) concurrently, one fake-clock second at a time, each
    until it gets nothing; returns the claims per window and how often each outbox row was claimed."""
    per_window: list[int] = []
    claims: Counter[int] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(at: float, start: threading.Barrier, taken: list[int]) -> None:
        try:
            start.wait()
            while True:
                batch = outbox.take(factory, limit=limit, clock=lambda: at)
                if not batch.items:
                    return
                with lock:
                    taken.append(len(batch.items))
                    claims.update(item.outbox_id for item in batch.items)
                for item in batch.items:
                    outbox.settle(factory, item.outbox_id, Outcome("sent"), attempts=item.attempts)
        except BaseException as error:  # surfaced below: a thread's assert would vanish
            errors.append(error)

    for n in range(windows):
        at = T0 + n + 0.5  # one fixed fake clock for the whole window
        taken: list[int] = []
        start = threading.Barrier(workers)
        threads = [threading.Thread(target=worker, args=(at, start, taken)) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        per_window.append(sum(taken))
        if not taken:
            break
    return per_window, claims


@pytest.mark.parametrize(("recipients", "rate", "workers", "limit"), [(60, 7, 4, 5), (45, 10, 3, 50)])
def test_concurrent_claims_never_pass_the_shared_rate_in_a_window(
    fresh_engine: Engine, recipients: int, rate: int, workers: int, limit: int
) -> None:
    factory = session_factory(fresh_engine)
    shop_id, campaign_id = queued_campaign(factory, recipients, provider_url=None)
    _set_rate(factory, shop_id, rate)
    per_window, claims = _claim_in_windows(factory, workers=workers, limit=limit, windows=recipients)
    assert max(per_window) <= rate, per_window
    assert per_window[0] == rate  # the limit does not under-send either: the first second is used up
    assert sum(per_window) == recipients and set(claims.values()) == {1}  # each message once
    assert outbox_counts(factory, campaign_id) == {"sent": recipients}


@pytest.mark.postgres_only
def test_eight_concurrent_workers_on_postgresql_share_one_rate(fresh_engine: Engine) -> None:
    factory = session_factory(fresh_engine)
    shop_id, campaign_id = queued_campaign(factory, 400, provider_url=None)
    _set_rate(factory, shop_id, 37)
    per_window, claims = _claim_in_windows(factory, workers=8, limit=8, windows=40)
    assert max(per_window) <= 37, per_window
    assert sum(per_window) == 400 and set(claims.values()) == {1}
    assert len([n for n in per_window if n]) >= 400 // 37 + 1  # it really took ⌈400 / 37⌉ seconds or more
    assert outbox_counts(factory, campaign_id) == {"sent": 400}


def test_sends_reserved_for_skipped_rows_are_given_back(fresh_engine: Engine) -> None:
    factory = session_factory(fresh_engine)
    shop_id, _campaign_id = queued_campaign(factory, 5, provider_url=None)
    _set_rate(factory, shop_id, 10)
    with transaction(factory, write=True) as session:
        first_two = session.scalars(
            select(OutboxMessage.customer_id).order_by(OutboxMessage.id).limit(2)
        ).all()  # these two opted out after queueing: skipped, so they take no send
        session.execute(update(Consent).where(Consent.customer_id.in_(first_two)).values(status="withdrawn"))
    batch = outbox.take(factory, limit=50, clock=lambda: T0)
    assert len(batch.items) == 3 and not batch.throttled
    assert _rate_row(factory, shop_id) == (outbox.rate_window(T0), 3)


def test_a_spent_window_leaves_due_rows_queued_and_says_so(fresh_engine: Engine) -> None:
    factory = session_factory(fresh_engine)
    shop_id, campaign_id = queued_campaign(factory, 5, provider_url=None)
    _set_rate(factory, shop_id, 3)
    first = outbox.take(factory, limit=50, clock=lambda: T0)
    assert len(first.items) == 3 and first.throttled
    again = outbox.take(factory, limit=50, clock=lambda: T0 + 0.9)
    assert again.items == [] and again.throttled  # the same second: nothing more, but rows are due
    assert outbox_counts(factory, campaign_id) == {"sending": 3, "queued": 2}
    later = outbox.take(factory, limit=50, clock=lambda: T0 + 1)
    assert len(later.items) == 2 and not later.throttled
    assert outbox.take(factory, limit=50, clock=lambda: T0 + 1).items == []


def test_the_runner_waits_for_the_next_second_instead_of_stopping(fresh_engine: Engine) -> None:
    factory = session_factory(fresh_engine)
    shop_id, campaign_id = queued_campaign(factory, 12, provider_url=None)
    _set_rate(factory, shop_id, 5)
    began = time.monotonic()
    taken = Runner(factory, batch=50, concurrency=4).run(threading.Event(), once=True)
    assert taken == 12  # three windows (5 + 5 + 2): a spent window is not "nothing due"
    assert time.monotonic() - began > 1.0
    assert outbox_counts(factory, campaign_id) == {"sent": 12}
