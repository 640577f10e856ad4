"""Benchmarks: import, demo generation, RFM and audience counts (`python -m bench.run --help`).

Usage: `python -m bench.run [--lines N] [--only import|demo|rfm|audience|segments|points|coupons|enqueue|sending|groups]
[--demo-customers N] [--rfm-customers N] [--pg-customers N] [--enqueue-recipients N] [--sending-messages N]`;
the segment benchmarks live in ``bench/segments.py``, the campaign ones in ``bench/sending.py``, group joins
in ``bench/groups.py`` (``--only groups`` prints its table and keeps it in results.json, not in the doc).

Every contender runs in its own child process (``python -m bench.run --worker …``) so that its peak
resident memory can be read from the kernel (``os.wait4`` → ``ru_maxrss``) without the parent's
footprint. Results are printed as a Markdown table, kept in ``bench/data/results.json`` and
rendered into ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import segments, sending

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = DATA / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"
IMPORT_GOAL_LINES_PER_S = 100_000
MEMORY_GOAL_MB = 500


# ---------------------------------------------------------------------------------------------
# Workers (run in a child process; print one JSON object on the last line of stdout)
# ---------------------------------------------------------------------------------------------


def _fresh_shop(db: Path) -> tuple[Any, int]:
    from siyu import migrate
    from siyu.db import create_engine, session_factory, transaction
    from siyu.shops import services

    engine = create_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        shop, _ = services.create_shop(
            session, code="bench", name="基准测试店", main_username="bench", main_password="bench-password-1"
        )
        return factory, shop.id


def worker_siyu_import(csv_path: Path, db: Path, fresh: bool) -> dict[str, Any]:
    from sqlalchemy import select

    from siyu.audit.services import Actor
    from siyu.customers import importer
    from siyu.db import create_engine, session_factory, transaction
    from siyu.shops.models import Shop

    if fresh:
        factory, shop_id = _fresh_shop(db)
    else:
        factory = session_factory(create_engine(f"sqlite:///{db}"))
        with transaction(factory) as session:
            shop_id = session.scalars(select(Shop.id).where(Shop.code == "bench")).one()
    started = time.perf_counter()
    job_id = importer.register_local_file(factory, actor=Actor(shop_id, "system", None, "bench"), path=csv_path)
    job = importer.run_order_import(factory, job_id=job_id)
    seconds = time.perf_counter() - started
    importer.remove_stored_file(job)
    return {
        "seconds": seconds,
        "status": job.status,
        "error": job.error_en,
        "rows_read": job.rows_read,
        "lines_added": job.lines_added,
        "lines_already_present": job.lines_already_present,
        "orders_added": job.orders_added,
        "customers_added": job.customers_added,
        "problems": job.problem_count,
    }


def worker_pandas(csv_path: Path, db: Path) -> dict[str, Any]:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(csv_path, encoding="gb18030", dtype=str)
    read = time.perf_counter() - started
    with sqlite3.connect(db) as connection:
        # chunks of 1,000 rows x 21 columns stay under SQLite's 32,766 bound parameters
        frame.to_sql("jd_orders", connection, if_exists="replace", index=False, chunksize=1_000, method="multi")
    return {"seconds": time.perf_counter() - started, "read_seconds": read, "rows": len(frame)}


def worker_demo(db: Path, customers: int) -> dict[str, Any]:
    from siyu.customers.demo import write_demo_data

    factory, shop_id = _fresh_shop(db)
    started = time.perf_counter()
    tally = write_demo_data(factory, shop_id=shop_id, customers=customers)
    return {
        "seconds": time.perf_counter() - started,
        "customers": tally.customers,
        "orders": tally.orders,
        "lines": tally.lines,
        "events": tally.events,
        "db_mb": db.stat().st_size / 2**20,
    }


def _run_worker(args: argparse.Namespace) -> None:
    if args.worker == "siyu-import":
        result = worker_siyu_import(Path(args.csv), Path(args.db), fresh=True)
    elif args.worker == "siyu-reimport":
        result = worker_siyu_import(Path(args.csv), Path(args.db), fresh=False)
    elif args.worker == "pandas":
        result = worker_pandas(Path(args.csv), Path(args.db))
    elif args.worker == "demo":
        result = worker_demo(Path(args.db), args.demo_customers)
    elif args.worker.startswith("seg-"):
        result = segments.run_worker(args.worker, args.spec)
    else:
        raise SystemExit(f"unknown worker {args.worker}")
    print(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------------------------


def _in_child(workdir: Path, *worker_args: str, extra_env: dict[str, str | None] | None = None) -> dict[str, Any]:
    """Run one worker in its own process; returns its JSON result plus peak RSS (MB).

    ``extra_env`` adds variables to the child's environment (``None`` removes one)."""
    env = dict(os.environ, SIYU_DATA_DIR=str(workdir / "siyu-data"), SIYU_ENV="dev")
    env.pop("SIYU_DATABASE_URL", None)
    for name, value in (extra_env or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.run", *worker_args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        assert process.stdout is not None
        output = process.stdout.read()
        # reap the child ourselves: wait4 hands back its resource usage, including peak RSS
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        error_text = errors.read()
    peak_mb = usage.ru_maxrss / 1024  # Linux reports kilobytes
    if process.returncode != 0:
        # keep going: a failing contender is a result too (the importer may be mid-change)
        last = (error_text.strip().splitlines() or ["no output"])[-1]
        print(f"  FAILED (exit {process.returncode}): {last}", flush=True)
        return {"failed": last, "seconds": 0.0, "peak_mb": peak_mb}
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    result["peak_mb"] = peak_mb
    return result


def run_import(lines: int) -> dict[str, Any]:
    from bench.jd_export_file import write_export

    csv_path = DATA / f"jd_orders_{lines}.csv"
    if not csv_path.exists():
        print(f"generating {csv_path.name} ({lines:,} order lines, GB18030)…", flush=True)
        began = time.perf_counter()
        write_export(csv_path, lines)
        print(f"  done in {time.perf_counter() - began:.1f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="siyu-bench-", dir=DATA) as tmp:
        work = Path(tmp)
        siyu_db = work / "siyu.db"
        print("Siyu import into a fresh SQLite database…", flush=True)
        first = _in_child(work, "--worker", "siyu-import", "--csv", str(csv_path), "--db", str(siyu_db))
        print(f"  {first['seconds']:.1f} s, {first.get('lines_added', 0):,} lines added", flush=True)
        print("Siyu re-import of the same file…", flush=True)
        again = _in_child(work, "--worker", "siyu-reimport", "--csv", str(csv_path), "--db", str(siyu_db))
        print(f"  {again['seconds']:.1f} s, {again.get('lines_added', 0):,} lines added", flush=True)
        siyu_db_mb = sum(p.stat().st_size for p in work.glob("siyu.db*")) / 2**20
        print("pandas read_csv + to_sql…", flush=True)
        pandas = _in_child(work, "--worker", "pandas", "--csv", str(csv_path), "--db", str(work / "pandas.db"))
        print(f"  {pandas['seconds']:.1f} s", flush=True)
    return {
        "lines": lines,
        "file_mb": csv_path.stat().st_size / 2**20,
        "siyu": first,
        "siyu_again": again,
        "siyu_db_mb": siyu_db_mb,
        "pandas": pandas,
    }


def run_demo(customers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="siyu-bench-", dir=DATA) as tmp:
        print(f"demo generation of {customers:,} customers into a fresh SQLite database…", flush=True)
        result = _in_child(
            Path(tmp), "--worker", "demo", "--db", str(Path(tmp) / "demo.db"), "--demo-customers", str(customers)
        )
        print(f"  {result['seconds']:.1f} s, {result.get('lines', 0):,} order lines", flush=True)
    return {"customers": customers, **result}


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 2**20:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "disk": "temporary files under bench/data/",
    }


def _rate(count: float, seconds: float) -> str:
    return f"{count / seconds:,.0f}" if seconds > 0 else "—"


def _figures(result: dict[str, Any], lines: int) -> str:
    """The seconds | lines/s | peak MB cells of one contender (or why it has none)."""
    if "failed" in result:
        return f"failed: `{result['failed'][:100]}` | — | {result['peak_mb']:.0f}"
    return f"{result['seconds']:.1f} | {_rate(lines, result['seconds'])} | {result['peak_mb']:.0f}"


def import_table(result: dict[str, Any]) -> str:
    n = result["lines"]
    siyu, again, pandas = result["siyu"], result["siyu_again"], result["pandas"]
    return "\n".join(
        [
            "| contender | what it does | seconds | order lines/s | peak RSS (MB) |",
            "|---|---|---:|---:|---:|",
            "| Siyu import (first run) | stream, validate, dedupe customers/orders/lines, encrypt phones, "
            f"report bad rows; 4 tables + indexes | {_figures(siyu, n)} |",
            "| Siyu re-import (same file) | same checks; adds nothing "
            f"({again.get('lines_already_present', 0):,} lines already present) | {_figures(again, n)} |",
            "| pandas `read_csv` + `to_sql` | one text table, no validation, no dedupe "
            f"(read {pandas.get('read_seconds', 0):.1f} s) | {_figures(pandas, n)} |",
        ]
    )


def demo_table(result: dict[str, Any]) -> str:
    header = [
        "| customers | orders | order lines | events | seconds | customers/s | order lines/s | peak RSS (MB) "
        "| database (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    if "failed" in result:
        return "\n".join([*header, f"| {result['customers']:,} | failed: `{result['failed'][:100]}` |||||||"])
    s = result["seconds"]
    return "\n".join(
        [
            *header,
            f"| {result['customers']:,} | {result['orders']:,} | {result['lines']:,} | {result['events']:,} | {s:.1f} "
            f"| {_rate(result['customers'], s)} | {_rate(result['lines'], s)} | {result['peak_mb']:.0f} "
            f"| {result['db_mb']:.0f} |",
        ]
    )


def import_reading(result: dict[str, Any]) -> str:
    n = result["lines"]
    siyu, again, pandas = result["siyu"], result["siyu_again"], result["pandas"]
    if "failed" in siyu:
        return f"- Siyu's import failed in this run ({siyu['failed']}): no throughput figure."
    rate = n / siyu["seconds"]
    speed_met = rate >= IMPORT_GOAL_LINES_PER_S
    peak = max(siyu["peak_mb"], again["peak_mb"])
    memory_met = peak < MEMORY_GOAL_MB
    verdict = [
        f"- **Throughput goal (≥ {IMPORT_GOAL_LINES_PER_S:,} order lines/s into SQLite): "
        f"{'met' if speed_met else 'not met'}** — {rate:,.0f} lines/s"
        + ("." if speed_met else f", {IMPORT_GOAL_LINES_PER_S / rate:.1f}× short of the goal."),
        f"- **Memory goal (< {MEMORY_GOAL_MB} MB peak, whatever the file size): "
        f"{'met' if memory_met else 'not met'}** — {peak:.0f} MB peak on a {result['file_mb']:.0f} MB file.",
    ]
    if "failed" in again:
        verdict.append(f"- The re-import failed in this run: `{again['failed']}`.")
    else:
        verdict.append(
            f"- Re-importing the same file took {again['seconds']:.1f} s and added {again['lines_added']:,} lines "
            "(idempotent, as the spec requires)."
        )
    if "failed" not in pandas:
        verdict.append(
            f"- pandas took {pandas['seconds']:.1f} s and {pandas['peak_mb']:.0f} MB: it holds the whole file in "
            "memory (its peak grows with the file) and writes one untyped text table — no customer or order "
            "records, no dedupe, no bad-row report, no phone encryption; running it twice duplicates everything."
        )
    verdict.append(
        f"- Siyu reported {siyu['problems']:,} bad rows (row, column, reason) and created "
        f"{siyu['orders_added']:,} orders and {siyu['customers_added']:,} customers."
    )
    return "\n".join(verdict)


def run_points() -> str:
    """Points earn/spend transactions per second: 16 client processes on PostgreSQL, 1 on SQLite."""
    from bench import loyalty

    rows = [loyalty.run("postgresql", loyalty.PG_URL, n, 1_000, 4_000 // n) for n in (1, 4, 16)]
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(loyalty.run("sqlite", f"sqlite:///{Path(tmp) / 'loyalty.db'}", 1, 1_000, 2_000))
    return loyalty.table(rows)


def run_coupons() -> str:
    """Coupon claims per second under contention, zero oversell asserted."""
    from bench import promotions

    return promotions.measure(clients=(1, 4, 16))


def loyalty_sections(results: dict[str, Any]) -> list[str]:
    parts = ["## 5. Points ledger (earn / spend transactions)", ""]
    points = results.get("points")
    if points:
        parts += [
            f"Command: `{points['command']}` ({points['when']}); the same as `.venv/bin/python -m bench.loyalty`.",
            "",
            "1,000 members; each transaction one request through the services the API calls (`adjust_points` "
            "to earn, `spend_points` to spend), with its own idempotency key, under the member's row lock, in "
            "its own write transaction. PostgreSQL: 1, 4 and 16 client processes, 4,000 transactions in all; "
            "SQLite: 1 client × 2,000. "
            "Afterwards every member is checked: ledger sum == cached balance == open lots, debt == Σ debt "
            "changes, no negative balance.",
            "",
            points["table"],
            "",
            "#### Reading",
            "",
            "- **Goal (≥ 2,000 tx/s with 16 clients on PostgreSQL): not met.** The best figure is with 4 clients; 16 "
            "client processes and their 16 server backends oversubscribe the 2 cores, and throughput falls back.",
            "- Where the time goes (cProfile and a statement timer, one client): ~10 ms a transaction, ~13 round "
            "trips (pool ping, BEGIN, lock the member, programme settings, idempotency key, lots due to expire, "
            "open lots, ledger line, cached balance, lot(s), audit row, COMMIT); about half is Python (SQLAlchemy "
            "ORM, psycopg), half PostgreSQL. 2,000 tx/s on 2 cores leaves 1 ms of CPU per transaction for client "
            "and server together: out of reach for one ORM request per transaction.",
            "- What would reach it: several ledger changes per transaction (the order sync already awards a whole "
            "import's orders in one), a Core-SQL write path of ~6 statements, or cores to spare. Not done: the "
            "gain would cost the single, readable write path that the invariants are proved on.",
            "- The invariants held after every run (and after 100 threads × 10,000 requests in the test suite); no "
            "deadlock or serialization failure was seen: locks are always taken member → item → template.",
            "",
        ]
    else:
        parts += ["Not run yet.", ""]
    parts += ["## 6. Coupon claims under contention", ""]
    coupons = results.get("coupons")
    if coupons:
        parts += [
            f"Command: `{coupons['command']}` ({coupons['when']}); the same as `.venv/bin/python -m bench.promotions`.",
            "",
            "One template, one attempt per customer, stock 5/6 of the attempts; PostgreSQL: 1, 4 and 16 client "
            "processes (a fresh template each), SQLite: 1 client. At the end: claimed_count == coupon rows == "
            "claims ≤ stock, nobody holds two.",
            "",
            coupons["table"],
            "",
            "#### Reading",
            "",
            "- Zero oversell and nobody holding two in every run. A claim writes the coupon and its audit row "
            "first and takes the stock last, so the one row every claim of a popular template needs is locked only "
            "from that UPDATE to the commit; what limits the rate here is CPU (16 clients on 2 cores), not that "
            "row. SQLite has one writer: its figure is one client's.",
            "",
        ]
    else:
        parts += ["Not run yet.", ""]
    return parts


def splice_loyalty_sections(doc: str, sections: list[str]) -> str:
    """``doc`` with sections 5–6 replaced by ``sections`` (inserted before the notes when missing)."""
    notes = doc.find("\n## Notes")
    start = doc.find("## 5. Points ledger")
    if start == -1:
        start = notes + 1 if notes != -1 else len(doc)
    end = notes + 1 if notes != -1 and notes + 1 >= start else len(doc)
    return doc[:start] + "\n".join(sections) + "\n" + doc[end:]


def render_doc(results: dict[str, Any]) -> str:
    info = results.get("machine") or machine()
    parts = [
        "# Benchmarks",
        "",
        "Generated by `bench/run.py` (run `make bench`, or `.venv/bin/python -m bench.run --lines 1000000`;",
        "`--only import|demo|rfm|audience|segments|points|coupons|enqueue|sending` runs some of the sections below).",
        "Each contender runs in its own process; *peak RSS* is that process's maximum resident memory",
        "as the kernel reports it (`os.wait4` → `ru_maxrss`). Figures are from one run on the machine",
        "below; expect ±10% between runs.",
        "",
        "## Machine",
        "",
        f"- CPU: {info['cpu']}",
        f"- RAM: {info['ram']}",
        f"- OS: {info['os']}",
        f"- Python {info['python']}, SQLite {info['sqlite']} (WAL, synchronous=NORMAL)",
        f"- Files: {info['disk']}",
        "",
    ]
    imp = results.get("import")
    parts += ["## 1. Import of a JD order export", ""]
    if imp:
        parts += [
            f"Command: `{imp['command']}`",
            "",
            f"Input: a synthetic JD back-office order export, GB18030 CSV, {imp['lines']:,} order lines "
            f"(~3 per order), {imp['file_mb']:.0f} MB, 21 columns, 18-digit order numbers written with a "
            "leading tab, masked phones, ~1% bad rows (unreadable time or unknown status). The file is "
            "generated once by `bench/jd_export_file.py` and cached in `bench/data/`.",
            "",
            import_table(imp),
            "",
            f"Siyu's database after the import: {imp['siyu_db_mb']:.0f} MB (with its indexes).",
            "",
            "### Reading",
            "",
            import_reading(imp),
            "",
        ]
    else:
        parts += ["Not run yet.", ""]
    runs = sorted(results.get("demo_runs", {}).values(), key=lambda r: r["customers"])
    parts += ["## 2. Demo shop generation", ""]
    if runs:
        parts += [
            "`siyu demo`'s generator (`siyu.customers.demo.write_demo_data`) into a fresh SQLite database: "
            "numpy generation in chunks of 20,000 customers, written with driver-level executemany, one "
            "transaction per chunk, phones encrypted (AES-GCM) and hashed as the importer does.",
            "",
        ]
        for run in runs:
            parts += [f"Command: `{run['command']}`", "", demo_table(run), ""]
    else:
        parts += ["Not run yet.", ""]
    parts += segments.render_sections(results)
    parts += loyalty_sections(results)
    parts += sending.render_sections(results)
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        parts += [notes.read_text().strip(), ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines in the import file")
    parser.add_argument(
        "--only",
        choices=("import", "demo", "rfm", "audience", "segments", "points", "coupons", "enqueue", "sending", "groups"),
        help="run one benchmark only (segments = rfm and audience, sharing one PostgreSQL load)",
    )
    parser.add_argument("--demo-customers", type=int, default=100_000, help="customers for the demo benchmark")
    parser.add_argument(
        "--rfm-customers", type=int, default=1_000_000, help="customers of the demo shop for RFM and audience counts"
    )
    parser.add_argument(
        "--pg-customers",
        type=int,
        help="customers loaded into PostgreSQL for the same benchmarks (default: --rfm-customers; 0 skips PostgreSQL)",
    )
    parser.add_argument("--enqueue-recipients", type=int, default=1_000_000, help="recipients of the enqueue run")
    parser.add_argument("--sending-messages", type=int, default=20_000, help="messages per sending run")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _run_worker(args)
        return

    DATA.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["machine"] = machine()
    command = ".venv/bin/python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    tables = []
    if args.only in (None, "import"):
        imp = run_import(args.lines)
        imp["command"] = command.strip()
        results["import"] = imp
        tables.append(f"### Import ({args.lines:,} order lines)\n\n{import_table(imp)}\n\n{import_reading(imp)}")
    if args.only in (None, "demo"):
        demo = run_demo(args.demo_customers)
        demo["command"] = command.strip()
        # one entry per size: the default 100k run and, e.g., a 1M-customer run live side by side
        results.setdefault("demo_runs", {})[str(args.demo_customers)] = demo
        tables.append(f"### Demo generation ({args.demo_customers:,} customers)\n\n{demo_table(demo)}")
    parts = tuple(p for p in ("rfm", "audience") if args.only in (None, "segments", p))
    if parts:
        pg_customers = args.rfm_customers if args.pg_customers is None else args.pg_customers
        found = segments.run(_in_child, customers=args.rfm_customers, pg_customers=pg_customers, parts=parts)
        for part, result in found.items():
            result["command"] = command.strip()
            results.setdefault(f"{part}_runs", {})[str(args.rfm_customers)] = result
        if "rfm" in found:
            rfm = found["rfm"]
            tables.append(f"### RFM + 8 segments\n\n{segments.rfm_table(rfm)}\n\n{segments.rfm_reading(rfm)}")
        if "audience" in found:
            audience = found["audience"]
            tables.append(
                f"### Audience count\n\n{segments.audience_table(audience)}\n\n{segments.audience_reading(audience)}"
            )
    if args.only in (None, "points"):
        results["points"] = {
            "command": command.strip(),
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "table": run_points(),
        }
        tables.append(f"### Points ledger\n\n{results['points']['table']}")
    if args.only in (None, "coupons"):
        results["coupons"] = {
            "command": command.strip(),
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "table": run_coupons(),
        }
        tables.append(f"### Coupon claims\n\n{results['coupons']['table']}")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if args.only in (None, "enqueue"):
        for name, value in sending.TEST_KEYS.items():
            os.environ.setdefault(name, value)
        rows = sending.run_enqueue(args.enqueue_recipients)
        results["enqueue"] = {"command": command.strip(), "when": when, "rows": rows, "notes": sending.ENQUEUE_NOTES}
        tables.append(f"### Campaign enqueue\n\n{sending.enqueue_table(rows)}")
    if args.only in (None, "sending"):
        for name, value in sending.TEST_KEYS.items():
            os.environ.setdefault(name, value)
        rows = sending.run_sending(args.sending_messages)
        results["sending"] = {"command": command.strip(), "when": when, "rows": rows, "notes": sending.SENDING_NOTES}
        tables.append(f"### Sending throughput\n\n{sending.sending_table(rows)}")
    if args.only in (None, "groups"):
        from bench import groups

        for name, value in sending.TEST_KEYS.items():
            os.environ.setdefault(name, value)
        rows = groups.measure(clients=(1, 4, 16))
        results["groups"] = {"command": command.strip(), "when": when, "rows": rows, "table": groups.table(rows)}
        tables.append(f"### Group joins\n\n{groups.table(rows)}")
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print()
    print("\n\n".join(tables))
    if not args.no_doc and args.only != "groups":  # the group joins have no section in the doc yet
        DOC.parent.mkdir(parents=True, exist_ok=True)
        if args.only in ("points", "coupons") and DOC.exists():
            # results.json is local to a machine: rewrite only these sections, keep the others' figures
            DOC.write_text(splice_loyalty_sections(DOC.read_text(), loyalty_sections(results)))
        elif args.only == "enqueue" and DOC.exists():
            DOC.write_text(
                sending.splice_section(
                    DOC.read_text(), sending.ENQUEUE_TITLE, sending.enqueue_section(results["enqueue"])
                )
            )
        elif args.only == "sending" and DOC.exists():
            DOC.write_text(
                sending.splice_section(
                    DOC.read_text(), sending.SENDING_TITLE, sending.sending_section(results["sending"])
                )
            )
        else:
            DOC.write_text(render_doc(results))
        print(f"\nwritten to {DOC.relative_to(ROOT)}")
    shutil.rmtree(DATA / "siyu-data", ignore_errors=True)


if __name__ == "__main__":
    main()
