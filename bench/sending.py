"""Campaign sending benchmarks (`python -m bench.sending [--enqueue N] [--messages N] [--workers 1,2,4]`).

- *enqueue*: render + lint + write a campaign to N recipients (1,000,000 by default) with
  ``queue_campaign``, on PostgreSQL (a private schema) and SQLite (a temp file). Customers, phones and
  consent are bulk-loaded first; only ``queue_campaign`` is timed; each backend runs in its own child
  process so its peak RSS (``resource.getrusage``) is its own.
- *sending*: messages/s from the outbox to the local fake provider (``tests/integration/worker/
  fake_provider.py``, random 0–40 ms per answer, ~20 ms on average) with 1, 2 and 4 ``siyu worker``
  processes on PostgreSQL.

The helpers (``make_sending_shop``, ``bulk_reachable``, ``worker_env``, …) are shared with the worker tests.
PostgreSQL is read from SIYU_BENCH_PG_URL (default: the local test database).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("SIYU_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SIYU_BIN = ROOT / ".venv" / "bin" / "siyu"
BODY = "亲爱的{name|顾客}，618大促今晚0点开始，全场2折起，戳 {link} 拒收请回复R"
# the suite's keys (tests/conftest.py): outside "dev" Siyu refuses its development keys
TEST_KEYS = {
    "SIYU_SECRET_KEY": "test-secret-key-not-for-production",
    "SIYU_PHONE_KEY": "dGVzdC1waG9uZS1rZXktMzItYnl0ZXMtbG9uZy0xMjM=",
    "SIYU_PHONE_HASH_SALT": "test-phone-salt",
}


# ---- shared set-up ----------------------------------------------------------------------------------
def pg_url_with_schema(url: str, schema: str) -> str:
    """A database URL whose connections use ``schema`` (what a worker subprocess gets)."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def pg_schema(url: str = PG_URL) -> Iterator[tuple[Engine, str]]:
    """A fresh, migrated PostgreSQL schema; dropped afterwards."""
    from siyu import migrate
    from siyu.db import create_engine

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate.upgrade(engine)
        yield engine, schema
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def worker_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``siyu worker`` subprocess: this process's keys (it must decrypt the phones
    this process encrypted), SIYU_ENV=test unless those are the development keys, and the database."""
    from siyu.config import DEV_PHONE_KEY, get_settings

    settings = get_settings()
    env = dict(os.environ)
    env.update(
        {
            "SIYU_SECRET_KEY": settings.secret_key,
            "SIYU_PHONE_KEY": settings.phone_key,
            "SIYU_PHONE_HASH_SALT": settings.phone_hash_salt,
            "SIYU_ENV": "dev" if settings.phone_key == DEV_PHONE_KEY else "test",
            "SIYU_DATABASE_URL": database_url,
            **extra,
        }
    )
    return env


def start_worker(
    env: dict[str, str], *, concurrency: int = 8, idle: float = 0.2, batch: int = 50, log: Any = None
) -> subprocess.Popen[bytes]:
    """A ``siyu worker`` subprocess; its stderr goes to ``log`` (an open file) or nowhere."""
    return subprocess.Popen(
        [str(SIYU_BIN), "worker", "--idle", str(idle), "--concurrency", str(concurrency), "--batch", str(batch)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log if log is not None else subprocess.DEVNULL,
    )


def make_sending_shop(
    session: Session,
    *,
    provider_url: str | None = None,
    timeout: float = 2.0,
    daily_cap: int = 0,
    weekly_cap: int = 0,
    quiet: tuple[str, str] = ("00:00", "00:00"),
    rate_per_second: int = 10_000,
) -> Any:
    """A shop whose SMS channel sends to ``provider_url`` (the local sink when None), no quiet hours or caps,
    and a shared send rate high enough (10,000/s, the most allowed) that the workers, not the limit, are
    measured."""
    from siyu.channels.services import channel_settings
    from siyu.shops import services as shops

    code = f"s{uuid.uuid4().hex[:8]}"
    shop, main = shops.create_shop(
        session, code=code, name="测试旗舰店", main_username=f"{code}-admin", main_password="bench-password-1"
    )
    session.flush()
    settings = channel_settings(session, shop_id=shop.id, channel="sms")
    if provider_url:
        settings.provider = "http"
        settings.config = {"url": provider_url, "timeout": timeout}
    settings.quiet_start, settings.quiet_end = quiet
    settings.daily_cap, settings.weekly_cap = daily_cap, weekly_cap
    settings.rate_per_second = rate_per_second
    session.flush()
    return shops.principal_for_staff(main).actor


def bulk_reachable(session: Session, shop_id: int, count: int, *, distinct_phones: bool = True) -> list[int]:
    """``count`` customers with an encrypted phone and SMS consent, bulk-written; returns their ids.

    ``distinct_phones=False`` reuses 1,000 ciphertexts (encrypting a million phones would dominate a
    benchmark of what comes after)."""
    from siyu.config import get_settings
    from siyu.core.phones import PhoneVault
    from siyu.db import DriverSQL, utcnow

    key = get_settings()
    vault = PhoneVault(key.phone_key, key.phone_hash_salt)
    sql = DriverSQL(session)
    at = sql.time_value(utcnow())
    tag = uuid.uuid4().hex[:6]
    pool = None if distinct_phones else [vault.encrypt(f"139{n:08d}") for n in range(1_000)]
    chunk = 50_000
    for start in range(0, count, chunk):
        rows = []
        for n in range(start, min(count, start + chunk)):
            mobile = f"139{n:08d}"
            cipher = vault.encrypt(mobile) if pool is None else pool[n % len(pool)]
            rows.append(
                (shop_id, f"jd_{tag}_{n}", f"客户{n}", "", "", "北京市", cipher, f"139****{mobile[-4:]}",
                 mobile[-4:], None, "jd_order", False, False, at)
            )  # fmt: skip
        sql.insert(
            "customers",
            ("shop_id", "account", "name", "gender", "province", "city", "phone_cipher", "phone_masked",
             "phone_tail", "phone_hash", "source_channel", "follows_shop", "is_member", "created_at"),
            rows,
        )  # fmt: skip
    ids = [int(r[0]) for r in sql.query(f"SELECT id FROM customers WHERE shop_id = {sql.ph} ORDER BY id", (shop_id,))]
    for start in range(0, len(ids), chunk):
        sql.insert(
            "consents",
            ("shop_id", "customer_id", "channel", "status", "at", "source"),
            [(shop_id, cid, "sms", "granted", at, "h5") for cid in ids[start : start + chunk]],
        )
    return ids


def frozen_snapshot(session: Session, shop_id: int, ids: list[int]) -> int:
    from siyu.db import DriverSQL
    from siyu.segments.models import AudienceSnapshot

    snapshot = AudienceSnapshot(shop_id=shop_id, name="bench", origin={}, member_count=len(ids))
    session.add(snapshot)
    session.flush()
    sql = DriverSQL(session)
    for start in range(0, len(ids), 50_000):
        sql.insert(
            "audience_members",
            ("snapshot_id", "customer_id", "shop_id"),
            [(snapshot.id, cid, shop_id) for cid in ids[start : start + 50_000]],
        )
    return snapshot.id


def new_campaign(session: Session, by: Any, snapshot_id: int, *, name: str = "618 预热") -> int:
    from siyu.campaigns.services import CampaignSpec, create_campaign

    spec = CampaignSpec(
        name=name,
        signature="测试旗舰店",
        body=BODY,
        snapshot_id=snapshot_id,
        link_url="https://shop.example.com/618",
        holdout_pct=0,
    )
    return create_campaign(session, by=by, spec=spec).id


def queued_campaign(
    factory: sessionmaker[Session], count: int, *, provider_url: str | None, timeout: float = 2.0
) -> tuple[int, int]:
    """A shop with ``count`` reachable customers and one campaign to all of them, queued; (shop, campaign)."""
    from siyu.campaigns.services import queue_campaign
    from siyu.db import transaction

    with transaction(factory, write=True) as session:
        by = make_sending_shop(session, provider_url=provider_url, timeout=timeout)
        ids = bulk_reachable(session, by.shop_id, count)
        campaign_id = new_campaign(session, by, frozen_snapshot(session, by.shop_id, ids))
        report = queue_campaign(session, by=by, campaign_id=campaign_id)
        assert report.targets == count, report
    return by.shop_id, campaign_id


def outbox_counts(factory: sessionmaker[Session], campaign_id: int) -> dict[str, int]:
    from siyu.channels.models import OutboxMessage
    from siyu.db import transaction

    with transaction(factory) as session:
        rows = session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.campaign_id == campaign_id)
            .group_by(OutboxMessage.status)
        ).all()
    return {status: int(n) for status, n in rows}


# ---- enqueue ----------------------------------------------------------------------------------------
def _enqueue_engine(backend: str, db: str) -> Engine:
    """The engine of a child process: the SQLite file, or the bench's PostgreSQL schema ``db``."""
    from siyu.db import create_engine

    if backend == "sqlite":
        return create_engine(f"sqlite:///{db}")
    return create_engine(PG_URL, connect_args={"options": f"-csearch_path={db}"})


