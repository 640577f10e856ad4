"""SPEC §1: the JD order export, header by header and value by value (pure rules, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from siyu.customers.jd_export import (
    ExportLayout,
    NotAnOrderExport,
    OrderLineRecord,
    RowParser,
    clean,
    parse_time,
    split_region,
)
from tests.factories.jd_files import HEADERS, line

SHANGHAI = ZoneInfo("Asia/Shanghai")


def parse(cells: list[object], headers: tuple[str, ...] | list[str] = HEADERS) -> OrderLineRecord | list:
    return RowParser(ExportLayout.from_header(list(headers)), SHANGHAI).parse(2, cells)


def test_an_18_digit_order_number_survives_exactly_as_text() -> None:
    record = parse(line(order_no="\t312345678901234567"))
    assert isinstance(record, OrderLineRecord)
    assert record.order_no == "312345678901234567"


def test_stray_tabs_and_excel_text_guards_are_stripped() -> None:
    record = parse(line(order_no='="300000000000000042"', sku="\t100012345678\t", account=" jd_a\t"))
    assert isinstance(record, OrderLineRecord)
    assert (record.order_no, record.sku, record.account) == ("300000000000000042", "100012345678", "jd_a")


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [("订单编号", "订单号"), ("商品编号", "商品ID"), ("实付金额", "应付金额"), ("下单账号", "下单帐号")],
)
def test_header_variants_are_understood(variant: str, canonical: str) -> None:
    headers = [variant if h == canonical else h for h in HEADERS]
    record = parse(line(), headers)
    assert isinstance(record, OrderLineRecord)
    assert record.order_no == "300000000000000001"


@pytest.mark.parametrize("status", ["完成", "等待确认收货", "等待出库"])
def test_completed_and_waiting_orders_are_paid(status: str) -> None:
    record = parse(line(status=status))
    assert isinstance(record, OrderLineRecord) and record.is_paid


@pytest.mark.parametrize("status", ["已取消", "删除"])
def test_cancelled_and_deleted_orders_are_not_paid(status: str) -> None:
    record = parse(line(status=status))
    assert isinstance(record, OrderLineRecord) and not record.is_paid


def test_an_unknown_status_is_reported_with_row_and_column() -> None:
    problems = parse(line(status="火星状态"))
    assert isinstance(problems, list)
    assert [(p.row_no, p.column) for p in problems] == [(2, "订单状态")]
    assert "火星状态" in problems[0].reason_zh and "unknown order status" in problems[0].reason_en


def test_masked_phones_are_kept_as_given() -> None:
    record = parse(line(phone="138****1234"))
    assert isinstance(record, OrderLineRecord) and record.phone == "138****1234"


def test_amounts_become_exact_fen() -> None:
    record = parse(line(price="1,299.90", total="2599.8", paid="¥2,499.80", qty="2"))
    assert isinstance(record, OrderLineRecord)
    assert (record.unit_price_fen, record.order_amount_fen, record.paid_amount_fen, record.quantity) == (
        129990,
        259980,
        249980,
        2,
    )


def test_every_bad_value_of_a_row_is_reported_at_once() -> None:
    problems = parse(line(at="昨天下午", paid="abc", qty="-1"))
    assert isinstance(problems, list)
    assert sorted(p.column for p in problems) == ["下单时间", "应付金额", "订购数量"]


def test_an_order_number_stored_as_an_excel_number_that_lost_digits_is_refused() -> None:
    problems = parse([3.1234567890123456e17, *line()[1:]])
    assert isinstance(problems, list) and problems[0].column == "订单号"


def test_an_excel_date_cell_is_shop_local_time() -> None:
    record = parse([*line()[:4], datetime(2024, 6, 18, 0, 1), *line()[5:]])
    assert isinstance(record, OrderLineRecord)
    assert record.ordered_at == datetime(2024, 6, 17, 16, 1, tzinfo=UTC)


def test_order_times_are_read_in_shop_time_and_stored_in_utc() -> None:
    assert parse_time("2024-06-18 00:01:23", SHANGHAI) == datetime(2024, 6, 17, 16, 1, 23, tzinfo=UTC)
    assert parse_time("2024/6/18 8:00", SHANGHAI) == datetime(2024, 6, 18, 0, 0, tzinfo=UTC)


def test_a_file_without_order_columns_is_not_an_order_export() -> None:
    with pytest.raises(NotAnOrderExport) as caught:
        ExportLayout.from_header(["姓名", "年龄", "城市"])
    assert "订单号" in caught.value.zh and "missing columns" in caught.value.en


def test_region_is_taken_from_the_address() -> None:
    assert split_region("广东深圳市南山区科技园") == ("广东", "深圳市")
    assert split_region("北京朝阳区建国路") == ("北京", "北京市")
    assert split_region("") == ("", "")


def test_clean_leaves_ordinary_text_alone() -> None:
    assert clean("洗发水 500ml") == "洗发水 500ml"
    assert clean(None) == ""
