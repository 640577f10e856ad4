"""Group joins per second on PostgreSQL, zero overfill (`python -m bench.groups [--clients 1,4,16]
[--buyers N] [--mode desk|threads|processes] [--commit sync|async|both] [--profile]`).

A fresh schema (``bench.sending.pg_schema``), one shop and 12,000 buyers; for each number of clients a
new group of 10 sub-groups × 1,000 (10,000 seats), then every client joins its share of the buyers as
fast as it can, one join per call. 10,000 are accepted and 2,000 refused with ``group_full``. Accepted
joins/s is over the whole run (first join to last answer, refusals included). Afterwards it asserts,
per sub-group, member_count == active membership rows <= capacity, the sub-groups full in order, and
10,000 accepted in all.

Modes: ``desk`` (default) — the clients are threads of this process calling one ``JoinDesk``, as the
H5 page's requests do; ``threads`` — threads each running one ``join_group`` transaction per join;
``processes`` — one process per client, one transaction per join (as separate API workers without a
desk would). ``--profile`` runs a few hundred joins on one client and prints the statements of one
join. PostgreSQL is read from SIYU_BENCH_PG_URL (default: the local test database).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from bench.sending import PG_URL, pg_schema

GOAL_JOINS_PER_S = 1_000
SUB_GROUPS, CAPACITY = 10, 1_000
NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)

HEADER = [
    "| database | clients | attempts | accepted | refused (full) | other errors | seconds | accepted joins/s "
    "| attempts/s | joins per transaction | overfilled | seats == active rows |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
]


def _engine(schema: str, pool: int = 5, commit: str = "sync") -> Engine:
    """An engine on the schema; ``commit="async"`` turns PostgreSQL's synchronous_commit off for its
    connections (a commit returns before its WAL reaches the disk)."""
    from siyu.db import create_engine

    options = f"-csearch_path={schema}" + (" -csynchronous_commit=off" if commit == "async" else "")
    return create_engine(PG_URL, connect_args={"options": options}, pool_size=pool, max_overflow=0, pool_timeout=120)


def prepare(engine: Engine, buyers: int) -> tuple[Any, list[int]]:
    """One shop with ``buyers`` customers; its owner's actor and the customer ids."""
    from siyu.customers.models import Customer
    from siyu.db import session_factory, transaction
    from siyu.shops import services as shops

    factory = session_factory(engine)
    with transaction(factory, write=True) as session:
        code = f"g{uuid.uuid4().hex[:8]}"
        shop, main = shops.create_shop(
            session, code=code, name="基准测试店", main_username=f"{code}-admin", main_password="bench-password-1"
        )
        session.flush()
        session.add_all(
            Customer(shop_id=shop.id, account=f"jd_{n}", name="", city="", phone_masked="", phone_tail="")
            for n in range(buyers)
        )
        session.flush()
        ids = list(session.scalars(select(Customer.id).where(Customer.shop_id == shop.id).order_by(Customer.id)))
        return shops.principal_for_staff(main).actor, ids


def new_group(engine: Engine, by: Any, name: str) -> int:
    from siyu.db import session_factory, transaction
    from siyu.groups import services

    with transaction(session_factory(engine), write=True) as session:
        spec = services.GroupSpec(name, sub_groups=SUB_GROUPS, capacity=CAPACITY)
        return services.create_group(session, by=by, spec=spec).id


def join_all(engine: Engine, by: Any, group_id: int, ids: list[int], desk: Any = None) -> Counter[str]:
    """Join each buyer, one call each — through ``desk`` (a :class:`JoinDesk` shared by the clients of a
    process, as the H5 page joins) or, without one, one ``join_group`` transaction each; the outcomes
    (``ok``, ``group_full``, or an error name)."""
    from siyu.audit.services import Actor
    from siyu.core.errors import DomainError
    from siyu.db import session_factory, transaction
    from siyu.groups import joining

    factory = session_factory(engine)
    tally: Counter[str] = Counter()
    for customer_id in ids:
        buyer = Actor(by.shop_id, "customer", customer_id, "h5")
        try:
            if desk is not None:
                desk.join(by=buyer, group_id=group_id, customer_id=customer_id, now=NOW)
            else:
                with transaction(factory, write=True) as session:
                    joining.join_group(session, by=buyer, group_id=group_id, customer_id=customer_id, now=NOW)
            tally["ok"] += 1
        except DomainError as exc:
            tally[exc.code] += 1
        except Exception as exc:  # a benchmark reports what went wrong, it does not stop on it
            tally[type(exc).__name__] += 1
    return tally


