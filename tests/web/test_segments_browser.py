"""The segments pages in headless Chromium against a live server with demo data: RFM, builder, tags."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.customers.demo import write_demo_data
from siyu.customers.models import Customer
from siyu.db import transaction
from siyu.segments.audiences import count_audience
from siyu.segments.rfm import rfm_report
from tests.web.test_web_browser import log_in
from tests.web.web_support import Live, Shop, live_shop

pytestmark = pytest.mark.browser


def _fill(factory: sessionmaker[Session], shop: Shop) -> None:
    write_demo_data(factory, shop_id=shop.shop_id, customers=300, seed=7)


@pytest.fixture(scope="module")
def live(database: object) -> Iterator[Live]:
    """A migrated database with 300 demo customers, served by uvicorn on 127.0.0.1."""
    with live_shop(database, "segshop", _fill) as served:
        yield served


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True, locale="zh-CN")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


def count_of(live: Live, definition: dict[str, object]) -> int:
    with transaction(live.factory) as session:
        return count_audience(session, shop_id=live.shop.shop_id, definition=definition)


def live_count(page: Page) -> int:
    return int(page.locator("[data-testid=live-count]").get_attribute("data-count") or "-1")


def test_rfm_segments_add_up_then_drill_down_and_export(live: Live, page: Page) -> None:
    log_in(page, live.base, live.shop.main)
    page.click("nav >> text=人群分析")
    cards = page.locator("[data-testid=segments] [data-segment]")
    expect(cards).to_have_count(8)
    expect(page.locator("#rfm-heatmap canvas").first).to_be_visible()
    with transaction(live.factory) as session:
        report = rfm_report(session, shop_id=live.shop.shop_id)
    counts = [int(cards.nth(i).locator("[data-count]").get_attribute("data-count") or 0) for i in range(8)]
    assert sum(counts) == report.buyers > 0
    assert page.locator("[data-stat=buyers]").inner_text() == f"{report.buyers:,}"
    expect(cards.first).to_contain_text("重要价值客户")

    # the biggest segment's drill-down lists its customers with masked phones, and exports them
    biggest = max(range(8), key=lambda i: counts[i])
    cards.nth(biggest).click()
    expect(page.locator("[data-testid=segment-total]")).to_have_text(f"共 {counts[biggest]} 位客户")
    rows = page.locator("[data-testid=segment-table] tbody tr")
    expect(rows).to_have_count(min(50, counts[biggest]))
    with page.expect_download() as info:
        page.click("[data-testid=segment-export]")
    sheet = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][3] == "手机（已脱敏）"
    assert len(table) - 1 == counts[biggest]
    phones = [r[3] for r in table[1:] if r[3]]
    assert phones and all(re.fullmatch(r"\d{3}\*{4}\d{4}", p) for p in phones)


def add_condition(page: Page, field: str) -> None:
    page.click("[data-testid=root-group] > .group-head [data-action=add-condition]")
    page.locator(".cond-field").last.select_option(field)


def test_build_save_freeze_and_combine_audiences(live: Live, page: Page) -> None:
    log_in(page, live.base, live.shop.main)
    page.goto(f"{live.base}/audiences")
    expect(page.locator("[data-testid=live-count]")).to_have_text("添加条件后显示人数。")

    # when two conditions are built (paid orders ≥ 2 in 365 days, and paid at least ¥X ever)
    add_condition(page, "orders")
    page.locator(".cond").last.locator(".cond-value").fill("2")
    page.locator(".cond").last.locator(".cond-days").fill("365")
    first = {"all": [{"field": "orders", "op": ">=", "value": 2, "days": 365}]}
    expect(page.locator("[data-testid=live-count]")).to_have_attribute("data-count", str(count_of(live, first)))
    # the demo data depend on the day they are made: take the first spend threshold that narrows them
    repeaters = count_of(live, first)
    yuan, both, expected = 0, first, repeaters
    for yuan in (300, 500, 800, 1_000, 1_500, 2_000, 3_000, 5_000):
        both = {"all": [*first["all"], {"field": "spent", "op": ">=", "value": yuan * 100}]}
        expected = count_of(live, both)
        if 0 < expected < repeaters:
            break
    add_condition(page, "spent")
    page.locator(".cond").last.locator(".cond-value").fill(str(yuan))
    # then the live count equals the service's count for the same definition (yuan sent as fen)
    expect(page.locator("[data-testid=live-count]")).to_have_attribute("data-count", str(expected))
    assert 0 < expected < count_of(live, first)

    # a bad value is explained inline
    page.locator(".cond").last.locator(".cond-value").fill("")
    expect(page.locator("[data-testid=count-error]")).to_contain_text("条件「spent」不正确")
    page.locator(".cond").last.locator(".cond-value").fill(str(yuan))
    expect(page.locator("[data-testid=live-count]")).to_have_attribute("data-count", str(expected))

    # saving and freezing
    page.fill("[data-testid=save-form] input[name=name]", "复购高消费")
    page.click("[data-testid=save-audience]")
    row = page.locator("tr[data-audience=复购高消费]")
    expect(row.locator("[data-count]")).to_have_attribute("data-count", str(expected))
    row.locator("[data-action=freeze]").click()
    snap = page.locator("[data-testid=snapshot-table] tbody tr").first
    expect(snap.locator("[data-count]")).to_have_attribute("data-count", str(expected))
    expect(snap).to_contain_text(f"1 批: {expected}")

    # a second audience loaded back from the first (edit), narrowed, saved under a new name
    page.goto(f"{live.base}/audiences")
    buyers = {"field": "orders", "op": ">=", "value": 1}
    add_condition(page, "orders")
    page.locator(".cond").last.locator(".cond-value").fill("1")
    expect(page.locator("[data-testid=live-count]")).to_have_attribute(
        "data-count", str(count_of(live, {"all": [buyers]}))
    )
    page.fill("[data-testid=save-form] input[name=name]", "买过")
    page.click("[data-testid=save-audience]")
    page.locator("tr[data-audience=买过] [data-action=freeze]").click()
    expect(page.locator("[data-testid=snapshot-table] tbody tr")).to_have_count(2)

    # combine: buyers minus the repeat big spenders
    form = page.locator("[data-testid=combine-form]")
    options = form.locator("select[name=left] option")
    values = [options.nth(i).get_attribute("value") for i in range(options.count())]
    snapshots = [v for v in values if v and v.startswith("s:")]
    assert len(snapshots) == 2
    form.locator("select[name=left]").select_option(snapshots[0])  # newest first: 买过
    form.locator("select[name=op]").select_option("subtract")
    form.locator("select[name=right]").select_option(snapshots[1])
    form.locator("input[name=name]").fill("买过但非复购高消费")
    form.locator("button[type=submit]").click()
    combined = page.locator("tr[data-snapshot=买过但非复购高消费]")
    expect(combined.locator("[data-count]")).to_have_attribute(
        "data-count", str(count_of(live, {"all": [buyers]}) - expected)
    )
    expect(combined).to_contain_text("差集")

    # members of a snapshot open in the customer list, with a way back
    page.locator("tr[data-snapshot^='复购高消费 @'] >> text=查看成员").click()
    expect(page.locator("[data-testid=member-banner]")).to_contain_text("复购高消费")
    expect(page.locator("[data-testid=customer-total]")).to_have_text(f"共 {expected} 位客户")

    # edit loads the definition back into the builder
    page.goto(f"{live.base}/audiences")
    page.locator("tr[data-audience=复购高消费] >> text=编辑").click()
    expect(page.locator(".cond")).to_have_count(2)
    expect(page.locator("[data-testid=live-count]")).to_have_attribute("data-count", str(expected))
    assert page.locator(".cond").last.locator(".cond-value").input_value() == str(yuan)


def test_a_manual_tag_for_pasted_accounts(live: Live, page: Page) -> None:
    with transaction(live.factory) as session:
        accounts = list(
            session.scalars(
                select(Customer.account).where(Customer.shop_id == live.shop.shop_id).order_by(Customer.id).limit(3)
            )
        )
    log_in(page, live.base, live.shop.main)
    page.goto(f"{live.base}/tags")
    page.fill("[data-testid=tag-form] input[name=name]", "直播间粉丝")
    page.locator("[data-testid=tag-form] button[type=submit]").click()
    expect(page.locator("tr[data-tag=直播间粉丝]")).to_contain_text("手动")
    page.locator("[data-testid=bulk-form] select[name=tag_id]").select_option(label="直播间粉丝")
    page.fill("[data-testid=bulk-form] textarea[name=accounts]", "\n".join([*accounts, "jd_nobody_here"]))
    page.click("[data-testid=bulk-submit]")
    expect(page.locator("[data-testid=bulk-result]")).to_contain_text("已为 3 位客户打上「直播间粉丝」")
    expect(page.locator("[data-testid=unknown-accounts]")).to_have_text("jd_nobody_here")
    expect(page.locator("tr[data-tag=直播间粉丝] [data-count]")).to_have_attribute("data-count", "3")
    page.locator("tr[data-tag=直播间粉丝] >> text=查看成员").click()
    expect(page.locator("[data-testid=customer-total]")).to_have_text("共 3 位客户")

    # the standard tags install and compute
    page.goto(f"{live.base}/tags")
    page.click("[data-testid=install-standard]")
    expect(page.locator(".alert-success")).to_contain_text("已安装标准标签")
    expect(page.locator("tr[data-tag=重要客户]")).to_contain_text("规则")


def test_a_viewer_sees_no_manage_controls_and_cannot_post(live: Live, page: Page) -> None:
    log_in(page, live.base, live.shop.viewer)
    page.goto(f"{live.base}/segments")
    expect(page.locator("[data-testid=segments] [data-segment]")).to_have_count(8)
    expect(page.locator("[data-testid=settings-form]")).to_have_count(0)
    page.goto(f"{live.base}/audiences")
    expect(page.locator("[data-testid=save-form]")).to_have_count(0)
    add_condition(page, "orders")
    page.locator(".cond").last.locator(".cond-value").fill("1")
    expect(page.locator("[data-testid=live-count]")).to_have_attribute(
        "data-count", str(count_of(live, {"field": "orders", "op": ">=", "value": 1}))
    )
    page.goto(f"{live.base}/tags")
    expect(page.locator("[data-testid=tag-form]")).to_have_count(0)
    expect(page.locator("[data-testid=install-standard]")).to_have_count(0)
    headers = json.loads(page.locator("body").get_attribute("hx-headers") or "{}")
    for path in ("/tags/standard", "/segments/settings", "/audiences/combine"):
        response = page.request.post(f"{live.base}{path}", headers=headers, form={"name": "x"})
        assert response.status == 403, path
        assert "没有权限" in response.text()
