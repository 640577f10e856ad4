"""The buyer's group page in headless Chromium on a phone-sized screen: enter by the signed JD link, join,
post, and see another buyer's message arrive without reloading."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.customers.models import Customer
from siyu.db import transaction, utcnow
from siyu.groups import activities, joining, services
from siyu.groups.activities import ActivitySpec, FlashItemSpec
from siyu.groups.models import Group
from siyu.shops.models import Shop as ShopRow
from siyu.web.views.h5_groups import signed_entry_url
from tests.factories.customers import make_customer
from tests.web.web_support import Live, Shop, live_shop, screenshot_dir

pytestmark = pytest.mark.browser

SCREENSHOT = screenshot_dir() / "h5-group.png"


def _owner(shop: Shop) -> Actor:
    return Actor(shop.shop_id, "token", None, "test")


def _fill(factory: sessionmaker[Session], shop: Shop) -> None:
    by = _owner(shop)
    now = utcnow()
    with transaction(factory, write=True) as session:
        group = services.create_group(
            session,
            by=by,
            spec=services.GroupSpec(name="福利群", description="每晚 8 点秒杀与红包雨，群友专享价", capacity=2),
        )
        services.publish_post(
            session,
            by=by,
            group_id=group.id,
            kind="essential",
            title="双11 攻略",
            text="0 点开抢，叠加群券",
            at_all=True,
        )
        services.publish_post(session, by=by, group_id=group.id, kind="rule", text="禁止发广告、外链，文明交流")
        services.publish_post(
            session, by=by, group_id=group.id, kind="faq", title="怎么领券？", text="点群活动里的领取"
        )
        starts, ends = now - timedelta(minutes=30), now + timedelta(hours=3)
        activities.create_activity(
            session,
            by=by,
            group_id=group.id,
            spec=ActivitySpec(
                kind="flash_sale",
                name="晚 8 点秒杀",
                starts_at=starts,
                ends_at=ends,
                items=[
                    FlashItemSpec("100001", "保温杯 500ml", 19_900, 12_900, 20),
                    FlashItemSpec("100002", "电动牙刷", 29_900, 19_900, 5),
                ],
            ),
        )
        activities.create_activity(
            session,
            by=by,
            group_id=group.id,
            spec=ActivitySpec(
                kind="red_packet", name="整点红包雨", starts_at=starts, ends_at=ends, budget_fen=1_000, packets=10
            ),
        )
        friend = make_customer(session, shop.shop_id, account="jd_friend_lm", name="李梅")
        joining.join_group(session, by=by, group_id=group.id, customer_id=friend.id)
        services.post_message(session, by=by, group_id=group.id, customer_id=friend.id, text="今晚的保温杯真划算！")
        services.publish_post(session, by=by, group_id=group.id, kind="message", text="欢迎新朋友，晚 8 点见～")


@pytest.fixture(scope="module")
def live(database: object) -> Iterator[Live]:
    with live_shop(database, "h5grp", _fill) as served:
        yield served


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


def test_a_buyer_joins_posts_and_sees_a_new_message_without_reloading(live: Live, phone: Page) -> None:
    with transaction(live.factory) as session:
        shop = session.get_one(ShopRow, live.shop.shop_id)
        group = session.scalars(select(Group).where(Group.shop_id == shop.id)).one()
        friend = session.scalars(select(Customer).where(Customer.account == "jd_friend_lm")).one()
    phone.goto(f"{live.base}{signed_entry_url(shop, group.code, 'jd_buyer_zw')}")
    expect(phone).to_have_url(f"{live.base}/m/h5grp/g/{group.code}")
    expect(phone.locator("[data-testid=group-name]")).to_have_text("福利群")
    expect(phone.locator("[data-testid=goal]")).to_contain_text("任何人可进群")
    expect(phone.locator("[data-testid=flash-price]").first).to_have_text("入群可见")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOT.with_name("h5-group-entry.png")), full_page=True)

    # join: the first sub-group, the chat with the friend's message and the group-only prices
    phone.locator("[data-testid=join]").tap()
    expect(phone.locator("[data-testid=flash]")).to_have_text("入群成功！你在「福利群 1群」")
    expect(phone.locator("[data-testid=sub-group]")).to_contain_text("福利群 1群")
    chat = phone.locator("[data-testid=chat] [data-testid=message]")
    expect(chat).to_have_count(2)
    expect(chat.first).to_contain_text("李梅")
    expect(phone.locator("[data-testid=flash-price]").first).to_have_text("¥129.00")

    # post: the message shows on the right, and the page did not reload
    phone.evaluate("window.__stayed = true")
    phone.locator("[data-testid=post-text]").fill("请问保温杯有粉色吗？")
    phone.locator("[data-testid=post-send]").tap()
    mine = phone.locator("[data-testid=chat] .h5-msg-mine")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("请问保温杯有粉色吗？")
    expect(phone.locator("[data-testid=post-text]")).to_have_value("")
    assert phone.evaluate("window.__stayed === true")

    # another buyer's message, written straight into the database, arrives by the 3-second poll
    with transaction(live.factory, write=True) as session:
        services.post_message(
            session, by=_owner(live.shop), group_id=group.id, customer_id=friend.id, text="有的，粉色和白色都有"
        )
    expect(chat.last).to_contain_text("有的，粉色和白色都有", timeout=6_000)
    expect(chat).to_have_count(4)
    assert phone.evaluate("window.__stayed === true")

    # check in, then the week shows today done
    phone.locator("[data-testid=checkin]").tap()
    expect(phone.locator("[data-testid=flash]")).to_contain_text("签到成功")
    expect(phone.locator("[data-testid=week] li.done")).to_have_count(1)

    # nothing is wider than the phone
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.evaluate("window.scrollTo(0, 0)")
    phone.screenshot(path=str(SCREENSHOT), full_page=True)
    phone.locator("#chat").scroll_into_view_if_needed()
    phone.screenshot(path=str(SCREENSHOT.with_name("h5-group-chat.png")))