def enqueue_load_child(backend: str, recipients: int, db: str) -> dict[str, Any]:
    """In a child process: ``recipients`` customers with phone and consent, a snapshot of them and a draft."""
    os.environ.setdefault("SIYU_ENV", "dev")
    from siyu import migrate
    from siyu.db import session_factory, transaction

    engine = _enqueue_engine(backend, db)
    if backend == "sqlite":
        migrate.upgrade(engine)
    began = time.perf_counter()
    with transaction(session_factory(engine), write=True) as session:
        by = make_sending_shop(session)
        ids = bulk_reachable(session, by.shop_id, recipients, distinct_phones=False)
        campaign_id = new_campaign(session, by, frozen_snapshot(session, by.shop_id, ids))
    if backend == "postgresql":
        # fresh bulk-loaded tables have no planner statistics until autovacuum's ANALYZE (see the notes)
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE customers; ANALYZE consents; ANALYZE audience_members")
    engine.dispose()
    actor = {"shop_id": by.shop_id, "kind": by.kind, "id": by.id, "name": by.name}
    return {"actor": actor, "campaign_id": campaign_id, "load_seconds": time.perf_counter() - began}


def enqueue_queue_child(backend: str, db: str, loaded: dict[str, Any]) -> dict[str, Any]:
    """In a fresh child process (so that its peak RSS is queue_campaign's own): time queue_campaign alone."""
    os.environ.setdefault("SIYU_ENV", "dev")
    from siyu.audit.services import Actor
    from siyu.campaigns.services import queue_campaign
    from siyu.db import session_factory, transaction

    engine = _enqueue_engine(backend, db)
    factory = session_factory(engine)
    with transaction(factory) as session:  # connect and import everything before measuring
        backend_pid = session.scalar(text("SELECT pg_backend_pid()")) if backend == "postgresql" else None
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    server_before = _process_cpu(backend_pid)
    began, cpu = time.perf_counter(), time.process_time()
    with transaction(factory, write=True) as session:
        report = queue_campaign(session, by=Actor(**loaded["actor"]), campaign_id=loaded["campaign_id"])
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    server_after = _process_cpu(backend_pid)
    return {
        "targets": report.targets,
        "seconds": seconds,
        "python_cpu_s": cpu,
        # the PostgreSQL backend's CPU time (when the server runs on this machine; the pool reuses the connection)
        "server_cpu_s": server_after - server_before if server_before is not None and server_after else None,
        "rss_before_mb": rss_before,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _process_cpu(pid: int | None) -> float | None:
    """User + system CPU seconds of a local process (a PostgreSQL backend), None when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.sending", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError((done.stderr.strip().splitlines() or ["no output"])[-1])
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_enqueue(recipients: int, backends: tuple[str, ...] = ("postgresql", "sqlite")) -> list[dict[str, Any]]:
    """Per backend: one child loads the data, a second one (its peak RSS is queue_campaign's) queues."""
    results = []
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="siyu-enqueue-") as tmp, contextlib.ExitStack() as stack:
            print(f"enqueue {recipients:,} recipients on {backend}…", flush=True)
            env = dict(os.environ, SIYU_ENV="dev", SIYU_DATA_DIR=str(Path(tmp) / "data"))
            env.pop("SIYU_DATABASE_URL", None)
            db = str(Path(tmp) / "enqueue.db") if backend == "sqlite" else stack.enter_context(pg_schema())[1]
            try:
                loaded = _child(["--child-enqueue", backend, "--enqueue", str(recipients), "--db", db], env)
                queued = _child(["--child-enqueue", backend, "--db", db, "--loaded", json.dumps(loaded)], env)
            except RuntimeError as failed:
                print(f"  FAILED: {failed}", flush=True)
                results.append({"backend": backend, "recipients": recipients, "failed": str(failed)})
                continue
            result = {"backend": backend, "recipients": recipients, "load_seconds": loaded["load_seconds"], **queued}
            server = f" + PostgreSQL {result['server_cpu_s']:.1f}" if result.get("server_cpu_s") is not None else ""
            print(
                f"  {result['seconds']:.1f} s (load {result['load_seconds']:.1f} s), {result['peak_mb']:.0f} MB, "
                f"CPU: Python {result['python_cpu_s']:.1f} s{server}",
                flush=True,
            )
            results.append(result)
    return results


ENQUEUE_GOAL_S = 60
ENQUEUE_NOTES = [
    "`queue_campaign` streams the audience in chunks of 20,000 (`QUEUE_CHUNK`): each chunk's members are read "
    "(snapshot pages by primary key; customers and consents by one id range each, `= ANY(array)` when sparse, "
    "no join), rendered, linted and written by `COPY` before the next one is rendered, inside a savepoint (a "
    "blocking problem in any chunk rolls all of it back). Its memory follows the chunk, not the audience: "
    "compare peak and *RSS before* (queueing runs in its own process, after the load).",
    "On PostgreSQL each chunk's `COPY` runs in a background thread while the next chunk renders, so the time is "
    "the server's: per outbox row six indexes and three foreign-key checks, per recipient row two indexes and "
    "three more; `EXPLAIN ANALYZE` puts the foreign-key triggers at about half of it. Short codes (a keyed "
    "Feistel permutation, numpy over the chunk) cost ~0.2 µs each instead of sqids' ~50 µs.",
    "PostgreSQL still runs `ANALYZE` after the bulk load, but neither `queue_campaign` nor `estimate_campaign` "
    "depends on it any more: they no longer join `customers ⟕ consents` over the whole shop (planned as a "
    "nested loop without statistics: 13.7 s of a 21.7 s queueing at 20,000 recipients before).",
]
SENDING_NOTES = [
    "The workers are CPU-bound on this 2-core machine (the fake provider, PostgreSQL and the workers share "
    "the cores): 8 sends in flight at ~20 ms would allow ~400 messages/s a worker, it reaches far less.",
    "Per message the worker runs ~6 round trips: in `claim` a `channel_settings` SELECT, `may_market`, "
    "`session.get(Customer)` (each per row, in the ORM), then in `settle` its own transaction (SELECT … FOR "
    "UPDATE, UPDATE, COMMIT). Proposed: settings once per (shop, channel) per claim, consents and customers "
    "of the batch in one `IN` query each, and settling a round's outcomes in one transaction.",
]


def enqueue_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| backend | recipients | queue_campaign seconds | recipients/s | peak RSS (MB) | RSS before (MB) "
        "| CPU s: Python / PostgreSQL |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "failed" in r:
            lines.append(f"| {r['backend']} | {r['recipients']:,} | failed: `{r['failed'][:100]}` |||||")
            continue
        cpu = f"{r['python_cpu_s']:.1f}" if "python_cpu_s" in r else "–"
        if r.get("server_cpu_s") is not None:
            cpu += f" / {r['server_cpu_s']:.1f}"
        lines.append(
            f"| {r['backend']} | {r['recipients']:,} | {r['seconds']:.1f} | {r['recipients'] / r['seconds']:,.0f} "
            f"| {r['peak_mb']:.0f} | {r['rss_before_mb']:.0f} | {cpu} |"
        )
    return "\n".join(lines)


# ---- sending ----------------------------------------------------------------------------------------
def run_sending_once(workers: int, messages: int, *, latency_ms: float = 40.0, concurrency: int = 8) -> dict[str, Any]:
    """``workers`` worker processes send one campaign of ``messages`` to the fake provider; messages/s."""
    sys.path.insert(0, str(ROOT / "tests" / "integration" / "worker"))
    from fake_provider import FakeProvider

    from siyu.db import session_factory

    with FakeProvider(latency_ms=latency_ms) as fake, pg_schema() as (engine, schema):
        factory = session_factory(engine)
        _shop, campaign_id = queued_campaign(factory, messages, provider_url=fake.url, timeout=5.0)
        env = worker_env(pg_url_with_schema(PG_URL, schema), SIYU_WORKER_LEASE_SECONDS="120")
        began = time.perf_counter()
        procs = [start_worker(env, concurrency=concurrency) for _ in range(workers)]
        try:
            while True:
                counts = outbox_counts(factory, campaign_id)
                if counts.get("queued", 0) + counts.get("sending", 0) == 0:
                    break
                if all(proc.poll() is not None for proc in procs):
                    raise RuntimeError(f"every worker exited (codes {[p.returncode for p in procs]})")
                if time.perf_counter() - began > 600:
                    raise RuntimeError(f"sending did not finish: {counts}")
                time.sleep(0.2)
            seconds = time.perf_counter() - began
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
        dupes = fake.duplicates()
        return {
            "workers": workers,
            "concurrency": concurrency,
            "messages": messages,
            "sent": counts.get("sent", 0),
            "seconds": seconds,
            "per_second": counts.get("sent", 0) / seconds,
            "duplicates": len(dupes),
            "latency_ms": latency_ms,
        }


def run_sending(messages: int, workers: tuple[int, ...] = (1, 2, 4)) -> list[dict[str, Any]]:
    rows = []
    for n in workers:
        print(f"sending {messages:,} messages with {n} worker(s)…", flush=True)
        row = run_sending_once(n, messages)
        print(f"  {row['seconds']:.1f} s, {row['per_second']:,.0f} msg/s, duplicates {row['duplicates']}")
        rows.append(row)
    return rows


def sending_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| `siyu worker` processes | sends in flight each | messages | seconds | messages/s | sent twice |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['workers']} | {r['concurrency']} | {r['messages']:,} | {r['seconds']:.1f} "
            f"| {r['per_second']:,.0f} | {r['duplicates']} |"
        )
    return "\n".join(lines)


