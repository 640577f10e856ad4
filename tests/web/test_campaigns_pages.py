"""SMS campaign pages through the ASGI app: the list, the composer and its live preview, queueing,
pause / resume, results, and who may change a campaign."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.audit.services import Actor
from siyu.campaigns import services
from siyu.campaigns.models import Campaign, LinkClick
from siyu.channels.models import OutboxMessage
from siyu.customers.models import Customer
from siyu.shops.models import Staff
from siyu.shops.services import principal_for_staff
from tests.factories.campaigns import frozen_audience, reachable_customers, spec
from tests.factories.customers import make_order
from tests.web.web_support import Shop, csrf_of, log_in

FORM = {
    "name": "双11 预热",
    "purpose": "marketing",
    "signature": "测试旗舰店",
    "body": "亲爱的{name|顾客}，双11全场2折起，戳 {link} 拒收请回复R",
    "audience": "",
    "coupon_template_id": "",
    "link_url": "https://shop.example.com/11",
    "holdout_pct": "5",
    "attribution_days": "7",
    "batch_size": "30000",
    "batch_interval_minutes": "0",
}


def main_actor(db: Session, shop: Shop) -> Actor:
    staff = db.scalar(select(Staff).where(Staff.username == shop.main))
    assert staff is not None
    return principal_for_staff(staff).actor


def a_draft(db: Session, shop: Shop, customers: int = 40, **changes: object) -> Campaign:
    by = main_actor(db, shop)
    snapshot = frozen_audience(db, by, reachable_customers(db, by, customers))
    campaign = services.create_campaign(db, by=by, spec=spec(snapshot, **changes))
    db.flush()
    return campaign


def stat(html: str, name: str) -> str:
    match = re.search(rf'data-stat="{name}">([^<]*)<', html)
    assert match, f"no stat {name}"
    return match.group(1)


def test_the_list_shows_status_in_chinese_and_links_to_the_detail(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    campaign = a_draft(db, shop)
    log_in(app_client, shop.main)
    page = app_client.get("/campaigns")
    assert page.status_code == 200
    assert "新建短信活动" in page.text and "618 预热" in page.text
    assert 'data-status="draft">草稿<' in page.text
    assert f'href="/campaigns/{campaign.id}"' in page.text


def test_the_composer_saves_a_draft_and_opens_its_detail(app_client: TestClient, shop: Shop, db: Session) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/campaigns/new")
    saved = app_client.post("/campaigns/new", data={**FORM, "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    detail = app_client.get(saved.headers["location"])
    assert "双11 预热" in detail.text and "草稿已保存" in detail.text


def test_an_invalid_composer_keeps_what_was_typed_and_explains_in_chinese(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/campaigns/new")
    bad = app_client.post("/campaigns/new", data={**FORM, "holdout_pct": "abc", "csrf_token": token})
    assert bad.status_code == 400
    assert "请输入整数" in bad.text and 'value="abc"' in bad.text and "双11全场2折起" in bad.text
    refused = app_client.post("/campaigns/new", data={**FORM, "holdout_pct": "80", "csrf_token": token})
    assert refused.status_code == 422
    assert "对照组比例应在 0–50% 之间" in refused.text and 'value="双11 预热"' in refused.text


def test_composer_preview_shows_parts_cost_and_a_blocking_lint(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/campaigns/new")
    long_body = "全场2折起" * 20
    shown = app_client.post(
        "/campaigns/preview",
        data={**FORM, "signature": "", "body": long_body},
        headers={"x-csrf-token": token, "hx-request": "true"},
    )
    assert shown.status_code == 200
    assert "<html" not in shown.text
    assert int(stat(shown.text, "parts")) >= 2
    assert stat(shown.text, "cost").startswith("¥")
    assert 'data-level="block"' in shown.text and "lint-block" in shown.text
    fine = app_client.post("/campaigns/preview", data=FORM, headers={"x-csrf-token": token})
    assert stat(fine.text, "parts") == "1" and 'data-level="block"' not in fine.text


def test_a_draft_is_queued_then_paused_and_resumed(app_client: TestClient, shop: Shop, db: Session) -> None:
    campaign = a_draft(db, shop)
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/campaigns/{campaign.id}")
    queued = app_client.post(f"/campaigns/{campaign.id}/queue", data={"csrf_token": token})
    assert "活动已进入发送队列" in queued.text
    assert 'data-testid="pause"' in queued.text
    paused = app_client.post(f"/campaigns/{campaign.id}/pause", data={"csrf_token": token})
    assert "活动已暂停" in paused.text and 'data-status="paused"' in paused.text
    resumed = app_client.post(f"/campaigns/{campaign.id}/resume", data={"csrf_token": token})
    assert "活动已继续发送" in resumed.text
    again = app_client.post(f"/campaigns/{campaign.id}/queue", data={"csrf_token": token})
    assert again.status_code == 409 and "不能发送" in again.text


def test_queueing_a_blocked_message_shows_the_problem_on_the_page(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    campaign = a_draft(db, shop, body="全场2折起，戳 {link}")  # no opt-out text: blocking
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/campaigns/{campaign.id}")
    refused = app_client.post(f"/campaigns/{campaign.id}/queue", data={"csrf_token": token})
    assert refused.status_code == 422
    assert "存在阻止发送的问题" in refused.text and 'data-testid="campaign-error"' in refused.text


def test_the_results_page_shows_the_numbers_and_the_chart(app_client: TestClient, shop: Shop, db: Session) -> None:
    campaign = a_draft(db, shop)
    by = main_actor(db, shop)
    services.queue_campaign(db, by=by, campaign_id=campaign.id)
    now = datetime.now(UTC)
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.campaign_id == campaign.id)
        .values(status="delivered", sent_at=now, delivered_at=now)
    )
    first = db.scalar(select(OutboxMessage.customer_id).where(OutboxMessage.campaign_id == campaign.id))
    assert first is not None
    db.add(LinkClick(shop_id=shop.shop_id, campaign_id=campaign.id, customer_id=first))
    db.flush()
    delivered = db.scalar(select(Campaign.queued_count).where(Campaign.id == campaign.id))
    log_in(app_client, shop.main)
    page = app_client.get(f"/campaigns/{campaign.id}/results")
    assert page.status_code == 200
    assert stat(page.text, "delivered") == str(delivered) and stat(page.text, "clicked") == "1"
    assert "1:25<" in page.text and "高于 25" in page.text
    assert 'id="campaign-chart"' in page.text and "echarts.min.js" in page.text


def test_a_viewer_sees_campaigns_but_cannot_change_them(app_client: TestClient, shop: Shop, db: Session) -> None:
    campaign = a_draft(db, shop)
    log_in(app_client, shop.viewer)
    assert app_client.get("/campaigns").status_code == 200
    detail = app_client.get(f"/campaigns/{campaign.id}")
    assert detail.status_code == 200 and 'data-testid="queue-now"' not in detail.text
    token = csrf_of(app_client, "/campaigns")
    assert app_client.post(f"/campaigns/{campaign.id}/queue", data={"csrf_token": token}).status_code == 403
    assert app_client.post("/campaigns/new", data={**FORM, "csrf_token": token}).status_code == 403
    assert app_client.post(f"/campaigns/{campaign.id}/pause", data={"csrf_token": token}).status_code == 403
    assert app_client.get("/campaigns/new").status_code == 403


def test_a_draft_is_edited_in_the_composer_and_a_queued_one_is_not(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    campaign = a_draft(db, shop)
    log_in(app_client, shop.main)
    form = app_client.get(f"/campaigns/{campaign.id}/edit")
    assert (
        form.status_code == 200
        and 'value="618 预热"' in form.text
        and f'value="s{campaign.snapshot_id}" selected' in form.text
    )
    token = csrf_of(app_client, f"/campaigns/{campaign.id}/edit")
    saved = app_client.post(
        f"/campaigns/{campaign.id}/edit",
        data={**FORM, "name": "改过的名字", "audience": f"s{campaign.snapshot_id}", "csrf_token": token},
    )
    assert saved.status_code == 200 and "改过的名字" in saved.text
    app_client.post(f"/campaigns/{campaign.id}/queue", data={"csrf_token": token})
    moved = app_client.get(f"/campaigns/{campaign.id}/edit", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/campaigns/{campaign.id}"


def test_the_chart_counts_orders_of_the_target_arm_per_day(app_client: TestClient, shop: Shop, db: Session) -> None:
    campaign = a_draft(db, shop, holdout_pct=0)
    by = main_actor(db, shop)
    services.queue_campaign(db, by=by, campaign_id=campaign.id)
    now = datetime.now(UTC)
    db.execute(update(OutboxMessage).where(OutboxMessage.campaign_id == campaign.id).values(status="sent", sent_at=now))
    customer = db.scalar(select(OutboxMessage.customer_id).where(OutboxMessage.campaign_id == campaign.id))
    assert customer is not None
    found = db.get(Customer, customer)
    assert found is not None
    make_order(db, found, at=now, paid_fen=19_900)
    db.flush()
    log_in(app_client, shop.main)
    page = app_client.get(f"/campaigns/{campaign.id}/results")
    series = json.loads(re.search(r'id="campaign-series">([^<]*)<', page.text).group(1))  # type: ignore[union-attr]
    assert sum(series["orders"]) == 1 and sum(series["sent"]) == campaign.queued_count
    assert stat(page.text, "ordered") == "1"


def test_the_campaign_pages_speak_english_when_asked(app_client: TestClient, shop: Shop, db: Session) -> None:
    campaign = a_draft(db, shop)
    log_in(app_client, shop.main)
    app_client.get("/lang/en?next=/campaigns")
    listing = app_client.get("/campaigns")
    assert "New SMS campaign" in listing.text and 'data-status="draft">Draft<' in listing.text
    detail = app_client.get(f"/campaigns/{campaign.id}")
    assert "Queue now" in detail.text and "Marketing" in detail.text


def test_a_draft_shows_who_would_receive_it_before_queueing(app_client: TestClient, shop: Shop, db: Session) -> None:
    campaign = a_draft(db, shop, customers=20, holdout_pct=0)
    log_in(app_client, shop.main)
    page = app_client.get(f"/campaigns/{campaign.id}")
    assert 'data-testid="estimate"' in page.text
    assert stat(page.text, "audience") == "20" and stat(page.text, "receive") == "20"
