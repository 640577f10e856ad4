"""Read side for customers: list with search and filters, the customer page, exports."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from siyu.core.errors import NotFound
from siyu.core.paging import Page, PageRequest
from siyu.core.spreadsheet import safe_cell
from siyu.customers.models import SOURCE_CHANNELS, Customer, ImportJob, ImportProblem, Order, OrderLine
from siyu.customers.schemas import CustomerDetail, CustomerFilter, CustomerRow, OrderLineOut, OrderOut
from siyu.segments.models import AudienceMember, CustomerTag

EXPORT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("account", "下单帐号", "Account"),
    ("name", "姓名", "Name"),
    ("gender", "性别", "Gender"),
    ("city", "城市", "City"),
    ("phone_masked", "手机（已脱敏）", "Phone (masked)"),
    ("source_channel", "来源渠道", "Source"),
    ("is_member", "会员", "Member"),
    ("follows_shop", "关注店铺", "Follows shop"),
    ("paid_orders", "已付订单数", "Paid orders"),
    ("paid_fen", "累计实付（元）", "Paid total (yuan)"),
    ("last_order_at", "最近下单", "Last order"),
)


def _filtered(shop_id: int, flt: CustomerFilter) -> Select[Any]:
    stmt = select(Customer).where(Customer.shop_id == shop_id)
    q = flt.q.strip()
    if q:
        like = f"%{q}%"
        conditions: list[ColumnElement[bool]] = [Customer.account.like(like), Customer.name.like(like)]
        digits = q.replace("*", "")
        if q.isdigit() and len(q) == 4:
            conditions.append(Customer.phone_tail == q)
        elif "*" in q and digits.isdigit():
            conditions.append(Customer.phone_masked == q)
        stmt = stmt.where(or_(*conditions))
    if flt.city:
        stmt = stmt.where(Customer.city == flt.city)
    if flt.gender:
        stmt = stmt.where(Customer.gender == flt.gender)
    if flt.source_channel:
        stmt = stmt.where(Customer.source_channel == flt.source_channel)
    if flt.is_member is not None:
        stmt = stmt.where(Customer.is_member == flt.is_member)
    if flt.follows_shop is not None:
        stmt = stmt.where(Customer.follows_shop == flt.follows_shop)
    if flt.snapshot_id is not None:
        stmt = stmt.where(
            Customer.id.in_(
                select(AudienceMember.customer_id).where(
                    AudienceMember.shop_id == shop_id, AudienceMember.snapshot_id == flt.snapshot_id
                )
            )
        )
    if flt.tag_id is not None:
        stmt = stmt.where(
            Customer.id.in_(
                select(CustomerTag.customer_id).where(CustomerTag.shop_id == shop_id, CustomerTag.tag_id == flt.tag_id)
            )
        )
    if flt.has_paid_order is not None:
        paid = exists().where(and_(Order.customer_id == Customer.id, Order.is_paid.is_(True)))
        stmt = stmt.where(paid if flt.has_paid_order else ~paid)
    return stmt


def _order_stats(session: Session, customer_ids: list[int]) -> dict[int, tuple[int, int, datetime | None]]:
    if not customer_ids:
        return {}
    rows = session.execute(
        select(
            Order.customer_id,
            func.sum(case((Order.is_paid.is_(True), 1), else_=0)),
            func.sum(case((Order.is_paid.is_(True), Order.paid_fen), else_=0)),
            func.max(Order.ordered_at),
        )
        .where(Order.customer_id.in_(customer_ids))
        .group_by(Order.customer_id)
    ).all()
    # max() keeps the column type, so times come back as aware UTC datetimes
    return {cid: (int(n or 0), int(fen or 0), last) for cid, n, fen, last in rows}


def _rows(session: Session, customers: list[Customer]) -> list[CustomerRow]:
    stats = _order_stats(session, [c.id for c in customers])
    result = []
    for c in customers:
        n, fen, last = stats.get(c.id, (0, 0, None))
        row = CustomerRow.model_validate(c)
        row.paid_orders, row.paid_fen, row.last_order_at = n, fen, last
        result.append(row)
    return result


def list_customers(session: Session, *, shop_id: int, flt: CustomerFilter, page: PageRequest) -> Page[CustomerRow]:
    stmt = _filtered(shop_id, flt)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    customers = list(session.scalars(stmt.order_by(Customer.id.desc()).offset(page.offset).limit(page.size)))
    return Page(_rows(session, customers), total, page)


def list_cities(session: Session, *, shop_id: int, limit: int = 500) -> list[str]:
    """The shop's customer cities, for the city picker (bounded so large shops stay fast)."""
    return list(
        session.scalars(
            select(Customer.city)
            .where(Customer.shop_id == shop_id, Customer.city != "")
            .group_by(Customer.city)
            .order_by(Customer.city)
            .limit(limit)
        )
    )


