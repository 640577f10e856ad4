"""Coupon claims per second under contention (`python -m bench.promotions [--claims N] [--clients N]`).

PostgreSQL: ``--clients`` client processes (16 by default, as many API workers would be), one template,
many customers, every client its own transaction per claim; stock is smaller than the attempts so the
last ones meet "out of stock". At the end it asserts zero oversell (claimed_count == coupon rows <= stock,
nobody holds two). SQLite: one client (SQLite has one writer). Prints a Markdown table. PostgreSQL is read
from SIYU_BENCH_PG_URL (default: the local test database); a private schema is created and dropped.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from siyu import migrate
from siyu.audit.services import Actor
from siyu.customers.models import Customer
from siyu.db import create_engine, session_factory, transaction
from siyu.promotions import services
from siyu.promotions.errors import ClaimLimitReached, OutOfStock
from siyu.promotions.models import Coupon, CouponTemplate
from siyu.promotions.schemas import CouponTemplateSpec
from siyu.shops import services as shops

PG_URL = os.environ.get("SIYU_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 11, tzinfo=UTC)


def prepare(engine: Engine, *, stock: int, customers: int) -> tuple[Actor, int, list[int]]:
    migrate.upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory, write=True) as session:
        shop, main = shops.create_shop(
            session,
            code=f"b{uuid.uuid4().hex[:6]}",
            name="bench",
            main_username=f"boss{uuid.uuid4().hex[:6]}",
            main_password="bench-pass-1",
        )
        session.flush()
        by = shops.principal_for_staff(main).actor
        spec = CouponTemplateSpec(
            name="双11 满200减30",
            kind="full_reduction",
            threshold_fen=20_000,
            reduction_fen=3_000,
            claim_start=NOW - timedelta(days=1),
            claim_end=NOW + timedelta(days=1),
            use_days=7,
            total_stock=stock,
        )
        template = services.create_template(session, by=by, spec=spec)
        session.add_all(
            Customer(shop_id=shop.id, account=f"c{n}", name="", city="", phone_masked="", phone_tail="")
            for n in range(customers)
        )
        session.flush()
        ids = list(session.scalars(select(Customer.id).where(Customer.shop_id == shop.id)))
    return by, template.id, ids


def _client(url: str, schema: str | None, by: Actor, template_id: int, ids: list[int], start: Any, out: Any) -> None:
    """One client process: its own engine, one transaction per claim."""
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"}) if schema else create_engine(url)
    factory = session_factory(engine)
    claimed = refused = 0
    start.wait()
    for customer_id in ids:
        try:
            with transaction(factory, write=True) as session:
                services.claim_coupon(session, by=by, template_id=template_id, customer_id=customer_id, now=NOW)
            claimed += 1
        except (OutOfStock, ClaimLimitReached):
            refused += 1
    engine.dispose()
    out.put((claimed, refused))


def hammer(
    url: str, schema: str | None, by: Actor, template_id: int, ids: list[int], clients: int
) -> tuple[int, int, float]:
    """``clients`` processes (as many API workers would be) claiming at once; returns claimed, refused, seconds."""
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(clients + 1)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_client, args=(url, schema, by, template_id, ids[n::clients], start, out))
        for n in range(clients)
    ]
    for proc in procs:
        proc.start()
    start.wait()
    began = time.perf_counter()
    results = [out.get() for _ in procs]
    seconds = time.perf_counter() - began
    for proc in procs:
        proc.join()
    return sum(r[0] for r in results), sum(r[1] for r in results), seconds


def check(engine: Engine, template_id: int, stock: int, claimed: int) -> None:
    with transaction(session_factory(engine)) as session:
        count = session.scalar(select(CouponTemplate.claimed_count).where(CouponTemplate.id == template_id))
        rows = session.scalar(select(func.count()).select_from(Coupon).where(Coupon.template_id == template_id))
        twice = session.scalar(
            select(func.count()).select_from(
                select(Coupon.customer_id)
                .where(Coupon.template_id == template_id)
                .group_by(Coupon.customer_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
    assert count == rows == claimed <= stock, (count, rows, claimed, stock)
    assert twice == 0, twice


def run(label: str, url: str, schema: str | None, *, stock: int, attempts: int, clients: int) -> str:
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"}) if schema else create_engine(url)
    by, template_id, ids = prepare(engine, stock=stock, customers=attempts)
    engine.dispose()
    claimed, refused, seconds = hammer(url, schema, by, template_id, ids, clients)
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"}) if schema else create_engine(url)
    check(engine, template_id, stock, claimed)
    engine.dispose()
    return (
        f"| {label} | {clients} | {attempts:,} | {stock:,} | {claimed:,} | {refused:,} | "
        f"{claimed / seconds:,.0f} | {attempts / seconds:,.0f} | 0 |"
    )


HEADER = [
    "| database | clients | attempts | stock | claimed | refused | claims/s | attempts/s | oversold |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def measure(claims: int = 6_000, clients: int | tuple[int, ...] = 16) -> str:
    """Both engines (PostgreSQL with each number of client processes); returns the Markdown table."""
    stock = claims * 5 // 6
    rows = list(HEADER)
    schema = f"bench_promotions_{os.getpid()}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        for n in (clients,) if isinstance(clients, int) else clients:
            rows.append(run("PostgreSQL", PG_URL, schema, stock=stock, attempts=claims, clients=n))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(
            run("SQLite (WAL)", f"sqlite:///{Path(tmp) / 'bench.db'}", None, stock=stock, attempts=claims, clients=1)
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=6_000, help="attempts (one per customer)")
    parser.add_argument("--clients", type=int, default=16, help="client processes on PostgreSQL")
    args = parser.parse_args()
    print(measure(args.claims, args.clients))


if __name__ == "__main__":
    main()