def _process_client(schema: str, commit: str, by: Any, group_id: int, ids: list[int], start: Any, out: Any) -> None:
    engine = _engine(schema, pool=1, commit=commit)
    start.wait()
    out.put(dict(join_all(engine, by, group_id, ids)))
    engine.dispose()


def hammer(
    engine: Engine, schema: str, commit: str, by: Any, group_id: int, ids: list[int], clients: int, mode: str
) -> Any:
    """Every client joins ``ids[n::clients]`` at once; (outcomes, seconds)."""
    shares = [ids[n::clients] for n in range(clients)]
    if mode == "processes":
        ctx = mp.get_context("spawn")
        start = ctx.Barrier(clients + 1)
        out = ctx.Queue()
        procs = [
            ctx.Process(target=_process_client, args=(schema, commit, by, group_id, s, start, out)) for s in shares
        ]
        for proc in procs:
            proc.start()
        start.wait()
        began = time.perf_counter()
        tallies = [Counter(out.get()) for _ in procs]
        seconds = time.perf_counter() - began
        for proc in procs:
            proc.join()
        return sum(tallies, Counter()), seconds
    from siyu.db import session_factory
    from siyu.groups.joining import JoinDesk

    desk = JoinDesk(session_factory(engine)) if mode == "desk" else None
    barrier = threading.Barrier(clients + 1)
    results: list[Counter[str]] = []
    lock = threading.Lock()

    def client(share: list[int]) -> None:
        barrier.wait()
        tally = join_all(engine, by, group_id, share, desk)
        with lock:
            results.append(tally)

    threads = [threading.Thread(target=client, args=(s,)) for s in shares]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    total = sum(results, Counter())
    if desk is not None:
        total["batches"] = desk.batches
    return total, seconds


def check(engine: Engine, group_id: int) -> tuple[int, int, bool]:
    """(seats taken, sub-groups overfilled, member_count == active rows everywhere); asserts the invariants."""
    from siyu.db import session_factory, transaction
    from siyu.groups.models import GroupMember, SubGroup

    with transaction(session_factory(engine)) as session:
        subs = session.execute(
            select(SubGroup.id, SubGroup.position, SubGroup.capacity, SubGroup.member_count)
            .where(SubGroup.group_id == group_id)
            .order_by(SubGroup.position)
        ).all()
        active = dict(
            session.execute(
                select(GroupMember.sub_group_id, func.count())
                .where(GroupMember.group_id == group_id, GroupMember.status == "active")
                .group_by(GroupMember.sub_group_id)
            ).all()
        )
    overfilled = sum(1 for sid, _, cap, count in subs if count > cap or active.get(sid, 0) > cap)
    agree = all(count == active.get(sid, 0) for sid, _, _, count in subs) and None not in active
    counts = [count for _, _, _, count in subs]
    last = max((n for n, c in enumerate(counts) if c), default=0)
    assert overfilled == 0, f"overfilled sub-groups: {subs}"
    assert agree, f"member_count and active rows disagree: {subs} vs {active}"
    assert all(c == CAPACITY for c in counts[:last]), f"not filled in order: {counts}"
    return sum(counts), overfilled, agree


def run(engine: Engine, schema: str, commit: str, by: Any, ids: list[int], clients: int, mode: str) -> dict[str, Any]:
    group_id = new_group(engine, by, f"基准群{clients}-{uuid.uuid4().hex[:4]}")
    tally, seconds = hammer(engine, schema, commit, by, group_id, ids, clients, mode)
    seats, overfilled, agree = check(engine, group_id)
    accepted, full, batches = tally.pop("ok", 0), tally.pop("group_full", 0), tally.pop("batches", 0)
    assert accepted == seats == min(len(ids), SUB_GROUPS * CAPACITY), (accepted, seats)
    return {
        "clients": clients,
        "mode": mode,
        "commit": commit,
        "attempts": len(ids),
        "batch": len(ids) / batches if batches else 1.0,
        "accepted": accepted,
        "refused": full,
        "errors": dict(tally),
        "seconds": seconds,
        "joins_per_s": accepted / seconds,
        "attempts_per_s": len(ids) / seconds,
        "overfilled": overfilled,
        "agree": agree,
    }


def row(r: dict[str, Any]) -> str:
    errors = sum(r["errors"].values())
    return (
        f"| PostgreSQL ({r['mode']}, {r['commit']} commit) | {r['clients']} | {r['attempts']:,} | "
        f"{r['accepted']:,} | {r['refused']:,} | "
        f"{errors:,} | {r['seconds']:.1f} | {r['joins_per_s']:,.0f} | {r['attempts_per_s']:,.0f} | "
        f"{r['batch']:.1f} | {r['overfilled']} | {'yes' if r['agree'] else 'NO'} |"
    )


