"""Import of JD order exports (SPEC §1): streamed, idempotent, all-or-nothing per file.

A file is imported in ONE database transaction, written in chunks: a broken file or an interrupted
import changes nothing, and re-running it is always safe. Rows with bad values are reported (row,
column, reason) and skipped; good rows are kept. Re-importing adds nothing: orders are keyed by
(shop, order number) and lines by (order, SKU).
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor, record
from siyu.config import get_settings
from siyu.core.errors import DomainError, NotFound
from siyu.core.phones import PhoneVault, analyse
from siyu.customers.errors import FileTooLarge, ImportAlreadyRunning, NotAnOrderExportFile, UnreadableFile
from siyu.customers.jd_export import ExportLayout, NotAnOrderExport, OrderLineRecord, RowParser, RowProblem
from siyu.customers.models import ImportJob, ImportProblem
from siyu.customers.tabular import open_table
from siyu.db import DriverSQL, transaction, utcnow
from siyu.segments.engine import bump_data_version
from siyu.shops.models import Shop

CHUNK_ROWS = 5_000
CUSTOMER_CACHE_LIMIT = 500_000
MAX_STORED_PROBLEMS = 1_000
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """A snapshot of a running import, for progress bars and the console's poll."""

    job_id: int
    stage: str = "queued"  # queued | reading | done | failed
    rows_read: int = 0
    bytes_read: int = 0
    total_bytes: int = 0
    lines_added: int = 0
    problem_count: int = 0

    @property
    def fraction(self) -> float:
        if self.stage == "done":
            return 1.0
        return self.bytes_read / self.total_bytes if self.total_bytes else 0.0


