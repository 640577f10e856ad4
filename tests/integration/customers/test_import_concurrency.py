"""Concurrent imports never duplicate a line: real threads, real commits, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from siyu.customers.models import Customer, ImportJob, Order, OrderLine
from siyu.db import session_factory, transaction
from tests.factories.imports import import_file
from tests.factories.jd_files import rows_of, write_csv
from tests.factories.shops import make_shop


def test_the_same_file_imported_by_four_threads_at_once_lands_exactly_once(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    factory = session_factory(fresh_engine)
    with transaction(factory) as session:
        shop_id = make_shop(session).shop.id
    path = write_csv(tmp_path / "o.csv", rows_of(9_000, lines_per_order=3))
    jobs: list[ImportJob] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run() -> None:
        try:
            start.wait()
            jobs.append(import_file(factory, shop_id, path))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(j.status for j in jobs) == ["done"] * 4
    assert sum(j.lines_added for j in jobs) == 9_000
    assert sum(j.orders_added for j in jobs) == 3_000
    assert all(j.lines_added + j.lines_already_present == 9_000 for j in jobs)
    with transaction(factory) as session:
        lines = session.scalar(select(func.count()).select_from(OrderLine).where(OrderLine.shop_id == shop_id))
        orders = session.scalar(select(func.count()).select_from(Order).where(Order.shop_id == shop_id))
        customers = session.scalar(select(func.count()).select_from(Customer).where(Customer.shop_id == shop_id))
    assert (lines, orders) == (9_000, 3_000)
    assert customers == sum(j.customers_added for j in jobs) == 7
