"""SPEC §1 import rules against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.config import get_settings
from siyu.core.phones import PhoneVault
from siyu.customers import queries
from siyu.customers.models import Customer, Order, OrderLine, Product
from tests.factories.imports import import_file
from tests.factories.jd_files import HEADERS, line, rows_of, write_csv, write_xlsx
from tests.factories.shops import make_shop


@pytest.fixture
def shop_id(db: Session) -> int:
    return make_shop(db).shop.id


def counts(db: Session, shop_id: int) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.scalar(select(func.count()).select_from(model).where(model.shop_id == shop_id)) or 0
        for model in (Customer, Order, OrderLine)
    )


def test_a_gbk_export_is_imported_with_orders_lines_customers_and_products(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "订单.csv", rows_of(10, lines_per_order=2), encoding="gbk")
    job = import_file(sessions, shop_id, path)
    assert (job.status, job.encoding, job.rows_read, job.lines_added, job.orders_added) == (
        "done",
        "gb18030",
        10,
        10,
        5,
    )
    assert counts(db, shop_id) == (job.customers_added, 5, 10)
    assert db.scalar(select(func.count()).select_from(Product).where(Product.shop_id == shop_id)) == 2


def test_a_utf8_export_with_bom_is_imported(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "o.csv", rows_of(4), encoding="utf-8-sig")
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    job = import_file(sessions, shop_id, path)
    assert (job.status, job.lines_added) == ("done", 4)


def test_an_xlsx_export_is_imported_with_ids_as_text(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "o.xlsx", [line(order_no="312345678901234567"), line(order_no="312345678901234568")])
    job = import_file(sessions, shop_id, path)
    assert (job.status, job.lines_added) == ("done", 2)
    numbers = set(db.scalars(select(Order.order_no).where(Order.shop_id == shop_id)))
    assert numbers == {"312345678901234567", "312345678901234568"}


def test_an_18_digit_order_number_survives_the_round_trip_exactly(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    import_file(sessions, shop_id, write_csv(tmp_path / "o.csv", [line(order_no="399999999999999999")]))
    assert db.scalar(select(Order.order_no).where(Order.shop_id == shop_id)) == "399999999999999999"


def test_reimporting_the_same_file_adds_nothing(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "o.csv", rows_of(12, lines_per_order=3))
    first = import_file(sessions, shop_id, path)
    before = counts(db, shop_id)
    second = import_file(sessions, shop_id, path)
    assert (first.lines_added, second.lines_added, second.lines_already_present) == (12, 0, 12)
    assert (second.orders_added, second.customers_added) == (0, 0)
    assert counts(db, shop_id) == before


def test_bad_rows_are_reported_with_row_column_and_reason_and_good_rows_are_kept(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    rows = [
        line(order_no="300000000000000001"),
        line(order_no="300000000000000002", at="not a time"),
        line(order_no="300000000000000003", status="外星状态"),
        line(order_no="300000000000000004"),
    ]
    job = import_file(sessions, shop_id, write_csv(tmp_path / "o.csv", rows))
    assert (job.status, job.lines_added, job.problem_count) == ("done", 2, 2)
    problems = queries.import_problems(db, shop_id=shop_id, job_id=job.id)
    assert [(p.row_no, p.column, p.value) for p in problems] == [
        (3, "下单时间", "not a time"),
        (4, "订单状态", "外星状态"),
    ]
    assert all(p.reason_zh and p.reason_en for p in problems)


def test_a_file_that_is_not_an_order_export_changes_nothing_and_says_why(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "members.csv"
    path.write_text("姓名,手机,城市\n张三,13800138000,北京\n", encoding="utf-8")
    job = import_file(sessions, shop_id, path)
    assert job.status == "failed" and job.error_code == "not_an_order_export"
    assert "订单号" in job.error_zh and "missing columns" in job.error_en
    assert counts(db, shop_id) == (0, 0, 0)


def test_a_file_broken_in_the_middle_changes_nothing(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "o.csv", rows_of(20_000, lines_per_order=1), encoding="utf-8")
    with open(path, "ab") as handle:
        handle.write(b"\xff\xfe broken bytes \xc3\x28\n")
    job = import_file(sessions, shop_id, path)
    assert (job.status, job.error_code) == ("failed", "unreadable_file")
    assert counts(db, shop_id) == (0, 0, 0)


def test_an_interrupted_import_changes_nothing_and_can_be_run_again(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "o.csv", rows_of(12_000, lines_per_order=2))
    calls = {"n": 0}

    def pull_the_plug(progress: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # after the first chunk was written
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(sessions, shop_id, path, on_progress=pull_the_plug)
    assert counts(db, shop_id) == (0, 0, 0)
    job = import_file(sessions, shop_id, path)
    assert (job.status, job.lines_added) == ("done", 12_000)


def test_progress_is_reported_while_reading(sessions: sessionmaker[Session], shop_id: int, tmp_path: Path) -> None:
    seen: list[float] = []
    job = import_file(
        sessions, shop_id, write_csv(tmp_path / "o.csv", rows_of(12_000)), on_progress=lambda p: seen.append(p.fraction)
    )
    assert job.status == "done"
    assert len(seen) >= 4 and seen == sorted(seen) and seen[-1] == 1.0


def test_phones_are_encrypted_at_rest_masked_and_hashed_only_when_complete(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    rows = [
        line(order_no="300000000000000001", account="full", phone="13800138000"),
        line(order_no="300000000000000002", account="masked", phone="139****5678"),
    ]
    import_file(sessions, shop_id, write_csv(tmp_path / "o.csv", rows))
    settings = get_settings()
    vault = PhoneVault(settings.phone_key, settings.phone_hash_salt)
    full = db.scalars(select(Customer).where(Customer.shop_id == shop_id, Customer.account == "full")).one()
    masked = db.scalars(select(Customer).where(Customer.shop_id == shop_id, Customer.account == "masked")).one()
    assert full.phone_cipher and "13800138000" not in full.phone_cipher
    assert vault.decrypt(full.phone_cipher) == "13800138000"
    assert (full.phone_masked, full.phone_tail, full.phone_hash) == (
        "138****8000",
        "8000",
        vault.match_hash("13800138000"),
    )
    assert masked.phone_cipher and vault.decrypt(masked.phone_cipher) == "139****5678"
    assert (masked.phone_masked, masked.phone_hash) == ("139****5678", None)


def test_cancelled_orders_are_kept_but_not_paid(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    rows = [
        line(order_no="300000000000000001", status="已取消"),
        line(order_no="300000000000000002", status="删除"),
        line(order_no="300000000000000003", status="等待出库"),
    ]
    import_file(sessions, shop_id, write_csv(tmp_path / "o.csv", rows))
    paid = {
        no: is_paid for no, is_paid in db.execute(select(Order.order_no, Order.is_paid).where(Order.shop_id == shop_id))
    }
    assert paid == {"300000000000000001": False, "300000000000000002": False, "300000000000000003": True}


def test_the_same_order_numbers_in_two_shops_stay_apart(
    sessions: sessionmaker[Session], db: Session, tmp_path: Path
) -> None:
    a, b = make_shop(db).shop.id, make_shop(db).shop.id
    path = write_csv(tmp_path / "o.csv", rows_of(6))
    import_file(sessions, a, path)
    job_b = import_file(sessions, b, path)
    assert job_b.lines_added == 6
    assert counts(db, a) == counts(db, b)


def test_header_row_may_follow_a_title_line(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "o.csv"
    body = "京东商家后台订单导出 2024-06-30\n" + ",".join(HEADERS) + "\n" + ",".join(line()) + "\n"
    path.write_bytes(body.encode("gb18030"))
    job = import_file(sessions, shop_id, path)
    assert (job.status, job.lines_added) == ("done", 1)


def test_an_order_at_the_first_instant_of_a_dashboard_window_is_counted(
    sessions: sessionmaker[Session], db: Session, shop_id: int, tmp_path: Path
) -> None:
    """Imported times are stored exactly as the ORM writes them, so time bounds compare correctly."""
    from datetime import UTC, datetime

    from siyu.analytics.dashboard import build_dashboard

    import_file(sessions, shop_id, write_csv(tmp_path / "o.csv", [line(at="2024-06-14 00:00:00", paid="10.00")]))
    board = build_dashboard(db, shop_id=shop_id, days=7, now=datetime(2024, 6, 20, 4, tzinfo=UTC))
    assert board.trend[0].label == "2024-06-14"
    assert (board.period_orders, board.trend[0].gmv_fen) == (1, 1_000)