def table(rows: list[dict[str, Any]]) -> str:
    return "\n".join([*HEADER, *(row(r) for r in rows)])


def measure(
    clients: tuple[int, ...] = (1, 4, 16),
    buyers: int = 12_000,
    mode: str = "desk",
    commits: tuple[str, ...] = ("sync", "async"),
) -> list[dict[str, Any]]:
    """One fresh schema and shop; a new group per run. The rows of the table."""
    rows = []
    runs = [(commit, n) for commit in commits for n in clients]
    with pg_schema() as (engine, schema):
        by, ids = prepare(engine, buyers)
        for n, (commit, clients_now) in enumerate(runs):
            if n and n % 10 == 0:  # a shop has at most 10 groups
                by, ids = prepare(engine, buyers)
            pool_engine = _engine(schema, pool=clients_now + 1, commit=commit)
            try:
                result = run(pool_engine, schema, commit, by, ids, clients_now, mode)
            finally:
                pool_engine.dispose()
            rows.append(result)
            print(row(result), flush=True)
    return rows


# ---- where a join's time goes --------------------------------------------------------------------------
@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[float, str]]]:
    """Every statement sent on ``engine`` (with its time in ms) while the block runs."""
    seen: list[tuple[float, str]] = []
    started: dict[int, float] = {}

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(((time.perf_counter() - started.pop(id(cursor), time.perf_counter())) * 1000, statement))

    def on_commit(conn: Any) -> None:
        seen.append((0.0, "COMMIT"))

    def on_begin(conn: Any) -> None:
        seen.append((0.0, "BEGIN"))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "begin", on_begin)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "begin", on_begin)


def profile(joins: int = 300) -> str:
    """The statements of one accepted join and the mean per join over ``joins`` joins on one client."""
    lines = []
    with pg_schema() as (engine, _schema):
        by, ids = prepare(engine, joins)
        group_id = new_group(engine, by, "剖析群")
        join_all(engine, by, group_id, ids[:20])  # warm the caches
        with statements(engine) as seen:
            join_all(engine, by, group_id, ids[20:21])
        one = list(seen)
        began = time.perf_counter()
        with statements(engine) as seen:
            join_all(engine, by, group_id, ids[21:])
        seconds = time.perf_counter() - began
        per_join = (len(seen) - 2 * (joins - 21)) / (joins - 21)  # BEGIN and COMMIT are not round trips here
    locked = False
    lines.append(f"One join, {len([s for s in one if s[1] not in ('BEGIN',)])} round trips (* = sub-group row locked):")
    for ms, sql in one:
        text = " ".join(sql.split())
        if text.startswith("UPDATE chat_sub_groups"):
            locked = True
        lines.append(f"  {'*' if locked else ' '} {ms:6.2f} ms  {text[:150]}")
    lines.append(
        f"{joins - 21} joins on one client: {(joins - 21) / seconds:,.0f} joins/s, "
        f"{seconds / (joins - 21) * 1000:.2f} ms and {per_join:.1f} statements per join (COMMIT included)"
    )
    return "\n".join(lines)


def main() -> None:
    for name, value in {
        "SIYU_SECRET_KEY": "test-secret-key-not-for-production",
        "SIYU_PHONE_KEY": "dGVzdC1waG9uZS1rZXktMzItYnl0ZXMtbG9uZy0xMjM=",
        "SIYU_PHONE_HASH_SALT": "test-phone-salt",
    }.items():
        os.environ.setdefault(name, value)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", default="1,4,16", help="numbers of concurrent clients, comma-separated")
    parser.add_argument("--buyers", type=int, default=12_000, help="buyers who try to join each group")
    parser.add_argument("--mode", choices=("desk", "threads", "processes"), default="desk")
    parser.add_argument(
        "--commit",
        choices=("sync", "async", "both"),
        default="both",
        help="PostgreSQL synchronous_commit on (sync), off (async) or a run of each",
    )
    parser.add_argument("--profile", action="store_true", help="print the statements of one join and stop")
    args = parser.parse_args()
    if args.profile:
        print(profile())
        return
    clients = tuple(int(n) for n in args.clients.split(","))
    print("\n".join(HEADER), flush=True)
    commits = ("sync", "async") if args.commit == "both" else (args.commit,)
    rows = measure(clients, args.buyers, args.mode, commits)
    print()
    print(table(rows))
    print()
    for r in rows:
        if r["clients"] == 16:
            met = "met" if r["joins_per_s"] >= GOAL_JOINS_PER_S else "not met"
            print(
                f"goal (>= {GOAL_JOINS_PER_S:,} accepted joins/s, 16 clients, zero overfill), "
                f"{r['commit']} commit: {met}"
            )


if __name__ == "__main__":
    main()
