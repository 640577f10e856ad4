"""Where segment queries run: DuckDB over the operational database (the embedded default), or directly
on PostgreSQL. The SQL is written once, in the dialect PostgreSQL and DuckDB share; table names are
placeholders (``{orders}``, ``{customers}`` …) and parameters are ``:name``.

DuckDB keeps a per-shop columnar copy of the few columns segments read, rebuilt when the shop's
``data_version`` changes (every service that changes orders, customers, events or tags bumps it), so
warm audience counts never rescan the row store. Beyond one machine the same SQL runs on Spark SQL
(see docs/architecture.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from siyu.config import get_settings
from siyu.shops.models import Shop

TABLES: dict[str, str] = {
    "orders": "SELECT id, shop_id, customer_id, ordered_at, is_paid, paid_fen, channel FROM {src}.orders",
    "order_lines": "SELECT order_id, shop_id, sku, quantity FROM {src}.order_lines",
    "products": "SELECT shop_id, sku, category FROM {src}.products",
    "customers": (
        "SELECT id, shop_id, account, name, gender, birthday, province, city, phone_masked, source_channel, "
        "follows_shop, is_member, member_since, created_at FROM {src}.customers"
    ),
    "customer_events": 'SELECT shop_id, customer_id, kind, "at" FROM {src}.customer_events',
    "customer_tags": "SELECT shop_id, tag_id, customer_id FROM {src}.customer_tags",
}
FACTS_KEPT = 6  # per copy: a few settings/minutes of facts and scored RFM (each is one row per customer)
_BIND = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


class SegmentEngine(Protocol):
    name: str

    def run(self, session: Session, shop_id: int, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]: ...


def render(sql: str, tables: dict[str, str]) -> str:
    return sql.format(**tables)


class PostgresEngine:
    """The SQL straight on PostgreSQL, inside the caller's transaction (sees its uncommitted rows)."""

    name = "postgresql"

    def run(self, session: Session, shop_id: int, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        rendered = render(sql, {t: t for t in TABLES})
        return [tuple(r) for r in session.execute(text(rendered), params)]


@dataclass
class _Copy:
    version: str
    schema: str
    tables: set[str] = field(default_factory=set)


class _DuckCore:
    """DuckDB reading the operational database through its sqlite / postgres extension (read-only)."""

    def __init__(self, url_text: str, pg_schema: str = "public", store: str | None = None) -> None:
        import duckdb

        self._lock = threading.Lock()
        self._copies: dict[int, _Copy] = {}
        self._facts: dict[str, list[str]] = {}
        url = make_url(url_text)
        config: dict[str, str | bool | int | float | list[str]] = {
            "extension_directory": _extension_dir(),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "threads": 2,
        }
        # The copies live in a DuckDB file beside the data when possible, so that a restarted process finds
        # them still valid (same shop, same data version) instead of copying again; in memory otherwise
        # (another process holds the file, or no place was given).
        con = None
        if store:
            try:
                Path(store).parent.mkdir(parents=True, exist_ok=True)
                con = duckdb.connect(store, config=config)
            except (duckdb.IOException, OSError):
                con = None
        self._con = con if con is not None else duckdb.connect(config=config)
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS siyu_copies (shop_id INTEGER PRIMARY KEY, version VARCHAR, "
            "schema_name VARCHAR, tables VARCHAR)"
        )
        for shop_id, version, schema, tables in self._con.execute("SELECT * FROM siyu_copies").fetchall():
            self._copies[int(shop_id)] = _Copy(str(version), str(schema), set(filter(None, str(tables).split(","))))
            for (leftover,) in self._con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? AND table_name LIKE 'facts_%'", [schema]
            ).fetchall():
                self._con.execute(f"DROP TABLE IF EXISTS {schema}.{leftover}")
        if url.get_backend_name() == "sqlite":
            self._con.execute("LOAD sqlite")
            path = Path(url.database or "").resolve()
            self._con.execute(f"ATTACH '{_quote(str(path))}' AS op (TYPE sqlite, READ_ONLY)")
            self._source = "op"
        else:
            self._con.execute("LOAD postgres")
            dsn = " ".join(
                f"{k}={_quote(str(v))}"
                for k, v in (
                    ("host", url.host),
                    ("port", url.port),
                    ("dbname", url.database),
                    ("user", url.username),
                    ("password", url.password),
                )
                if v
            )
            self._con.execute(f"ATTACH '{dsn}' AS op (TYPE postgres, READ_ONLY)")
            self._source = f"op.{pg_schema}"

    def close(self) -> None:
        self._con.close()

    def copy_for(self, shop_id: int, needed: set[str] | None = None) -> str:
        """The schema holding the shop's columnar copy, with at least the ``needed`` tables."""
        # The version is read from the same committed state the copy is made from, never through the caller's
        # session: a version bumped inside an uncommitted transaction must not label a copy without its data.
        # (created_at tells a re-created database apart from the one a stored copy was made from)
        found = (
            self._con.cursor()
            .execute(f"SELECT data_version, created_at FROM {self._source}.shops WHERE id = {int(shop_id)}")
            .fetchall()
        )
        version = f"{found[0][0]}@{found[0][1]}" if found else "0"
        number = found[0][0] if found else 0
        needed = set(TABLES) if needed is None else needed
        with self._lock:
            current = self._copies.get(shop_id)
            cursor = self._con.cursor()
            if current is None or current.version != version:
                if current is not None:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {current.schema} CASCADE")
                    self._facts.pop(current.schema, None)
                current = _Copy(
                    version, f"shop_{shop_id}_v{int(number)}_{hashlib.sha1(version.encode()).hexdigest()[:6]}"
                )
                cursor.execute(f"DROP SCHEMA IF EXISTS {current.schema} CASCADE")
                cursor.execute(f"CREATE SCHEMA {current.schema}")
                self._copies[shop_id] = current
            for table in sorted(needed - current.tables):  # copied on first use: RFM needs only orders
                query = TABLES[table].format(src=self._source)
                cursor.execute(
                    f"CREATE OR REPLACE TABLE {current.schema}.{table} AS {query} WHERE shop_id = {int(shop_id)}"
                )
                current.tables.add(table)
            cursor.execute(
                "INSERT OR REPLACE INTO siyu_copies VALUES (?, ?, ?, ?)",
                [shop_id, current.version, current.schema, ",".join(sorted(current.tables))],
            )
            return current.schema

    def materialized(self, shop_id: int, sql: str, params: dict[str, Any]) -> str:
        """Keep the result of ``sql`` as a table beside the shop's copy and return its name.

        Used for the per-customer facts that every audience count starts from: computing them once per
        data version, settings and minute makes the counts that follow (the builder's live count) cheap.
        """
        schema = self.copy_for(shop_id, _tables_in(sql))
        key = hashlib.sha1((sql + repr(sorted(params.items(), key=lambda kv: kv[0]))).encode()).hexdigest()[:16]
        name = f"{schema}.facts_{key}"
        with self._lock:
            kept = self._facts.setdefault(schema, [])
            if name in kept:
                return name
            rendered = render(sql, {t: f"{schema}.{t}" for t in TABLES})
            used = set(_BIND.findall(rendered))
            statement = "CREATE OR REPLACE TABLE " + name + " AS " + _BIND.sub(r"$\1", rendered)
            self._con.cursor().execute(statement, {k: v for k, v in params.items() if k in used})
            kept.append(name)
            while len(kept) > FACTS_KEPT:
                self._con.cursor().execute(f"DROP TABLE IF EXISTS {kept.pop(0)}")
            return name

    def run(self, shop_id: int, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        schema = self.copy_for(shop_id, _tables_in(sql))
        return self._execute(render(sql, {t: f"{schema}.{t}" for t in TABLES}), params)

    def _execute(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        used = set(_BIND.findall(sql))  # DuckDB refuses parameters the statement does not use
        rendered = _BIND.sub(r"$\1", sql)
        cursor = self._con.cursor()
        return [tuple(r) for r in cursor.execute(rendered, {k: v for k, v in params.items() if k in used}).fetchall()]

    def run_direct(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The SQL over the operational tables themselves (no copy): what a cold first query costs."""
        return self._execute(render(sql, {t: f"{self._source}.{t}" for t in TABLES}), params)


class SegmentEngineError(RuntimeError):
    """The analytics process failed a query (the message carries DuckDB's own)."""


def _serve(connection: Any, url_text: str, pg_schema: str, store: str | None) -> None:
    """The analytics process: one DuckDB, answering (method, args) requests until told to stop."""
    core = _DuckCore(url_text, pg_schema, store)
    while True:
        try:
            method, args = connection.recv()
        except EOFError:
            return
        if method == "close":
            core.close()
            connection.send(("ok", None))
            return
        try:
            connection.send(("ok", getattr(core, method)(*args)))
        except Exception as exc:  # sent back and raised in the caller
            connection.send(("err", f"{type(exc).__name__}: {exc}"))


class _ProcessCore:
    """A :class:`_DuckCore` in its own process.

    Two copies of the SQLite library in one process must never open the same database: POSIX locks
    are per process, so DuckDB's bundled SQLite closing the file would silently drop the locks of
    Python's sqlite3, and its clean-up of the WAL index crashes the other (SIGBUS, seen here). In a
    separate process DuckDB is just another SQLite reader, which WAL mode is made for.

    The process is started with "spawn": a script that calls segment services at import time must
    keep that code under ``if __name__ == "__main__":`` (the child imports the main module).
    """

    def __init__(self, url_text: str, pg_schema: str, store: str | None = None) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, url_text, pg_schema, store), daemon=True, name="siyu-analytics"
        )
        self._process.start()
        child.close()

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            if not self._process.is_alive():
                raise SegmentEngineError("the analytics process has stopped")
            self._pipe.send((method, args))
            status, value = self._pipe.recv()
        if status == "err":
            raise SegmentEngineError(value)
        return value

    def run(self, shop_id: int, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._call("run", shop_id, sql, params)
        return rows

    def materialized(self, shop_id: int, sql: str, params: dict[str, Any]) -> str:
        return str(self._call("materialized", shop_id, sql, params))

    def run_direct(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._call("run_direct", sql, params)
        return rows

    def close(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(SegmentEngineError, OSError, EOFError):
                self._call("close")
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
        self._pipe.close()


class DuckDBEngine:
    """The embedded analytics engine: DuckDB over the operational database (read-only).

    On SQLite it runs in a separate process (see :class:`_ProcessCore`); on PostgreSQL in-process.
    """

    name = "duckdb"

    def __init__(self, engine: Engine, pg_schema: str = "public") -> None:
        url_text = engine.url.render_as_string(hide_password=False)
        self._core: _DuckCore | _ProcessCore
        if engine.dialect.name == "sqlite":
            database = make_url(url_text).database or ""
            path = Path(database).resolve()
            url_text = make_url(url_text).set(database=str(path)).render_as_string(False)
            store = path.with_name(path.name + ".analytics.duckdb")  # beside the database it copies
            self._core = _ProcessCore(url_text, pg_schema, str(store))
        else:
            self._core = _DuckCore(url_text, pg_schema)

    def run(self, session: Session, shop_id: int, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return self._core.run(shop_id, sql, params)

    def materialized(self, session: Session, shop_id: int, sql: str, params: dict[str, Any]) -> str:
        """Keep the result of ``sql`` as a table beside the shop's copy (see _DuckCore.materialized)."""
        return self._core.materialized(shop_id, sql, params)

    def run_direct(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return self._core.run_direct(sql, params)

    def close(self) -> None:
        self._core.close()


def _tables_in(sql: str) -> set[str]:
    return {t for t in TABLES if "{" + t + "}" in sql}


def _quote(value: str) -> str:
    return value.replace("'", "''")


def _extension_dir() -> str:
    import duckdb_ext

    return str(Path(next(iter(duckdb_ext.__path__))) / "extensions")


_ENGINES: dict[str, SegmentEngine] = {}
_ENGINES_LOCK = threading.Lock()


def engine_for(session: Session, mode: str = "auto") -> SegmentEngine:
    """The segment engine for the session's database (one DuckDB per database per process)."""
    bind = session.get_bind()
    engine: Engine = bind if isinstance(bind, Engine) else bind.engine
    dialect = engine.dialect.name
    if mode == "auto":
        mode = get_settings().segment_engine
    if dialect == "sqlite":
        mode = "duckdb"  # SQLite itself is not a segment engine here
    if mode == "postgresql" or (mode == "auto" and dialect == "postgresql"):
        return PostgresEngine()
    schema = str(session.scalar(text("SELECT current_schema()"))) if dialect == "postgresql" else ""
    key = f"{engine.url.render_as_string(hide_password=False)}#{schema}"
    with _ENGINES_LOCK:
        found = _ENGINES.get(key)
        if found is None:
            found = DuckDBEngine(engine, pg_schema=schema or "public")
            _ENGINES[key] = found
        return found


def forget_engines() -> None:
    """Close cached DuckDB connections (tests and shutdown)."""
    with _ENGINES_LOCK:
        for found in _ENGINES.values():
            if isinstance(found, DuckDBEngine):
                found.close()
        _ENGINES.clear()


def bump_data_version(session: Session, shop_id: int) -> None:
    """Mark the shop's analytics data as changed (call in the same transaction as the change)."""
    session.execute(text("UPDATE shops SET data_version = data_version + 1 WHERE id = :id"), {"id": shop_id})


def rows_as_dicts(columns: Sequence[str], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, r, strict=True)) for r in rows]


__all__ = ["DuckDBEngine", "PostgresEngine", "SegmentEngine", "Shop", "bump_data_version", "engine_for"]
