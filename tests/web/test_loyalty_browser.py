"""The membership console in headless Chromium against a live server with the demo shop and its members:
join a customer, grant points, create a coupon template, and the member analytics charts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.customers.demo import write_demo_data
from siyu.db import transaction
from siyu.loyalty.demo import seed_demo_membership
from siyu.loyalty.models import Member
from siyu.promotions.models import CouponTemplate
from tests.web.test_web_browser import log_in
from tests.web.web_support import Live, Shop, live_shop, screenshot_dir

pytestmark = pytest.mark.browser
IMAGES = screenshot_dir()


def _fill(factory: sessionmaker[Session], shop: Shop) -> None:
    write_demo_data(factory, shop_id=shop.shop_id, customers=300, seed=7)
    seed_demo_membership(factory, shop_id=shop.shop_id, seed=7)


@pytest.fixture(scope="module")
def live(database: object) -> Iterator[Live]:
    """A migrated database with 300 demo customers and their membership, served on 127.0.0.1."""
    with live_shop(database, "membershop", _fill) as served:
        yield served


@dataclass
class Watched:
    page: Page
    errors: list[str]

    def unexpected(self, allowed: tuple[str, ...] = ()) -> list[str]:
        """Console errors and exceptions, less the browser's own favicon request and ``allowed`` ones."""
        return [e for e in self.errors if "/favicon.ico" not in e and not any(a in e for a in allowed)]


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    """A 1366×900 Chinese page whose console errors and uncaught exceptions are collected."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
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
    yield Watched(page, errors)
    context.close()


def test_join_a_member_then_grant_points_and_see_the_ledger(live: Live, watched: Watched) -> None:
    page = watched.page
    log_in(page, live.base, live.shop.main)
    page.click("nav >> text=会员")
    expect(page.locator("[data-testid=member-table]")).to_be_visible()
    with transaction(live.factory) as session:
        before = len(session.scalars(select(Member.id).where(Member.shop_id == live.shop.shop_id)).all())
    assert page.locator("[data-stat=members]").inner_text() == f"{before:,}"

    # when a customer is joined from the console, without ticking consent first
    page.click("#join summary")
    page.fill("#join input[name=phone]", "135 7788 9900")
    page.fill("#join input[name=name]", "林小雨")
    page.fill("#join input[name=evidence]", "客服对话截图 #8812")
    page.click("[data-testid=join-submit]")
    expect(page.locator("[data-testid=join-error]")).to_contain_text("开卡需要客户本人同意")
    expect(page.locator("#join input[name=name]")).to_have_value("林小雨")
    page.check("[data-testid=consent]")
    page.click("[data-testid=join-submit]")

    # then they are in the list, with a masked phone
    expect(page.locator("[data-testid=notice]")).to_contain_text("林小雨 已开卡")
    row = page.locator("[data-testid=member-table] tbody tr").first
    expect(row).to_contain_text("林小雨")
    expect(row).to_contain_text("135****9900")
    assert "13577889900" not in page.content()
    page.goto(f"{live.base}/members")
    assert page.locator("[data-stat=members]").inner_text() == f"{before + 1:,}"
    page.fill("[data-testid=member-filters] input[name=q]", "9900")
    page.click("[data-testid=member-filters] button[type=submit]")
    expect(page.locator("[data-testid=member-table] tbody tr")).to_have_count(1)
    page.goto(f"{live.base}/members")
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "members.png"))

    # when points are granted on the member's card
    page.fill("[data-testid=member-filters] input[name=q]", "林小雨")
    page.click("[data-testid=member-filters] button[type=submit]")
    page.click("[data-testid=member-table] tbody tr >> nth=0 >> a.mono")
    expect(page.locator("[data-testid=ledger]")).to_contain_text("开卡礼")
    start = int(page.locator("[data-stat=balance]").inner_text().replace(",", ""))
    page.fill("[data-testid=adjust-form] input[name=points]", "300")
    page.fill("[data-testid=adjust-form] input[name=reason]", "直播间抽奖奖励")
    page.click("[data-testid=adjust-submit]")

    # then the balance and the ledger show it, in shop time
    expect(page.locator("[data-testid=notice]")).to_have_text("积分已调整。")
    assert int(page.locator("[data-stat=balance]").inner_text().replace(",", "")) == start + 300
    first = page.locator("[data-testid=ledger] tbody tr").first
    expect(first).to_contain_text("人工调整")
    expect(first).to_contain_text("+300")
    expect(first).to_contain_text("直播间抽奖奖励")
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", first.inner_text())
    # the refused join answered 422 on purpose (the form came back with its message)
    assert watched.unexpected(allowed=("status of 422 (Unprocessable Entity) " + live.base + "/members",)) == []


def test_create_a_coupon_template_with_the_fields_its_kind_needs(live: Live, watched: Watched) -> None:
    page = watched.page
    log_in(page, live.base, live.shop.main)
    page.goto(f"{live.base}/coupons")
    page.click("#create summary")
    form = page.locator("[data-testid=template-form]")
    # a discount shows the percentage and hides the reduction; 满减 the other way round
    form.locator("input[name=kind][value=discount]").check()
    expect(form.locator("input[name=discount_pct]")).to_be_visible()
    expect(form.locator("input[name=reduction]")).to_be_hidden()
    form.locator("input[name=kind][value=full_reduction]").check()
    expect(form.locator("input[name=discount_pct]")).to_be_hidden()
    form.locator("select[name=channel]").select_option("fission")
    expect(form.locator("input[name=fission_friends]")).to_be_visible()
    form.locator("select[name=channel]").select_option("member")

    form.locator("input[name=name]").fill("会员日 满299减50")
    form.locator("input[name=threshold]").fill("299")
    form.locator("input[name=reduction]").fill("50")
    form.locator("input[name=total_stock]").fill("800")
    page.click("[data-testid=template-submit]")

    expect(page.locator("[data-testid=notice]")).to_contain_text("优惠券已创建")
    row = page.locator("[data-testid=template-table] tr[data-template='会员日 满299减50']")
    expect(row).to_contain_text("满 ¥299.00 减 ¥50.00")
    expect(row).to_contain_text("仅会员")
    expect(row).to_contain_text("0 / 800")
    with transaction(live.factory) as session:
        made = session.scalar(select(CouponTemplate).where(CouponTemplate.name == "会员日 满299减50"))
        assert made is not None
        assert (made.threshold_fen, made.reduction_fen, made.channel) == (29_900, 5_000, "member")
    assert watched.unexpected() == []


def test_member_analytics_draws_its_charts(live: Live, watched: Watched) -> None:
    page = watched.page
    log_in(page, live.base, live.shop.main)
    page.goto(f"{live.base}/members/analytics")
    for chart in ("members-chart", "points-chart", "tier-chart", "compare-chart"):
        expect(page.locator(f"#{chart} canvas").first).to_be_visible()
    expect(page.locator("[data-testid=compare-table]")).to_contain_text("×4")
    expect(page.locator("[data-testid=coupon-rates]")).to_contain_text("会员专享 满199减30")
    page.wait_for_timeout(600)  # the charts' entry animation
    page.screenshot(path=str(IMAGES / "member-analytics.png"))

    page.click("text=English")
    expect(page.locator("h2", has_text="Members vs non-members")).to_be_visible()
    expect(page.locator("#points-chart canvas").first).to_be_visible()
    assert watched.unexpected() == []
