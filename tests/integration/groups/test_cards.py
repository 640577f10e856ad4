"""Daily operation cards with a database (SPEC §7): a card is posted as a chat message with its product,
only by those who may post for the group, and leaves the card list when its message is removed."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.core.errors import InvalidInput
from siyu.groups import cards, services
from siyu.groups.cards import CardSpec
from siyu.groups.errors import NotGroupAdmin
from siyu.groups.models import GroupCard, GroupPost
from siyu.shops.services import principal_for_staff
from tests.factories.groups import make_group
from tests.factories.shops import ShopWorld, make_shop, make_sub_account


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


def test_a_card_is_a_chat_message_with_its_product(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor)
    spec = CardSpec("poster", "护齿电动牙刷", 19_900, list_price_fen=29_900, sku="100012", text="群专享")
    card = cards.publish_card(db, by=world.principal.actor, group_id=group.id, spec=spec)
    post = db.get_one(GroupPost, card.post_id)
    assert post.kind == "message" and post.author_kind == "staff" and post.sub_group_id is None
    assert post.text == "【营销海报】护齿电动牙刷 ¥199.00（原价 ¥299.00） 群专享"
    assert (card.sku, card.price_fen, card.list_price_fen) == ("100012", 19_900, 29_900)
    assert cards.cards_of_posts(db, [post.id]) == {post.id: card}
    assert [c.id for c in cards.list_cards(db, shop_id=world.shop.id, group_id=group.id)] == [card.id]


def test_a_refused_card_posts_nothing(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor)
    with pytest.raises(InvalidInput):
        cards.publish_card(db, by=world.principal.actor, group_id=group.id, spec=CardSpec("poster", "牙刷", 0))
    assert not db.scalars(select(GroupPost)).all() and not db.scalars(select(GroupCard)).all()


def test_only_who_may_post_for_the_group_posts_cards(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor)
    viewer = principal_for_staff(make_sub_account(db, world, permissions=["groups:view"])).actor
    with pytest.raises(NotGroupAdmin):
        cards.publish_card(db, by=viewer, group_id=group.id, spec=CardSpec("recommend", "牙线", 990))
    sub = services.sub_groups_of(db, group.id)[0]
    services.set_admins(db, by=world.principal.actor, sub_group_id=sub.id, staff_ids=[viewer.id or 0])
    card = cards.publish_card(
        db, by=viewer, group_id=group.id, spec=CardSpec("recommend", "牙线", 990), sub_group_id=sub.id
    )
    assert db.get_one(GroupPost, card.post_id).sub_group_id == sub.id


def test_a_removed_cards_message_takes_it_off_the_list(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor)
    card = cards.publish_card(
        db, by=world.principal.actor, group_id=group.id, spec=CardSpec("new_arrival", "牙刷", 100)
    )
    services.remove_post(db, by=world.principal.actor, post_id=card.post_id, reason="价格写错")
    assert cards.list_cards(db, shop_id=world.shop.id, group_id=group.id) == []
