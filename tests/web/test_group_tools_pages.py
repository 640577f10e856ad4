"""Group tools pages through the ASGI app: activities (each kind, the three-at-once limit, the price floor,
the coupon's claim window, red-packet rounds), growth levels, the operating plan with its scheduled posts
and the worker step that publishes them, group data, and who may change anything."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.db import utcnow
from siyu.groups import activities, growth, plans
from siyu.groups.models import Group, GroupActivity, GroupPost, ScheduledPost
from siyu.shops.models import Shop as ShopRow
from siyu.shops.models import Staff
from siyu.shops.services import principal_for_staff
from siyu.web.i18n import format_datetime
from tests.factories.customers import make_order
from tests.factories.groups import joined, make_group
from tests.factories.promotions import make_template
from tests.web.web_support import Shop, csrf_of, log_in


def main_actor(db: Session, shop: Shop) -> Actor:
    staff = db.scalar(select(Staff).where(Staff.username == shop.main))
    assert staff is not None
    return principal_for_staff(staff).actor


def zone_of(db: Session, shop: Shop) -> ZoneInfo:
    row = db.get(ShopRow, shop.shop_id)
    assert row is not None
    return ZoneInfo(row.timezone or "Asia/Shanghai")


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def stat(html: str, name: str) -> str:
    match = re.search(rf'data-stat="{name}">([^<]*)<', html)
    assert match, f"no stat {name}"
    return match.group(1).strip()


@pytest.fixture
def group(db: Session, shop: Shop) -> Group:
    return make_group(db, main_actor(db, shop), name="福利一群")


@pytest.fixture
def window(db: Session, shop: Shop) -> dict[str, str]:
    """A two-hour window starting tomorrow, as the datetime-local fields of the forms."""
    zone = zone_of(db, shop)
    start = (utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return {"starts_at": local(start, zone), "ends_at": local(start + timedelta(hours=2), zone)}


def flash_rows(*rows: tuple[str, str, str, str, str, str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for n, (sku, name, category, list_price, price, stock) in enumerate(rows):
        data.update(
            {
                f"sku_{n}": sku,
                f"item_name_{n}": name,
                f"category_{n}": category,
                f"list_price_{n}": list_price,
                f"price_{n}": price,
                f"stock_{n}": stock,
            }
        )
    return data


def test_each_activity_kind_is_created_from_the_page_and_listed_in_shop_time(
    app_client: TestClient, shop: Shop, db: Session, group: Group, window: dict[str, str]
) -> None:
    template = make_template(
        db, main_actor(db, shop), name="群专享满100减20", claim_start=utcnow(), claim_end=utcnow() + timedelta(days=10)
    )
    zone = zone_of(db, shop)
    day_after = datetime.fromisoformat(window["starts_at"]).replace(tzinfo=zone) + timedelta(days=1)
    later = {"starts_at": local(day_after, zone), "ends_at": local(day_after + timedelta(hours=1), zone)}
    log_in(app_client, shop.main)
    page = f"/groups/{group.id}/tools"
    token = csrf_of(app_client, page)
    forms = {
        "flash_sale": {"name": "周五抢购", **window, **flash_rows(("A100", "洗面奶", "", "99.90", "59.9", "20"))},
        "red_packet": {"name": "红包雨", **window, "budget": "100.00", "packets": "50", "rounds": "3"},
        "coupon": {"name": "领券", **window, "coupon_template_id": str(template.id)},
        "guess": {
            "name": "猜价格",
            **later,
            "guess_name": "电动牙刷",
            "guess_sku": "B200",
            "guess_price": "199",
            "guess_tolerance": "5",
        },
    }
    for kind, data in forms.items():
        saved = app_client.post(
            f"/groups/{group.id}/activities/{kind}", data={**data, "csrf_token": token}, follow_redirects=False
        )
        assert saved.status_code == 303, saved.text
    shown = app_client.get(page)
    assert "活动已创建" not in shown.text  # no ?done on a plain visit
    for label in ("限时抢购", "红包雨", "群优惠券", "猜价格"):
        assert f"<td>{label}</td>" in shown.text
    assert 'data-state="scheduled">未开始<' in shown.text
    rows = {a.kind: a for a in db.scalars(select(GroupActivity).where(GroupActivity.group_id == group.id))}
    assert set(rows) == {"flash_sale", "red_packet", "coupon", "guess"}
    assert rows["guess"].starts_at == day_after.astimezone(UTC)
    assert format_datetime(day_after, "zh", zone) in shown.text  # the window in shop time
    (item,) = activities.flash_items(db, rows["flash_sale"].id)
    assert (item.list_price_fen, item.price_fen, item.stock) == (9_990, 5_990, 20)
    assert rows["red_packet"].budget_fen == 10_000 and rows["red_packet"].packets == 50
    assert (rows["guess"].config or {})["price_fen"] == 19_900
    assert 'data-sku="A100"' in shown.text and "0 / 20" in shown.text
    assert "群专享满100减20" in shown.text


def test_a_fourth_overlapping_activity_is_refused_in_chinese_keeping_what_was_typed(
    app_client: TestClient, shop: Shop, group: Group, window: dict[str, str]
) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}/tools")
    guess = {"guess_name": "电动牙刷", "guess_price": "199", "guess_tolerance": "5", "csrf_token": token}
    for n in range(3):
        made = app_client.post(
            f"/groups/{group.id}/activities/guess",
            data={"name": f"猜价格{n}", **window, **guess},
            follow_redirects=False,
        )
        assert made.status_code == 303
    refused = app_client.post(
        f"/groups/{group.id}/activities/guess", data={"name": "第四个活动", **window, **guess, "guess_sku": "Z9"}
    )
    assert refused.status_code == 409
    assert "同一时间一个群最多进行 3 个活动，该时段已满" in refused.text
    assert 'data-kind="guess"' in refused.text
    assert 'value="第四个活动"' in refused.text and 'value="Z9"' in refused.text
    assert f'value="{window["starts_at"]}"' in refused.text


def test_a_flash_sale_price_below_the_category_floor_is_refused_naming_the_sku_and_keeps_the_rows(
    app_client: TestClient, shop: Shop, db: Session, group: Group, window: dict[str, str]
) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}/tools")
    floor = app_client.post(
        f"/groups/{group.id}/floors", data={"category": "美妆", "min_discount_pct": "80", "csrf_token": token}
    )
    assert floor.status_code == 200 and "最低折扣已保存" in floor.text and 'data-floor="美妆"' in floor.text
    assert activities.price_floors(db, shop.shop_id) == (50, {"美妆": 80})
    rows = flash_rows(("A100", "洗面奶", "", "100", "60", "5"), ("M200", "口红", "美妆", "100", "70", "5"))
    refused = app_client.post(
        f"/groups/{group.id}/activities/flash_sale", data={"name": "美妆抢购", **window, **rows, "csrf_token": token}
    )
    assert refused.status_code == 422
    assert "商品 M200 的抢购价 ¥70.00 低于最低折扣 80%" in refused.text
    assert 'value="M200"' in refused.text and 'value="口红"' in refused.text and 'value="70"' in refused.text
    assert 'value="A100"' in refused.text and 'value="美妆抢购"' in refused.text
    assert db.scalar(select(GroupActivity.id).where(GroupActivity.group_id == group.id)) is None
    bad_money = app_client.post(
        f"/groups/{group.id}/activities/flash_sale",
        data={"name": "x", **window, **flash_rows(("A1", "", "", "9.999", "5", "1")), "csrf_token": token},
    )
    assert bad_money.status_code == 422 and "第 1 行原价须为以元为单位的金额" in bad_money.text
    out_of_range = app_client.post(
        f"/groups/{group.id}/floors", data={"category": "", "min_discount_pct": "120", "csrf_token": token}
    )
    assert out_of_range.status_code == 422 and "最低折扣须在 1%–100% 之间" in out_of_range.text
    assert 'value="120"' in out_of_range.text


def test_a_group_coupon_must_lie_within_the_coupons_claim_window(
    app_client: TestClient, shop: Shop, db: Session, group: Group
) -> None:
    zone = zone_of(db, shop)
    claim_start = (utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    claim_end = claim_start + timedelta(days=2)
    template = make_template(db, main_actor(db, shop), name="限时券", claim_start=claim_start, claim_end=claim_end)
    log_in(app_client, shop.main)
    page = app_client.get(f"/groups/{group.id}/tools")
    assert f'data-coupon="{template.id}"' in page.text  # the claim window is shown next to the coupon
    token = csrf_of(app_client, f"/groups/{group.id}/tools")
    late = {
        "name": "群券",
        "starts_at": local(claim_end - timedelta(hours=1), zone),
        "ends_at": local(claim_end + timedelta(hours=1), zone),
        "coupon_template_id": str(template.id),
        "csrf_token": token,
    }
    refused = app_client.post(f"/groups/{group.id}/activities/coupon", data=late)
    assert refused.status_code == 422 and "须在优惠券领取时间" in refused.text
    assert f'value="{template.id}" selected' in refused.text and 'value="群券"' in refused.text
    inside = {**late, "ends_at": local(claim_end, zone)}
    assert (
        app_client.post(f"/groups/{group.id}/activities/coupon", data=inside, follow_redirects=False).status_code == 303
    )


def test_the_next_red_packet_round_opens_until_the_planned_rounds_and_totals_show(
    app_client: TestClient, shop: Shop, db: Session, group: Group
) -> None:
    zone = zone_of(db, shop)
    now = utcnow()
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}/tools")
    data = {
        "name": "整点红包雨",
        "starts_at": local(now - timedelta(hours=1), zone),
        "ends_at": local(now + timedelta(hours=2), zone),
        "budget": "10",
        "packets": "10",
        "rounds": "2",
        "csrf_token": token,
    }
    assert (
        app_client.post(f"/groups/{group.id}/activities/red_packet", data=data, follow_redirects=False).status_code
        == 303
    )
    rain = db.scalars(select(GroupActivity).where(GroupActivity.group_id == group.id)).one()
    page = app_client.get(f"/groups/{group.id}/tools")
    assert stat(page.text, "rounds") == "1 / 2" and stat(page.text, "budget") == "¥10.00"
    assert 'data-testid="open-round"' in page.text
    opened = app_client.post(f"/groups/{group.id}/activities/{rain.id}/round", data={"csrf_token": token})
    assert opened.status_code == 200 and "已开启下一轮红包" in opened.text
    assert stat(opened.text, "rounds") == "2 / 2" and stat(opened.text, "budget") == "¥20.00"
    assert stat(opened.text, "taken") == "0" and stat(opened.text, "paid") == "¥0.00"
    assert activities.red_packet_totals(db, rain.id) == (0, 0, 2_000)
    assert 'data-testid="open-round"' not in opened.text
    again = app_client.post(f"/groups/{group.id}/activities/{rain.id}/round", data={"csrf_token": token})
    assert again.status_code == 422 and "红包雨共 2 轮，已全部开始" in again.text
    cancelled = app_client.post(f"/groups/{group.id}/activities/{rain.id}/cancel", data={"csrf_token": token})
    assert "活动已取消" in cancelled.text and 'data-state="cancelled"' in cancelled.text


def test_growth_levels_are_saved_and_a_set_not_starting_at_zero_is_refused_as_typed(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    log_in(app_client, shop.main)
    page = app_client.get("/groups/levels")
    assert page.status_code == 200
    assert "10 成长值" in page.text and "第 7 天" in page.text and "5 成长值" in page.text
    assert 'value="新人"' in page.text  # the defaults until the shop defines its own
    token = csrf_of(app_client, "/groups/levels")
    rows = {
        "level_name_0": "青铜",
        "level_min_growth_0": "0",
        "level_benefits_0": "入群礼",
        "level_name_1": "白银",
        "level_min_growth_1": "200",
        "level_benefits_1": "专属券",
        "csrf_token": token,
    }
    saved = app_client.post("/groups/levels", data=rows)
    assert saved.status_code == 200 and "成长值等级已保存" in saved.text
    assert [(lv.name, lv.min_growth) for lv in growth.levels_of(db, shop.shop_id)] == [("青铜", 0), ("白银", 200)]
    bad = app_client.post("/groups/levels", data={**rows, "level_min_growth_0": "10"})
    assert bad.status_code == 422 and "第一个等级须从成长值 0 开始" in bad.text
    assert 'value="10"' in bad.text and 'value="专属券"' in bad.text
    not_a_number = app_client.post("/groups/levels", data={**rows, "level_min_growth_1": "两百"})
    assert not_a_number.status_code == 422 and "第 2 行的起始成长值须为整数" in not_a_number.text


def test_a_saved_plan_schedules_the_month_one_post_is_cancelled_and_the_worker_publishes_the_due_ones(
    app_client: TestClient, shop: Shop, db: Session, group: Group, sessions: sessionmaker[Session]
) -> None:
    zone = zone_of(db, shop)
    log_in(app_client, shop.main)
    page = app_client.get(f"/groups/{group.id}/plan")
    assert page.status_code == 200 and "福利群" in page.text and 'value="08:30-09:30"' in page.text
    token = csrf_of(app_client, f"/groups/{group.id}/plan")
    plan = {f"theme_{n}": "game" for n in range(7)}
    plan.update(theme_6="__custom__", theme_text_6="周日上新", slot_0="09:00", slot_1="21:00-22:00")
    plan.update(group_type="content", csrf_token=token)
    saved = app_client.post(f"/groups/{group.id}/plan", data=plan)
    assert saved.status_code == 200 and "运营计划已保存" in saved.text
    assert plans.plan_of(db, group_id=group.id) == plans.Plan(["game"] * 6 + ["周日上新"], ["09:00", "21:00-22:00"])
    db.refresh(group)
    assert group.group_type == "content"
    bad_slot = app_client.post(f"/groups/{group.id}/plan", data={**plan, "slot_1": "25:00"})
    assert bad_slot.status_code == 422 and "时段「25:00」格式不对" in bad_slot.text and 'value="25:00"' in bad_slot.text

    today = utcnow().astimezone(zone).date()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    month_form = {"year": str(year), "month": str(month), "themed_days": "5", "lottery_days": "0", "csrf_token": token}
    planned = app_client.post(f"/groups/{group.id}/plan/month", data=month_form)
    assert planned.status_code == 200 and "本月排期已生成" in planned.text
    upcoming = plans.upcoming(db, group_id=group.id, limit=1000)
    kinds = [p.kind for p in upcoming]
    assert kinds.count("themed_activity") == 1 and "lottery" not in kinds and kinds.count("slot") >= 56
    assert "主题活动" in planned.text and "游戏互动" in planned.text and "周日上新" in planned.text
    bad_days = app_client.post(f"/groups/{group.id}/plan/month", data={**month_form, "themed_days": "5, 40"})
    assert bad_days.status_code == 422 and "主题活动日期 40 不在本月" in bad_days.text

    first = upcoming[0]
    cancelled = app_client.post(f"/groups/{group.id}/plan/posts/{first.id}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 200 and "定时内容已取消" in cancelled.text
    assert f'data-scheduled="{first.id}"' not in cancelled.text

    at = (utcnow() + timedelta(hours=3)).replace(second=0, microsecond=0)
    custom = {"publish_at": local(at, zone), "text": "今晚 8 点直播", "at_all": "1", "csrf_token": token}
    posted = app_client.post(f"/groups/{group.id}/plan/posts", data=custom)
    assert posted.status_code == 200 and "内容已定时" in posted.text and "今晚 8 点直播" in posted.text
    past = app_client.post(f"/groups/{group.id}/plan/posts", data={**custom, "publish_at": local(utcnow(), zone)})
    assert past.status_code == 422 and "发布时间须晚于现在" in past.text and "今晚 8 点直播" in past.text

    published = plans.publish_due(sessions, now=at)
    assert published == 1
    posts = db.scalars(select(GroupPost).where(GroupPost.group_id == group.id)).all()
    assert [(p.text, p.author_kind, p.at_all) for p in posts] == [("今晚 8 点直播", "system", True)]
    assert plans.publish_due(sessions, now=at) == 0  # once
    db.expire_all()
    statuses = {p.id: p.status for p in db.scalars(select(ScheduledPost).where(ScheduledPost.group_id == group.id))}
    assert statuses[first.id] == "cancelled" and list(statuses.values()).count("published") == 1
    after = app_client.get(f"/groups/{group.id}/plan")
    assert "今晚 8 点直播" not in after.text


def test_the_data_page_shows_members_orders_and_the_chart_containers(
    app_client: TestClient, shop: Shop, db: Session, group: Group
) -> None:
    members = joined(db, group, 3)
    make_order(db, members[0], paid_fen=12_345, at=utcnow() + timedelta(minutes=1))
    make_order(db, members[1], paid_fen=9_900, at=datetime(2020, 1, 1, tzinfo=UTC))  # before joining: not counted
    log_in(app_client, shop.main)
    page = app_client.get(f"/groups/{group.id}/data")
    assert page.status_code == 200
    assert stat(page.text, "members") == "3" and stat(page.text, "joins") == "3" and stat(page.text, "leaves") == "0"
    assert stat(page.text, "orders") == "1" and stat(page.text, "gmv") == "¥123.45"
    assert stat(page.text, "buyers") == "1" and stat(page.text, "conversion") == "33.3%"
    assert 'id="group-joins-chart"' in page.text and 'id="group-subs-chart"' in page.text
    assert "/static/group_tools.js" in page.text and "echarts.min.js" in page.text
    assert 'data-sub="1"' in page.text and 'data-sub="10"' in page.text
    assert "每日入群与退群" in page.text and "活动参与" in page.text


def test_a_viewer_sees_the_pages_but_every_change_is_forbidden(
    app_client: TestClient, shop: Shop, group: Group, window: dict[str, str]
) -> None:
    log_in(app_client, shop.viewer)
    for path in (f"/groups/{group.id}/tools", "/groups/levels", f"/groups/{group.id}/plan", f"/groups/{group.id}/data"):
        page = app_client.get(path)
        assert page.status_code == 200, path
        assert 'data-testid="create-' not in page.text and 'data-testid="save-' not in page.text
    token = csrf_of(app_client, f"/groups/{group.id}/data")
    posts = {
        f"/groups/{group.id}/activities/guess": {"name": "x", **window, "guess_name": "y", "guess_price": "1"},
        f"/groups/{group.id}/activities/1/cancel": {},
        f"/groups/{group.id}/activities/1/round": {},
        f"/groups/{group.id}/floors": {"min_discount_pct": "60"},
        "/groups/levels": {"level_name_0": "a", "level_min_growth_0": "0"},
        f"/groups/{group.id}/plan": {"group_type": "welfare"},
        f"/groups/{group.id}/plan/month": {"year": "2030", "month": "1"},
        f"/groups/{group.id}/plan/posts": {"publish_at": window["starts_at"], "text": "x"},
        f"/groups/{group.id}/plan/posts/1/cancel": {},
    }
    for path, data in posts.items():
        assert app_client.post(path, data={**data, "csrf_token": token}).status_code == 403, path


def test_a_group_that_is_not_the_shops_is_not_found(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    for path in ("/groups/999999/tools", "/groups/999999/plan", "/groups/999999/data"):
        assert app_client.get(path).status_code == 404, path