class ProgressBoard:
    """In-process board of running imports (the import's own transaction is not visible to others)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, ImportProgress] = {}

    def put(self, progress: ImportProgress) -> None:
        with self._lock:
            self._items[progress.job_id] = progress

    def get(self, job_id: int) -> ImportProgress | None:
        with self._lock:
            return self._items.get(job_id)

    def claim(self, job_id: int) -> bool:
        with self._lock:
            current = self._items.get(job_id)
            if current is not None and current.stage == "reading":
                return False
            self._items[job_id] = ImportProgress(job_id, stage="reading")
            return True


PROGRESS = ProgressBoard()


@dataclass
class _Tally:
    rows_read: int = 0
    lines_added: int = 0
    lines_already_present: int = 0
    orders_added: int = 0
    customers_added: int = 0
    problem_count: int = 0
    stored_problems: int = 0
    customer_ids: dict[str, int] = field(default_factory=dict)
    skus: set[str] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)


def save_upload(
    stream: BinaryIO, filename: str, *, upload_dir: Path | None = None, limit_mb: int | None = None
) -> tuple[Path, int, str]:
    """Copy an upload to the data folder in chunks, enforcing the size limit; returns (path, size, sha256)."""
    settings = get_settings()
    folder = upload_dir or settings.upload_dir
    limit = (limit_mb or settings.max_upload_mb) * 1024 * 1024
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(filename).suffix.lower()[:8]
    target = folder / f"{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    size = 0
    chunks: Iterator[bytes] = iter(lambda: stream.read(1024 * 1024), b"")
    try:
        with open(target, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise FileTooLarge(limit // (1024 * 1024))
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target, size, digest.hexdigest()


def register_local_file(factory: sessionmaker[Session], *, actor: Actor, path: Path) -> int:
    """For the CLI and batch jobs: keep a copy of a local file with a new import job; returns its id.

    The copy means a re-run reads the same bytes even if the original changes or disappears.
    """
    if not path.is_file():
        raise UnreadableFile(f"找不到文件：{path}", f"no such file: {path}")
    with open(path, "rb") as handle:
        stored, size, sha = save_upload(handle, path.name)
    with transaction(factory, write=True) as session:
        job = create_order_import(session, actor=actor, filename=path.name, stored_path=stored, size=size, sha256=sha)
        return job.id


def create_order_import(
    session: Session, *, actor: Actor, filename: str, stored_path: Path, size: int, sha256: str
) -> ImportJob:
    """Register an import of an order export; it runs with :func:`run_order_import`."""
    job = ImportJob(
        shop_id=actor.shop_id,
        kind="orders",
        filename=Path(filename).name[:255],
        stored_path=str(stored_path),
        size_bytes=size,
        sha256=sha256,
        status="queued",
        created_by=actor.label,
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    record(session, actor, "import.create", "import_job", job.id, after={"filename": job.filename, "bytes": size})
    return job


def get_import(session: Session, *, shop_id: int, job_id: int) -> ImportJob:
    job = session.get(ImportJob, job_id)
    if job is None or job.shop_id != shop_id:
        raise NotFound("导入任务", "import")
    return job


def run_order_import(
    factory: sessionmaker[Session], *, job_id: int, on_progress: Callable[[ImportProgress], None] | None = None
) -> ImportJob:
    """Run one import to its end (done or failed). Safe to call again for a failed or interrupted job."""
    if not PROGRESS.claim(job_id):
        raise ImportAlreadyRunning()
    with transaction(factory, write=True) as session:
        job = session.get(ImportJob, job_id)
        if job is None:
            raise NotFound("导入任务", "import")
        if job.status == "done":
            PROGRESS.put(_final_progress(job))
            return job
        shop = session.get(Shop, job.shop_id)
        assert shop is not None
        zone = ZoneInfo(shop.timezone)
        path = Path(job.stored_path)
        shop_id, filename = job.shop_id, job.filename
        job.status, job.started_at = "running", utcnow()

    def report(progress: ImportProgress) -> None:
        PROGRESS.put(progress)
        if on_progress is not None:
            on_progress(progress)

    try:
        with transaction(factory, write=True) as session:
            tally = _import_file(session, shop_id=shop_id, job_id=job_id, path=path, zone=zone, report=report)
            job = session.get_one(ImportJob, job_id)
            job.status = "done"
            job.rows_read = tally.rows_read
            job.lines_added = tally.lines_added
            job.lines_already_present = tally.lines_already_present
            job.orders_added = tally.orders_added
            job.customers_added = tally.customers_added
            job.problem_count = tally.problem_count
            job.encoding = tally.extra.get("encoding", "")
            job.error_code = job.error_zh = job.error_en = ""
            job.finished_at = utcnow()
            if tally.lines_added or tally.customers_added:
                bump_data_version(session, shop_id)
            record(
                session,
                Actor(shop_id, "system", None, "import"),
                "import.finish",
                "import_job",
                job_id,
                after={
                    "file": filename,
                    "lines_added": tally.lines_added,
                    "orders_added": tally.orders_added,
                    "problems": tally.problem_count,
                },
            )
    except NotAnOrderExport as exc:
        return _fail(factory, job_id, NotAnOrderExportFile(exc.zh, exc.en))
    except DomainError as exc:
        return _fail(factory, job_id, exc)
    except BaseException as exc:
        _fail(
            factory,
            job_id,
            DomainError(
                "导入中断，未写入任何数据，可重新运行",
                f"import interrupted, nothing was written; run it again ({type(exc).__name__})",
                code="interrupted",
            ),
        )
        raise
    PROGRESS.put(_final_progress(job))
    if on_progress is not None:
        on_progress(_final_progress(job))
    if job.lines_added or job.lines_already_present:
        _sync_member_points(factory, shop_id)
    return job


def _sync_member_points(factory: sessionmaker[Session], shop_id: int) -> None:
    """After an import: points for members' new paid orders, and back from orders now refunded (its own
    transaction; the import has committed already, and a failure here is audited, never lost: the same
    sync runs again from the console, the API or `siyu loyalty sync-orders`)."""
    from siyu.loyalty import services as loyalty
    from siyu.loyalty.models import Member

    actor = Actor(shop_id, "system", None, "import")
    with transaction(factory) as session:
        has_members = session.scalar(select(Member.id).where(Member.shop_id == shop_id).limit(1)) is not None
    if not has_members:
        return
    try:
        with transaction(factory, write=True) as session:
            loyalty.sync_order_points(session, by=actor)
    except DomainError as exc:
        with transaction(factory, write=True) as session:
            record(session, actor, "points.sync_failed", "shop", shop_id, after={"code": exc.code, "reason": exc.en})


def _final_progress(job: ImportJob) -> ImportProgress:
    return ImportProgress(
        job.id,
        stage=job.status,
        rows_read=job.rows_read,
        bytes_read=job.size_bytes,
        total_bytes=job.size_bytes,
        lines_added=job.lines_added,
        problem_count=job.problem_count,
    )


def _fail(factory: sessionmaker[Session], job_id: int, error: DomainError) -> ImportJob:
    with transaction(factory, write=True) as session:
        job = session.get_one(ImportJob, job_id)
        job.status = "failed"
        job.error_code, job.error_zh, job.error_en = error.code, error.zh, error.en
        job.finished_at = utcnow()
        record(
            session,
            Actor(job.shop_id, "system", None, "import"),
            "import.fail",
            "import_job",
            job_id,
            after={"code": error.code, "reason": error.en},
        )
    PROGRESS.put(replace(_final_progress(job), stage="failed"))
    return job


@dataclass(frozen=True, slots=True)
class _ParsedChunk:
    records: list[OrderLineRecord]
    problems: list[RowProblem]
    rows: int
    bad_rows: int
    bytes_read: int


def _parse_chunks(
    rows: Iterator[tuple[int, list[object]]], parser: RowParser, source_bytes: Callable[[], int]
) -> Iterator[_ParsedChunk]:
    while True:
        batch = list(islice(rows, CHUNK_ROWS))
        if not batch:
            return
        records: list[OrderLineRecord] = []
        problems: list[RowProblem] = []
        counted = bad = 0
        for row_no, cells in batch:
            if not any(c not in (None, "") for c in cells):
                continue
            counted += 1
            parsed = parser.parse(row_no, cells)
            if isinstance(parsed, list):
                problems.extend(parsed)
                bad += 1
            else:
                records.append(parsed)
        yield _ParsedChunk(records, problems, counted, bad, source_bytes())


def _import_file(
    session: Session, *, shop_id: int, job_id: int, path: Path, zone: ZoneInfo, report: Callable[[ImportProgress], None]
) -> _Tally:
    source = open_table(path)
    tally = _Tally(extra={"encoding": source.encoding})
    rows = source.rows()
    layout = _find_header(rows)
    parser = RowParser(layout, zone)
    settings = get_settings()
    vault = PhoneVault(settings.phone_key, settings.phone_hash_salt)
    # a write first: on SQLite the import takes the write lock now rather than failing to upgrade later
    session.execute(delete(ImportProblem).where(ImportProblem.job_id == job_id))
    bytes_read = 0

    def progress() -> ImportProgress:
        return ImportProgress(
            job_id, "reading", tally.rows_read, bytes_read, source.total_bytes, tally.lines_added, tally.problem_count
        )

    report(progress())
    for chunk in _parse_chunks(rows, parser, source.bytes_read):
        tally.rows_read += chunk.rows
        tally.problem_count += chunk.bad_rows
        _store_problems(session, shop_id, job_id, chunk.problems, tally)
        _write_chunk(session, shop_id, chunk.records, vault, tally)
        bytes_read = chunk.bytes_read
        report(progress())
    return tally


def _find_header(rows: Iterator[tuple[int, list[object]]]) -> ExportLayout:
    first_cells: list[str] | None = None
    for _ in range(HEADER_SEARCH_ROWS):
        try:
            _row_no, cells = next(rows)
        except StopIteration:
            break
        texts = ["" if c is None else str(c) for c in cells]
        if not any(t.strip() for t in texts):
            continue
        if first_cells is None:
            first_cells = texts
        if ExportLayout.looks_like_header(texts):
            return ExportLayout.from_header(texts)
    return ExportLayout.from_header(first_cells or [])


def _store_problems(session: Session, shop_id: int, job_id: int, problems: list[RowProblem], tally: _Tally) -> None:
    room = MAX_STORED_PROBLEMS - tally.stored_problems
    if room <= 0 or not problems:
        return
    kept = problems[:room]
    session.execute(
        insert(ImportProblem),
        [
            {
                "shop_id": shop_id,
                "job_id": job_id,
                "row_no": p.row_no,
                "column": p.column,
                "value": p.value,
                "reason_zh": p.reason_zh,
                "reason_en": p.reason_en,
            }
            for p in kept
        ],
    )
    tally.stored_problems += len(kept)


def _ids_by_key(sql: DriverSQL, table: str, key: str, shop_id: int, keys: list[str]) -> dict[str, int]:
    rows = sql.select_in(f"SELECT {key}, id FROM {table} WHERE shop_id = {sql.ph} AND {key}", (shop_id,), keys)
    return {k: i for k, i in rows}


def _write_chunk(
    session: Session, shop_id: int, records: list[OrderLineRecord], vault: PhoneVault, tally: _Tally
) -> None:
    """Write one chunk with set-based statements: look up keys, insert only what is new."""
    if not records:
        return
    sql = DriverSQL(session)
    now = sql.time_value(utcnow())
    by_account: dict[str, OrderLineRecord] = {}
    by_order: dict[str, OrderLineRecord] = {}
    products: dict[str, OrderLineRecord] = {}
    for rec in records:
        by_account.setdefault(rec.account, rec)  # the first row of an account carries its profile
        by_order.setdefault(rec.order_no, rec)
        products.setdefault(rec.sku, rec)

    # buyers recur across chunks: remember their ids for the whole file (bounded)
    known = tally.customer_ids
    if len(known) > CUSTOMER_CACHE_LIMIT:
        known.clear()
    customer_ids = {a: known[a] for a in by_account if a in known}
    missing = [a for a in by_account if a not in customer_ids]
    if missing:
        customer_ids.update(_ids_by_key(sql, "customers", "account", shop_id, missing))
    new_customers = []
    for account, rec in by_account.items():
        if account in customer_ids:
            continue
        facts = analyse(rec.phone) if rec.phone else None
        new_customers.append(
            (
                shop_id,
                account,
                rec.customer_name,
                "",
                rec.province,
                rec.city,
                vault.encrypt(facts.given) if facts else None,
                facts.masked if facts else "",
                facts.tail if facts else "",
                vault.match_hash(facts.full_mobile) if facts and facts.full_mobile else None,
                "jd_order",
                False,
                False,
                now,
            )
        )
    if new_customers:
        tally.customers_added += sql.insert_ignore("customers", CUSTOMER_COLUMNS, new_customers)
        customer_ids.update(_ids_by_key(sql, "customers", "account", shop_id, [c[1] for c in new_customers]))
    known.update(customer_ids)

    new_skus = [sku for sku in products if sku not in tally.skus]
    sql.insert_ignore(
        "products",
        ("shop_id", "sku", "name", "category", "price_fen"),
        [(shop_id, sku, products[sku].product_name, "", products[sku].unit_price_fen) for sku in new_skus],
    )
    tally.skus.update(new_skus)

    order_ids = _ids_by_key(sql, "orders", "order_no", shop_id, list(by_order))
    existing_orders = list(order_ids.values())  # only these can already have lines
    new_orders = [
        (
            shop_id,
            no,
            customer_ids[rec.account],
            rec.status,
            rec.is_paid,
            sql.time_value(rec.ordered_at),
            rec.channel,
            rec.order_amount_fen,
            rec.paid_amount_fen,
        )
        for no, rec in by_order.items()
        if no not in order_ids
    ]
    if new_orders:
        tally.orders_added += sql.insert_ignore("orders", ORDER_COLUMNS, new_orders)
        order_ids.update(_ids_by_key(sql, "orders", "order_no", shop_id, [o[1] for o in new_orders]))

    known_lines = set(sql.select_in("SELECT order_id, sku FROM order_lines WHERE order_id", (), existing_orders))
    new_lines = []
    for rec in records:
        key = (order_ids[rec.order_no], rec.sku)
        if key in known_lines:
            tally.lines_already_present += 1
            continue
        known_lines.add(key)
        new_lines.append((shop_id, key[0], rec.sku, rec.product_name, rec.quantity, rec.unit_price_fen))
    # counted by what the database really inserted: a concurrent import of the same file may have won
    added = sql.insert_ignore("order_lines", LINE_COLUMNS, new_lines)
    tally.lines_added += added
    tally.lines_already_present += len(new_lines) - added


CUSTOMER_COLUMNS = (
    "shop_id",
    "account",
    "name",
    "gender",
    "province",
    "city",
    "phone_cipher",
    "phone_masked",
    "phone_tail",
    "phone_hash",
    "source_channel",
    "follows_shop",
    "is_member",
    "created_at",
)
ORDER_COLUMNS = (
    "shop_id",
    "order_no",
    "customer_id",
    "status",
    "is_paid",
    "ordered_at",
    "channel",
    "total_fen",
    "paid_fen",
)
LINE_COLUMNS = ("shop_id", "order_id", "sku", "product_name", "quantity", "unit_price_fen")


def remove_stored_file(job: ImportJob) -> None:
    path = Path(job.stored_path)
    if path.exists():
        path.unlink()


__all__ = [
    "PROGRESS",
    "ImportProgress",
    "create_order_import",
    "get_import",
    "register_local_file",
    "remove_stored_file",
    "run_order_import",
    "save_upload",
]
