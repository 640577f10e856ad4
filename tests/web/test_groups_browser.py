"""The group console in headless Chromium against a live server with the demo shop's customers: create a
group (10 sub-groups), remove two members at once, start a red-packet rain, and the group data charts.

With SIYU_DOC_SCREENSHOTS=1 the group page and the data page land in docs/images (groups.png,
group-data.png) for the README; otherwise in the temporary screenshot folder."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from siyu.customers.demo import DEMO_SHOP_NAME, write_demo_data
from siyu.customers.models import Customer
from siyu.db import transaction, utcnow
from siyu.groups import joining, services
from siyu.groups.models import Group
from siyu.shops.models import Shop as ShopRow
from siyu.shops.models import Staff
from tests.factories.groups import buyer
from tests.web.test_web_browser import log_in
from tests.web.web_support import Live, Shop, live_shop, screenshot_dir

pytestmark = pytest.mark.browser
IMAGES = screenshot_dir()
JOINED = 30  # buyers who joined the new group over the last month
LEFT = 3  # of them, left again since


def _fill(factory: sessionmaker[Session], shop: Shop) -> None:
    write_demo_data(factory, shop_id=shop.shop_id, customers=120, seed=7)
    with transaction(factory, write=True) as session:  # named like `make run`'s demo shop, for the README
        session.get_one(ShopRow, shop.shop_id).name = DEMO_SHOP_NAME
        viewer = session.scalars(select(Staff).where(Staff.username == shop.viewer)).one()
        viewer.display_name = "演示只读账号"


def _a_month_of_joins(live: Live, group_id: int) -> list[int]:
    """The group as if opened a month ago: ``JOINED`` demo buyers joined on random days, ``LEFT`` of them
    left again. Returns the buyers still in, in the order they joined."""
    rng = random.Random(6)
    now = utcnow()
    with transaction(live.factory, write=True) as session:
        session.execute(update(Group).where(Group.id == group_id).values(created_at=now - timedelta(days=30)))
        people = list(
            session.scalars(
                select(Customer.id)
                .where(
                    Customer.shop_id == live.shop.shop_id,
                    Customer.high_risk.is_(False),
                    Customer.merchant_account.is_(False),
                    Customer.name != "",
                )
                .order_by(Customer.id)
                .limit(JOINED)
            )
        )
        assert len(people) == JOINED
        when = sorted(now - timedelta(days=rng.randint(0, 28), minutes=rng.randint(0, 600)) for _ in people)
        for customer_id, at in zip(people, when, strict=True):
            by = buyer(live.shop.shop_id, customer_id)
            joining.join_group(session, by=by, group_id=group_id, customer_id=customer_id, now=at)
        for customer_id in people[:LEFT]:
            by = buyer(live.shop.shop_id, customer_id)
            services.leave_group(
                session, by=by, group_id=group_id, customer_id=customer_id, now=now - timedelta(days=2)
            )
    return people[LEFT:]


@pytest.fixture(scope="module")
def live(database: object) -> Iterator[Live]:
    """A migrated database with the demo shop's 120 customers, served on 127.0.0.1."""
    with live_shop(database, "demo", _fill) as served:
        yield served


