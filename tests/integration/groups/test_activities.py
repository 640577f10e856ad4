"""Group activities with a database (SPEC §8): the three-at-once limit, flash sales at the group price within
the merchant's floor, red-packet rain, group coupons within the coupon's claim window, guess the price."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.audit.services import Actor
from siyu.core.errors import InvalidInput
from siyu.groups import activities, joining
from siyu.groups.activities import ActivitySpec, FlashItemSpec
from siyu.groups.errors import ActivityLimit, ActivityNotRunning, AlreadyTaken, NoPacketLeft, NotAGroupMember, SoldOut
from siyu.groups.models import GrowthAccount, RedPacket
from tests.factories.groups import buyer, buyers, joined, make_group
from tests.factories.loyalty import make_member, make_program
from tests.factories.promotions import make_template
from tests.factories.shops import ShopWorld, make_shop

NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


def owner(world: ShopWorld) -> Actor:
    return world.principal.actor


def window(start_hours: float = -1, hours: float = 3) -> tuple[datetime, datetime]:
    start = NOW + timedelta(hours=start_hours)
    return start, start + timedelta(hours=hours)


def guess(name: str = "猜猜这款面霜", start_hours: float = -1, hours: float = 3) -> ActivitySpec:
    starts, ends = window(start_hours, hours)
    return ActivitySpec(
        "guess", name, starts, ends, guess_name="面霜 50ml", guess_price_fen=19_900, guess_tolerance_pct=5
    )


def flash(*items: FlashItemSpec, hours: float = 3) -> ActivitySpec:
    starts, ends = window(-1, hours)
    return ActivitySpec(
        "flash_sale", "今晚限时抢购", starts, ends, items=items or (FlashItemSpec("100001", "面霜", 19_900, 12_900, 2),)
    )


def test_at_most_three_activities_run_in_a_group_at_once(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    for n in range(3):
        activities.create_activity(db, by=owner(world), group_id=group.id, spec=guess(f"活动{n}"))
    with pytest.raises(ActivityLimit) as refused:
        activities.create_activity(db, by=owner(world), group_id=group.id, spec=guess("第四个"))
    assert "最多进行 3 个活动" in refused.value.zh
    later = activities.create_activity(db, by=owner(world), group_id=group.id, spec=guess("明天的", start_hours=24))
    assert later.id
    other = make_group(db, owner(world), name="另一个群")
    assert activities.create_activity(db, by=owner(world), group_id=other.id, spec=guess("别的群"))


def test_activities_that_never_overlap_all_three_at_once_are_allowed(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    activities.create_activity(db, by=owner(world), group_id=group.id, spec=guess("上午", start_hours=0, hours=2))
    activities.create_activity(db, by=owner(world), group_id=group.id, spec=guess("下午", start_hours=4, hours=2))
    activities.create_activity(db, by=owner(world), group_id=group.id, spec=guess("全天", start_hours=0, hours=8))
    assert activities.create_activity(
        db, by=owner(world), group_id=group.id, spec=guess("中午", start_hours=2, hours=2)
    )
    assert activities.create_activity(
        db, by=owner(world), group_id=group.id, spec=guess("全天二", start_hours=0, hours=8)
    )
    with pytest.raises(ActivityLimit):  # 上午, 全天 and 全天二 all run at 1:00
        activities.create_activity(
            db, by=owner(world), group_id=group.id, spec=guess("又一个上午", start_hours=1, hours=1)
        )


def test_a_cancelled_activity_frees_its_place(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    made = [
        activities.create_activity(db, by=owner(world), group_id=group.id, spec=guess(f"活动{n}")) for n in range(3)
    ]
    activities.cancel_activity(db, by=owner(world), activity_id=made[0].id)
    assert activities.create_activity(db, by=owner(world), group_id=group.id, spec=guess("补上"))


def test_a_flash_sale_price_may_not_go_below_the_floor(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    activities.set_price_floor(db, by=owner(world), category="", min_discount_pct=70)
    activities.set_price_floor(db, by=owner(world), category="美妆", min_discount_pct=80)
    with pytest.raises(InvalidInput) as refused:
        activities.create_activity(
            db, by=owner(world), group_id=group.id, spec=flash(FlashItemSpec("A1", "面霜", 10_000, 7_900, 5, "美妆"))
        )
    assert refused.value.code == "group_flash_sale_below_min_discount" and "A1" in refused.value.zh
    made = activities.create_activity(
        db, by=owner(world), group_id=group.id, spec=flash(FlashItemSpec("A1", "面霜", 10_000, 8_000, 5, "美妆"))
    )
    assert [(i.sku, i.price_fen, i.stock) for i in activities.flash_items(db, made.id)] == [("A1", 8_000, 5)]


def test_a_flash_sale_lasts_one_to_forty_eight_hours(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    with pytest.raises(InvalidInput) as refused:
        activities.create_activity(db, by=owner(world), group_id=group.id, spec=flash(hours=49))
    assert refused.value.code == "group_flash_sale_duration"


def test_flash_sale_members_buy_one_each_until_sold_out(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    sale = activities.create_activity(db, by=owner(world), group_id=group.id, spec=flash())
    item = activities.flash_items(db, sale.id)[0]
    first, second, third = joined(db, group, 3)
    outsider = buyers(db, world.shop.id, 1)[0]
    by = buyer(world.shop.id)
    order = activities.buy_flash_item(db, by=by, activity_id=sale.id, item_id=item.id, customer_id=first.id, now=NOW)
    assert order.price_fen == 12_900
    with pytest.raises(AlreadyTaken):
        activities.buy_flash_item(db, by=by, activity_id=sale.id, item_id=item.id, customer_id=first.id, now=NOW)
    activities.buy_flash_item(db, by=by, activity_id=sale.id, item_id=item.id, customer_id=second.id, now=NOW)
    with pytest.raises(SoldOut):
        activities.buy_flash_item(db, by=by, activity_id=sale.id, item_id=item.id, customer_id=third.id, now=NOW)
    with pytest.raises(NotAGroupMember):
        activities.buy_flash_item(db, by=by, activity_id=sale.id, item_id=item.id, customer_id=outsider.id, now=NOW)
    with pytest.raises(ActivityNotRunning):
        activities.buy_flash_item(
            db, by=by, activity_id=sale.id, item_id=item.id, customer_id=third.id, now=NOW + timedelta(hours=5)
        )
    db.refresh(item)
    assert (item.sold, item.stock) == (2, 2)


def red_rain(db: Session, world: ShopWorld, group_id: int, budget: int, packets: int, rounds: int = 2) -> int:
    starts, ends = window()
    spec = ActivitySpec("red_packet", "红包雨", starts, ends, budget_fen=budget, packets=packets, rounds=rounds)
    return activities.create_activity(db, by=owner(world), group_id=group_id, spec=spec).id


def test_red_packet_rain_pays_at_most_the_budget_one_packet_per_member_per_round(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    rain = red_rain(db, world, group.id, budget=1_000, packets=3)
    members = joined(db, group, 4)
    by = buyer(world.shop.id)
    grabs = [activities.grab_red_packet(db, by=by, activity_id=rain, customer_id=m.id, now=NOW) for m in members[:3]]
    assert sum(g.amount_fen for g in grabs) == 1_000 and all(g.amount_fen >= 1 for g in grabs)
    again = activities.grab_red_packet(db, by=by, activity_id=rain, customer_id=members[0].id, now=NOW)
    assert again.already and again.amount_fen == grabs[0].amount_fen
    with pytest.raises(NoPacketLeft):
        activities.grab_red_packet(db, by=by, activity_id=rain, customer_id=members[3].id, now=NOW)
    assert activities.open_round(db, by=owner(world), activity_id=rain, now=NOW) == 2
    second = activities.grab_red_packet(db, by=by, activity_id=rain, customer_id=members[0].id, now=NOW)
    assert second.round == 2 and not second.already
    with pytest.raises(InvalidInput):
        activities.open_round(db, by=owner(world), activity_id=rain, now=NOW)  # two rounds planned
    assert activities.red_packet_totals(db, rain)[0] == 4
    assert db.scalar(select(func.sum(RedPacket.amount_fen))) == 2_000


def test_group_coupon_activity_must_lie_within_the_coupons_claim_window(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    template = make_template(
        db, owner(world), channel="group", claim_start=NOW - timedelta(days=1), claim_end=NOW + timedelta(days=1)
    )
    too_long = ActivitySpec("coupon", "群专享券", NOW, NOW + timedelta(days=2), coupon_template_id=template.id)
    with pytest.raises(InvalidInput) as refused:
        activities.create_activity(db, by=owner(world), group_id=group.id, spec=too_long)
    assert refused.value.code == "group_coupon_window"
    fits = ActivitySpec(
        "coupon", "群专享券", NOW - timedelta(hours=1), NOW + timedelta(hours=5), coupon_template_id=template.id
    )
    activity = activities.create_activity(db, by=owner(world), group_id=group.id, spec=fits)
    member = joined(db, group, 1)[0]
    entry = activities.claim_group_coupon(
        db, by=buyer(world.shop.id), activity_id=activity.id, customer_id=member.id, now=NOW
    )
    assert entry.coupon_id is not None
    with pytest.raises(AlreadyTaken):
        activities.claim_group_coupon(
            db, by=buyer(world.shop.id), activity_id=activity.id, customer_id=member.id, now=NOW
        )


def test_a_correct_guess_earns_card_members_points_and_one_guess_each(db: Session, world: ShopWorld) -> None:
    make_program(db, owner(world))
    group = make_group(db, owner(world))
    activity = activities.create_activity(db, by=owner(world), group_id=group.id, spec=guess())
    member = make_member(db, owner(world))
    stranger = joined(db, group, 1)[0]

    joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=member.customer_id)
    by = buyer(world.shop.id)
    right = activities.guess_price(
        db, by=by, activity_id=activity.id, customer_id=member.customer_id, guess_fen=20_500, now=NOW
    )
    assert right.correct and right.points > 0
    wrong = activities.guess_price(
        db, by=by, activity_id=activity.id, customer_id=stranger.id, guess_fen=9_900, now=NOW
    )
    assert not wrong.correct and wrong.points == 0
    with pytest.raises(AlreadyTaken):
        activities.guess_price(db, by=by, activity_id=activity.id, customer_id=stranger.id, guess_fen=19_900, now=NOW)
    growth = db.scalar(select(GrowthAccount.growth).where(GrowthAccount.customer_id == stranger.id))
    assert growth == 5  # taking part earns growth value once
