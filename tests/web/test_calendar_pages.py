"""The campaign calendar and yearly coverage pages through the ASGI app: planning an event with the seed's
waves, bad input kept and explained in Chinese, preparing a campaign for an event, who may change events."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.campaigns import calendar
from siyu.campaigns.models import Campaign, PlannedEvent
from siyu.channels.models import OutboxMessage
from tests.factories.campaigns import reachable_customers
from tests.web.test_campaigns_pages import FORM, main_actor
from tests.web.web_support import Shop, csrf_of, log_in

EVENT = {
    "name": "双12 年终盛典",
    "kind": "big",
    "festival": "12.12",
    "starts_at": "2026-12-12T00:00",
    "ends_at": "",
    "note": "",
}


def plan(app_client: TestClient, **changes: str) -> str:
    token = csrf_of(app_client, "/calendar?year=2026")
    saved = app_client.post(
        "/calendar/events?year=2026", data={**EVENT, **changes, "csrf_token": token}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    return saved.headers["location"]


def test_planning_a_big_promotion_shows_its_waves_reach_and_the_moved_eve(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    reachable_customers(db, main_actor(db, shop), 30)
    db.commit()
    log_in(app_client, shop.main)
    page = app_client.get(plan(app_client))
    assert "活动已加入营销日历" in page.text and "双12 年终盛典" in page.text
    waves = re.findall(r'data-wave="(\w+)"><td class="nowrap strong">([^<]+)<', page.text)
    assert waves == [
        ("preheat", "2026-12-09 周三 10:00"),
        ("preheat", "2026-12-10 周四 10:00"),
        ("eve", "2026-12-11 周五 19:00"),
    ]
    assert "已移出免打扰时段" in page.text
    assert "应触达可营销客户的 100.0%：30 人中的 30 人" in page.text


def test_a_bad_event_keeps_what_was_typed_and_explains_in_chinese(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/calendar")
    missing = app_client.post("/calendar/events", data={**EVENT, "starts_at": "", "csrf_token": token})
    assert missing.status_code == 400 and "请填写开始时间" in missing.text and 'value="双12 年终盛典"' in missing.text
    backwards = app_client.post(
        "/calendar/events", data={**EVENT, "ends_at": "2026-12-11T00:00", "note": "先结束", "csrf_token": token}
    )
    assert backwards.status_code == 400 and "活动结束时间必须晚于开始时间" in backwards.text
    assert 'value="先结束"' in backwards.text
    assert db.scalars(select(PlannedEvent)).all() == []


def test_a_festival_quick_fill_proposes_the_next_occurrence(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    page = app_client.get("/calendar?festival=618")
    year = datetime.now(UTC).year
    start = (
        f"{year}-06-18T00:00" if datetime.now(UTC).date() <= datetime(year, 6, 18).date() else f"{year + 1}-06-18T00:00"
    )
    assert f'value="{start}"' in page.text and "618 年中大促" in page.text


def test_a_campaign_prepared_from_the_calendar_is_linked_to_its_event(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    log_in(app_client, shop.main)
    plan(app_client)
    event = db.scalars(select(PlannedEvent)).one()
    composer = app_client.get(f"/campaigns/new?event_id={event.id}")
    assert composer.status_code == 200 and f'<option value="{event.id}" selected>' in composer.text
    token = csrf_of(app_client, "/campaigns/new")
    saved = app_client.post(
        "/campaigns/new", data={**FORM, "event_id": str(event.id), "csrf_token": token}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    db.expire_all()
    campaign = db.scalars(select(Campaign)).one()
    assert campaign.event_id == event.id
    assert 'data-testid="campaign-event"' in app_client.get(saved.headers["location"]).text
    page = app_client.get("/calendar?year=2026")
    assert f'href="/campaigns/{campaign.id}"' in page.text


def test_an_event_is_edited_and_removed(app_client: TestClient, shop: Shop, db: Session) -> None:
    log_in(app_client, shop.main)
    plan(app_client)
    event_id = db.scalars(select(PlannedEvent.id)).one()
    form = app_client.get(f"/calendar/events/{event_id}/edit")
    assert 'value="2026-12-12T00:00"' in form.text and "修改活动" in form.text
    token = csrf_of(app_client, "/calendar")
    changed = app_client.post(
        f"/calendar/events/{event_id}/edit",
        data={**EVENT, "kind": "routine", "name": "双12 店铺活动", "csrf_token": token},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    db.expire_all()
    assert db.get_one(PlannedEvent, event_id).kind == "routine"
    removed = app_client.post(f"/calendar/events/{event_id}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert removed.status_code == 303
    assert "活动已删除" in app_client.get(removed.headers["location"]).text
    db.expire_all()
    assert db.get(PlannedEvent, event_id) is None


def test_a_viewer_sees_the_calendar_but_cannot_change_it(app_client: TestClient, shop: Shop, db: Session) -> None:
    event = calendar.create_event(
        db, by=main_actor(db, shop), spec=calendar.EventSpec("会员日", "medium", datetime(2026, 12, 20, 10, 0))
    )
    db.commit()
    log_in(app_client, shop.viewer)
    page = app_client.get("/calendar?year=2026")
    assert page.status_code == 200 and "会员日" in page.text and 'data-testid="event-form"' not in page.text
    token = csrf_of(app_client, "/calendar")
    assert app_client.post("/calendar/events", data={**EVENT, "csrf_token": token}).status_code == 403
    assert app_client.post(f"/calendar/events/{event.id}/delete", data={"csrf_token": token}).status_code == 403
    assert app_client.get(f"/calendar/events/{event.id}/edit").status_code == 403


def test_yearly_coverage_shows_buckets_and_the_customers_below_five(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    by = main_actor(db, shop)
    ids = reachable_customers(db, by, 3, name="王芳")
    now = datetime.now(UTC) - timedelta(days=3)
    for n in range(6):
        db.add(
            OutboxMessage(
                shop_id=by.shop_id,
                channel="sms",
                purpose="marketing",
                customer_id=ids[0],
                ref=f"cov-{n}",
                text="【测试旗舰店】上新 拒收请回复R",
                status="delivered",
                due_at=now,
                sent_at=now,
            )
        )
    db.commit()
    log_in(app_client, shop.main)
    page = app_client.get("/calendar/coverage")
    assert page.status_code == 200 and 'data-testid="coverage-chart"' in page.text
    assert re.search(r'data-bucket="6\+"><td>6\+</td><td class="num">1<', page.text)
    assert re.search(r'data-stat="below">2<', page.text)
    assert page.text.count(">王芳</a>") == 2