@dataclass
class Watched:
    page: Page
    errors: list[str]

    def unexpected(self) -> list[str]:
        """Console errors and uncaught exceptions, less the browser's own favicon request."""
        return [e for e in self.errors if "/favicon.ico" not in e]


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    """A 1280×900 Chinese page (the README's picture size) that collects console errors and exceptions and
    accepts the confirm() of the remove button."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(f"{message.text} {message.location.get('url', '')}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())
    yield Watched(page, errors)
    context.close()


def _members(page: Page) -> int:
    text = page.locator("[data-testid=member-total]").inner_text()
    found = re.search(r"[\d,]+", text)
    assert found, text
    return int(found[0].replace(",", ""))


def test_create_a_group_remove_members_start_a_red_packet_rain_and_see_the_charts(live: Live, watched: Watched) -> None:
    page, base = watched.page, live.base
    log_in(page, base, live.shop.main)

    # create: 福利群 for new buyers; it gets 10 sub-groups of 1,000
    page.goto(f"{base}/groups")
    form = page.locator("[data-testid=group-form]")
    expect(form).to_be_visible()  # the form is open while the shop has no group
    form.locator("[data-field=name]").fill("福利群")
    form.locator("[data-field=goal]").select_option(label="拉新 · 任何人可进群")
    form.locator("[data-field=description]").fill("每晚 20:00 限时秒杀，群友专享价")
    page.click("[data-testid=create-group]")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/groups/\d+\?done=created$"))
    expect(page.locator("[data-testid=notice]")).to_have_text("群已创建。")
    expect(page.locator("[data-testid=group-facts]")).to_contain_text("拉新")
    expect(page.locator("[data-testid=sub-group-table] tbody tr")).to_have_count(10)
    expect(page.locator("[data-sub-group='10']")).to_contain_text("福利群 10群")
    group_id = int(page.url.split("/groups/")[1].split("?")[0])

    # a month of buyers joining (the services, as the H5 page would); the page shows them in sub-group 1
    still_in = _a_month_of_joins(live, group_id)
    active = JOINED - LEFT
    page.goto(f"{base}/groups/{group_id}")
    expect(page.locator("[data-sub-group='1'] [data-count]")).to_have_attribute("data-count", str(active))
    expect(page.locator("[data-testid=group-fill]")).to_contain_text(f"{active} / 10,000")
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "groups.png"))

    # members: tick two, 移出 (confirm accepted), they are gone from the active list
    page.click("[data-testid=group-tabs] >> text=群成员")
    expect(page).to_have_url(f"{base}/groups/{group_id}/members")
    assert _members(page) == active
    expect(page.locator("[data-testid=member-table] tbody tr")).to_have_count(active)
    chosen = still_in[:2]
    for customer_id in chosen:
        page.check(f"[data-kick='{customer_id}']")
    page.click("[data-testid=kick]")
    expect(page.locator("[data-testid=notice]")).to_be_visible()
    expect(page.locator("[data-testid=member-total]")).to_contain_text(str(active - 2))
    expect(page.locator("[data-testid=member-table] tbody tr")).to_have_count(active - 2)
    for customer_id in chosen:
        expect(page.locator(f"tr[data-member='{customer_id}']")).to_have_count(0)
    page.select_option("[data-field=status]", "kicked")
    page.click("[data-testid=member-filters] button[type=submit]")
    expect(page.locator("[data-member-status=kicked]")).to_have_count(2)

    # tools: a red-packet rain typed into the form (its window defaults to the next full hour)
    page.click("[data-testid=group-tabs] >> text=群活动")
    expect(page).to_have_url(f"{base}/groups/{group_id}/tools")
    rain = page.locator("[data-testid=form-red_packet]")
    rain.locator("[data-field=red_packet-name]").fill("整点红包雨")
    rain.locator("[data-field=red_packet-budget]").fill("88.00")
    rain.locator("[data-field=red_packet-packets]").fill("20")
    rain.locator("[data-field=red_packet-rounds]").fill("3")
    page.click("[data-testid=create-red_packet]")
    expect(page.locator("[data-testid=notice]")).to_have_text("活动已创建。")
    row = page.locator("[data-testid=activity-table] tr[data-kind=red_packet]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("整点红包雨")
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "scheduled")
    expect(row.locator("[data-testid=red-packets]")).to_contain_text("¥88.00")

    # data: the tiles and both ECharts charts drawn
    page.click("[data-testid=group-tabs] >> text=群数据")
    expect(page).to_have_url(f"{base}/groups/{group_id}/data")
    expect(page.locator("[data-stat=members]")).to_have_text(str(active - 2))
    expect(page.locator("[data-stat=joins]")).to_have_text(str(JOINED))
    expect(page.locator("[data-stat=leaves]")).to_have_text(str(LEFT + 2))
    for chart in ("#group-joins-chart", "#group-subs-chart"):
        canvas = page.locator(f"{chart} canvas")
        expect(canvas).to_have_count(1)
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100, (chart, box)
    expect(page.locator("[data-testid=participation-table]")).to_contain_text("整点红包雨")
    page.wait_for_timeout(1_500)  # ECharts' entry animation (1 s), so the picture shows the whole lines and bars
    page.screenshot(path=str(IMAGES / "group-data.png"))

    assert watched.unexpected() == []
