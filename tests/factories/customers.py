from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from siyu.customers.models import Customer, Order, OrderLine

_seq = itertools.count(1)


def make_customer(session: Session, shop_id: int, **fields: object) -> Customer:
    n = next(_seq)
    values: dict[str, object] = {
        "account": f"jd_{n}",
        "name": f"客户{n}",
        "city": "北京市",
        "phone_masked": "",
        "phone_tail": "",
    }
    values.update(fields)
    customer = Customer(shop_id=shop_id, **values)
    session.add(customer)
    session.flush()
    return customer


def make_order(
    session: Session,
    customer: Customer,
    *,
    paid_fen: int = 9_900,
    is_paid: bool = True,
    at: datetime | None = None,
    channel: str = "移动端",
    sku: str = "100001",
    quantity: int = 1,
    order_no: str | None = None,
) -> Order:
    order = Order(
        shop_id=customer.shop_id,
        order_no=order_no or f"3{next(_seq):017d}",
        customer_id=customer.id,
        status="完成" if is_paid else "已取消",
        is_paid=is_paid,
        ordered_at=at or datetime(2024, 6, 18, 2, 0, tzinfo=UTC),
        channel=channel,
        total_fen=paid_fen,
        paid_fen=paid_fen,
    )
    session.add(order)
    session.flush()
    session.add(
        OrderLine(
            shop_id=customer.shop_id,
            order_id=order.id,
            sku=sku,
            product_name="商品",
            quantity=quantity,
            unit_price_fen=paid_fen // quantity,
        )
    )
    session.flush()
    return order
