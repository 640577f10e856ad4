"""The JD merchant back-office order export (订单导出): headers, values and statuses (SPEC §1).

Pure rules, no I/O: a header row becomes an :class:`ExportLayout`; each data row becomes an
:class:`OrderLineRecord` or a list of :class:`RowProblem` (row number, column, reason in zh/en).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from siyu.core.money import parse_yuan

# canonical field -> the headers JD has used for it (first is the one we show)
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "order_no": ("订单号", "订单编号", "订单ID", "订单id"),
    "sku": ("商品ID", "商品编号", "商品id", "SKU", "sku", "商品SKU", "SKU编号"),
    "product_name": ("商品名称", "商品名"),
    "quantity": ("订购数量", "商品数量", "购买数量", "数量"),
    "ordered_at": ("下单时间", "订单创建时间", "创建时间"),
    "unit_price": ("京东价", "商品单价", "单价"),
    "order_amount": ("订单金额", "订单总金额"),
    "paid_amount": ("应付金额", "实付金额", "实付款", "实付总额"),
    "status": ("订单状态",),
    "account": ("下单帐号", "下单账号", "用户账号", "客户账号", "买家账号"),
    "customer_name": ("客户姓名", "收货人", "收货人姓名"),
    "phone": ("联系电话", "收货人电话", "收货人手机", "手机号", "联系手机"),
    "channel": ("订单来源", "下单渠道"),
    "address": ("客户地址", "收货地址", "收货人地址"),
}
REQUIRED = ("order_no", "sku", "ordered_at", "status", "account")
COLUMN_ZH = {field: aliases[0] for field, aliases in HEADER_ALIASES.items()}

PAID_STATUSES = frozenset(
    {"完成", "已完成", "等待确认收货", "等待出库", "等待发货", "已付款", "正在出库", "配送中", "已发货"}
)
UNPAID_STATUSES = frozenset({"已取消", "删除", "已删除", "等待付款", "取消", "锁定"})

_ALIAS_TO_FIELD = {alias: field for field, aliases in HEADER_ALIASES.items() for alias in aliases}
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?[eE]\+?\d+")
_BLANKS = "\t\r\n \u3000\ufeff"
_EXCEL_TEXT = re.compile(r'^="(.*)"$')
_LOOSE_TIME = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$")
_PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|"
    "陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
)
_PROVINCE = re.compile(rf"^({_PROVINCES})(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)?")
_CITY = re.compile(r"^(.{2,7}?(?:市|自治州|地区|盟))")
_MUNICIPALITIES = {"北京", "天津", "上海", "重庆"}


def clean(value: object) -> str:
    """Text of a cell: stray tabs/blanks stripped, Excel's ``="…"`` text guard removed."""
    if value is None:
        return ""
    text = (value if isinstance(value, str) else str(value)).strip(_BLANKS)
    if text[:1] == "=":
        guarded = _EXCEL_TEXT.match(text)
        if guarded:
            text = guarded.group(1).strip(_BLANKS)
    return text


@dataclass(frozen=True, slots=True)
class RowProblem:
    row_no: int
    column: str  # the Chinese header as in the file, or "" for the whole row
    value: str
    reason_zh: str
    reason_en: str


class OrderLineRecord(NamedTuple):
    """One good order line (a tuple: a million of them are built per large import)."""

    row_no: int
    order_no: str
    sku: str
    product_name: str
    quantity: int
    unit_price_fen: int
    ordered_at: datetime  # UTC
    order_amount_fen: int
    paid_amount_fen: int
    status: str
    is_paid: bool
    account: str
    customer_name: str
    phone: str
    channel: str
    province: str
    city: str


class NotAnOrderExport(ValueError):
    """The header row does not look like a JD order export: nothing will be imported."""

    def __init__(self, missing: list[str], seen: list[str]) -> None:
        self.missing = missing
        self.seen = seen
        names = "、".join(COLUMN_ZH[m] for m in missing)
        self.zh = f"这不是京东订单导出文件：缺少列 {names}（找到的列：{'、'.join(seen[:12]) or '无'}）"
        self.en = (
            f"not a JD order export: missing columns {', '.join(COLUMN_ZH[m] for m in missing)} "
            f"(found: {', '.join(seen[:12]) or 'none'})"
        )
        super().__init__(self.en)


@dataclass(frozen=True, slots=True)
class ExportLayout:
    """Where each field sits in the row, and the header text the file used for it."""

    positions: dict[str, int]
    headers: dict[str, str]

    @classmethod
    def from_header(cls, cells: list[str]) -> ExportLayout:
        positions: dict[str, int] = {}
        headers: dict[str, str] = {}
        seen = [clean(c) for c in cells]
        for index, text in enumerate(seen):
            field = _ALIAS_TO_FIELD.get(text)
            if field and field not in positions:
                positions[field] = index
                headers[field] = text
        missing = [f for f in REQUIRED if f not in positions]
        if "paid_amount" not in positions and "order_amount" not in positions:
            missing.append("paid_amount")
        if missing:
            raise NotAnOrderExport(missing, [s for s in seen if s])
        return cls(positions, headers)

    @staticmethod
    def looks_like_header(cells: list[str]) -> bool:
        return sum(1 for c in cells if clean(c) in _ALIAS_TO_FIELD) >= 3


