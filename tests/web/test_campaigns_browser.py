"""The SMS campaign console in headless Chromium against a live server: the composer counts characters and
parts while typing, and the results page draws its chart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from siyu.campaigns import services
from siyu.campaigns.models import Campaign
from siyu.channels.models import OutboxMessage
from siyu.db import transaction
from siyu.shops.models import Staff
from siyu.shops.services import principal_for_staff
from tests.factories.campaigns import frozen_audience, reachable_customers, spec
from tests.web.test_web_browser import log_in
from tests.web.web_support import Live, Shop, live_shop, screenshot_dir

pytestmark = pytest.mark.browser
IMAGES = screenshot_dir()


def _fill(factory: sessionmaker[Session], shop: Shop) -> None:
    with transaction(factory, write=True) as session:
        staff = session.scalar(select(Staff).where(Staff.username == shop.main))
        assert staff is not None
        by = principal_for_staff(staff).actor
        snapshot = frozen_audience(session, by, reachable_customers(session, by, 40))
        campaign = services.create_campaign(session, by=by, spec=spec(snapshot, name="已发送的活动"))
        services.queue_campaign(session, by=by, campaign_id=campaign.id)
        now = datetime.now(UTC)
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.campaign_id == campaign.id)
            .values(status="delivered", sent_at=now, delivered_at=now)
        )


@pytest.fixture(scope="module")
def live(database: object) -> Iterator[Live]:
    with live_shop(database, "smsshop", _fill) as served:
        yield served


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_composer_shows_parts_and_cost_while_typing_and_results_draw_a_chart(live: Live, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live.base, live.shop.main)
    page.goto(f"{live.base}/campaigns")
    page.click("[data-testid=new-campaign]")
    page.fill("input[name=signature]", "测试旗舰店")
    page.fill("#sms-body", "双11全场2折起 拒收请回复R")
    expect(page.locator("[data-stat=parts]")).to_have_text("1")
    short = int(page.locator("[data-stat=length]").inner_text())
    page.click("[data-insert='{link}']")
    page.locator("#sms-body").press_sequentially("好物" * 40)
    expect(page.locator("[data-stat=parts]")).not_to_have_text("1")
    assert int(page.locator("[data-stat=length]").inner_text()) > short + 70
    expect(page.locator("[data-stat=cost]")).to_have_text(re.compile(r"¥"))
    expect(page.locator("[data-testid=phone-preview]")).to_contain_text("【测试旗舰店】")
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "campaign-composer.png"), full_page=True)
    page.fill("input[name=name]", "浏览器里写的活动")
    page.click("[data-testid=save-campaign]")
    expect(page.locator("[data-testid=notice]")).to_contain_text("草稿已保存")
    expect(page.locator("[data-testid=campaign-summary]")).to_contain_text("浏览器里写的活动")

    with transaction(live.factory) as session:
        sent_id = session.scalar(select(Campaign.id).where(Campaign.name == "已发送的活动"))
    page.goto(f"{live.base}/campaigns/{sent_id}/results")
    expect(page.locator("[data-stat=delivered]")).not_to_have_text("0")
    expect(page.locator("#campaign-chart canvas")).to_have_count(1)
    page.screenshot(path=str(IMAGES / "campaign-results.png"), full_page=True)
    assert errors == []