# ---- docs/benchmarks.md sections (rendered by bench/run.py) --------------------------------------------
ENQUEUE_TITLE = "## 7. Campaign enqueue (render + lint + outbox)"
SENDING_TITLE = "## 8. Sending throughput (outbox → HTTP provider)"


def enqueue_section(result: dict[str, Any] | None) -> list[str]:
    parts = [ENQUEUE_TITLE, ""]
    if not result:
        return [*parts, "Not run yet.", ""]
    rows = result["rows"]
    done = [r for r in rows if "failed" not in r]
    verdict = (
        "met" if done and len(done) == len(rows) and all(r["seconds"] < ENQUEUE_GOAL_S for r in done) else "not met"
    )
    return [
        *parts,
        f"Command: `{result['command']}` ({result['when']}); the same as `.venv/bin/python -m bench.sending "
        "--only enqueue`.",
        "",
        "One campaign to every customer of a shop (phones and consent bulk-loaded first, not timed; hold-out 0): "
        "`queue_campaign` reads the frozen audience, renders every message (name, own short link), lints it and "
        "writes `campaign_recipients` and `outbox` rows. Only that call is timed; each backend in its own process "
        "(peak RSS by `resource.getrusage`; *RSS before* is the process after loading, before the call).",
        "",
        enqueue_table(rows),
        "",
        "#### Reading",
        "",
        f"- **Goal (< {ENQUEUE_GOAL_S} s for 1,000,000 recipients): {verdict}.**",
        *[f"- {line}" for line in result.get("notes", [])],
        "",
    ]