def get_customer(session: Session, *, shop_id: int, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.shop_id != shop_id:
        raise NotFound("客户", "customer")
    return customer


def customer_detail(session: Session, *, shop_id: int, customer_id: int, max_orders: int = 200) -> CustomerDetail:
    """Profile and order timeline (newest first) of one customer of the shop."""
    customer = get_customer(session, shop_id=shop_id, customer_id=customer_id)
    row = _rows(session, [customer])[0]
    orders = list(
        session.scalars(
            select(Order)
            .where(Order.shop_id == shop_id, Order.customer_id == customer.id)
            .order_by(Order.ordered_at.desc())
            .limit(max_orders)
        )
    )
    lines: dict[int, list[OrderLineOut]] = {}
    if orders:
        for line in session.scalars(
            select(OrderLine).where(OrderLine.order_id.in_([o.id for o in orders])).order_by(OrderLine.id)
        ):
            lines.setdefault(line.order_id, []).append(
                OrderLineOut(
                    sku=line.sku,
                    product_name=line.product_name,
                    quantity=line.quantity,
                    unit_price_fen=line.unit_price_fen,
                )
            )
    first = session.scalar(select(func.min(Order.ordered_at)).where(Order.customer_id == customer.id))
    return CustomerDetail(
        **row.model_dump(),
        province=customer.province,
        birthday=customer.birthday,
        created_at=customer.created_at,
        member_since=customer.member_since,
        first_order_at=first,
        orders=[
            OrderOut(
                id=o.id,
                order_no=o.order_no,
                status=o.status,
                is_paid=o.is_paid,
                ordered_at=o.ordered_at,
                channel=o.channel,
                total_fen=o.total_fen,
                paid_fen=o.paid_fen,
                lines=lines.get(o.id, []),
            )
            for o in orders
        ],
    )


def iter_export_rows(
    session: Session, *, shop_id: int, flt: CustomerFilter, batch: int = 2_000
) -> Iterator[CustomerRow]:
    """All customers matching the filter, in batches (bounded memory), phones masked."""
    last_id = 0
    base = _filtered(shop_id, flt)
    while True:
        customers = list(session.scalars(base.where(Customer.id > last_id).order_by(Customer.id).limit(batch)))
        if not customers:
            return
        yield from _rows(session, customers)
        last_id = customers[-1].id


def _export_value(row: CustomerRow, key: str, lang: str) -> object:
    value = getattr(row, key)
    if key == "paid_fen":
        return f"{value / 100:.2f}"
    if key in ("is_member", "follows_shop"):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if key == "gender":
        return {"male": "男", "female": "女"}.get(value, "") if lang == "zh" else value
    if key == "source_channel":
        names = SOURCE_CHANNELS.get(value)
        return (names[0] if lang == "zh" else names[1]) if names else value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") + " UTC"
    return value


def export_customers_xlsx(session: Session, *, shop_id: int, flt: CustomerFilter, lang: str = "zh") -> bytes:
    """An .xlsx of the filtered customers: phones masked, formula-like cells neutralised."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    sheet = book.add_worksheet("客户" if lang == "zh" else "Customers")
    bold = book.add_format({"bold": True})
    for col, (_key, zh, en) in enumerate(EXPORT_COLUMNS):
        sheet.write_string(0, col, zh if lang == "zh" else en, bold)
    for r, row in enumerate(iter_export_rows(session, shop_id=shop_id, flt=flt), start=1):
        for col, (key, _zh, _en) in enumerate(EXPORT_COLUMNS):
            value = safe_cell(_export_value(row, key, lang))
            if isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, "" if value is None else str(value))
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def list_imports(session: Session, *, shop_id: int, limit: int = 50) -> list[ImportJob]:
    return list(
        session.scalars(
            select(ImportJob).where(ImportJob.shop_id == shop_id).order_by(ImportJob.id.desc()).limit(limit)
        )
    )


def import_problems(session: Session, *, shop_id: int, job_id: int, limit: int = 1_000) -> list[ImportProblem]:
    return list(
        session.scalars(
            select(ImportProblem)
            .where(ImportProblem.shop_id == shop_id, ImportProblem.job_id == job_id)
            .order_by(ImportProblem.row_no, ImportProblem.id)
            .limit(limit)
        )
    )
