"""Build JD order export files (CSV in any encoding, or .xlsx) for import tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

HEADERS = (
    "订单号",
    "商品ID",
    "商品名称",
    "订购数量",
    "下单时间",
    "京东价",
    "订单金额",
    "应付金额",
    "订单状态",
    "下单帐号",
    "客户姓名",
    "联系电话",
    "订单来源",
    "客户地址",
)


def line(
    order_no: str = "300000000000000001",
    sku: str = "100012345678",
    *,
    name: str = "洗发水 500ml",
    qty: str = "1",
    at: str = "2024-06-18 00:01:23",
    price: str = "59.90",
    total: str = "59.90",
    paid: str = "59.90",
    status: str = "完成",
    account: str = "jd_buyer_1",
    customer: str = "张三",
    phone: str = "138****1234",
    channel: str = "京东APP",
    address: str = "广东深圳市南山区科技园",
) -> list[str]:
    return [order_no, sku, name, qty, at, price, total, paid, status, account, customer, phone, channel, address]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    encoding: str = "gb18030",
    headers: Sequence[str] = HEADERS,
    tab_ids: bool = True,
) -> Path:
    """Write like JD's back office: ids prefixed with a tab so Excel keeps them as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        cells = list(row)
        if tab_ids:
            cells[0], cells[1] = "\t" + cells[0], "\t" + cells[1]
        writer.writerow(cells)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], *, headers: Sequence[str] = HEADERS) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = book.add_worksheet("订单")
    for col, title in enumerate(headers):
        sheet.write_string(0, col, title)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value))
    book.close()
    return path


def rows_of(count: int, *, start: int = 1, lines_per_order: int = 2) -> list[list[str]]:
    result = []
    for i in range(count):
        n = start + i // lines_per_order
        result.append(
            line(
                order_no=f"3{n:017d}",
                sku=f"1000{i % lines_per_order:08d}",
                account=f"jd_u{n % 7}",
                phone=f"1380013{n % 10000:04d}",
            )
        )
    return result
