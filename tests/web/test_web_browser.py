"""The console in headless Chromium against a live server: import, dashboard, language, export, viewer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from siyu import migrate
from siyu.db import session_factory
from tests.web.web_support import PASSWORD, Shop, make_shop, serving

pytestmark = pytest.mark.browser

HEADERS = (
    "订单号,商品ID,商品名称,订购数量,下单时间,京东价,订单金额,应付金额,订单状态,下单帐号,客户姓名,联系电话,订单来源"
)


def order_export(rows: int = 24) -> bytes:
    """A small JD order export in GBK: paid and cancelled orders in the last 30 days, one bad row."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    lines = [HEADERS]
    for n in range(rows):
        at = (now - timedelta(days=n % 20, hours=2)).strftime("%Y-%m-%d %H:%M:%S")
        status = "已取消" if n % 6 == 5 else "完成"
        price = 59 + n * 10
        lines.append(
            f"{300000000000000100 + n},{100012 + n % 4},洗衣凝珠 {n % 4 + 1} 盒装,1,{at},{price}.00,{price}.00,"
            f"{price}.00,{status},jd_buyer_{n % 9},顾客{n % 9},138****{1000 + n % 9},{'移动端' if n % 2 else 'PC端'}"
        )
    lines.append(f"300000000000009999,100012,坏数据,1,{now:%Y-%m-%d %H:%M:%S},abc,abc,abc,完成,jd_bad,坏,,移动端")
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


@pytest.fixture(scope="module")
def live(database: object) -> Iterator[tuple[str, Shop]]:
    """A migrated database of our own and the app served by uvicorn on 127.0.0.1."""
    engine = database.new_engine()  # type: ignore[attr-defined]
    migrate.upgrade(engine)
    shop = make_shop(session_factory(engine), "browsershop")
    with serving(engine) as base:
        yield base, shop
    database.drop(engine)  # type: ignore[attr-defined]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True, locale="zh-CN")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def stat(page: Page, name: str) -> str:
    return page.locator(f"[data-stat={name}]").inner_text().strip()


def test_import_changes_the_dashboard_then_english_and_export(
    live: tuple[str, Shop], page: Page, tmp_path: Path
) -> None:
    base, shop = live
    log_in(page, base, shop.main)
    expect(page).to_have_url(f"{base}/")
    expect(page.locator("h2", has_text="GMV 趋势")).to_be_visible()
    before = {k: stat(page, k) for k in ("customers", "paid_orders", "gmv")}
    assert before == {"customers": "0", "paid_orders": "0", "gmv": "¥0.00"}

    # when an order export is uploaded through the form
    export = tmp_path / "jd-orders.csv"
    export.write_bytes(order_export())
    page.click("nav >> text=订单导入")
    page.set_input_files("#file-input", str(export))
    page.click("#upload-button")
    page.wait_for_url(f"{base}/imports/*")
    report = page.locator("[data-testid=import-report]")
    expect(report).to_be_visible()
    # 25 data rows: 24 good (20 paid, 4 cancelled), one with bad amounts
    expect(report.locator("[data-report=rows_read]")).to_have_text("25")
    expect(report.locator("[data-report=lines_added]")).to_have_text("24")
    expect(report.locator("[data-report=customers_added]")).to_have_text("9")
    expect(report.locator("[data-report=problem_count]")).to_have_text("1")
    problems = page.locator("[data-testid=problem-table] tbody tr")
    expect(problems.first).to_contain_text("abc")
    assert (
        problems.first.locator("td").first.inner_text() == "26"
    )  # header is row 1, the bad row comes after 24 good ones

    # then the dashboard shows the new customers, orders and GMV
    page.click("nav >> text=数据概览")
    paid = [59 + n * 10 for n in range(24) if n % 6 != 5]
    assert stat(page, "customers") == "9"
    assert stat(page, "paid_orders") == str(len(paid))
    assert stat(page, "gmv") == f"¥{sum(paid):,}.00"
    expect(page.locator("#trend-chart canvas")).to_have_count(1)
    page.click("text=近 7 天")
    expect(page).to_have_url(f"{base}/?days=7&grain=day")

    # switching to English relabels the page (and the choice sticks)
    page.click("a[lang=en]")
    expect(page.locator("h2", has_text="GMV trend")).to_be_visible()
    expect(page.locator(".stat-label").first).to_have_text("Total customers")
    page.click("nav >> text=Customers")
    expect(page.locator("[data-testid=customer-total]")).to_have_text("9 customers")

    # search narrows the list in place (htmx)
    page.fill("input[name=q]", "1003")
    expect(page.locator("[data-testid=customer-total]")).to_have_text("1 customers")
    page.fill("input[name=q]", "")
    expect(page.locator("[data-testid=customer-total]")).to_have_text("9 customers")

    # the Excel export has masked phones only
    with page.expect_download() as info:
        page.click("[data-testid=export]")
    body = Path(info.value.path()).read_bytes()
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][4] == "Phone (masked)"
    phones = [r[4] for r in rows[1:]]
    assert len(phones) == 9
    assert all(p and "****" in p for p in phones)

    # a customer page shows the timeline in shop time
    page.click("[data-testid=customer-table] tbody tr >> nth=0 >> a")
    expect(page.locator("[data-testid=timeline] li").first).to_be_visible()
    expect(page.locator("[data-testid=phone]")).to_contain_text("****")
    page.click('a[lang="zh-CN"]')
    expect(page.locator("h2", has_text="订单时间线")).to_be_visible()


def test_a_viewer_sees_imports_without_the_upload_form(live: tuple[str, Shop], page: Page) -> None:
    base, shop = live
    log_in(page, base, shop.viewer)
    page.goto(f"{base}/imports")
    expect(page.locator("h2", has_text="最近导入")).to_be_visible()
    expect(page.locator("[data-testid=upload-form]")).to_have_count(0)
    expect(page.locator(".alert-info")).to_contain_text("没有上传文件的权限")
    page.goto(f"{base}/staff")
    expect(page.locator("[data-testid=new-staff-form]")).to_have_count(0)
