"""Segment benchmarks (called from ``bench/run.py --only rfm|audience``).

* **RFM + 8 segments** over a demo shop as Siyu stores it (SQLite file written by
  :func:`siyu.customers.demo.write_demo_data`), side by side in the same run on the same data:
  Siyu's ``rfm_report`` on the embedded default (DuckDB over the SQLite file; cold process, then a
  warm second call), idiomatic pandas (``read_sql`` included), one hand-written DuckDB query over a
  Parquet copy of the orders (query only: the practical ceiling), and ``rfm_report`` on PostgreSQL.
  All answer the same question (same ``as_of`` instant, 365-day window, quintile scores by
  competition rank, 8 segments against the averages); their segment counts and R×F matrices must agree.
* **Audience count**: five conditions mixing AND/OR/NOT with a 90-day window, cold and then the median
  of ten warm counts, on the embedded default (DuckDB) and on PostgreSQL.

Each contender is a child process (peak RSS from ``os.wait4``); workers print one JSON object.
The SQLite demo database and the Parquet copy are cached in ``bench/data/segments-<customers>/``;
the PostgreSQL copy is loaded into a fresh schema per run and dropped at the end.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
PG_URL = os.environ.get("SIYU_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
# Children import from a bytecode cache of their own (this sandbox sets PYTHONDONTWRITEBYTECODE, which makes
# every process compile pandas, SQLAlchemy … from source: seconds that no deployment pays).
PYCACHE = DATA / "pycache"
CHILD_ENV: dict[str, str | None] = {"PYTHONDONTWRITEBYTECODE": None, "PYTHONPYCACHEPREFIX": str(PYCACHE)}

# The demo shop is generated "as of" a fixed instant, so a cached database and a PostgreSQL copy made
# later hold the same orders (same seed), and every contender evaluates at that same instant.
DEMO_NOW = datetime(2026, 11, 12, 4, 0, tzinfo=UTC)  # 12:00 on 12 Nov in Shanghai, the day after 双11
SEED = 7
WINDOW_DAYS = 365
SHOP_TZ = "Asia/Shanghai"
RFM_GOAL_RATIO = 2.0  # Siyu within 2x of the hand-written DuckDB query
RFM_MEMORY_GOAL_MB = 2048
AUDIENCE_GOAL_MS = 300
WARM_REPEATS = 10

# 5 conditions: city IN, (orders ≥ 2 in 90 days OR spent ≥ 500 yuan ever), NOT rfm_segment, follows_shop
AUDIENCE: dict[str, Any] = {
    "all": [
        {"field": "city", "op": "in", "values": ["上海市", "北京市", "深圳市", "杭州市", "成都市"]},
        {
            "any": [
                {"field": "orders", "op": ">=", "value": 2, "days": 90},
                {"field": "spent", "op": ">=", "value": 50_000},
            ]
        },
        {"not": {"field": "rfm_segment", "op": "in", "values": ["low_value"]}},
        {"field": "follows_shop", "value": True},
    ]
}

# segment code by (R high, F high, M high), as in siyu.segments.domain.SEGMENTS (kept literal here so
# the pandas and DuckDB contenders do not borrow Siyu's code)
SEGMENT_CODES: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "champions",
    (True, True, False): "loyal_small_basket",
    (True, False, True): "promising",
    (True, False, False): "needs_growth",
    (False, True, True): "at_risk_valuable",
    (False, True, False): "at_risk",
    (False, False, True): "win_back",
    (False, False, False): "low_value",
}

InChild = Callable[..., dict[str, Any]]


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def worker_bytecode(spec: dict[str, Any]) -> dict[str, Any]:
    """Fill the children's bytecode cache (standard library, site-packages, Siyu): fast when already done."""
    import compileall
    import sysconfig

    started = time.perf_counter()
    folders = {
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        str(ROOT / "src"),
        str(ROOT / "bench"),
    }
    ok = all(compileall.compile_dir(folder, quiet=2, workers=2) for folder in sorted(folders))
    return {"seconds": time.perf_counter() - started, "ok": bool(ok), "prefix": str(sys.pycache_prefix)}


def data_dir(customers: int) -> Path:
    return DATA / f"segments-{customers}"


def _new_shop(engine: Any) -> tuple[Any, int]:
    from siyu import migrate
    from siyu.db import session_factory, transaction
    from siyu.shops import services

    migrate.upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        shop, _ = services.create_shop(
            session,
            code="bench",
            name="基准测试店",
            main_username="bench",
            main_password="bench-password-1",
            timezone=SHOP_TZ,
        )
        return factory, shop.id


def _generate(engine: Any, customers: int) -> dict[str, Any]:
    from siyu.customers.demo import write_demo_data

    factory, shop_id = _new_shop(engine)
    started = time.perf_counter()
    tally = write_demo_data(factory, shop_id=shop_id, customers=customers, seed=SEED, now=DEMO_NOW)
    return {
        "shop_id": shop_id,
        "customers": tally.customers,
        "orders": tally.orders,
        "lines": tally.lines,
        "events": tally.events,
        "generate_seconds": time.perf_counter() - started,
    }


def _duckdb(threads: int = 2) -> Any:
    import duckdb

    from siyu.segments.engine import _extension_dir  # the sqlite extension Siyu ships with

    return duckdb.connect(
        config={
            "extension_directory": _extension_dir(),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "threads": threads,
        }
    )


def worker_data(spec: dict[str, Any]) -> dict[str, Any]:
    """The demo shop into a fresh SQLite file, then a Parquet copy of its orders (both cached)."""
    from siyu.db import create_engine

    db, parquet = Path(spec["db"]), Path(spec["parquet"])
    engine = create_engine(f"sqlite:///{db}")
    result = _generate(engine, spec["customers"])
    with engine.connect() as conn:  # fold the WAL into the file: readers open a plain database
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    started = time.perf_counter()
    con = _duckdb()
    con.execute("LOAD sqlite")
    con.execute(f"ATTACH '{db}' AS op (TYPE sqlite, READ_ONLY)")
    con.execute(
        "COPY (SELECT customer_id, ordered_at, CAST(is_paid AS BOOLEAN) AS is_paid, paid_fen FROM op.orders "
        f"WHERE shop_id = {int(result['shop_id'])} ORDER BY id) TO '{parquet}' (FORMAT parquet, COMPRESSION zstd)"
    )
    con.close()
    result["parquet_seconds"] = time.perf_counter() - started
    result["db_mb"] = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20
    result["parquet_mb"] = parquet.stat().st_size / 2**20
    return result


