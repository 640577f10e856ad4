"""Groups with a database (SPEC §7): sub-groups and shop limits, joining in order, entry thresholds, who
cannot join, kicking, leaving, admins, posts and rule moderation, essentials."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.audit.services import Actor
from siyu.core.errors import InvalidInput, NotFound
from siyu.groups import joining, queries, services
from siyu.groups.errors import GroupFull, GroupLimit, JoinRefused, NotAGroupMember, NotGroupAdmin
from siyu.groups.models import GroupMember, GroupMemberEvent, GroupPost, SubGroup
from tests.factories.customers import make_order
from tests.factories.groups import buyer, buyers, joined, make_group
from tests.factories.shops import ShopWorld, make_shop, make_sub_account


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


def owner(world: ShopWorld) -> Actor:
    return world.principal.actor


def counts(db: Session, group_id: int) -> list[int]:
    return [s.member_count for s in services.sub_groups_of(db, group_id)]


def test_creating_a_group_creates_ten_sub_groups_of_a_thousand(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    subs = services.sub_groups_of(db, group.id)
    assert [(s.position, s.capacity, s.member_count) for s in subs] == [(n, 1000, 0) for n in range(1, 11)]
    assert len(group.code) == 10 and group.goal == "new"


def test_a_shop_has_at_most_ten_groups(db: Session, world: ShopWorld) -> None:
    for n in range(10):
        make_group(db, owner(world), name=f"群{n}")
    with pytest.raises(GroupLimit) as refused:
        make_group(db, owner(world), name="第十一个群")
    assert refused.value.code == "group_limit_groups" and "最多 10 个群" in refused.value.zh


def test_a_shop_has_at_most_a_hundred_sub_groups_and_a_hundred_thousand_fans(db: Session, world: ShopWorld) -> None:
    for n in range(10):
        make_group(db, owner(world), name=f"群{n}", sub_groups=10, capacity=1000)
    assert db.scalar(select(func.sum(SubGroup.capacity))) == 100_000
    assert queries.shop_overview(db, shop_id=world.shop.id) == (10, 100, 0)


def test_a_group_has_at_most_ten_sub_groups_of_a_thousand(db: Session, world: ShopWorld) -> None:
    for wrong, code in (({"sub_groups": 11}, "group_sub_groups"), ({"capacity": 1001}, "group_capacity")):
        with pytest.raises(InvalidInput) as refused:
            make_group(db, owner(world), **wrong)
        assert refused.value.code == code
    assert queries.shop_overview(db, shop_id=world.shop.id) == (0, 0, 0)


def test_joins_fill_sub_groups_in_order(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world), sub_groups=3, capacity=2)
    seats = []
    for customer in buyers(db, world.shop.id, 6):
        seats.append(
            joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=customer.id).position
        )
    assert seats == [1, 1, 2, 2, 3, 3]
    late = buyers(db, world.shop.id, 1)[0]
    with pytest.raises(GroupFull):
        joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=late.id)
    assert counts(db, group.id) == [2, 2, 2]


def test_joining_twice_changes_nothing(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world), sub_groups=2, capacity=5)
    customer = buyers(db, world.shop.id, 1)[0]
    first = joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=customer.id)
    again = joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=customer.id)
    assert again.already and again.sub_group_id == first.sub_group_id
    assert counts(db, group.id) == [1, 0]


def test_a_leave_frees_the_seat_for_the_next_joiner(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world), sub_groups=2, capacity=2)
    first, _, _ = joined(db, group, 3)
    services.leave_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=first.id)
    assert counts(db, group.id) == [1, 1]
    newcomer = buyers(db, world.shop.id, 1)[0]
    seat = joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=newcomer.id)
    assert seat.position == 1
    rejoin = joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=first.id)
    assert rejoin.position == 2 and counts(db, group.id) == [2, 2]
    kinds = db.scalars(select(GroupMemberEvent.kind).order_by(GroupMemberEvent.id)).all()
    assert kinds == ["join", "join", "join", "leave", "join", "join"]


@pytest.mark.parametrize(
    ("goal", "fields", "code"),
    [
        ("fans", {"follows_shop": False}, "group_followers_only"),
        ("members", {"is_member": False}, "group_members_only"),
        ("new", {"high_risk": True}, "group_high_risk"),
        ("new", {"merchant_account": True}, "group_merchant_account"),
    ],
)
def test_entry_thresholds_and_barred_accounts_are_refused_with_the_reason(
    db: Session, world: ShopWorld, goal: str, fields: dict[str, bool], code: str
) -> None:
    group = make_group(db, owner(world), goal=goal)
    customer = buyers(db, world.shop.id, 1, **fields)[0]
    with pytest.raises(JoinRefused) as refused:
        joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=customer.id)
    assert refused.value.code == code and refused.value.zh and refused.value.en
    assert counts(db, group.id)[0] == 0
    assert joining.join_refusal(db, group=group, customer_id=customer.id) is not None


def test_a_high_value_group_takes_buyers_whose_spend_reaches_the_threshold(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world), goal="high_value", min_spend_fen=50_000)
    poor, rich = buyers(db, world.shop.id, 2)
    make_order(db, poor, paid_fen=49_999)
    make_order(db, rich, paid_fen=30_000)
    make_order(db, rich, paid_fen=20_000)
    make_order(db, poor, paid_fen=90_000, is_paid=False)
    with pytest.raises(JoinRefused) as refused:
        joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=poor.id)
    assert refused.value.code == "group_spend_too_low"
    assert joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=rich.id).position == 1


def test_a_kicked_buyer_can_never_rejoin(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world), sub_groups=1, capacity=5)
    members = joined(db, group, 3)
    kicked = services.kick_members(db, by=owner(world), group_id=group.id, customer_ids=[members[0].id])
    assert kicked == [members[0].id] and counts(db, group.id) == [2]
    with pytest.raises(JoinRefused) as refused:
        joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=members[0].id)
    assert refused.value.code == "group_kicked"
    other = make_group(db, owner(world), name="另一个群")
    assert joining.join_group(db, by=buyer(world.shop.id), group_id=other.id, customer_id=members[0].id).position == 1


def test_a_buyer_barred_before_joining_cannot_join(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    stranger = buyers(db, world.shop.id, 1)[0]
    services.kick_members(db, by=owner(world), group_id=group.id, customer_ids=[stranger.id])
    with pytest.raises(JoinRefused):
        joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=stranger.id)


def test_at_most_ten_are_kicked_at_once(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    members = joined(db, group, 11)
    with pytest.raises(GroupLimit) as refused:
        services.kick_members(db, by=owner(world), group_id=group.id, customer_ids=[m.id for m in members])
    assert refused.value.code == "group_limit_kick"
    assert counts(db, group.id)[0] == 11
    assert (
        len(services.kick_members(db, by=owner(world), group_id=group.id, customer_ids=[m.id for m in members[:10]]))
        == 10
    )
    assert counts(db, group.id)[0] == 1


def test_only_the_owner_or_the_sub_groups_admins_may_kick(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world), sub_groups=2, capacity=1)
    first, second = joined(db, group, 2)
    admin = make_sub_account(db, world, ["groups:view"], username="admin1")
    services.set_admins(
        db, by=owner(world), sub_group_id=services.sub_groups_of(db, group.id)[1].id, staff_ids=[admin.id]
    )
    as_admin = Actor(world.shop.id, "staff", admin.id, admin.username)
    with pytest.raises(NotGroupAdmin):
        services.kick_members(db, by=as_admin, group_id=group.id, customer_ids=[first.id])  # not their sub-group
    with pytest.raises(NotGroupAdmin):
        services.kick_members(db, by=buyer(world.shop.id, second.id), group_id=group.id, customer_ids=[first.id])
    assert services.kick_members(db, by=as_admin, group_id=group.id, customer_ids=[second.id]) == [second.id]
    with pytest.raises(NotGroupAdmin):
        services.set_admins(db, by=as_admin, sub_group_id=services.sub_groups_of(db, group.id)[0].id, staff_ids=[])


def test_another_shops_group_is_not_found(db: Session, world: ShopWorld) -> None:
    other = make_shop(db, name="乙店")
    group = make_group(db, other.principal.actor)
    customer = buyers(db, world.shop.id, 1)[0]
    with pytest.raises(NotFound):
        joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=customer.id)
    with pytest.raises(NotFound):
        services.kick_members(db, by=owner(world), group_id=group.id, customer_ids=[customer.id])


def test_a_post_that_breaks_a_rule_is_removed_and_the_poster_warned(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    member = joined(db, group, 1)[0]
    services.add_rule(db, by=owner(world), kind="ad", action="remove")
    fine = services.post_message(
        db, by=buyer(world.shop.id), group_id=group.id, customer_id=member.id, text="这款好用吗？"
    )
    assert fine.verdict is None and fine.post.status == "visible"
    spam = services.post_message(
        db, by=buyer(world.shop.id), group_id=group.id, customer_id=member.id, text="兼职刷单日赚300 加 微 信 abc123"
    )
    assert spam.verdict is not None and spam.post.status == "removed" and spam.post.removed_reason.startswith("ad:")
    membership = services.membership_of(db, group.id, member.id)
    assert membership is not None and membership.warnings == 1 and membership.status == "active"
    visible = services.posts_after(db, group_id=group.id, sub_group_id=membership.sub_group_id)
    assert [p.text for p in visible] == ["这款好用吗？"]


def test_a_kick_rule_removes_the_poster_for_good(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    member = joined(db, group, 1)[0]
    services.add_rule(db, by=owner(world), kind="link", action="kick")
    allowed = services.post_message(
        db,
        by=buyer(world.shop.id),
        group_id=group.id,
        customer_id=member.id,
        text="看这个 https://item.jd.com/100.html",
    )
    assert allowed.verdict is None
    posted = services.post_message(
        db, by=buyer(world.shop.id), group_id=group.id, customer_id=member.id, text="便宜货 http://evil.example.cn/x"
    )
    assert posted.kicked and counts(db, group.id)[0] == 0
    with pytest.raises(NotAGroupMember):
        services.post_message(db, by=buyer(world.shop.id), group_id=group.id, customer_id=member.id, text="我又来了")
    with pytest.raises(JoinRefused):
        joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=member.id)


def test_essentials_faq_notes_and_rules_are_pinned_and_only_staff_post_them(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    member = joined(db, group, 1)[0]
    services.publish_post(
        db, by=owner(world), group_id=group.id, kind="essential", title="本周福利", text="周五 20:00 秒杀", at_all=True
    )
    services.publish_post(
        db, by=owner(world), group_id=group.id, kind="faq", title="如何领券", text="点击群公告的领券按钮"
    )
    services.publish_post(db, by=owner(world), group_id=group.id, kind="note", text="每天 20:00 限时抢购")
    services.publish_post(db, by=owner(world), group_id=group.id, kind="rule", text="禁止发广告和外链")
    pinned = services.pinned_posts(db, group_id=group.id)
    assert {k: len(v) for k, v in pinned.items()} == {"essential": 1, "faq": 1, "note": 1, "rule": 1}
    assert pinned["essential"][0].at_all
    with pytest.raises(NotGroupAdmin):
        services.publish_post(
            db, by=buyer(world.shop.id, member.id), group_id=group.id, kind="essential", text="我也想"
        )


def test_the_member_list_searches_by_name_account_and_phone_tail(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    joined(db, group, 3)
    joined(db, group, 1, name="林小雨", phone_masked="138****5678", phone_tail="5678")
    rows, total = queries.members(db, group_id=group.id, q="林小")
    assert total == 1 and rows[0].name == "林小雨" and rows[0].phone_masked == "138****5678"
    assert queries.members(db, group_id=group.id, q="5678")[1] == 1
    assert queries.members(db, group_id=group.id)[1] == 4


def test_a_closed_group_takes_no_joins(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    services.set_group_status(db, by=owner(world), group_id=group.id, status="closed")
    customer = buyers(db, world.shop.id, 1)[0]
    with pytest.raises(JoinRefused) as refused:
        joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=customer.id)
    assert refused.value.code == "group_closed"
    assert db.scalar(select(func.count()).select_from(GroupMember)) == 0
    assert db.scalar(select(func.count()).select_from(GroupPost)) == 0


def test_the_member_search_takes_percent_and_underscore_literally(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    joined(db, group, 1, account="jd_1")
    joined(db, group, 1, account="jdx1")
    rows, total = queries.members(db, group_id=group.id, q="jd_1")
    assert total == 1 and rows[0].account == "jd_1"
    assert queries.members(db, group_id=group.id, q="%")[1] == 0


def test_a_keyword_rule_of_punctuation_only_is_refused_and_posts_keep_working(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    member = joined(db, group, 1)[0]
    with pytest.raises(InvalidInput):
        services.add_rule(db, by=owner(world), kind="keyword", pattern="!!!")
    posted = services.post_message(db, by=buyer(world.shop.id), group_id=group.id, customer_id=member.id, text="你好")
    assert posted.verdict is None


def test_a_closed_group_says_so_to_a_poster(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    member = joined(db, group, 1)[0]
    services.set_group_status(db, by=owner(world), group_id=group.id, status="closed")
    with pytest.raises(JoinRefused) as refused:
        services.post_message(db, by=buyer(world.shop.id), group_id=group.id, customer_id=member.id, text="你好")
    assert refused.value.code == "group_closed"
