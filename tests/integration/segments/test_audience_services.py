"""Saved audiences, snapshots, set operations, send batches and tags, with committed data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu import migrate
from siyu.db import session_factory, transaction
from siyu.segments import audiences, services
from siyu.segments.conditions import InvalidAudience, parse_definition
from siyu.segments.engine import forget_engines
from siyu.segments.errors import AudienceNameTaken
from siyu.segments.models import AudienceMember, CustomerTag
from siyu.shops.services import Principal
from tests.conftest import Database
from tests.factories.segments import AS_OF, Oracle, World, populate
from tests.factories.shops import make_shop

SHANGHAI = {"field": "city", "values": ["上海市"]}
BUYERS = {"field": "orders", "op": ">=", "value": 1}


@dataclass
class Shop:
    factory: sessionmaker[Session]
    world: World
    by: Principal


@pytest.fixture(scope="module")
def committed(database: Database) -> Iterator[sessionmaker[Session]]:
    """One committed database for the module (the segment engine reads committed data)."""
    engine = database.new_engine()
    migrate.upgrade(engine)
    yield session_factory(engine)
    forget_engines()
    database.drop(engine)


@pytest.fixture
def shop(committed: sessionmaker[Session]) -> Shop:
    """A fresh shop per test, in the module's database."""
    with transaction(committed, write=True) as session:
        made = make_shop(session)
        world = populate(session, made.shop.id, seed=3, customers=70)
    return Shop(committed, world, made.principal)


def expected(shop: Shop, definition: dict[str, object]) -> list[int]:
    return Oracle(shop.world).members(parse_definition(definition))


def test_a_saved_audience_keeps_its_definition_and_count(shop: Shop) -> None:
    with transaction(shop.factory, write=True) as session:
        audience = services.create_audience(
            session, by=shop.by, name="上海买家", definition={"all": [SHANGHAI, BUYERS]}, as_of=AS_OF
        )
    assert audience.last_count == len(expected(shop, {"all": [SHANGHAI, BUYERS]})) > 0
    with transaction(shop.factory, write=True) as session, pytest.raises(AudienceNameTaken):
        services.create_audience(session, by=shop.by, name="上海买家", definition=SHANGHAI)
    with transaction(shop.factory, write=True) as session, pytest.raises(InvalidAudience):
        services.create_audience(session, by=shop.by, name="坏的", definition={"any": []})


def test_a_frozen_snapshot_does_not_change_when_the_data_does(shop: Shop) -> None:
    with transaction(shop.factory, write=True) as session:
        audience = services.create_audience(session, by=shop.by, name="上海", definition=SHANGHAI, as_of=AS_OF)
        snapshot = services.freeze_audience(session, by=shop.by, audience_id=audience.id, as_of=AS_OF)
        frozen = snapshot.member_count
        snapshot_id = snapshot.id
    assert frozen == len(expected(shop, SHANGHAI))
    with transaction(shop.factory, write=True) as session:
        someone = next(c for c in shop.world.customers.values() if c.city != "上海市")
        session.get_one(type(someone), someone.id).city = "上海市"
        from siyu.segments.engine import bump_data_version

        bump_data_version(session, shop.world.shop_id)
    with transaction(shop.factory, write=True) as session:
        live = services.refresh_audience(session, by=shop.by, audience_id=audience.id, as_of=AS_OF).last_count
        kept = session.scalar(
            select(func.count()).select_from(AudienceMember).where(AudienceMember.snapshot_id == snapshot_id)
        )
    assert (live, kept) == (frozen + 1, frozen)


