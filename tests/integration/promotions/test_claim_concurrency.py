"""Concurrent claims never oversell stock nor exceed a customer's limit (SPEC §6), with real threads each
running its own transaction against a committed database."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.customers.models import Customer
from siyu.db import create_engine, session_factory, transaction
from siyu.promotions import services
from siyu.promotions.errors import ClaimLimitReached, OutOfStock
from siyu.promotions.models import Coupon, CouponTemplate
from tests.conftest import BACKEND, PG_URL
from tests.factories.promotions import T0, make_template
from tests.factories.shops import make_shop


@dataclass
class Arena:
    factory: sessionmaker[Session]
    by: Actor
    template_id: int
    customer_ids: list[int]


@pytest.fixture
def pooled(fresh_engine: Engine) -> Iterator[Engine]:
    """The fresh database through a pool big enough for many threads (PostgreSQL allows 100 connections
    in all here, so clients share 40 of them; SQLite has one writer whatever the pool)."""
    if BACKEND != "postgresql":
        yield fresh_engine
        return
    with fresh_engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    engine = create_engine(
        PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=40, max_overflow=0, pool_timeout=300
    )
    yield engine
    engine.dispose()


def arena(engine: Engine, *, stock: int, limit: int, customers: int) -> Arena:
    factory = session_factory(engine)
    with transaction(factory, write=True) as session:
        world = make_shop(session)
        by = world.principal.actor
        template = make_template(session, by, total_stock=stock, per_customer_limit=limit)
        session.add_all(
            Customer(shop_id=by.shop_id, account=f"c{n}", name="", city="", phone_masked="", phone_tail="")
            for n in range(customers)
        )
        session.flush()
        ids = list(session.scalars(select(Customer.id).where(Customer.shop_id == by.shop_id)))
    return Arena(factory, by, template.id, ids)


def hammer(a: Arena, attempts: list[int], threads: int) -> dict[str, int]:
    """Run one claim per attempt (a customer id) from ``threads`` threads; count the outcomes."""
    outcomes = {"claimed": 0, "out_of_stock": 0, "limit": 0}
    lock = threading.Lock()

    def claim(customer_id: int) -> None:
        try:
            with transaction(a.factory, write=True) as session:
                services.claim_coupon(session, by=a.by, template_id=a.template_id, customer_id=customer_id, now=T0)
            outcome = "claimed"
        except OutOfStock:
            outcome = "out_of_stock"
        except ClaimLimitReached:
            outcome = "limit"
        with lock:
            outcomes[outcome] += 1

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(claim, attempts))
    return outcomes


def settled(a: Arena) -> tuple[int, int, int]:
    """(claimed_count, coupon rows, most coupons any customer holds)."""
    with transaction(a.factory) as session:
        count = session.scalar(select(CouponTemplate.claimed_count).where(CouponTemplate.id == a.template_id))
        rows = session.scalar(select(func.count()).select_from(Coupon).where(Coupon.template_id == a.template_id))
        per_customer = (
            select(func.count().label("n")).where(Coupon.template_id == a.template_id).group_by(Coupon.customer_id)
        ).subquery()
        most = session.scalar(select(func.coalesce(func.max(per_customer.c.n), 0)))
    return int(count or 0), int(rows or 0), int(most or 0)


def attempts_with_repeats(ids: list[int], n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    attempts = ids + [rng.choice(ids) for _ in range(n - len(ids))]
    rng.shuffle(attempts)
    return attempts


@pytest.mark.postgres_only
def test_a_hundred_clients_never_oversell_nor_give_anyone_two(pooled: Engine) -> None:
    a = arena(pooled, stock=500, limit=1, customers=600)
    attempts = attempts_with_repeats(a.customer_ids, 1_100, seed=5)
    outcomes = hammer(a, attempts, threads=100)
    assert outcomes["claimed"] == 500
    assert sum(outcomes.values()) == 1_100
    assert settled(a) == (500, 500, 1)


@pytest.mark.postgres_only
def test_one_customer_from_twenty_threads_gets_exactly_the_limit(pooled: Engine) -> None:
    a = arena(pooled, stock=100, limit=2, customers=1)
    outcomes = hammer(a, a.customer_ids * 20, threads=20)
    assert outcomes == {"claimed": 2, "out_of_stock": 0, "limit": 18}
    assert settled(a) == (2, 2, 2)


@pytest.mark.postgres_only
def test_the_same_idempotency_key_from_many_threads_issues_one_coupon(pooled: Engine) -> None:
    a = arena(pooled, stock=100, limit=5, customers=1)
    got: list[int] = []
    lock = threading.Lock()

    def claim(_: int) -> None:
        with transaction(a.factory, write=True) as session:
            coupon = services.claim_coupon(
                session, by=a.by, template_id=a.template_id, customer_id=a.customer_ids[0], idempotency_key="k1", now=T0
            )
        with lock:
            got.append(coupon.id)

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(claim, range(10)))
    assert len(set(got)) == 1 and len(got) == 10
    assert settled(a) == (1, 1, 1)


def test_threads_on_the_configured_database_never_oversell(pooled: Engine) -> None:
    """The smaller version that also runs on SQLite (one writer at a time, BEGIN IMMEDIATE)."""
    a = arena(pooled, stock=40, limit=1, customers=60)
    outcomes = hammer(a, attempts_with_repeats(a.customer_ids, 120, seed=9), threads=8)
    assert outcomes["claimed"] == 40
    assert settled(a) == (40, 40, 1)