def sending_section(result: dict[str, Any] | None) -> list[str]:
    parts = [SENDING_TITLE, ""]
    if not result:
        return [*parts, "Not run yet.", ""]
    return [
        *parts,
        f"Command: `{result['command']}` ({result['when']}); the same as `.venv/bin/python -m bench.sending "
        "--only sending`.",
        "",
        "One queued campaign on PostgreSQL (no quiet hours, no caps), sent by N `siyu worker` processes "
        "(`--concurrency 8`, batch 50) to the local fake provider (`tests/integration/worker/fake_provider.py`, "
        "each answer after a random 0–40 ms, ~20 ms on average), timed from the workers' start until no row is "
        "queued or sending. *Sent twice* counts client references the provider received more than once.",
        "",
        sending_table(result["rows"]),
        "",
        "#### Reading",
        "",
        *[f"- {line}" for line in result.get("notes", [])],
        "",
    ]


def render_sections(results: dict[str, Any]) -> list[str]:
    return [*enqueue_section(results.get("enqueue")), *sending_section(results.get("sending"))]


def splice_section(doc: str, title: str, lines: list[str]) -> str:
    """``doc`` with the section headed ``title`` replaced by ``lines`` (up to the next ``## `` heading);
    a missing section goes before the notes (or at the end)."""
    start = doc.find(title)
    if start == -1:
        notes = doc.find("\n## Notes")
        start = end = notes + 1 if notes != -1 else len(doc)
    else:
        following = doc.find("\n## ", start + len(title))
        end = following + 1 if following != -1 else len(doc)
    return doc[:start] + "\n".join(lines) + "\n" + doc[end:]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--enqueue", type=int, default=1_000_000, help="recipients of the enqueue benchmark")
    parser.add_argument("--messages", type=int, default=20_000, help="messages per sending run")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts of the sending runs")
    parser.add_argument("--only", choices=("enqueue", "sending"))
    parser.add_argument("--backends", default="postgresql,sqlite", help="databases of the enqueue benchmark")
    parser.add_argument("--child-enqueue", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--loaded", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name, value in TEST_KEYS.items():
        os.environ.setdefault(name, value)
    if args.child_enqueue and args.loaded:
        print(json.dumps(enqueue_queue_child(args.child_enqueue, args.db, json.loads(args.loaded))))
        return
    if args.child_enqueue:
        print(json.dumps(enqueue_load_child(args.child_enqueue, args.enqueue, args.db)))
        return
    if args.only in (None, "enqueue"):
        print(enqueue_table(run_enqueue(args.enqueue, tuple(args.backends.split(",")))))
    if args.only in (None, "sending"):
        print(sending_table(run_sending(args.messages, tuple(int(n) for n in args.workers.split(",")))))


if __name__ == "__main__":
    main()
