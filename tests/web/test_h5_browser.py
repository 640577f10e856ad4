"""The buyer H5 pages in headless Chromium on a phone-sized screen: join, land on the card, check in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.db import transaction
from siyu.loyalty import services as loyalty
from tests.web.web_support import Live, Shop, live_shop, screenshot_dir

pytestmark = pytest.mark.browser

SCREENSHOT = screenshot_dir() / "h5-card.png"


def _fill(factory: sessionmaker[Session], shop: Shop) -> None:
    by = Actor(shop.shop_id, "system", None, "test")
    with transaction(factory, write=True) as session:
        for name, cost, stock in (("品牌帆布袋", 80, 50), ("保温杯", 300, 20), ("新品试用装", 1_000, 0)):
            spec = loyalty.MallItemSpec(name=name, kind="gift", points_cost=cost, stock=stock, description="")
            loyalty.create_mall_item(session, by=by, spec=spec)


@pytest.fixture(scope="module")
def live(database: object) -> Iterator[Live]:
    """A migrated database with a shop and three points-mall items, served by uvicorn on 127.0.0.1."""
    with live_shop(database, "h5shop", _fill) as served:
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


def test_a_buyer_joins_lands_on_the_card_and_checks_in(live: Live, phone: Page) -> None:
    phone.goto(f"{live.base}/m/h5shop/join")
    expect(phone.locator("[data-testid=shop-name]")).to_have_text("h5shop 旗舰店")
    expect(phone.locator("[data-testid=tiers] [data-tier]")).to_have_count(4)
    expect(phone.locator("[data-testid=join-gift]")).to_have_text("立即开卡，送 100 积分")

    # when the buyer submits without ticking the consent, the page says why and keeps the phone
    phone.locator("[data-testid=phone]").fill("13812348000")
    phone.locator("[data-testid=name]").fill("王小明")
    phone.locator("[data-testid=join-submit]").tap()
    expect(phone.locator("[data-testid=join-error]")).to_contain_text("请阅读并勾选同意")
    expect(phone.locator("[data-testid=phone]")).to_have_value("13812348000")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOT.with_name("h5-join.png")), full_page=True)

    # when they agree and join, they land on their card with the join gift
    phone.locator("[data-testid=consent]").check()
    phone.locator("[data-testid=join-submit]").tap()
    expect(phone).to_have_url(f"{live.base}/m/h5shop/card")
    expect(phone.locator("[data-testid=flash]")).to_have_text("开卡成功！已获得开卡礼 100 积分")
    balance = phone.locator("[data-testid=balance]")
    expect(balance).to_have_attribute("data-points", "100")
    expect(phone.locator("[data-testid=phone-masked]")).to_have_text("138****8000")
    expect(phone.locator("[data-testid=tier]")).to_have_text("普通会员")
    expect(phone.locator("[data-testid=streak]")).to_have_attribute("data-streak", "0")
    expect(phone.locator("[data-testid=mall] [data-item]")).to_have_count(3)
    expect(phone.locator("[data-testid=mall] button[disabled]")).to_have_count(2)  # 300 points short, sold out

    # when they check in, the balance rises by the check-in points and the button is done for today
    phone.locator("[data-testid=checkin]").tap()
    expect(phone.locator("[data-testid=flash]")).to_have_text("签到成功，+5 积分")
    expect(balance).to_have_attribute("data-points", "105")
    expect(balance).to_have_text("105")
    expect(phone.locator("[data-testid=streak]")).to_have_attribute("data-streak", "1")
    expect(phone.locator("[data-testid=checkin]")).to_be_disabled()
    expect(phone.locator("[data-testid=history] li")).to_have_count(2)

    # nothing on the page is wider than the phone
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390

    phone.screenshot(path=str(SCREENSHOT), full_page=True)