def parse_time(text: str, zone: ZoneInfo) -> datetime:
    """A shop-local time as JD writes it (``2024-06-18 00:01:23``, ``2024/6/18 0:01``) → UTC."""
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        match = _LOOSE_TIME.match(text)
        if not match:
            raise ValueError(text) from None
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
        local = datetime(y, mo, d, h, mi, s)
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone)
    return local.astimezone(UTC)


def excel_serial_time(serial: float, zone: ZoneInfo) -> datetime:
    local = datetime(1899, 12, 30) + timedelta(days=serial)
    return local.replace(tzinfo=zone).astimezone(UTC)


def split_region(address: str) -> tuple[str, str]:
    """Province and city from the start of a Chinese address (``广东深圳市南山区…`` → 广东, 深圳市)."""
    if not address:
        return "", ""
    match = _PROVINCE.match(address)
    if not match:
        return "", ""
    province = match.group(1)
    rest = address[len(province) :]
    short = province.removesuffix("省")
    if short in _MUNICIPALITIES:
        return short, short + "市"
    city = _CITY.match(rest)
    return short, city.group(1) if city else ""


Report = Callable[[str, object, str, str], None]
_PLAIN_FIELDS = (
    "order_no",
    "sku",
    "account",
    "status",
    "ordered_at",
    "quantity",
    "unit_price",
    "order_amount",
    "paid_amount",
    "product_name",
    "customer_name",
    "phone",
    "channel",
    "address",
)
_KNOWN_STATUSES = PAID_STATUSES | UNPAID_STATUSES


