"""Exactly once under fire: `siyu worker` processes SIGKILLed at random while a 20,000-recipient campaign
goes out to a fake HTTP provider that throttles, fails and sometimes accepts then hangs. Afterwards every
target's message reached the provider exactly once. Plus: pause/resume never re-sends, and the daily cap
holds across two campaigns sent at once by two worker processes."""

from __future__ import annotations

import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.sending import (
    bulk_reachable,
    frozen_snapshot,
    make_sending_shop,
    new_campaign,
    outbox_counts,
    pg_url_with_schema,
    queued_campaign,
    start_worker,
    worker_env,
)
from siyu.campaigns import services as campaigns
from siyu.channels.models import ChannelSettings, OutboxMessage
from siyu.db import session_factory, transaction

sys.path.insert(0, str(Path(__file__).parent))
from fake_provider import FakeProvider

PG_URL = os.environ.get("SIYU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

# 20,000 takes ~4 min on 2 cores (4 workers send ~40–90 messages/s together there, CPU-bound): the
# default keeps the suite quick; SIYU_KILL_RECIPIENTS=20000 SIYU_KILL_DEADLINE=600 runs the full size
RECIPIENTS = int(os.environ.get("SIYU_KILL_RECIPIENTS", "3000"))
DEADLINE = float(os.environ.get("SIYU_KILL_DEADLINE", "240"))
WORKERS = 4
# the shared send rate (all workers together) of these tests' shops: far above what 4 workers reach here, so
# the tests are about crashes and caps, while every claim still goes through the reservation
RATE = 2000


def _rate(factory: sessionmaker[Session], shop_id: int, rate: int = RATE) -> None:
    with transaction(factory, write=True) as session:
        session.execute(update(ChannelSettings).where(ChannelSettings.shop_id == shop_id).values(rate_per_second=rate))


def _schema(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("SELECT current_schema()").scalar())


def _no_backoff(engine: Engine) -> None:
    """Temporary failures wait 5 s, 30 s, 2 min…: bring them back now, the test is about crashes."""
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE outbox SET due_at = now() WHERE status = 'queued' AND due_at > now()")


def _until_settled(factory: object, campaign_ids: list[int], deadline: float, tick: object = None) -> dict[str, int]:
    while True:
        counts: dict[str, int] = {}
        for campaign_id in campaign_ids:
            for status, n in outbox_counts(factory, campaign_id).items():  # type: ignore[arg-type]
                counts[status] = counts.get(status, 0) + n
        if counts.get("queued", 0) + counts.get("sending", 0) == 0:
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"not settled in time: {counts}")
        if callable(tick):
            tick()
        time.sleep(0.25)


@pytest.mark.postgres_only
def test_random_sigkills_never_lose_or_duplicate_a_message(fresh_engine: Engine) -> None:
    began = time.monotonic()
    factory = session_factory(fresh_engine)
    # 2% throttled, 2% 500, 0.3% accepted-then-hung past the 2 s client timeout (an "unknown" outcome)
    with FakeProvider(latency_ms=4, throttle_ratio=0.02, fail_ratio=0.02, hang_ratio=0.003, hang_seconds=2.5) as fake:
        shop_id, campaign_id = queued_campaign(factory, RECIPIENTS, provider_url=fake.url, timeout=2.0)
        _rate(factory, shop_id)
        # The lease starts at claim time and nothing checks it again before a send: a row that waits in the
        # send pool past its lease can be re-claimed, looked up (not there yet) and sent by another worker
        # while the first still sends it. A batch of one wave (batch == concurrency) whose longest send (the
        # 2 s timeout) ends well inside the 5 s lease keeps this test about crashes (reported as a bug).
        env = worker_env(pg_url_with_schema(PG_URL, _schema(fresh_engine)), SIYU_WORKER_LEASE_SECONDS="5")
        rng = random.Random(20261202)
        with tempfile.TemporaryFile() as log:
            procs = [start_worker(env, concurrency=8, batch=8, log=log) for _ in range(WORKERS)]
            kills = 0
            next_kill = time.monotonic() + rng.uniform(0.5, 2.0)

            def chaos() -> None:
                nonlocal kills, next_kill
                _no_backoff(fresh_engine)
                for proc in procs:
                    if proc.poll() is not None and proc.returncode != -signal.SIGKILL:
                        log.seek(0)
                        raise AssertionError(f"worker died: {log.read().decode()[-3000:]}")
                if time.monotonic() >= next_kill and kills < 12:
                    n = rng.randrange(len(procs))
                    procs[n].send_signal(signal.SIGKILL)
                    procs[n].wait()
                    procs[n] = start_worker(env, concurrency=8, batch=8, log=log)
                    kills += 1
                    next_kill = time.monotonic() + rng.uniform(0.5, 2.0)

            try:
                counts = _until_settled(factory, [campaign_id], time.monotonic() + DEADLINE, chaos)
            finally:
                for proc in procs:
                    proc.terminate()
                for proc in procs:
                    proc.wait(timeout=30)
        received = fake.received()
        counters = fake.counters
    with transaction(factory) as session:
        refs = {
            str(i) for i in session.scalars(select(OutboxMessage.id).where(OutboxMessage.campaign_id == campaign_id))
        }
        sent = {
            str(i)
            for i in session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.campaign_id == campaign_id, OutboxMessage.status == "sent")
            )
        }
    elapsed = time.monotonic() - began
    print(f"\nkill test: {RECIPIENTS} recipients, {kills} SIGKILLs, {elapsed:.1f} s, {counts}, provider {counters}")
    assert kills >= 5
    assert len(refs) == RECIPIENTS
    duplicates = {ref: len(r) for ref, r in received.items() if len(r) > 1}
    assert duplicates == {}, f"{len(duplicates)} messages sent twice, e.g. {list(duplicates.items())[:5]}"
    assert set(received) <= refs
    assert sent == set(received), (len(sent - set(received)), len(set(received) - sent))
    assert counts.get("sent", 0) == len(received) == RECIPIENTS, counts  # none missing, none failed


