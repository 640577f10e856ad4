"""SPEC §0 / DESIGN "Security": shop A's credentials can neither read nor change shop B's rows, through
any route of the API (ids guessed too), and a viewer can change nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.models import AuditEntry
from siyu.campaigns import calendar
from siyu.campaigns import services as campaigns
from siyu.customers.models import Customer
from siyu.groups import activities as group_activities
from siyu.groups import milestones as group_milestones
from siyu.groups import services as groups
from siyu.loyalty import services as loyalty
from siyu.promotions import services as promotions
from siyu.segments.models import Audience, AudienceMember, AudienceSnapshot, Tag
from siyu.shops.domain import VIEWER_PERMISSIONS
from siyu.shops.models import ApiToken, Staff
from tests.api.conftest import bearer
from tests.factories.customers import make_customer, make_order
from tests.factories.imports import import_file
from tests.factories.jd_files import line, write_csv
from tests.factories.loyalty import T0 as JOINED
from tests.factories.loyalty import make_member
from tests.factories.promotions import T0
from tests.factories.promotions import spec as coupon_spec
from tests.factories.shops import make_shop, make_sub_account, make_token

SECRET_OF_B = "b_only_account_7f3a"


@dataclass
class Tenants:
    token_a: str
    viewer_a: str
    ids_b: dict[str, Any]
    shop_b: int
    member_a: int = 0  # a member of shop A with points, for bodies that name the caller's own member


@pytest.fixture
def tenants(db: Session, sessions: sessionmaker[Session], tmp_path: Path) -> Tenants:
    a, b = make_shop(db), make_shop(db)
    make_order(db, make_customer(db, a.shop.id, account="a_customer"))
    customer_b = make_customer(db, b.shop.id, account=SECRET_OF_B, name="乙店客户", phone_masked="139****0000")
    make_order(db, customer_b)
    staff_b = make_sub_account(db, b, ["customers:view"])
    make_token(db, b)
    token_b = db.scalars(select(ApiToken).where(ApiToken.shop_id == b.shop.id)).one()
    db.commit()
    audience_b = Audience(shop_id=b.shop.id, name=SECRET_OF_B, definition={"field": "city", "values": ["x"]})
    tag_b = Tag(shop_id=b.shop.id, name=SECRET_OF_B, kind="manual")
    db.add_all([audience_b, tag_b])
    db.flush()
    snapshot_b = AudienceSnapshot(
        shop_id=b.shop.id, audience_id=audience_b.id, name=SECRET_OF_B, origin={}, member_count=1
    )
    db.add(snapshot_b)
    db.flush()
    db.add(AudienceMember(snapshot_id=snapshot_b.id, customer_id=customer_b.id, shop_id=b.shop.id))
    db.commit()
    template_b = promotions.create_template(
        db,
        by=b.principal.actor,
        spec=coupon_spec(name=SECRET_OF_B, claim_start=T0, channel="fission", fission_friends=1),
    )
    db.flush()
    coupon_b = promotions.claim_coupon(
        db, by=b.principal.actor, template_id=template_b.id, customer_id=customer_b.id, now=T0
    )
    db.commit()
    member_b = make_member(db, b.principal.actor, customer=customer_b)
    order_b = make_order(db, customer_b, at=JOINED + timedelta(hours=1))
    loyalty.earn_for_order(db, by=b.principal.actor, order_id=order_b.id, now=JOINED + timedelta(hours=2))
    item_b = loyalty.create_mall_item(
        db, by=b.principal.actor, spec=loyalty.MallItemSpec(name=SECRET_OF_B, kind="gift", points_cost=1, stock=5)
    )
    loyalty.set_matching_mode(db, by=b.principal.actor, mode="connected")
    loyalty.upload_member_hashes(
        db, by=b.principal.actor, lines=["ab" * 32 + ",B1"], filename=f"{SECRET_OF_B}.csv", legal_basis="品牌会员协议"
    )
    member_a = make_member(db, a.principal.actor, at=datetime.now(UTC))  # join gift not yet expired
    event_b = calendar.create_event(
        db, by=b.principal.actor, spec=calendar.EventSpec(SECRET_OF_B, "big", datetime(2027, 6, 18), note=SECRET_OF_B)
    )
    group_b = groups.create_group(db, by=b.principal.actor, spec=groups.GroupSpec(SECRET_OF_B, description=SECRET_OF_B))
    rule_b = groups.add_rule(db, by=b.principal.actor, kind="keyword", pattern=SECRET_OF_B[:20])
    milestone_b = group_milestones.add_milestone(
        db, by=b.principal.actor, group_id=group_b.id, spec=group_milestones.MilestoneSpec(5, SECRET_OF_B)
    )
    activity_b = group_activities.create_activity(
        db,
        by=b.principal.actor,
        group_id=group_b.id,
        spec=group_activities.ActivitySpec(
            "guess",
            "猜价格",
            datetime.now(UTC),
            datetime.now(UTC) + timedelta(hours=2),
            guess_name=SECRET_OF_B,
            guess_price_fen=100,
        ),
    )
    campaign_b = campaigns.create_campaign(
        db,
        by=b.principal.actor,
        spec=campaigns.CampaignSpec(
            name=SECRET_OF_B, signature="乙店", body="全场5折 拒收请回复R", snapshot_id=snapshot_b.id
        ),
    )
    db.commit()
    job_b = import_file(sessions, b.shop.id, write_csv(tmp_path / "b.csv", [line(account=SECRET_OF_B + "_2")]))
    token_a = make_token(db, a)
    viewer_a = make_token(db, a, list(VIEWER_PERMISSIONS))
    db.commit()
    ids = {
        "customer_id": customer_b.id,
        "job_id": job_b.id,
        "staff_id": staff_b.id,
        "token_id": token_b.id,
        "audience_id": audience_b.id,
        "snapshot_id": snapshot_b.id,
        "tag_id": tag_b.id,
        "batch": 1,
        "template_id": template_b.id,
        "coupon_id": coupon_b.id,
        "member_id": member_b.id,
        "item_id": item_b.id,
        "order_no": order_b.order_no,
        "campaign_id": campaign_b.id,
        "action": "pause",
        "event_id": event_b.id,
        "group_id": group_b.id,
        "sub_group_id": groups.sub_groups_of(db, group_b.id)[0].id,
        "rule_id": rule_b.id,
        "activity_id": activity_b.id,
        "milestone_id": milestone_b.id,
    }
    return Tenants(token_a, viewer_a, ids, b.shop.id, member_a.id)


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() if path.startswith("/api/v1") for method in ops]


def plausible_body(method: str, path: str, *, member_id: int = 1) -> dict[str, Any]:
    """A body that would succeed if the permission or tenancy check were missing (``member_id``: a member of
    the caller's own shop, for bodies that name one)."""
    if path.endswith("/staff") and method == "POST":
        return {"json": {"username": "intruder", "password": "longpassword1", "permissions": ["customers:view"]}}
    if path.endswith("/staff/{staff_id}"):
        return {"json": {"permissions": ["staff:manage"], "is_active": False}}
    if path.endswith("/tokens") and method == "POST":
        return {"json": {"name": "intruder", "permissions": ["customers:view"]}}
    if path.endswith("/audiences") and method == "POST":
        return {"json": {"name": "intruder", "definition": {"field": "city", "values": ["x"]}}}
    if path.endswith("/audiences/{audience_id}") and method == "PATCH":
        return {"json": {"name": "renamed"}}
    if path.endswith("/audiences/combine"):
        return {"json": {"op": "union", "left": {"snapshot": 1}, "right": {"snapshot": 1}, "name": "x"}}
    if path.endswith("/tags") and method == "POST":
        return {"json": {"name": "intruder"}}
    if path.endswith("/members") and method == "POST" and "/tags/" not in path:
        return {"json": {"phone": "13800000001", "consent": {"text": "本人同意《会员协议》"}}}
    if path.endswith("/members/{member_id}/points") and method == "POST":
        return {"json": {"points": 10, "reason": "intruder", "idempotency_key": "intruder-grant"}}
    if path.endswith("/points/spend"):
        return {"json": {"points": 1, "idempotency_key": "intruder-spend"}}
    if path.endswith("/interactions"):
        return {"json": {"kind": "checkin"}}
    if path.endswith("/mall/items") and method == "POST":
        return {"json": {"name": "intruder", "kind": "gift", "points_cost": 1, "stock": 1}}
    if path.endswith("/mall/items/{item_id}") and method == "PATCH":
        return {"json": {"stock": 0, "active": False}}
    if path.endswith("/redeem"):
        return {"json": {"member_id": member_id, "idempotency_key": "intruder-redeem"}}
    if path.endswith("/loyalty/program"):
        return {"json": {}}
    if path.endswith("/loyalty/tiers") and method == "PUT":
        return {"json": {"tiers": [{"name": "intruder", "threshold": 0}]}}
    if path.endswith("/loyalty/matching") and method == "PUT":
        return {"json": {"mode": "connected"}}
    if path.endswith("/loyalty/member-hashes"):
        return {"files": {"file": ("h.csv", b"ab" * 32, "text/csv")}, "data": {"legal_basis": "品牌会员协议"}}
    if "/members" in path:
        return {"json": {"customer_ids": [1]}}
    if path.endswith("/segments/settings"):
        return {"json": {}}
    if path.endswith("/audiences/count"):
        return {"json": {"definition": {"field": "city", "values": ["x"]}}}
    if path.endswith("/coupon-templates") and method == "POST":
        body = coupon_spec().model_dump(mode="json")
        return {"json": body}
    if path.endswith("/coupon-templates/{template_id}") and method == "PATCH":
        return {"json": {"name": "renamed", "total_stock": 1}}
    if path.endswith("/claim"):
        return {"json": {"customer_id": 1}}
    if path.endswith("/shares"):
        return {"json": {"friend_customer_id": 1}}
    if path.endswith(("/coupons/use", "/coupons/return")):
        return {"json": {"code": "ABCDEFGHJKLM", "order_no": "O1", "lines": [{"sku": "1", "amount_fen": 20000}]}}
    if path.endswith("/campaigns/{campaign_id}") and method == "PUT":
        return {"json": {"name": "renamed", "signature": "甲店", "body": "全场5折 拒收请回复R"}}
    if (path.endswith("/groups") and method == "POST") or (path.endswith("/groups/{group_id}") and method == "PUT"):
        return {"json": {"name": "群"}}
    if path.endswith(("/join", "/leave")) and "/groups/" in path:
        return {"json": {"customer_id": 1}}
    if path.endswith("/kick"):
        return {"json": {"customer_ids": [1]}}
    if path.endswith("/status"):
        return {"json": {"status": "closed"}}
    if path.endswith("/admins"):
        return {"json": {"staff_ids": []}}
    if path.endswith("/posts") and method == "POST":
        return {"json": {"text": "你好"}}
    if path.endswith("/group-rules") and method == "POST":
        return {"json": {"kind": "ad"}}
    if path.endswith("/activities") and method == "POST":
        return {
            "json": {
                "kind": "guess",
                "name": "猜",
                "starts_at": "2026-12-12T20:00:00+08:00",
                "ends_at": "2026-12-12T22:00:00+08:00",
                "guess_name": "x",
                "guess_price_fen": 100,
            }
        }
    if path.endswith("/cards") and method == "POST":
        return {"json": {"kind": "poster", "name": "牙刷", "price_fen": 9900}}
    if path.endswith("/milestones") and method == "POST":
        return {"json": {"members": 5, "text": "满 5 人"}}
    if path.endswith("/group-price-floors"):
        return {"json": {"min_discount_pct": 50}}
    if path.endswith("/group-levels"):
        return {"json": [{"name": "新人", "min_growth": 0}]}
    if path.endswith("/plan") and method == "PUT":
        return {"json": {"weekday_themes": ["game"] * 7, "slots": ["08:30"]}}
    if path.endswith("/plan/month"):
        return {"json": {"year": 2027, "month": 1}}
    if path.startswith("/api/v1/calendar/events") and method in ("POST", "PUT"):
        return {"json": {"name": "双12", "kind": "big", "starts_at": "2026-12-12T00:00:00"}}
    if "/consents" in path:
        return {"json": {"channel": "sms", "source": "api", "text": "本人同意接收营销短信"}}
    if path.endswith("/imports/orders"):
        return {"files": {"file": ("o.csv", ",".join(line()).encode("gb18030"), "text/csv")}}
    return {}


def test_every_route_with_an_id_refuses_another_shops_ids(
    client: TestClient, app: FastAPI, tenants: Tenants, db: Session
) -> None:
    staff_before = db.get_one(Staff, tenants.ids_b["staff_id"]).permissions
    checked = 0
    for method, path in api_routes(app):
        params = re.findall(r"{(\w+)}", path)
        if not params:
            continue
        assert set(params) <= set(tenants.ids_b), f"add the id of {params} to this test"
        url = path.format(**tenants.ids_b)
        body = plausible_body(method, path, member_id=tenants.member_a)
        response = client.request(method, url, headers=bearer(tenants.token_a), **body)
        assert response.status_code == 404, (method, url, response.status_code, response.text)
        assert SECRET_OF_B not in response.text
        checked += 1
    assert checked >= 15
    db.expire_all()
    assert db.get_one(Staff, tenants.ids_b["staff_id"]).permissions == staff_before
    assert db.get_one(ApiToken, tenants.ids_b["token_id"]).revoked_at is None


def test_list_and_export_routes_show_only_the_callers_shop(client: TestClient, app: FastAPI, tenants: Tenants) -> None:
    for method, path in api_routes(app):
        if method != "GET" or "{" in path:
            continue
        response = client.get(path, headers=bearer(tenants.token_a))
        assert response.status_code == 200, (path, response.text)
        assert SECRET_OF_B.encode() not in response.content, path
    found = client.get("/api/v1/customers", params={"q": SECRET_OF_B}, headers=bearer(tenants.token_a)).json()
    assert found["total"] == 0


def test_a_viewer_can_change_nothing(client: TestClient, app: FastAPI, tenants: Tenants, db: Session) -> None:
    audit_before = db.scalar(select(func.count()).select_from(AuditEntry))
    customers_before = db.scalar(select(func.count()).select_from(Customer))
    own_ids = {
        "customer_id": 1,
        "job_id": 1,
        "staff_id": 1,
        "token_id": 1,
        "audience_id": 1,
        "snapshot_id": 1,
        "tag_id": 1,
        "batch": 1,
        "template_id": 1,
        "coupon_id": 1,
        "member_id": 1,
        "item_id": 1,
        "order_no": "1",
        "campaign_id": 1,
        "action": "pause",
        "event_id": 1,
        "group_id": 1,
        "sub_group_id": 1,
        "rule_id": 1,
        "activity_id": 1,
        "milestone_id": 1,
    }
    changing = [(m, p) for m, p in api_routes(app) if m not in ("GET", "HEAD")]
    assert changing
    for method, path in changing:
        if path.endswith(("reveal-phone", "/audiences/count", "/campaigns/preview")):
            continue  # reads sent as POST (a sensitive read, a count of a definition, a message's lints)
        response = client.request(
            method, path.format(**own_ids), headers=bearer(tenants.viewer_a), **plausible_body(method, path)
        )
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] == "permission_denied"
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    assert db.scalar(select(func.count()).select_from(Customer)) == customers_before


