"""The demo generator writes a realistic, reproducible shop (SPEC §1) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from siyu import migrate
from siyu.audit.models import AuditEntry
from siyu.config import get_settings
from siyu.core.phones import PhoneVault, analyse
from siyu.customers.demo import DemoTally, write_demo_data
from siyu.customers.jd_export import PAID_STATUSES, UNPAID_STATUSES
from siyu.customers.models import Customer, CustomerEvent, Order, OrderLine, Product
from siyu.db import session_factory, transaction
from tests.factories.customers import make_customer
from tests.factories.shops import make_shop

if TYPE_CHECKING:
    from tests.conftest import Database

NOW = datetime(2026, 11, 20, 4, 30, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
CUSTOMERS = 400


def _new_shop(factory: sessionmaker[Session], code: str) -> int:
    with transaction(factory) as session:
        return make_shop(session, code).shop.id


def _generate(factory: sessionmaker[Session], shop_id: int, *, seed: int = 7, customers: int = CUSTOMERS) -> DemoTally:
    return write_demo_data(factory, shop_id=shop_id, customers=customers, seed=seed, years=2, now=NOW)


@pytest.fixture
def factory(fresh_engine: Engine) -> sessionmaker[Session]:
    return session_factory(fresh_engine)


@pytest.fixture(scope="module")
def shared(database: Database) -> Iterator[tuple[sessionmaker[Session], int, DemoTally]]:
    """One generated shop that the read-only tests share (generation commits, so its own database)."""
    engine = database.new_engine()
    migrate.upgrade(engine)
    factory = session_factory(engine)
    shop_id = _new_shop(factory, "demo")
    yield factory, shop_id, _generate(factory, shop_id)
    database.drop(engine)


@pytest.fixture
def demo_shop(shared: tuple[sessionmaker[Session], int, DemoTally]) -> tuple[int, DemoTally]:
    return shared[1], shared[2]


def _orders(factory: sessionmaker[Session], shop_id: int) -> list[Order]:
    with factory() as session:
        return list(session.scalars(select(Order).where(Order.shop_id == shop_id).order_by(Order.id)))


def test_writes_the_requested_customers_with_orders_lines_events_and_products(
    shared: tuple[sessionmaker[Session], int, DemoTally], demo_shop: tuple[int, DemoTally]
) -> None:
    factory = shared[0]
    shop_id, tally = demo_shop
    with factory() as session:

        def count(model: type, *where: object) -> int:
            return session.scalar(select(func.count()).select_from(model).where(model.shop_id == shop_id, *where)) or 0  # type: ignore[attr-defined]

        assert count(Customer) == tally.customers == CUSTOMERS
        assert count(Order) == tally.orders
        assert count(OrderLine) == tally.lines
        assert count(CustomerEvent) == tally.events
        assert 40 <= count(Product) == tally.products <= 120
        # ~4-6 orders and 1.5-2 lines per order on average: the shape the benchmarks rely on
        assert 3 * CUSTOMERS < tally.orders < 7 * CUSTOMERS
        assert 1.5 * tally.orders < tally.lines < 2.2 * tally.orders
        assert 0 < tally.events < 3 * CUSTOMERS
        assert set(session.scalars(select(CustomerEvent.kind).distinct())) == {"follow_shop", "view", "add_to_cart"}
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "demo.generate")).one()
        assert audit.actor == "system:demo"
        assert audit.after is not None and audit.after["customers"] == CUSTOMERS


def test_every_order_has_lines_that_add_up_to_its_total(
    shared: tuple[sessionmaker[Session], int, DemoTally], demo_shop: tuple[int, DemoTally]
) -> None:
    factory = shared[0]
    shop_id, _ = demo_shop
    with factory() as session:
        sums = dict(
            session.execute(
                select(OrderLine.order_id, func.sum(OrderLine.quantity * OrderLine.unit_price_fen))
                .where(OrderLine.shop_id == shop_id)
                .group_by(OrderLine.order_id)
            ).all()
        )
        lines_per_order = Counter(session.scalars(select(OrderLine.order_id).where(OrderLine.shop_id == shop_id)))
    orders = _orders(factory, shop_id)
    assert all(1 <= lines_per_order[o.id] <= 4 for o in orders)
    assert all(o.total_fen == sums[o.id] for o in orders)
    assert all(0 < o.paid_fen <= o.total_fen for o in orders if o.is_paid)
    assert any(o.paid_fen < o.total_fen for o in orders)  # 满减 coupons
    numbers = [o.order_no for o in orders]
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 18 and n.isdigit() and n.startswith("3") for n in numbers)


def test_orders_lie_in_the_window_with_known_statuses_and_some_cancellations(
    shared: tuple[sessionmaker[Session], int, DemoTally], demo_shop: tuple[int, DemoTally]
) -> None:
    factory = shared[0]
    orders = _orders(factory, demo_shop[0])
    assert all(NOW - timedelta(days=732) <= o.ordered_at <= NOW for o in orders)
    statuses = Counter(o.status for o in orders)
    assert set(statuses) <= PAID_STATUSES | UNPAID_STATUSES
    assert all(o.is_paid == (o.status in PAID_STATUSES) for o in orders)
    assert 0.04 <= statuses["已取消"] / len(orders) <= 0.09
    assert statuses["完成"] / len(orders) > 0.8


def test_spend_is_skewed_towards_a_few_heavy_buyers(
    shared: tuple[sessionmaker[Session], int, DemoTally], demo_shop: tuple[int, DemoTally]
) -> None:
    factory = shared[0]
    spend: Counter[int] = Counter()
    orders_of: Counter[int] = Counter()
    for order in _orders(factory, demo_shop[0]):
        if order.is_paid:
            spend[order.customer_id] += order.paid_fen
            orders_of[order.customer_id] += 1
    ranked = sorted(spend.values(), reverse=True) + [0] * (CUSTOMERS - len(spend))
    assert sum(ranked[: CUSTOMERS // 5]) > 0.6 * sum(ranked)
    buyers = [n for n in orders_of.values() if n]
    assert 0.3 < sum(1 for n in buyers if n == 1) / len(buyers) < 0.6  # many one-time buyers
    assert max(buyers) >= 20  # and a long tail of loyal ones


def test_618_and_double_11_are_clear_peaks_in_shop_time(
    shared: tuple[sessionmaker[Session], int, DemoTally], demo_shop: tuple[int, DemoTally]
) -> None:
    factory = shared[0]
    local_days = Counter(o.ordered_at.astimezone(SHANGHAI).date() for o in _orders(factory, demo_shop[0]))
    window_days = 731
    daily_average = sum(local_days.values()) / window_days

    def per_day(month: int, first: int, last: int) -> float:
        # the window 2024-11-19 .. 2026-11-20 holds the 618 and 双11 of 2025 and 2026
        days = [d for d in local_days if d.month == month and first <= d.day <= last and d.year in (2025, 2026)]
        return sum(local_days[d] for d in days) / ((last - first + 1) * 2)

    assert per_day(11, 1, 11) > 1.8 * daily_average
    assert per_day(11, 11, 11) > 3 * daily_average
    assert per_day(6, 1, 18) > 1.5 * daily_average
    assert per_day(6, 18, 18) > 3 * daily_average
    hours = Counter(o.ordered_at.astimezone(SHANGHAI).hour for o in _orders(factory, demo_shop[0]))
    assert hours[21] > 3 * hours[4]  # evenings, not the small hours


def test_phones_are_stored_as_the_importer_stores_them(
    shared: tuple[sessionmaker[Session], int, DemoTally], demo_shop: tuple[int, DemoTally]
) -> None:
    factory = shared[0]
    settings = get_settings()
    vault = PhoneVault(settings.phone_key, settings.phone_hash_salt)
    with factory() as session:
        customers = list(session.scalars(select(Customer).where(Customer.shop_id == demo_shop[0])))
    masked = 0
    for customer in customers:
        if customer.phone_cipher is None:
            assert customer.phone_masked == customer.phone_tail == ""
            continue
        given = vault.decrypt(customer.phone_cipher)
        facts = analyse(given)
        assert facts is not None
        assert (customer.phone_masked, customer.phone_tail) == (facts.masked, facts.tail)
        assert len(customer.phone_masked) == 11 and "****" in customer.phone_masked
        if facts.full_mobile:
            assert customer.phone_hash == vault.match_hash(facts.full_mobile)
        else:
            masked += 1
            assert customer.phone_hash is None and given == customer.phone_masked
    assert 0.3 < masked / len(customers) < 0.5
    assert all(c.name and c.account.startswith("jd_") for c in customers)
    cities = Counter(c.city for c in customers)
    assert {"北京市", "上海市"} <= {city for city, _ in cities.most_common(6)}
    assert 0.25 < sum(c.follows_shop for c in customers) / len(customers) < 0.45
    assert all(c.member_since is not None for c in customers if c.is_member)


def test_same_seed_gives_the_same_shop_and_another_seed_another(factory: sessionmaker[Session]) -> None:
    first, again, other = (_new_shop(factory, code) for code in ("demo-a", "demo-b", "demo-c"))
    for shop_id, seed in ((first, 11), (again, 11), (other, 12)):
        _generate(factory, shop_id, seed=seed, customers=150)

    def snapshot(shop_id: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
        with factory() as session:
            customers = session.execute(
                select(Customer.account, Customer.name, Customer.city, Customer.phone_masked, Customer.created_at)
                .where(Customer.shop_id == shop_id)
                .order_by(Customer.id)
            ).all()
            orders = session.execute(
                select(Order.order_no, Order.status, Order.ordered_at, Order.total_fen, Order.paid_fen)
                .where(Order.shop_id == shop_id)
                .order_by(Order.id)
            ).all()
            lines = session.execute(
                select(OrderLine.sku, OrderLine.quantity, OrderLine.unit_price_fen)
                .where(OrderLine.shop_id == shop_id)
                .order_by(OrderLine.id)
            ).all()
        return [tuple(r) for r in customers], [tuple(r) for r in orders], [tuple(r) for r in lines]

    assert snapshot(first) == snapshot(again)
    assert snapshot(first)[1] != snapshot(other)[1]


def test_running_again_adds_customers_without_collisions_and_ids_keep_working(
    factory: sessionmaker[Session],
) -> None:
    shop_id = _new_shop(factory, "demo")
    first = _generate(factory, shop_id)
    second = _generate(factory, shop_id, customers=100)
    with transaction(factory) as session:
        accounts = list(session.scalars(select(Customer.account).where(Customer.shop_id == shop_id)))
        assert len(accounts) == len(set(accounts)) == CUSTOMERS + 100
        orders = session.scalar(select(func.count()).select_from(Order).where(Order.shop_id == shop_id))
        assert orders == first.orders + second.orders
        # ids were assigned by the generator: ordinary inserts afterwards still get fresh ones
        # (on PostgreSQL this needs the sequences moved past them)
        customer = make_customer(session, shop_id)
        assert customer.id > CUSTOMERS + 100 - 1
