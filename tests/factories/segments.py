"""A small, varied shop for segment tests, and a straightforward Python evaluation of audiences."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from siyu.customers.models import Customer, CustomerEvent, Order, OrderLine, Product
from siyu.segments.conditions import (
    Age,
    AllOf,
    AnyOf,
    BirthdayMonth,
    Bought,
    CartWithoutOrder,
    Flag,
    JoinedWithin,
    LastOrder,
    Node,
    Not,
    OrderCount,
    SegmentIn,
    Spent,
    Tagged,
    TextIn,
)
from siyu.segments.domain import CustomerRfm, RfmSettings, StageSettings, lifecycle_stage, loyalty_stage
from siyu.segments.domain import score_customers as reference_scores
from siyu.segments.models import CustomerTag, Tag

AS_OF = datetime(2025, 6, 20, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
CITIES = ("北京市", "上海市", "广州市", "深圳市", "成都市")
SKUS = {"1001": "坚果", "1002": "坚果", "2001": "茶叶", "3001": "牙膏"}
CHANNELS = ("jd_order", "parcel_card", "official_account", "fission")


@dataclass
class World:
    shop_id: int
    customers: dict[int, Customer] = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)
    lines: dict[int, list[str]] = field(default_factory=dict)
    cart: list[tuple[int, datetime]] = field(default_factory=list)
    tags: dict[int, set[int]] = field(default_factory=dict)  # tag id -> customers


def populate(session: Session, shop_id: int, *, seed: int = 7, customers: int = 80) -> World:
    rng = random.Random(seed)
    world = World(shop_id)
    for sku, category in SKUS.items():
        session.add(Product(shop_id=shop_id, sku=sku, name=f"商品{sku}", category=category, price_fen=1000))
    for i in range(customers):
        created = AS_OF - timedelta(days=rng.randint(0, 800), hours=rng.randint(0, 23))
        member = rng.random() < 0.3
        c = Customer(
            shop_id=shop_id,
            account=f"seg_{seed}_{i}",
            name=f"客户{i}",
            gender=rng.choice(["", "male", "female"]),
            birthday=date(rng.randint(1960, 2008), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.7
            else None,
            city=rng.choice(CITIES),
            province="",
            source_channel=rng.choice(CHANNELS),
            follows_shop=rng.random() < 0.4,
            is_member=member,
            member_since=created + timedelta(days=rng.randint(0, 30)) if member else None,
            created_at=created,
        )
        session.add(c)
        session.flush()
        world.customers[c.id] = c
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 5, 8])):
            at = AS_OF - timedelta(days=rng.randint(-3, 700), minutes=rng.randint(0, 1440))
            status = rng.choices(["完成", "已取消", "完成0"], weights=[8, 1, 1])[0]
            paid = 0 if status == "完成0" else rng.choice([990, 5000, 12900, 45000, 99900])
            o = Order(
                shop_id=shop_id,
                order_no=f"{seed}{len(world.orders):08d}",
                customer_id=c.id,
                status=status.rstrip("0"),
                is_paid=status != "已取消",
                ordered_at=at,
                channel="京东APP",
                total_fen=paid,
                paid_fen=paid,
            )
            session.add(o)
            session.flush()
            world.orders.append(o)
            skus = rng.sample(sorted(SKUS), rng.randint(1, 2))
            world.lines[o.id] = skus
            for sku in skus:
                session.add(
                    OrderLine(shop_id=shop_id, order_id=o.id, sku=sku, product_name="", quantity=1, unit_price_fen=paid)
                )
        if rng.random() < 0.3:
            at = AS_OF - timedelta(days=rng.randint(0, 60))
            session.add(CustomerEvent(shop_id=shop_id, customer_id=c.id, kind="add_to_cart", at=at, ref="1001"))
            world.cart.append((c.id, at))
    for name in ("VIP", "老客"):
        tag = Tag(shop_id=shop_id, name=name, kind="manual")
        session.add(tag)
        session.flush()
        members = {cid for cid in world.customers if rng.random() < 0.25}
        world.tags[tag.id] = members
        for cid in members:
            session.add(CustomerTag(shop_id=shop_id, tag_id=tag.id, customer_id=cid))
    session.flush()
    return world


class Oracle:
    """Evaluates audience conditions customer by customer, the obvious way (the test oracle)."""

    def __init__(
        self,
        world: World,
        as_of: datetime = AS_OF,
        zone: str = "Asia/Shanghai",
        rfm: RfmSettings | None = None,
        stages: StageSettings | None = None,
    ) -> None:
        self.world = world
        self.as_of = as_of
        self.zone = ZoneInfo(zone)
        self.today = as_of.astimezone(self.zone).date()
        self.stages = stages or StageSettings()
        self.paid: dict[int, list[Order]] = {cid: [] for cid in world.customers}
        for o in world.orders:
            if o.is_paid and o.paid_fen > 0 and o.ordered_at < as_of:
                self.paid[o.customer_id].append(o)
        settings = rfm or RfmSettings()
        window_start = as_of - timedelta(days=settings.window_days)
        rows = []
        for cid, orders in self.paid.items():
            inside = [o for o in orders if o.ordered_at >= window_start]
            if inside:
                last = max(o.ordered_at for o in inside)
                rows.append(CustomerRfm(cid, self.days_since(last), len(inside), sum(o.paid_fen for o in inside)))
        scored = reference_scores(rows, settings)
        self.segment = {s.customer_id: s.segment for s in scored}
        self.level = {
            s.customer_id: ("high" if s.m_score >= 5 else "medium" if s.m_score >= 3 else "low") for s in scored
        }
        self.scored = scored

    def days_since(self, at: datetime) -> int:
        return (self.today - at.astimezone(self.zone).date()).days

    def members(self, node: Node) -> list[int]:
        return sorted(cid for cid in self.world.customers if self.holds(node, cid))

    def holds(self, node: Node, cid: int) -> bool:
        c = self.world.customers[cid]
        if isinstance(node, AllOf):
            return all(self.holds(n, cid) for n in node.all)
        if isinstance(node, AnyOf):
            return any(self.holds(n, cid) for n in node.any)
        if isinstance(node, Not):
            return not self.holds(node.not_, cid)
        orders = self.paid[cid]
        if isinstance(node, TextIn):
            inside = getattr(c, node.field) in node.values
            return inside if node.op == "in" else not inside
        if isinstance(node, Flag):
            return bool(getattr(c, node.field)) == node.value
        if isinstance(node, Age):
            if c.birthday is None:
                return False
            age = (
                self.today.year
                - c.birthday.year
                - ((self.today.month, self.today.day) < (c.birthday.month, c.birthday.day))
            )
            return _compare(age, node.op, node.value)
        if isinstance(node, BirthdayMonth):
            return c.birthday is not None and c.birthday.month in node.values
        if isinstance(node, JoinedWithin):
            at = c.created_at if node.field == "customer_since" else c.member_since
            return at is not None and self.as_of - timedelta(days=node.days) <= at < self.as_of
        if isinstance(node, OrderCount | Spent):
            inside = (
                orders
                if node.days is None
                else [o for o in orders if o.ordered_at >= self.as_of - timedelta(days=node.days)]
            )
            value = len(inside) if isinstance(node, OrderCount) else sum(o.paid_fen for o in inside)
            return _compare(value, node.op, node.value)
        if isinstance(node, LastOrder):
            recent = bool(orders) and max(o.ordered_at for o in orders) >= self.as_of - timedelta(days=node.days)
            return recent if node.op == "within_days" else not recent
        if isinstance(node, CartWithoutOrder):
            cutoff = self.as_of - timedelta(days=node.days)
            carted = any(who == cid and cutoff <= at < self.as_of for who, at in self.world.cart)
            return carted and not any(o.ordered_at >= cutoff for o in orders)
        if isinstance(node, Bought):
            cutoff = self.as_of - timedelta(days=node.days) if node.days else None
            for o in orders:
                if cutoff is not None and o.ordered_at < cutoff:
                    continue
                for sku in self.world.lines[o.id]:
                    if (sku if node.field == "bought_sku" else SKUS[sku]) in node.values:
                        return True
            return False
        if isinstance(node, SegmentIn):
            if node.field == "rfm_segment":
                return self.segment.get(cid) in node.values
            if node.field == "monetary_level":
                return self.level.get(cid) in node.values
            last = max((o.ordered_at for o in orders), default=None)
            if node.field == "lifecycle_stage":
                return last is not None and lifecycle_stage(self.days_since(last), self.stages) in node.values
            return loyalty_stage(len(orders), self.stages) in node.values
        if isinstance(node, Tagged):
            has = [cid in self.world.tags.get(t, set()) for t in node.values]
            return any(has) if node.op == "any" else all(has) if node.op == "all" else not any(has)
        raise TypeError(node)


def _compare(value: int, op: str, bound: int) -> bool:
    return {">=": value >= bound, ">": value > bound, "<=": value <= bound, "<": value < bound, "=": value == bound}[op]