@pytest.mark.parametrize(
    ("op", "combine"), [("union", set.union), ("intersect", set.intersection), ("subtract", set.difference)]
)
def test_set_operations_between_audiences(shop: Shop, op: str, combine: object) -> None:
    with transaction(shop.factory, write=True) as session:
        left = services.freeze_audience(
            session,
            by=shop.by,
            audience_id=services.create_audience(session, by=shop.by, name="L", definition=SHANGHAI, as_of=AS_OF).id,
            as_of=AS_OF,
        )
        right = services.freeze_audience(
            session,
            by=shop.by,
            audience_id=services.create_audience(session, by=shop.by, name="R", definition=BUYERS, as_of=AS_OF).id,
            as_of=AS_OF,
        )
        result = services.combine(
            session,
            by=shop.by,
            op=op,
            left={"snapshot": left.id},  # type: ignore[arg-type]
            right={"snapshot": right.id},
            name=op,
        )
        members = set(
            session.scalars(select(AudienceMember.customer_id).where(AudienceMember.snapshot_id == result.id))
        )
    want = combine(set(expected(shop, SHANGHAI)), set(expected(shop, BUYERS)))  # type: ignore[operator]
    assert members == want and result.member_count == len(want)


def test_send_batches_hold_at_most_the_batch_size_and_cover_everyone(shop: Shop) -> None:
    with transaction(shop.factory, write=True) as session:
        audience = services.create_audience(session, by=shop.by, name="全部", definition={"not": SHANGHAI}, as_of=AS_OF)
        snapshot = services.freeze_audience(session, by=shop.by, audience_id=audience.id, as_of=AS_OF)
        sizes = services.snapshot_batches(session, shop_id=shop.world.shop_id, snapshot_id=snapshot.id, size=7)
        batches = [
            services.batch_member_ids(session, shop_id=shop.world.shop_id, snapshot_id=snapshot.id, batch=b, size=7)
            for b in range(1, len(sizes) + 1)
        ]
    assert all(s <= 7 for s in sizes) and sum(sizes) == snapshot.member_count
    flat = [cid for b in batches for cid in b]
    assert flat == sorted(set(flat)) and len(flat) == snapshot.member_count
    assert services.BATCH_SIZE == 30_000


def test_manual_tags_by_id_by_account_list_and_from_a_snapshot(shop: Shop) -> None:
    customers = sorted(shop.world.customers.values(), key=lambda c: c.id)
    with transaction(shop.factory, write=True) as session:
        tag = services.create_tag(session, by=shop.by, name="手动", dimension="custom")
        assert services.tag_customers(session, by=shop.by, tag_id=tag.id, customer_ids=[customers[0].id]) == 1
        added, unknown = services.tag_accounts(
            session, by=shop.by, tag_id=tag.id, accounts=[customers[0].account, customers[1].account, "nobody"]
        )
        assert (added, unknown) == (1, ["nobody"])
        snapshot = services.freeze_audience(
            session,
            by=shop.by,
            audience_id=services.create_audience(session, by=shop.by, name="S", definition=SHANGHAI, as_of=AS_OF).id,
            as_of=AS_OF,
        )
        services.tag_snapshot(session, by=shop.by, tag_id=tag.id, snapshot_id=snapshot.id)
        members = set(session.scalars(select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag.id)))
        count = tag.member_count
    assert members == {customers[0].id, customers[1].id} | set(expected(shop, SHANGHAI))
    assert count == len(members)
    with transaction(shop.factory) as session:  # the new tag is visible to the audience engine at once
        n = audiences.count_audience(
            session, shop_id=shop.world.shop_id, definition={"field": "tags", "values": [tag.id]}, as_of=AS_OF
        )
    assert n == len(members)


def test_rule_tags_follow_their_rule_and_standard_tags_install_once(shop: Shop) -> None:
    with transaction(shop.factory, write=True) as session:
        tag = services.create_tag(session, by=shop.by, name="上海规则", rule=SHANGHAI)
        services.refresh_rule_tag(session, by=shop.by, tag_id=tag.id, as_of=AS_OF)
        assert tag.member_count == len(expected(shop, SHANGHAI))
        first = services.install_standard_tags(session, by=shop.by, categories=["坚果"])
        again = services.install_standard_tags(session, by=shop.by, categories=["坚果"])
        refreshed = services.refresh_rule_tags(session, by=shop.by, as_of=AS_OF)
    assert len(first) == len(services.STANDARD_TAGS) + 1 and again == []
    by_name = {t.name: t.member_count for t in refreshed}
    assert by_name["买过坚果"] == len(expected(shop, {"field": "bought_category", "values": ["坚果"]}))
    assert by_name["高消费力"] == len(expected(shop, {"field": "monetary_level", "values": ["high"]}))