@pytest.mark.postgres_only
def test_daily_cap_holds_across_two_campaigns_and_two_worker_processes(fresh_engine: Engine) -> None:
    factory = session_factory(fresh_engine)
    with FakeProvider(latency_ms=5) as fake:
        with transaction(factory, write=True) as session:
            by = make_sending_shop(session, provider_url=fake.url, daily_cap=1, weekly_cap=0)
            ids = bulk_reachable(session, by.shop_id, 600)
            snapshot = frozen_snapshot(session, by.shop_id, ids)
            first, second = new_campaign(session, by, snapshot), new_campaign(session, by, snapshot, name="双12")
            for campaign_id in (first, second):
                assert campaigns.queue_campaign(session, by=by, campaign_id=campaign_id).targets == len(ids)
        _rate(factory, by.shop_id)
        env = worker_env(pg_url_with_schema(PG_URL, _schema(fresh_engine)), SIYU_WORKER_LEASE_SECONDS="30")
        procs = [start_worker(env, concurrency=8) for _ in range(2)]
        try:
            counts = _until_settled(factory, [first, second], time.monotonic() + 120, lambda: _no_backoff(fresh_engine))
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
        received = fake.received()
    assert counts == {"sent": len(ids), "skipped": len(ids)}, counts
    with transaction(factory) as session:
        per_customer = session.execute(
            select(OutboxMessage.customer_id, func.count())
            .where(OutboxMessage.status == "sent")
            .group_by(OutboxMessage.customer_id)
        ).all()
    assert len(per_customer) == len(ids) and all(n == 1 for _c, n in per_customer)
    assert len(received) == len(ids) and all(len(r) == 1 for r in received.values())


def test_a_paused_campaign_resumed_never_sends_twice(fresh_engine: Engine) -> None:
    from siyu.worker.runner import Runner

    factory = session_factory(fresh_engine)
    with FakeProvider(latency_ms=2) as fake:
        with transaction(factory, write=True) as session:
            by = make_sending_shop(session, provider_url=fake.url)
            ids = bulk_reachable(session, by.shop_id, 300)
            campaign_id = new_campaign(session, by, frozen_snapshot(session, by.shop_id, ids))
            campaigns.queue_campaign(session, by=by, campaign_id=campaign_id)
        _rate(factory, by.shop_id)
        runner = Runner(factory, batch=20, concurrency=4)
        runner.round()
        runner.round()
        with transaction(factory, write=True) as session:
            campaigns.change_campaign(session, by=by, campaign_id=campaign_id, action="pause")
        before = fake.accepted
        assert 0 < before < len(ids)
        assert runner.round() == 0  # paused: nothing is taken
        assert fake.accepted == before
        with transaction(factory, write=True) as session:
            campaigns.change_campaign(session, by=by, campaign_id=campaign_id, action="resume")
        runner.run(threading.Event(), once=True)
        received = fake.received()
    assert len(received) == len(ids) and all(len(r) == 1 for r in received.values())
    counts = outbox_counts(factory, campaign_id)
    assert counts == {"sent": len(ids)}, counts
    with Session(fresh_engine) as session:
        from siyu.campaigns.models import Campaign

        assert session.get(Campaign, campaign_id).status == "done"  # type: ignore[union-attr]