class RowParser:
    """Turns the cells of one data row into a record, collecting every problem of the row.

    This is the hot loop of a million-line import: fields are read by precomputed position and
    repeated values (amounts, times) are memoised per file.
    """

    _MEMO_LIMIT = 200_000

    def __init__(self, layout: ExportLayout, zone: ZoneInfo) -> None:
        self.layout = layout
        self.zone = zone
        width = max(layout.positions.values()) + 1
        self._width = width
        # a missing optional column reads the extra empty cell appended at index ``width``
        self._ix = {f: layout.positions.get(f, width) for f in HEADER_ALIASES}
        self._amounts: dict[str, int | None] = {}
        self._times: dict[str, datetime | None] = {}
        self._regions: dict[str, tuple[str, str]] = {}
        self._text_ix = [self._ix[f] for f in _PLAIN_FIELDS]

    def header_of(self, field: str) -> str:
        return self.layout.headers.get(field, COLUMN_ZH[field])

    def parse(self, row_no: int, cells: list[object]) -> OrderLineRecord | list[RowProblem]:
        width = self._width
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        cells = [*cells[:width], ""]
        fast = self._parse_plain_text(row_no, [cells[i] for i in self._text_ix])
        if fast is not None:
            return fast
        ix = self._ix
        problems: list[RowProblem] = []

        def bad(field: str, value: object, zh: str, en: str) -> None:
            problems.append(RowProblem(row_no, self.header_of(field), clean(value)[:200], zh, en))

        order_no = self._id_text(cells[ix["order_no"]], "order_no", bad)
        sku = self._id_text(cells[ix["sku"]], "sku", bad)
        account = clean(cells[ix["account"]])
        if not account:
            bad("account", "", "下单帐号为空", "buyer account is empty")
        status = clean(cells[ix["status"]])
        is_paid = status in PAID_STATUSES
        if not is_paid and status not in UNPAID_STATUSES:
            bad("status", status, f"未知的订单状态「{status}」", f"unknown order status '{status}'")
        ordered_at = self._time(cells[ix["ordered_at"]], bad)
        quantity = self._quantity(cells[ix["quantity"]], bad)
        unit_price = self._amount(cells[ix["unit_price"]], "unit_price", bad)
        order_amount = self._amount(cells[ix["order_amount"]], "order_amount", bad)
        paid_amount = self._amount(cells[ix["paid_amount"]], "paid_amount", bad)
        if problems or ordered_at is None:
            return problems
        if paid_amount is None:
            paid_amount = order_amount or 0
        if order_amount is None:
            order_amount = paid_amount
        address = clean(cells[ix["address"]])
        province, city = split_region(address) if address else ("", "")
        return OrderLineRecord(
            row_no,
            order_no,
            sku,
            clean(cells[ix["product_name"]])[:300],
            quantity,
            unit_price or 0,
            ordered_at,
            order_amount,
            paid_amount,
            status,
            is_paid,
            account[:100],
            clean(cells[ix["customer_name"]])[:100],
            clean(cells[ix["phone"]])[:40],
            clean(cells[ix["channel"]])[:60],
            province,
            city,
        )

    def _parse_plain_text(self, row_no: int, picked: list[object]) -> OrderLineRecord | None:
        """The fast path for the common case (a CSV row of clean text): ``None`` sends the row to the
        general path, which handles spreadsheet values and reports every problem."""
        try:
            texts: list[str] = [value.strip(_BLANKS) for value in picked]  # type: ignore[attr-defined]
        except AttributeError:  # a spreadsheet number, date or empty cell: the general path
            return None
        order_no, sku, account, status, at, qty, price, total, paid, name, customer, phone, channel, address = texts
        if (
            not order_no
            or not sku
            or not account
            or len(order_no) > 40
            or len(sku) > 40
            or status not in _KNOWN_STATUSES
            or order_no[0] == "="
            or (not order_no.isdigit() and "e" in order_no.lower())
            or (not sku.isdigit() and "e" in sku.lower())
        ):
            return None
        times = self._times
        ordered_at = times.get(at)
        if ordered_at is None:
            try:
                ordered_at = parse_time(at, self.zone)
            except ValueError:
                return None
            if len(times) > self._MEMO_LIMIT:
                times.clear()
            times[at] = ordered_at
        if not qty:
            quantity = 1
        elif qty.isdigit() and (quantity := int(qty)) > 0:
            pass
        else:
            return None
        amounts: list[int | None] = []
        memo = self._amounts
        for text in (price, total, paid):
            if not text:
                amounts.append(None)
                continue
            if text in memo:
                fen = memo[text]
            else:
                try:
                    fen = parse_yuan(text)
                except ValueError:
                    return None
                if len(memo) > self._MEMO_LIMIT:
                    memo.clear()
                memo[text] = fen
            if fen is None or fen < 0:
                return None
            amounts.append(fen)
        unit_price, order_amount, paid_amount = amounts
        if paid_amount is None:
            paid_amount = order_amount or 0
        if order_amount is None:
            order_amount = paid_amount
        regions = self._regions
        region = regions.get(address)
        if region is None:
            region = split_region(address)
            if len(regions) > self._MEMO_LIMIT:
                regions.clear()
            regions[address] = region
        return OrderLineRecord(
            row_no,
            order_no,
            sku,
            name[:300],
            quantity,
            unit_price or 0,
            ordered_at,
            order_amount,
            paid_amount,
            status,
            status in PAID_STATUSES,
            account[:100],
            customer[:100],
            phone[:40],
            channel[:60],
            *region,
        )

    def _id_text(self, raw: object, field: str, bad: Report) -> str:
        if isinstance(raw, float):
            # A spreadsheet stored the id as a number: beyond 15 digits it has lost digits already.
            if raw.is_integer() and abs(raw) < 1e15:
                return str(int(raw))
            bad(
                field,
                raw,
                "编号被存成了数字，已丢失精度：请把该列设为文本后重新导出",
                "id stored as a number has lost digits: export the column as text",
            )
            return ""
        if isinstance(raw, int):
            return str(raw)
        text = clean(raw)
        if not text:
            bad(field, "", "不能为空", "must not be empty")
        elif len(text) > 40:
            bad(field, text, "超过 40 个字符", "longer than 40 characters")
        elif ("E" in text or "e" in text) and _SCIENTIFIC.fullmatch(text):
            bad(field, text, "编号是科学计数法，已丢失精度", "id in scientific notation has lost digits")
        return text

    def _time(self, raw: object, bad: Report) -> datetime | None:
        if isinstance(raw, str):
            text = clean(raw)
            if text in self._times:
                return self._times[text]
            value: datetime | None
            if not text:
                value = None
            else:
                try:
                    value = parse_time(text, self.zone)
                except ValueError:
                    value = None
            if len(self._times) > self._MEMO_LIMIT:
                self._times.clear()
            self._times[text] = value
            if value is None:
                if text:
                    bad("ordered_at", text, "无法识别的时间", "unreadable time")
                else:
                    bad("ordered_at", "", "下单时间为空", "order time is empty")
            return value
        if isinstance(raw, datetime):
            local = raw if raw.tzinfo else raw.replace(tzinfo=self.zone)
            return local.astimezone(UTC)
        if isinstance(raw, date):
            return datetime.combine(raw, time(0), self.zone).astimezone(UTC)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return excel_serial_time(float(raw), self.zone)
        bad("ordered_at", "", "下单时间为空", "order time is empty")
        return None

    def _quantity(self, raw: object, bad: Report) -> int:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = clean(raw)
        if not text:
            return 1
        if not text.isdigit() or int(text) <= 0:
            bad("quantity", text, "数量必须是正整数", "quantity must be a positive whole number")
            return 0
        return int(text)

    def _amount(self, raw: object, field: str, bad: Report) -> int | None:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = repr(raw) if isinstance(raw, float) else str(raw)
        text = clean(raw)
        if not text:
            return None
        memo = self._amounts
        if text in memo:
            fen = memo[text]
        else:
            try:
                fen = parse_yuan(text)
            except ValueError:
                fen = None
            if len(memo) > self._MEMO_LIMIT:
                memo.clear()
            memo[text] = fen
        if fen is None:
            bad(field, text, "金额格式不正确", "not a valid amount")
        elif fen < 0:
            bad(field, text, "金额不能为负", "amount must not be negative")
            return None
        return fen