def test_requests_without_a_valid_token_are_refused(client: TestClient, tenants: Tenants) -> None:
    assert client.get("/api/v1/customers").status_code == 401
    response = client.get("/api/v1/customers", headers=bearer("siyu_not-a-real-token"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_revoked_token_stops_working(client: TestClient, db: Session) -> None:
    world = make_shop(db)
    token = make_token(db, world)
    db.commit()
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.shop_id == world.shop.id))
    assert client.get("/api/v1/customers", headers=bearer(token)).status_code == 200
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/customers", headers=bearer(token)).status_code == 401


def test_ids_of_another_shop_inside_request_bodies_are_refused_or_ignored(
    client: TestClient, tenants: Tenants, db: Session
) -> None:
    snapshot_b, customer_b = tenants.ids_b["snapshot_id"], tenants.ids_b["customer_id"]
    combined = client.post(
        "/api/v1/audiences/combine",
        headers=bearer(tenants.token_a),
        json={"op": "union", "left": {"snapshot": snapshot_b}, "right": {"snapshot": snapshot_b}, "name": "steal"},
    )
    assert combined.status_code == 404
    tag = client.post("/api/v1/tags", headers=bearer(tenants.token_a), json={"name": "mine"}).json()
    via_snapshot = client.post(
        f"/api/v1/tags/{tag['id']}/members", headers=bearer(tenants.token_a), json={"snapshot_id": snapshot_b}
    )
    assert via_snapshot.status_code == 404
    via_ids = client.post(
        f"/api/v1/tags/{tag['id']}/members",
        headers=bearer(tenants.token_a),
        json={"customer_ids": [customer_b], "accounts": [SECRET_OF_B]},
    )
    assert via_ids.json() == {"added": 0, "unknown_accounts": [SECRET_OF_B], "member_count": 0}


def test_loyalty_bodies_naming_another_shops_customer_or_member_are_refused(
    client: TestClient, tenants: Tenants
) -> None:
    a = bearer(tenants.token_a)
    joined = client.post(
        "/api/v1/members", headers=a, json={"customer_id": tenants.ids_b["customer_id"], "consent": {"text": "同意"}}
    )
    assert joined.status_code == 404
    item = client.post(
        "/api/v1/mall/items", headers=a, json={"name": "mine", "kind": "gift", "points_cost": 1, "stock": 1}
    ).json()
    stolen = client.post(
        f"/api/v1/mall/items/{item['id']}/redeem",
        headers=a,
        json={"member_id": tenants.ids_b["member_id"], "idempotency_key": "steal"},
    )
    assert stolen.status_code == 404
    theirs = client.get("/api/v1/mall/redemptions", headers=a, params={"member_id": tenants.ids_b["member_id"]})
    assert theirs.json() == []
    own = client.post(
        f"/api/v1/mall/items/{item['id']}/redeem",
        headers=a,
        json={"member_id": tenants.member_a, "idempotency_key": "mine"},
    )
    assert own.status_code == 201  # the body above would have worked for the caller's own member
