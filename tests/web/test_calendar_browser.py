"""The campaign calendar in headless Chromium against a live server: the 双12 quick fill plans an event whose
card shows the seed's waves, and the yearly coverage page draws its ECharts chart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.channels.models import OutboxMessage
from siyu.customers.models import Customer
from siyu.db import transaction
from siyu.shops.models import Staff
from siyu.shops.services import principal_for_staff
from tests.factories.campaigns import reachable_customers
from tests.web.test_web_browser import log_in
from tests.web.web_support import Live, Shop, live_shop, screenshot_dir

pytestmark = pytest.mark.browser
IMAGES = screenshot_dir()
SENT = (0, 1, 2, 3, 5, 6, 7, 7, 9, 12)  # marketing SMS each customer got this year: some below the minimum of 5


def _fill(factory: sessionmaker[Session], shop: Shop) -> None:
    with transaction(factory, write=True) as session:
        staff = session.scalar(select(Staff).where(Staff.username == shop.main))
        assert staff is not None
        by = principal_for_staff(staff).actor
        ids = reachable_customers(session, by, len(SENT))
        for n, customer_id in enumerate(ids):
            session.get_one(Customer, customer_id).name = f"顾客{n + 1}"
        at = datetime.now(UTC) - timedelta(days=2)
        for customer_id, count in zip(ids, SENT, strict=True):
            for n in range(count):
                session.add(
                    OutboxMessage(
                        shop_id=by.shop_id,
                        channel="sms",
                        purpose="marketing",
                        customer_id=customer_id,
                        ref=f"cov-{customer_id}-{n}",
                        text="【测试旗舰店】上新 拒收请回复R",
                        status="delivered",
                        due_at=at,
                        sent_at=at,
                        delivered_at=at,
                    )
                )


@pytest.fixture(scope="module")
def live(database: object) -> Iterator[Live]:
    with live_shop(database, "calshop", _fill) as served:
        yield served


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_the_double_12_quick_fill_plans_an_event_with_waves_and_coverage_draws_a_chart(live: Live, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live.base, live.shop.main)
    page.goto(f"{live.base}/calendar")
    expect(page.locator("[data-testid=no-events]")).to_be_visible()
    page.click("[data-festival='12.12']")
    expect(page.locator("select[name=festival]")).to_have_value("12.12")
    expect(page.locator("input[name=starts_at]")).to_have_value(re.compile(r"^\d{4}-12-12T00:00$"))
    page.click("[data-testid=save-event]")
    expect(page.locator("[data-testid=notice]")).to_contain_text("活动已加入营销日历")
    card = page.locator("section[data-event]").first
    expect(card).to_be_visible()
    waves = card.locator("[data-testid=waves] tbody tr[data-wave]")
    expect(waves).not_to_have_count(0)
    expect(card.locator("[data-testid=waves]")).to_contain_text("预热")
    expect(card.locator("[data-testid=reach]")).to_contain_text("10 人")
    # the save lands on the card's anchor; from the top the full-page picture has the notice and the toolbar
    page.evaluate("window.scrollTo(0, 0)")
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "calendar.png"), full_page=True)

    page.goto(f"{live.base}/calendar/coverage")
    expect(page.locator("#coverage-chart canvas")).to_have_count(1)
    box = page.locator("#coverage-chart canvas").bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    expect(page.locator("[data-stat=below]")).to_have_text("4")
    expect(page.locator("[data-testid=fewest]")).to_contain_text("顾客1")
    page.screenshot(path=str(IMAGES / "calendar-coverage.png"), full_page=True)
    assert errors == []