def _pg_engine(schema: str) -> Any:
    from siyu.db import create_engine

    return create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})


def worker_pg_load(spec: dict[str, Any]) -> dict[str, Any]:
    """The same demo shop (same seed and instant) into a fresh PostgreSQL schema, then ANALYZE."""
    engine = _pg_engine(spec["schema"])
    result = _generate(engine, spec["customers"])
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
        settings = {
            name: conn.exec_driver_sql(f"SHOW {name}").scalar()
            for name in ("server_version", "shared_buffers", "work_mem", "max_parallel_workers_per_gather", "jit")
        }
        size = conn.exec_driver_sql(
            "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        ).scalar()
    engine.dispose()
    result["analyze_seconds"] = time.perf_counter() - started
    result["settings"] = settings
    result["db_mb"] = int(size or 0) / 2**20
    return result


def _shop_id(session: Any) -> int:
    from sqlalchemy import select

    from siyu.shops.models import Shop

    return int(session.scalars(select(Shop.id).where(Shop.code == "bench")).one())


# ---------------------------------------------------------------------------------------------
# RFM contenders
# ---------------------------------------------------------------------------------------------


def _summary_of_report(report: Any) -> dict[str, Any]:
    return {
        "buyers": report.buyers,
        "segments": {s.code: s.customers for s in report.segments if s.customers},
        "matrix": {f"{c.r_score}{c.f_score}": c.customers for c in report.matrix},
    }


def _hwm_mb(pid: int | str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_peaks() -> dict[str, float]:
    """Peak RSS (VmHWM, MB) of this process and of each live descendant, e.g. the analytics process Siyu
    starts for DuckDB. ``os.wait4`` in the parent sees only the largest of them, not their sum."""
    peaks: dict[str, float] = {}
    try:
        peaks["main"] = _hwm_mb("self")
        todo = [str(os.getpid())]
        while todo:
            pid = todo.pop()
            for task in Path(f"/proc/{pid}/task").iterdir():
                for child in (task / "children").read_text().split():
                    name = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    label = "analytics" if "multiprocessing" in name else f"child {child}"
                    peaks[label] = peaks.get(label, 0.0) + _hwm_mb(child)
                    todo.append(child)
    except OSError:
        pass
    return peaks


def worker_siyu_rfm(spec: dict[str, Any]) -> dict[str, Any]:
    """``rfm_report`` cold (fresh process: the DuckDB engine starts, reads the SQLite tables into its columnar
    copy, runs the report), then again at the same instant (warm: whatever the engine keeps is reused), then
    at the next minutes (the copy is reused but the scoring is computed afresh: what a page reload a minute
    later costs). On PostgreSQL every call runs on the server."""
    from siyu.db import create_engine, session_factory
    from siyu.segments.rfm import rfm_report

    as_of = datetime.fromisoformat(spec["as_of"])
    started = time.perf_counter()
    engine = create_engine(spec["url"], **({"connect_args": spec["connect_args"]} if spec.get("connect_args") else {}))
    with session_factory(engine)() as session:
        shop_id = _shop_id(session)
        report = rfm_report(session, shop_id=shop_id, as_of=as_of)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        again = rfm_report(session, shop_id=shop_id, as_of=as_of)
        warm = time.perf_counter() - started
        next_minute = []
        for minutes in range(1, 4):
            started = time.perf_counter()
            rfm_report(session, shop_id=shop_id, as_of=as_of + timedelta(minutes=minutes))
            next_minute.append(time.perf_counter() - started)
    result = {
        "seconds": cold,
        "warm_seconds": warm,
        "next_minute_seconds": statistics.median(next_minute),
        "engine": report.engine,
        **_summary_of_report(report),
    }
    if _summary_of_report(again) != _summary_of_report(report):
        result["warm_differs"] = True
    result["peaks_mb"] = process_peaks()
    return result


def worker_pandas_rfm(spec: dict[str, Any]) -> dict[str, Any]:
    """What an analyst would write: load the orders with read_sql, then groupby, rank and compare."""
    import sqlite3

    import numpy as np
    import pandas as pd

    as_of = pd.Timestamp(spec["as_of"]).tz_convert("UTC").tz_localize(None)  # stored times are naive UTC
    started = time.perf_counter()
    with sqlite3.connect(f"file:{spec['db']}?mode=ro", uri=True) as con:
        orders = pd.read_sql(
            "SELECT customer_id, ordered_at, is_paid, paid_fen FROM orders WHERE shop_id = ?",
            con,
            params=(spec["shop_id"],),
        )
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"], format="%Y-%m-%d %H:%M:%S.%f")
    loaded = time.perf_counter() - started

    window = orders[
        (orders["is_paid"] == 1)
        & (orders["paid_fen"] > 0)
        & (orders["ordered_at"] >= as_of - pd.Timedelta(days=WINDOW_DAYS))
        & (orders["ordered_at"] < as_of)
    ]
    rfm = window.groupby("customer_id").agg(
        frequency=("paid_fen", "size"), monetary_fen=("paid_fen", "sum"), last_at=("ordered_at", "max")
    )
    # recency in shop-local calendar days
    today = as_of.tz_localize("UTC").tz_convert(SHOP_TZ).normalize().tz_localize(None)
    last_day = rfm["last_at"].dt.tz_localize("UTC").dt.tz_convert(SHOP_TZ).dt.tz_localize(None).dt.normalize()
    rfm["recency_days"] = (today - last_day).dt.days
    n = len(rfm)

    def quintile(column: str, *, higher_is_better: bool) -> pd.Series:
        rank = rfm[column].rank(method="min", ascending=higher_is_better).astype("int64")
        return 1 + (5 * (rank - 1)) // n

    rfm["r_score"] = quintile("recency_days", higher_is_better=False)
    rfm["f_score"] = quintile("frequency", higher_is_better=True)
    rfm["m_score"] = quintile("monetary_fen", higher_is_better=True)
    r_high = rfm["recency_days"] < rfm["recency_days"].mean()
    f_high = rfm["frequency"] > rfm["frequency"].mean()
    m_high = rfm["monetary_fen"] > rfm["monetary_fen"].mean()
    codes = np.array([SEGMENT_CODES[(r, f, m)] for r in (False, True) for f in (False, True) for m in (False, True)])
    rfm["segment"] = codes[r_high.to_numpy() * 4 + f_high.to_numpy() * 2 + m_high.to_numpy()]
    segments = rfm["segment"].value_counts()
    matrix = rfm.groupby(["r_score", "f_score"]).size()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "load_seconds": loaded,
        "rows_loaded": len(orders),
        "buyers": n,
        "segments": {str(k): int(v) for k, v in segments.items()},
        "matrix": {f"{r}{f}": int(v) for (r, f), v in matrix.items()},
    }


DUCKDB_RFM = """
WITH base AS (
    SELECT customer_id, COUNT(*) AS frequency, SUM(paid_fen) AS monetary_fen,
           DATE '{today}' - CAST(MAX(ordered_at) + INTERVAL {offset} MINUTE AS DATE) AS recency_days
    FROM read_parquet('{path}')
    WHERE is_paid AND paid_fen > 0 AND ordered_at >= TIMESTAMP '{window_start}' AND ordered_at < TIMESTAMP '{as_of}'
    GROUP BY customer_id
),
scored AS (
    SELECT 1 + (5 * (RANK() OVER (ORDER BY recency_days DESC) - 1)) // COUNT(*) OVER () AS r_score,
           1 + (5 * (RANK() OVER (ORDER BY frequency) - 1)) // COUNT(*) OVER () AS f_score,
           1 + (5 * (RANK() OVER (ORDER BY monetary_fen) - 1)) // COUNT(*) OVER () AS m_score,
           recency_days < AVG(recency_days) OVER () AS r_high,
           frequency > AVG(frequency) OVER () AS f_high,
           monetary_fen > AVG(monetary_fen) OVER () AS m_high
    FROM base
)
SELECT CASE WHEN r_high AND f_high AND m_high THEN 'champions'
            WHEN r_high AND f_high THEN 'loyal_small_basket'
            WHEN r_high AND m_high THEN 'promising'
            WHEN r_high THEN 'needs_growth'
            WHEN f_high AND m_high THEN 'at_risk_valuable'
            WHEN f_high THEN 'at_risk'
            WHEN m_high THEN 'win_back'
            ELSE 'low_value' END AS segment,
       r_score, f_score, COUNT(*) AS customers
FROM scored
GROUP BY GROUPING SETS ((segment), (r_score, f_score))
"""


def duckdb_rfm_sql(parquet: str, as_of: datetime) -> str:
    """The hand-written query with its constants written in (no parameters: binding one makes DuckDB's
    Python client import pandas, ~1.7 s, which is not the query's cost)."""
    from zoneinfo import ZoneInfo

    local = as_of.astimezone(ZoneInfo(SHOP_TZ))
    naive = as_of.astimezone(UTC).replace(tzinfo=None)
    return DUCKDB_RFM.format(
        path=parquet.replace("'", "''"),
        today=local.date().isoformat(),
        offset=int((local.utcoffset() or timedelta()).total_seconds() // 60),
        window_start=(naive - timedelta(days=WINDOW_DAYS)).isoformat(sep=" "),
        as_of=naive.isoformat(sep=" "),
    )


def worker_duckdb_rfm(spec: dict[str, Any]) -> dict[str, Any]:
    """One hand-written DuckDB query over the Parquet copy of the orders (query only)."""
    con = _duckdb()
    sql = duckdb_rfm_sql(spec["parquet"], datetime.fromisoformat(spec["as_of"]))
    started = time.perf_counter()
    rows = con.execute(sql).fetchall()
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    con.execute(sql).fetchall()
    again = time.perf_counter() - started
    segments = {seg: int(n) for seg, r, _f, n in rows if r is None}
    return {
        "seconds": seconds,
        "warm_seconds": again,
        "buyers": sum(segments.values()),
        "segments": segments,
        "matrix": {f"{r}{f}": int(n) for seg, r, f, n in rows if r is not None},
    }


# ---------------------------------------------------------------------------------------------
# Audience count
# ---------------------------------------------------------------------------------------------


def worker_audience(spec: dict[str, Any]) -> dict[str, Any]:
    """``count_audience`` cold (first call in a fresh process), the median of warm counts (same minute), and
    the first count of each following minute (the builder's "now" moves on: per-minute facts are rebuilt)."""
    from siyu.db import create_engine, session_factory
    from siyu.segments.audiences import count_audience

    as_of = datetime.fromisoformat(spec["as_of"])
    started = time.perf_counter()
    engine = create_engine(spec["url"], **({"connect_args": spec["connect_args"]} if spec.get("connect_args") else {}))
    with session_factory(engine)() as session:
        shop_id = _shop_id(session)
        count = count_audience(session, shop_id=shop_id, definition=AUDIENCE, as_of=as_of)
        cold = time.perf_counter() - started
        warm = []
        counts = set()
        for _ in range(WARM_REPEATS):
            started = time.perf_counter()
            counts.add(count_audience(session, shop_id=shop_id, definition=AUDIENCE, as_of=as_of))
            warm.append(time.perf_counter() - started)
        next_minute = []
        for minutes in range(1, 4):
            started = time.perf_counter()
            count_audience(session, shop_id=shop_id, definition=AUDIENCE, as_of=as_of + timedelta(minutes=minutes))
            next_minute.append(time.perf_counter() - started)
    return {
        "seconds": cold,
        "warm_median_ms": statistics.median(warm) * 1000,
        "warm_min_ms": min(warm) * 1000,
        "warm_max_ms": max(warm) * 1000,
        "next_minute_median_ms": statistics.median(next_minute) * 1000,
        "count": count,
        "warm_counts_agree": counts == {count},
        "peaks_mb": process_peaks(),
    }


BIND = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


def worker_breakdown(spec: dict[str, Any]) -> dict[str, Any]:
    """Where a cold embedded-default RFM goes: the steps of Siyu's DuckDB engine, replayed one at a time in
    one DuckDB (Siyu's TABLES and SQL builders, so it follows the engine), each timed."""
    from siyu.segments import engine as seg_engine
    from siyu.segments.domain import RfmSettings, StageSettings
    from siyu.segments.sql import Moment, facts_ctes, rfm_scored_ctes

    steps: list[tuple[str, float]] = []

    def step(label: str, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        started = time.perf_counter()
        if params is None:
            rows = con.execute(sql).fetchall()
        else:
            used = set(BIND.findall(sql))
            rows = con.execute(BIND.sub(r"$\1", sql), {k: v for k, v in params.items() if k in used}).fetchall()
        steps.append((label, time.perf_counter() - started))
        return rows

    shop_id = int(spec["shop_id"])
    started = time.perf_counter()
    con = _duckdb()
    con.execute("LOAD sqlite")
    con.execute(f"ATTACH '{spec['db']}' AS op (TYPE sqlite, READ_ONLY)")
    steps.append(("start DuckDB, load the sqlite extension, attach the file", time.perf_counter() - started))
    step("first statement with a bound parameter (DuckDB's Python client imports pandas)", "SELECT :x", {"x": 1})
    con.execute("CREATE SCHEMA copy")
    for table, select in seg_engine.TABLES.items():
        started = time.perf_counter()
        con.execute(f"CREATE TABLE copy.{table} AS {select.format(src='op')} WHERE shop_id = {shop_id}")
        rows = con.execute(f"SELECT COUNT(*) FROM copy.{table}").fetchone()
        steps.append((f"copy `{table}` ({int(rows[0]) if rows else 0:,} rows)", time.perf_counter() - started))
    settings, stages = RfmSettings(), StageSettings()
    moment = Moment.of(datetime.fromisoformat(spec["as_of"]), SHOP_TZ)
    params = {"shop_id": shop_id, **moment.params(settings.window_days)}
    ctes = "WITH " + rfm_scored_ctes(settings, moment).strip()
    by_segment = "\nSELECT segment, COUNT(*), SUM(monetary_fen), SUM(frequency) FROM rfm_scored GROUP BY segment"
    copy_tables = {t: f"copy.{t}" for t in seg_engine.TABLES}
    for attempt in ("first", "second"):
        step(f"RFM by-segment query over the copy ({attempt} run)", (ctes + by_segment).format(**copy_tables), params)
    step(
        "RFM scoring kept as a table (CREATE TABLE AS … rfm_scored) over the copy",
        "CREATE TABLE copy.rfm_scored AS " + (ctes + "\nSELECT * FROM rfm_scored").format(**copy_tables),
        params,
    )
    step(
        "the by-segment query straight over the SQLite table (no copy)",
        (ctes + by_segment).format(**{t: f"op.{t}" for t in seg_engine.TABLES}),
        params,
    )
    step(
        "audience: per-customer facts (CREATE TABLE AS, once per minute)",
        "CREATE TABLE copy.facts AS "
        + (facts_ctes(settings, stages, moment) + "\nSELECT * FROM facts").format(**copy_tables),
        params,
    )
    return {"steps": steps, "peaks_mb": process_peaks()}


WORKERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "seg-bytecode": worker_bytecode,
    "seg-data": worker_data,
    "seg-pg-load": worker_pg_load,
    "seg-siyu-rfm": worker_siyu_rfm,
    "seg-pandas-rfm": worker_pandas_rfm,
    "seg-duckdb-rfm": worker_duckdb_rfm,
    "seg-audience": worker_audience,
    "seg-breakdown": worker_breakdown,
}


def run_worker(name: str, spec_json: str) -> dict[str, Any]:
    return WORKERS[name](json.loads(spec_json))


# ---------------------------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------------------------


def _busy_share(seconds: float = 1.0) -> float:
    """Share of the machine's CPU time spent busy over ``seconds`` (other work running during a timing)."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    try:
        busy0, total0 = sample()
        time.sleep(seconds)
        busy1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    return (busy1 - busy0) / max(total1 - total0, 1)


BUSY_LIMIT = 0.15  # a timing starts when the machine is less busy than this (or after 5 minutes of waiting)


def _wait_for_quiet(limit_seconds: float = 300.0, threshold: float = BUSY_LIMIT) -> float:
    """Wait (up to ``limit_seconds``) until the machine is nearly idle; returns the last busy share seen."""
    deadline = time.monotonic() + limit_seconds
    busy = _busy_share()
    if busy >= threshold:
        print(f"  (machine {busy:.0%} busy with other work: waiting for it to settle…)", flush=True)
    while busy >= threshold and time.monotonic() < deadline:
        busy = _busy_share(5.0)
    if busy >= threshold:
        print(f"  (still {busy:.0%} busy: timing anyway, figures may be pessimistic)", flush=True)
    return busy


def _child(in_child: InChild, workdir: Path, worker: str, *, timed: bool = True, **spec: Any) -> dict[str, Any]:
    busy = _wait_for_quiet() if timed else None
    result = in_child(workdir, "--worker", worker, "--spec", json.dumps(spec, default=str), extra_env=CHILD_ENV)
    if busy is not None:
        result["busy_before"] = round(busy, 3)
    peaks = result.get("peaks_mb") or {}
    if len(peaks) > 1:  # processes that ran side by side: their peaks add up
        result["peak_mb"] = max(result["peak_mb"], sum(peaks.values()))
    return result


def prepare_data(in_child: InChild, customers: int) -> dict[str, Any]:
    """The cached SQLite demo database and Parquet copy for this size (generated on first use)."""
    folder = data_dir(customers)
    meta_path = folder / "meta.json"
    if meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        if meta.get("now") == DEMO_NOW.isoformat() and meta.get("seed") == SEED:
            print(f"reusing {folder.relative_to(ROOT)} ({meta['lines']:,} order lines)", flush=True)
            return meta
    if folder.exists():
        for stale in folder.iterdir():
            stale.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    print(f"generating the demo shop: {customers:,} customers into {folder.relative_to(ROOT)}/siyu.db…", flush=True)
    result = _child(
        in_child,
        folder,
        "seg-data",
        timed=False,
        db=str(folder / "siyu.db"),
        parquet=str(folder / "orders.parquet"),
        customers=customers,
    )
    if "failed" in result:
        raise SystemExit(f"demo generation failed: {result['failed']}")
    print(
        f"  {result['generate_seconds']:.0f} s: {result['orders']:,} orders, {result['lines']:,} lines; "
        f"Parquet copy in {result['parquet_seconds']:.1f} s",
        flush=True,
    )
    meta = {**result, "now": DEMO_NOW.isoformat(), "seed": SEED, "generate_peak_mb": result["peak_mb"]}
    meta.pop("peak_mb")
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta


class PgShop:
    """A fresh PostgreSQL schema holding the demo shop, dropped on exit."""

    def __init__(self, in_child: InChild, workdir: Path, customers: int) -> None:
        self.in_child, self.workdir, self.customers = in_child, workdir, customers
        self.schema = f"bench_seg_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.load: dict[str, Any] = {}

    def __enter__(self) -> PgShop:
        from sqlalchemy import text

        from siyu.db import create_engine

        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        admin.dispose()
        print(f"loading {self.customers:,} demo customers into PostgreSQL schema {self.schema}…", flush=True)
        self.load = _child(
            self.in_child, self.workdir, "seg-pg-load", timed=False, schema=self.schema, customers=self.customers
        )
        if "failed" not in self.load:
            print(
                f"  {self.load['generate_seconds']:.0f} s: {self.load['orders']:,} orders, "
                f"{self.load['lines']:,} lines (+ANALYZE {self.load['analyze_seconds']:.0f} s)",
                flush=True,
            )
        return self

    def spec(self) -> dict[str, Any]:
        return {"url": PG_URL, "connect_args": {"options": f"-csearch_path={self.schema}"}}

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import text

        from siyu.db import create_engine

        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        admin.dispose()
        print(f"dropped PostgreSQL schema {self.schema}", flush=True)


def analytics_store(folder: Path) -> list[Path]:
    """Files Siyu's analytics engine keeps beside the database (``siyu.db.<something>``), if any."""
    return sorted(folder.glob("siyu.db.*"))


def forget_analytics_store(folder: Path) -> None:
    """Remove what the analytics engine kept, so the next run starts from the data as Siyu stores it."""
    found = analytics_store(folder)
    targets = {os.path.realpath(p) for p in found}
    holders = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.path.realpath(fd) in targets for fd in fd_dir.iterdir()):
                holders.append(fd_dir.parent.name)
        except OSError:
            continue
    if holders:
        print(f"  !!! processes {', '.join(holders)} (not this benchmark) hold {found[0].name}", flush=True)
    for path in found:
        path.unlink(missing_ok=True)


def siyu_version() -> str:
    """The commit Siyu was measured at, and whether src/ had uncommitted changes (read-only git calls)."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return ""
    dirty = bool(git("status", "--porcelain", "--", "src"))
    return f"commit `{commit}`" + (" plus uncommitted changes in `src/`" if dirty else "")


def _agree(results: dict[str, dict[str, Any]], key: str) -> list[str]:
    """Names of contenders whose answer differs from the first one's (loudly printed by the caller)."""
    answered = {name: r[key] for name, r in results.items() if key in r}
    if not answered:
        return []
    first_name, first = next(iter(answered.items()))
    return [f"{name} vs {first_name}" for name, value in answered.items() if value != first]


def _mismatch(label: str, results: dict[str, dict[str, Any]], keys: tuple[str, ...]) -> list[str]:
    problems = []
    for key in keys:
        for pair in _agree(results, key):
            problems.append(f"{label}: {key} differ ({pair})")
    for problem in problems:
        print(f"  !!! MISMATCH {problem}", flush=True)
    return problems


def run(in_child: InChild, *, customers: int, pg_customers: int, parts: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Run the RFM and/or audience benchmarks; returns {"rfm": …, "audience": …} for the parts run."""
    DATA.mkdir(parents=True, exist_ok=True)
    compiled = _child(in_child, DATA, "seg-bytecode", timed=False)
    print(f"bytecode cache for the workers ready ({compiled['seconds']:.0f} s)", flush=True)
    meta = prepare_data(in_child, customers)
    folder = data_dir(customers)
    sqlite_spec = {"url": f"sqlite:///{folder / 'siyu.db'}"}
    as_of = DEMO_NOW.isoformat()
    data = {k: meta[k] for k in ("customers", "orders", "lines", "events", "db_mb", "parquet_mb", "generate_seconds")}
    data["siyu_version"] = siyu_version()
    out: dict[str, dict[str, Any]] = {}
    rfm: dict[str, Any] = {}
    audience: dict[str, Any] = {}

    if "rfm" in parts:
        print("RFM: Siyu rfm_report on the embedded default (DuckDB over the SQLite file), cold + warm…", flush=True)
        forget_analytics_store(folder)
        rfm["siyu"] = _child(in_child, folder, "seg-siyu-rfm", as_of=as_of, **sqlite_spec)
        _say(rfm["siyu"])
        if analytics_store(folder):
            print("RFM: Siyu again in a new process (it finds the analytics copy the first one kept)…", flush=True)
            rfm["siyu_restart"] = _child(in_child, folder, "seg-siyu-rfm", as_of=as_of, **sqlite_spec)
            _say(rfm["siyu_restart"])
        print("RFM: where the embedded default's cold time goes (its steps one at a time)…", flush=True)
        breakdown = _child(
            in_child, folder, "seg-breakdown", as_of=as_of, db=str(folder / "siyu.db"), shop_id=meta["shop_id"]
        )
        for label, seconds in breakdown.get("steps", []):
            print(f"  {seconds:7.2f} s  {label}", flush=True)
        print("RFM: pandas read_sql + groupby/rank…", flush=True)
        rfm["pandas"] = _child(
            in_child, folder, "seg-pandas-rfm", as_of=as_of, db=str(folder / "siyu.db"), shop_id=meta["shop_id"]
        )
        _say(rfm["pandas"])
        print("RFM: one hand-written DuckDB query over the Parquet copy…", flush=True)
        rfm["duckdb_parquet"] = _child(
            in_child, folder, "seg-duckdb-rfm", as_of=as_of, parquet=str(folder / "orders.parquet")
        )
        _say(rfm["duckdb_parquet"])
    if "audience" in parts:
        print("Audience count on the embedded default (DuckDB over the SQLite file)…", flush=True)
        forget_analytics_store(folder)
        audience["duckdb"] = _child(in_child, folder, "seg-audience", as_of=as_of, **sqlite_spec)
        _say(audience["duckdb"])
        if analytics_store(folder):
            print("Audience count again in a new process (it finds the analytics copy kept)…", flush=True)
            audience["duckdb_restart"] = _child(in_child, folder, "seg-audience", as_of=as_of, **sqlite_spec)
            _say(audience["duckdb_restart"])

    if pg_customers > 0:
        with PgShop(in_child, folder, pg_customers) as pg:
            rfm_pg_load = pg.load
            if "failed" not in pg.load:
                if "rfm" in parts:
                    print("RFM: Siyu rfm_report on PostgreSQL, cold + warm…", flush=True)
                    rfm["postgresql"] = _child(in_child, folder, "seg-siyu-rfm", as_of=as_of, **pg.spec())
                    _say(rfm["postgresql"])
                if "audience" in parts:
                    print("Audience count on PostgreSQL…", flush=True)
                    audience["postgresql"] = _child(in_child, folder, "seg-audience", as_of=as_of, **pg.spec())
                    _say(audience["postgresql"])
        pg_info = {k: v for k, v in rfm_pg_load.items() if k != "shop_id"}
    else:
        pg_info = {}

    same_data = pg_customers == customers
    if rfm:
        compared = {k: v for k, v in rfm.items() if k != "postgresql" or same_data}
        problems = _mismatch("RFM", compared, ("buyers", "segments", "matrix"))
        if rfm.get("siyu", {}).get("warm_differs") or rfm.get("postgresql", {}).get("warm_differs"):
            problems.append("RFM: a warm rfm_report differs from the cold one")
        out["rfm"] = {**data, "as_of": as_of, "window_days": WINDOW_DAYS, "contenders": rfm, "mismatches": problems}
        if "rfm" in parts:
            out["rfm"]["breakdown"] = breakdown
        out["rfm"]["postgresql_load"] = pg_info
    if audience:
        compared = {k: v for k, v in audience.items() if k != "postgresql" or same_data}
        problems = _mismatch("audience", compared, ("count",))
        problems += [
            f"audience: warm counts differ on {k}" for k, v in audience.items() if v.get("warm_counts_agree") is False
        ]
        out["audience"] = {
            **data,
            "as_of": as_of,
            "definition": AUDIENCE,
            "contenders": audience,
            "mismatches": problems,
            "postgresql_load": pg_info,
        }
    return out


def _say(result: dict[str, Any]) -> None:
    if "failed" in result:
        return
    extra = ""
    if "warm_seconds" in result:
        extra += f", warm {result['warm_seconds']:.2f} s"
    if "warm_median_ms" in result:
        extra += f", warm median {result['warm_median_ms']:.0f} ms, count {result['count']:,}"
    if "segments" in result:
        extra += f", {result['buyers']:,} buyers"
    print(f"  {result['seconds']:.2f} s{extra}, peak {result['peak_mb']:.0f} MB", flush=True)


# ---------------------------------------------------------------------------------------------
# Reporting (tables and readings for the console and docs/benchmarks.md)
# ---------------------------------------------------------------------------------------------


def _s(result: dict[str, Any], key: str = "seconds") -> str:
    return "—" if "failed" in result or key not in result else f"{result[key]:.2f}"


def _ratio(seconds: float | None, ceiling: float | None) -> str:
    if not seconds or not ceiling:
        return "—"
    ratio = seconds / ceiling
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×"


def _peak(result: dict[str, Any]) -> str:
    if "peak_mb" not in result:
        return "—"
    peaks = result.get("peaks_mb") or {}
    if len(peaks) > 1:
        return f"{result['peak_mb']:.0f} ({' + '.join(f'{k} {v:.0f}' for k, v in peaks.items())})"
    return f"{result['peak_mb']:.0f}"


def _failed(result: dict[str, Any]) -> str:
    return f" — **failed**: `{result['failed'][:100]}`" if "failed" in result else ""


def rfm_table(result: dict[str, Any]) -> str:
    c = result["contenders"]
    siyu, pandas, ceiling, pg = (c.get(k, {}) for k in ("siyu", "pandas", "duckdb_parquet", "postgresql"))
    base = None if "failed" in ceiling else ceiling.get("seconds")
    rows = [
        "| contender | what is timed | seconds | × the DuckDB query | peak RSS (MB) |",
        "|---|---|---:|---:|---:|",
    ]
    if siyu:
        rows += [
            "| **Siyu** `rfm_report`, embedded default, cold | fresh process, nothing kept from earlier runs: the "
            "DuckDB engine starts, copies what the report reads from the SQLite file into its columnar copy, runs "
            f"the report{_failed(siyu)} "
            f"| {_s(siyu)} | {_ratio(siyu.get('seconds'), base)} | {_peak(siyu)} |",
            "| **Siyu** `rfm_report`, embedded default, warm | second call, same instant, same process (whatever "
            "the engine keeps for that instant is reused) "
            f"| {_s(siyu, 'warm_seconds')} | {_ratio(siyu.get('warm_seconds'), base)} | (same process) |",
            "| **Siyu** `rfm_report`, embedded default, next minute | same process, `as_of` one minute later "
            "(copy reused, scoring computed afresh; median of 3) "
            f"| {_s(siyu, 'next_minute_seconds')} | {_ratio(siyu.get('next_minute_seconds'), base)} "
            "| (same process) |",
        ]
    restart = c.get("siyu_restart")
    if restart:
        rows.append(
            "| **Siyu** `rfm_report`, embedded default, restarted | a new process: the engine finds the columnar "
            f"copy the first process kept beside the database (still valid), runs the report{_failed(restart)} "
            f"| {_s(restart)} | {_ratio(restart.get('seconds'), base)} | {_peak(restart)} |"
        )
    if pandas:
        load = f"{pandas['load_seconds']:.1f} s of it loading" if "load_seconds" in pandas else ""
        rows.append(
            "| pandas (idiomatic) | `read_sql` of the orders from the SQLite file + `to_datetime` "
            f"({load}), then filter, `groupby`, `rank(method='min')`, means{_failed(pandas)} "
            f"| {_s(pandas)} | {_ratio(pandas.get('seconds'), base)} | {_peak(pandas)} |"
        )
    if ceiling:
        rows.append(
            "| DuckDB, one hand-written query over a Parquet copy of the orders | the query only (first run in a "
            f"fresh process; a second run took {_s(ceiling, 'warm_seconds')} s){_failed(ceiling)} "
            f"| {_s(ceiling)} | 1.0× | {_peak(ceiling)} |"
        )
    if pg:
        load = result.get("postgresql_load", {})
        size = f"{load['customers']:,} customers" if "customers" in load else "the demo shop"
        rows += [
            f"| **Siyu** `rfm_report` on PostgreSQL, first call | same SQL on the server ({size}){_failed(pg)} "
            f"| {_s(pg)} | {_ratio(pg.get('seconds'), base)} | {_peak(pg)} (client only) |",
            "| **Siyu** `rfm_report` on PostgreSQL, second call | same instant "
            f"| {_s(pg, 'warm_seconds')} | {_ratio(pg.get('warm_seconds'), base)} | (same process) |",
            "| **Siyu** `rfm_report` on PostgreSQL, next minute | `as_of` one minute later (median of 3) "
            f"| {_s(pg, 'next_minute_seconds')} | {_ratio(pg.get('next_minute_seconds'), base)} | (same process) |",
        ]
    return "\n".join(rows)


def breakdown_table(result: dict[str, Any]) -> str:
    steps = result.get("breakdown", {}).get("steps")
    if not steps:
        return ""
    rows = ["| step, replayed alone in one DuckDB | seconds |", "|---|---:|"]
    rows += [f"| {label} | {seconds:.2f} |" for label, seconds in steps]
    return "\n".join(rows)


def segment_counts_table(result: dict[str, Any]) -> str:
    answered = [r for r in result["contenders"].values() if "segments" in r]
    if not answered:
        return ""
    counts = answered[0]["segments"]
    buyers = sum(counts.values()) or 1
    rows = ["| segment | customers | share |", "|---|---:|---:|"]
    rows += [
        f"| `{code}` | {counts.get(code, 0):,} | {counts.get(code, 0) / buyers:.1%} |"
        for code in SEGMENT_CODES.values()
    ]
    return "\n".join(rows)


def _context_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    busy = {k: v["busy_before"] for k, v in result["contenders"].items() if v.get("busy_before", 0) >= BUSY_LIMIT}
    if busy:
        lines.append(
            "- Other work was running on the machine when these started (CPU busy share just before: "
            + ", ".join(f"{k} {v:.0%}" for k, v in busy.items())
            + "): those figures may be pessimistic."
        )
    if result.get("siyu_version"):
        lines.append(f"- Siyu measured at {result['siyu_version']}.")
    return lines


def rfm_reading(result: dict[str, Any]) -> str:
    c = result["contenders"]
    siyu, pandas, ceiling, pg = (c.get(k, {}) for k in ("siyu", "pandas", "duckdb_parquet", "postgresql"))
    lines = []
    if result["mismatches"]:
        lines.append("- **MISMATCH:** " + "; ".join(result["mismatches"]) + ".")
    else:
        names = ", ".join(k for k, v in c.items() if "segments" in v)
        buyers = next((v["buyers"] for v in c.values() if "buyers" in v), 0)
        lines.append(
            f"- All contenders that ran ({names}) agree: {buyers:,} buyers in the window, the same count in every "
            "segment and in every R×F cell."
        )
    if "seconds" in siyu and "failed" not in siyu and "seconds" in ceiling and "failed" not in ceiling:
        base = ceiling["seconds"]

        def verdict(label: str, seconds: float) -> str:
            met = "met" if seconds <= RFM_GOAL_RATIO * base else "not met"
            return f"**{met} {label}** ({seconds:.2f} s, {seconds / base:.2f}×)"

        verdicts = [verdict("cold", siyu["seconds"]), verdict("warm", siyu["warm_seconds"])]
        if "next_minute_seconds" in siyu:
            verdicts.append(verdict("a minute later", siyu["next_minute_seconds"]))
        lines.append(
            f"- **Within {RFM_GOAL_RATIO:.0f}× of the hand-written DuckDB query ({base:.2f} s):** "
            + "; ".join(verdicts)
            + "."
        )
    if "seconds" in siyu and "failed" not in siyu and "seconds" in pandas and "failed" not in pandas:
        faster = siyu["seconds"] < pandas["seconds"]
        ratio = (
            f"pandas is {pandas['seconds'] / siyu['seconds']:.1f}× slower"
            if faster
            else f"Siyu is {siyu['seconds'] / pandas['seconds']:.1f}× slower"
        )
        lines.append(
            f"- **Faster than pandas (cold): {'met' if faster else 'not met'}** — Siyu {siyu['seconds']:.2f} s vs "
            f"pandas {pandas['seconds']:.2f} s ({ratio}; pandas spends {pandas['load_seconds']:.1f} s loading). "
            f"Warm, Siyu answers in {siyu['warm_seconds']:.2f} s."
        )
    if "peak_mb" in siyu:
        memory = "met" if siyu["peak_mb"] < RFM_MEMORY_GOAL_MB else "not met"
        lines.append(
            f"- **Peak memory < {RFM_MEMORY_GOAL_MB / 1024:.0f} GB: {memory}** "
            f"— Siyu peaked at {siyu['peak_mb']:.0f} MB, its processes together (pandas {_peak(pandas)} MB, "
            f"the DuckDB query {_peak(ceiling)} MB)."
        )
    if pg and "failed" not in pg:
        load = result.get("postgresql_load", {})
        same = load.get("customers") == result["customers"]
        lines.append(
            f"- PostgreSQL: {pg['seconds']:.2f} s first call, {pg['warm_seconds']:.2f} s second"
            + (f", {pg['next_minute_seconds']:.2f} s a minute later" if "next_minute_seconds" in pg else "")
            + ("" if same else f" — on {load.get('customers', 0):,} customers, not the full data set (see notes)")
            + f"; loading it took {load.get('generate_seconds', 0) / 60:.1f} min. Server: PostgreSQL "
            f"{str(load.get('settings', {}).get('server_version', '?')).split()[0]}, "
            + ", ".join(f"{k}={v}" for k, v in load.get("settings", {}).items() if k != "server_version")
            + "."
        )
    return "\n".join(lines + _context_lines(result))


def audience_table(result: dict[str, Any]) -> str:
    rows = [
        "| engine | customers | cold: first count in a fresh process (s) | warm: median of "
        f"{WARM_REPEATS} (ms) | warm min–max (ms) | first count of a new minute (ms) | matching customers "
        "| peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "duckdb": "embedded default: DuckDB over the SQLite file (first run: no analytics copy yet)",
        "duckdb_restart": "embedded default, restarted (a new process finds the analytics copy kept on disk)",
        "postgresql": "PostgreSQL (`PostgresEngine`)",
    }
    for key, label in labels.items():
        r = result["contenders"].get(key)
        if r is None:
            continue
        size = result["customers"] if key != "postgresql" else result.get("postgresql_load", {}).get("customers", 0)
        if "failed" in r:
            rows.append(f"| {label} | {size:,} | failed: `{r['failed'][:100]}` | | | | | {_peak(r)} |")
            continue
        rows.append(
            f"| {label} | {size:,} | {r['seconds']:.2f} | {r['warm_median_ms']:.0f} | "
            f"{r['warm_min_ms']:.0f}–{r['warm_max_ms']:.0f} | {r.get('next_minute_median_ms', 0):.0f} "
            f"| {r['count']:,} | {_peak(r)} |"
        )
    return "\n".join(rows)


def audience_reading(result: dict[str, Any]) -> str:
    lines = []
    if result["mismatches"]:
        lines.append("- **MISMATCH:** " + "; ".join(result["mismatches"]) + ".")
    for key, label in (("duckdb", "the embedded default (DuckDB)"), ("postgresql", "PostgreSQL")):
        r = result["contenders"].get(key)
        if r is None or "failed" in r:
            continue
        ms = r["warm_median_ms"]
        met = ms < AUDIENCE_GOAL_MS
        verdict = "met" if met else "not met"
        by = f"{AUDIENCE_GOAL_MS / ms:.1f}× under" if met else f"{ms / AUDIENCE_GOAL_MS:.1f}× over"
        lines.append(f"- **< {AUDIENCE_GOAL_MS} ms warm on {label}: {verdict}** — {ms:.0f} ms median ({by}).")
    counts = {k: v["count"] for k, v in result["contenders"].items() if "count" in v}
    if len(counts) > 1 and len(set(counts.values())) == 1 and not result["mismatches"]:
        lines.append(f"- Every run ({', '.join(counts)}) counts the same {next(iter(counts.values())):,} customers.")
    return "\n".join(lines + _context_lines(result))


def render_sections(results: dict[str, Any]) -> list[str]:
    """Sections 3 (RFM) and 4 (audience count) of docs/benchmarks.md."""
    parts = ["## 3. RFM + 8 segments", ""]
    rfm_runs = sorted(results.get("rfm_runs", {}).values(), key=lambda r: r["customers"])
    if not rfm_runs:
        parts += ["Not run yet.", ""]
    for run in rfm_runs:
        parts += [
            f"### {run['customers']:,} customers, {run['lines']:,} order lines",
            "",
            f"Command: `{run['command']}`",
            "",
            f"Data, as Siyu stores it: the demo shop (`write_demo_data`, seed {SEED}, two years of history up to "
            f"{run['as_of'][:16].replace('T', ' ')} UTC) in one SQLite file — {run['customers']:,} customers, "
            f"{run['orders']:,} orders, {run['lines']:,} order lines, {run['events']:,} events "
            f"({run['db_mb']:,.0f} MB with indexes). RFM reads the orders (R = shop-local days since the last paid "
            f"order, F = paid orders, M = sum paid, within {run['window_days']} days before that instant); the Parquet "
            f"copy of the orders is {run['parquet_mb']:.0f} MB (exported once, not timed).",
            "",
            rfm_table(run),
            "",
            "Segment counts (identical for every contender):",
            "",
            segment_counts_table(run),
            "",
            "Where the embedded default's cold time goes — each step replayed alone in a separate process "
            "(`worker_breakdown`): reading each table out of SQLite (the engine copies a table the first time a "
            "query reads it: the report reads `orders`, the audience count of section 4 also `customers`), and "
            "the scoring over the copy:",
            "",
            breakdown_table(run),
            "",
            "#### Reading",
            "",
            rfm_reading(run),
            "",
        ]
    parts += ["## 4. Audience count", ""]
    audience_runs = sorted(results.get("audience_runs", {}).values(), key=lambda r: r["customers"])
    if not audience_runs:
        parts += ["Not run yet.", ""]
    for run in audience_runs:
        parts += [
            f"### {run['customers']:,} customers",
            "",
            f"Command: `{run['command']}`",
            "",
            "`count_audience` with five conditions — city in 5 cities AND (≥ 2 paid orders in the last 90 days OR "
            "≥ ¥500 spent ever) AND NOT RFM segment `low_value` AND follows the shop:",
            "",
            "```json",
            json.dumps(run["definition"], ensure_ascii=False),
            "```",
            "",
            audience_table(run),
            "",
            "#### Reading",
            "",
            audience_reading(run),
            "",
        ]
    return parts
