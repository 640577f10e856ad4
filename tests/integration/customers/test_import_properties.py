"""Hypothesis: whatever mix of good, bad and repeated rows a file holds, the import keeps exactly the
good (order, SKU) pairs once, reports every bad row, and a second import adds nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.customers.models import Order, OrderLine
from siyu.db import transaction
from tests.factories.imports import import_file
from tests.factories.jd_files import line, write_csv
from tests.factories.shops import make_shop

good_row = st.builds(
    lambda order, sku, qty, fen, status, account: line(
        order_no=f"3{order:017d}",
        sku=f"1000{sku:04d}",
        qty=str(qty),
        paid=f"{fen // 100}.{fen % 100:02d}",
        status=status,
        account=f"jd_{account}",
    ),
    order=st.integers(1, 12),
    sku=st.integers(1, 4),
    qty=st.integers(1, 5),
    fen=st.integers(0, 10**7),
    status=st.sampled_from(["完成", "等待确认收货", "等待出库", "已取消", "删除"]),
    account=st.integers(1, 5),
)
BAD_ROWS = [
    line(at="someday"),
    line(status="未知"),
    line(qty="0"),
    line(paid="12.345"),
    line(account=""),
    line(order_no=""),
    line(sku="1.2E+17"),
]
bad_row = st.sampled_from(BAD_ROWS)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.one_of(good_row, good_row, bad_row), min_size=1, max_size=40))
def test_import_keeps_each_good_line_once_and_reports_each_bad_row(
    sessions: sessionmaker[Session], rows: list[list[str]]
) -> None:
    with transaction(sessions) as session:
        shop_id = make_shop(session).shop.id
    bad = sum(1 for r in rows if r in BAD_ROWS)
    good_pairs = {(r[0], r[1]) for r in rows if r not in BAD_ROWS}
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder) / "o.csv", rows)
        first = import_file(sessions, shop_id, path)
        second = import_file(sessions, shop_id, path)
    assert first.status == "done" and first.problem_count == bad
    assert first.lines_added == len(good_pairs)
    assert first.lines_added + first.lines_already_present == len(rows) - bad
    assert (second.lines_added, second.orders_added, second.customers_added) == (0, 0, 0)
    with transaction(sessions) as session:
        stored = session.execute(
            select(Order.order_no, OrderLine.sku)
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.shop_id == shop_id)
        ).all()
        orders = session.scalar(select(func.count()).select_from(Order).where(Order.shop_id == shop_id))
    assert {(o, s) for o, s in stored} == good_pairs and len(stored) == len(good_pairs)
    assert orders == len({o for o, _ in good_pairs})
