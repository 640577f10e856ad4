"""Coupon claims per second under contention (`python -m bench.promotions [--claims N] [--threads N]`).

PostgreSQL: ``--threads`` clients (16 by default), one template, many customers, every client its own
transaction per claim; stock is smaller than the attempts so the last ones meet "out of stock". At the
end it asserts zero oversell (claimed_count == coupon rows <= stock, nobody holds two). SQLite: one
client (SQLite has one writer). Prints a Markdown table. PostgreSQL is read from SIYU_BENCH_PG_URL
(default: the local test database); a private schema is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
            session, code=f"b{uuid.uuid4().hex[:6]}", name="bench", main_username="boss", main_password="bench-pass-1"
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


def hammer(engine: Engine, by: Actor, template_id: int, ids: list[int], threads: int) -> tuple[int, int, float]:
    factory = session_factory(engine)
    claimed = refused = 0
    lock = threading.Lock()

    def claim(customer_id: int) -> None:
        nonlocal claimed, refused
        try:
            with transaction(factory, write=True) as session:
                services.claim_coupon(session, by=by, template_id=template_id, customer_id=customer_id, now=NOW)
            won = True
        except (OutOfStock, ClaimLimitReached):
            won = False
        with lock:
            if won:
                claimed += 1
            else:
                refused += 1

    start = time.perf_counter()
    if threads == 1:
        for cid in ids:
            claim(cid)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(claim, ids))
    return claimed, refused, time.perf_counter() - start


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


def run(label: str, engine: Engine, *, stock: int, attempts: int, threads: int) -> str:
    by, template_id, ids = prepare(engine, stock=stock, customers=attempts)
    claimed, refused, seconds = hammer(engine, by, template_id, ids, threads)
    check(engine, template_id, stock, claimed)
    return (
        f"| {label} | {threads} | {attempts:,} | {stock:,} | {claimed:,} | {refused:,} | "
        f"{claimed / seconds:,.0f} | {attempts / seconds:,.0f} | 0 |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=6_000, help="attempts (one per customer)")
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    stock = args.claims * 5 // 6
    rows = [
        "| database | clients | attempts | stock | claimed | refused | claims/s | attempts/s | oversold |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    schema = f"bench_promotions_{os.getpid()}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    pg = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=args.threads)
    try:
        rows.append(run("PostgreSQL", pg, stock=stock, attempts=args.claims, threads=args.threads))
    finally:
        pg.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        lite = create_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        rows.append(run("SQLite (WAL)", lite, stock=stock, attempts=args.claims, threads=1))
        lite.dispose()
    print("\n".join(rows))


if __name__ == "__main__":
    main()
