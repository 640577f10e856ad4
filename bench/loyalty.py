"""Points ledger benchmark: earn/spend transactions per second (``python -m bench.loyalty``).

Each client is a process of its own (its own engine and connection) running a loop of one-request
transactions through Siyu's services, as the API would: a grant (``adjust_points``, positive) or a spend
(``spend_points``) on a random member, every one with its own idempotency key, inside
``siyu.db.transaction(write=True)``. A spend refused for lack of points is counted (it is a real,
rolled-back transaction). PostgreSQL runs 16 clients against a fresh schema; SQLite runs one client
against a fresh database file (it has one writer at a time). 1,000 members. At the end the invariants
are checked for every member: ledger sum == cached balance == open lots, debt == sum of debt changes,
no balance negative.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PG_URL = os.environ.get("SIYU_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
GOAL_TX_PER_S = 2_000


def _engine(url: str, schema: str | None) -> Any:
    from siyu.db import create_engine

    if schema:
        return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    return create_engine(url)


def prepare(url: str, schema: str | None, members: int) -> tuple[int, list[int]]:
    """A migrated database with one shop and ``members`` members (join gift 100 points each)."""
    from siyu import migrate
    from siyu.customers.models import Customer
    from siyu.db import session_factory, transaction
    from siyu.loyalty import services
    from siyu.loyalty.domain import ProgramSettings
    from siyu.shops import services as shops

    engine = _engine(url, schema)
    migrate.upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory, write=True) as session:
        shop, main = shops.create_shop(
            session, code="bench", name="基准测试店", main_username="bench", main_password="bench-password-1"
        )
        session.flush()
        by = shops.principal_for_staff(main).actor
        services.save_program(session, by=by, settings=ProgramSettings(join_gift_points=100))
        customers = [
            Customer(shop_id=shop.id, account=f"b{n}", name="", city="", phone_masked="", phone_tail="")
            for n in range(members)
        ]
        session.add_all(customers)
        session.flush()
        consent = services.Consent("console", "本人同意会员协议与隐私政策", "bench")
        ids = [services.join_member(session, by=by, customer_id=c.id, consent=consent).id for c in customers]
        shop_id = shop.id
    engine.dispose()
    return shop_id, ids


def client(url: str, schema: str | None, shop_id: int, members: list[int], count: int, seed: int, start: Any) -> dict:
    """One client: ``count`` earn/spend transactions; returns latencies in seconds."""
    from siyu.audit.services import Actor
    from siyu.db import session_factory, transaction
    from siyu.loyalty import services
    from siyu.loyalty.errors import InsufficientPoints

    engine = _engine(url, schema)
    factory = session_factory(engine)
    by = Actor(shop_id, "system", None, "bench")
    rng = random.Random(seed)
    with transaction(factory) as session:  # connect and warm up outside the timing
        services.ledger_sum(session, member_id=members[0])
    latencies: list[float] = []
    refused = 0
    start.wait()
    began = time.perf_counter()
    for n in range(count):
        member_id = rng.choice(members)
        key = f"c{seed}-{n}"
        t = time.perf_counter()
        try:
            with transaction(factory, write=True) as session:
                if n % 2 == 0:
                    services.adjust_points(
                        session,
                        by=by,
                        member_id=member_id,
                        points=rng.randint(1, 100),
                        reason="bench",
                        idempotency_key=key,
                    )
                else:
                    services.spend_points(
                        session, by=by, member_id=member_id, points=rng.randint(1, 120), reason="", idempotency_key=key
                    )
        except InsufficientPoints:
            refused += 1
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - began
    engine.dispose()
    return {"latencies": latencies, "refused": refused, "elapsed": elapsed}


def _client_entry(queue: Any, *args: Any) -> None:
    queue.put(client(*args))


def verify(url: str, schema: str | None, shop_id: int) -> tuple[bool, int]:
    """Set-based check of every member's books; returns (all hold, members checked)."""
    from sqlalchemy import func, select

    from siyu.db import session_factory, transaction
    from siyu.loyalty.models import Member, PointsEntry, PointsLot

    engine = _engine(url, schema)
    with transaction(session_factory(engine)) as session:
        ledger = {
            m: (int(p), int(d))
            for m, p, d in session.execute(
                select(PointsEntry.member_id, func.sum(PointsEntry.points), func.sum(PointsEntry.debt_change))
                .where(PointsEntry.shop_id == shop_id)
                .group_by(PointsEntry.member_id)
            )
        }
        lots = {
            m: int(r)
            for m, r in session.execute(
                select(PointsLot.member_id, func.sum(PointsLot.remaining))
                .where(PointsLot.shop_id == shop_id)
                .group_by(PointsLot.member_id)
            )
        }
        members = session.execute(
            select(Member.id, Member.points_balance, Member.points_debt).where(Member.shop_id == shop_id)
        ).all()
        keys, distinct = session.execute(
            select(func.count(), func.count(func.distinct(PointsEntry.idempotency_key))).where(
                PointsEntry.shop_id == shop_id
            )
        ).one()
    engine.dispose()
    ok = keys == distinct
    for member_id, balance, debt in members:
        points, debt_sum = ledger.get(member_id, (0, 0))
        ok = ok and balance >= 0 and points == balance == lots.get(member_id, 0) and debt == debt_sum
    return ok, len(members)


def run(engine_name: str, url: str, clients: int, members: int, per_client: int) -> dict[str, Any]:
    schema = None
    if engine_name == "postgresql":
        from sqlalchemy import text

        from siyu.db import create_engine

        schema = f"bench_loyalty_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    try:
        shop_id, ids = prepare(url, schema, members)
        ctx = mp.get_context("fork")
        start = ctx.Event()
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=_client_entry, args=(queue, url, schema, shop_id, ids, per_client, seed, start))
            for seed in range(clients)
        ]
        for p in procs:
            p.start()
        time.sleep(2.0)  # let every client connect and warm up
        began = time.perf_counter()
        start.set()
        results = [queue.get() for _ in procs]
        wall = time.perf_counter() - began
        for p in procs:
            p.join()
        ok, checked = verify(url, schema, shop_id)
    finally:
        if schema:
            from sqlalchemy import text

            from siyu.db import create_engine

            admin = create_engine(url)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    latencies = sorted(x for r in results for x in r["latencies"])
    total = len(latencies)
    return {
        "engine": engine_name,
        "clients": clients,
        "transactions": total,
        "refused": sum(r["refused"] for r in results),
        "seconds": wall,
        "tx_per_s": total / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(0.95 * (total - 1))] * 1000,
        "invariants": ok,
        "members": checked,
    }


def table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| engine | clients | transactions (refused spends) | seconds | tx/s | p50 ms | p95 ms | invariants |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        goal = f" (goal ≥ {GOAL_TX_PER_S:,})" if r["engine"] == "postgresql" else ""
        out.append(
            f"| {r['engine']} | {r['clients']} | {r['transactions']:,} ({r['refused']:,}) | {r['seconds']:.1f} | "
            f"{r['tx_per_s']:,.0f}{goal} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{'hold for all ' + str(r['members']) + ' members' if r['invariants'] else 'BROKEN'} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--pg-clients", type=int, default=16)
    parser.add_argument("--pg-per-client", type=int, default=250, help="transactions per PostgreSQL client")
    parser.add_argument("--sqlite-tx", type=int, default=2_000, help="transactions of the one SQLite client")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--only", choices=["postgresql", "sqlite"])
    args = parser.parse_args(argv)
    os.environ.setdefault("SIYU_ENV", "dev")
    rows = []
    if args.only != "sqlite":
        rows.append(run("postgresql", args.pg_url, args.pg_clients, args.members, args.pg_per_client))
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(run("sqlite", f"sqlite:///{Path(tmp) / 'loyalty.db'}", 1, args.members, args.sqlite_tx))
    print(
        f"Loyalty points benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}\n"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
