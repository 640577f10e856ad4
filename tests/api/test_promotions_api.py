"""Coupons through the API: define, claim, use, refund, share, expire, stats; errors in both languages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.db import utcnow
from siyu.promotions import services
from tests.api.conftest import bearer
from tests.factories.customers import make_customer
from tests.factories.promotions import T0, spec
from tests.factories.shops import ShopWorld, make_shop, make_token


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


@pytest.fixture
def token(db: Session, world: ShopWorld) -> str:
    clear = make_token(db, world)
    db.commit()
    return clear


def live_spec(**fields: Any) -> dict[str, Any]:
    """A template whose claim window is open now (the API claims at the real time)."""
    now = utcnow()
    values: dict[str, Any] = {
        "claim_start": (now - timedelta(days=1)).isoformat(),
        "claim_end": (now + timedelta(days=10)).isoformat(),
        "use_end": (now + timedelta(days=20)).isoformat(),
    }
    values.update(fields)
    return spec(**values).model_dump(mode="json")


def test_a_template_is_defined_listed_and_read(client: TestClient, token: str) -> None:
    created = client.post("/api/v1/coupon-templates", headers=bearer(token), json=live_spec())
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["kind"], body["threshold_fen"], body["reduction_fen"], body["claimed_count"]) == (
        "full_reduction",
        10_000,
        2_000,
        0,
    )
    listed = client.get("/api/v1/coupon-templates", headers=bearer(token)).json()
    assert [t["id"] for t in listed] == [body["id"]]
    assert client.get(f"/api/v1/coupon-templates/{body['id']}", headers=bearer(token)).json()["name"] == "满100减20"


def test_contradictory_terms_answer_422_in_the_callers_language(client: TestClient, token: str) -> None:
    bad = live_spec(reduction_fen=10_000)
    zh = client.post("/api/v1/coupon-templates", headers=bearer(token), json=bad)
    assert zh.status_code == 422
    assert zh.json()["error"]["code"] == "invalid_coupon_template"
    assert "小于门槛" in zh.json()["error"]["message"]
    en = client.post("/api/v1/coupon-templates", headers={**bearer(token), "Accept-Language": "en"}, json=bad)
    assert "less than its threshold" in en.json()["error"]["message"]
    naive = client.post(
        "/api/v1/coupon-templates", headers=bearer(token), json={**bad, "claim_start": "2026-11-01T00:00:00"}
    )
    assert naive.status_code == 422


def test_claim_use_refund_and_stats_through_the_api(
    client: TestClient, db: Session, world: ShopWorld, token: str
) -> None:
    customer = make_customer(db, world.shop.id)
    db.commit()
    template = client.post("/api/v1/coupon-templates", headers=bearer(token), json=live_spec(total_stock=4)).json()
    claim = client.post(
        f"/api/v1/coupon-templates/{template['id']}/claim",
        headers=bearer(token),
        json={"customer_id": customer.id, "idempotency_key": "req-1"},
    )
    assert claim.status_code == 201, claim.text
    coupon = claim.json()
    assert (coupon["status"], coupon["channel"], len(coupon["code"])) == ("claimed", "api", 12)
    again = client.post(
        f"/api/v1/coupon-templates/{template['id']}/claim",
        headers=bearer(token),
        json={"customer_id": customer.id, "idempotency_key": "req-1"},
    )
    assert again.json()["id"] == coupon["id"]
    limit = client.post(
        f"/api/v1/coupon-templates/{template['id']}/claim", headers=bearer(token), json={"customer_id": customer.id}
    )
    assert (limit.status_code, limit.json()["error"]["code"]) == (409, "coupon_limit_reached")

    lines = [{"sku": "100001", "category": "洗护", "amount_fen": 12_000}]
    used = client.post(
        "/api/v1/coupons/use", headers=bearer(token), json={"code": coupon["code"], "order_no": "O1", "lines": lines}
    )
    assert used.status_code == 200, used.text
    assert used.json()["discount_fen"] == 2_000 and used.json()["coupon"]["status"] == "used"
    low = client.post(
        "/api/v1/coupons/use",
        headers=bearer(token),
        json={"code": coupon["code"], "order_no": "O2", "lines": [{"sku": "1", "amount_fen": 100}]},
    )
    assert low.json()["error"]["code"] == "coupon_not_usable"

    stats = client.get("/api/v1/coupon-stats", headers=bearer(token)).json()
    assert (stats["templates"][0]["template_id"], stats["templates"][0]["use_rate"]) == (template["id"], 1.0)
    assert (stats["total"]["claimed"], stats["total"]["used"], stats["total"]["claim_rate"]) == (1, 1, 0.25)

    returned = client.post("/api/v1/coupons/return", headers=bearer(token), json={"code": coupon["code"]})
    assert returned.json()["status"] == "claimed"
    listed = client.get("/api/v1/coupons", headers=bearer(token), params={"customer_id": customer.id}).json()
    assert (listed["total"], listed["items"][0]["code"]) == (1, coupon["code"])
    assert client.get(f"/api/v1/coupons/{coupon['id']}", headers=bearer(token)).json()["status"] == "claimed"
    assert client.post("/api/v1/coupons/expire", headers=bearer(token)).json() == {"expired": 0}


def test_a_fission_coupon_unlocks_through_shares(client: TestClient, db: Session, world: ShopWorld, token: str) -> None:
    holder, friend = make_customer(db, world.shop.id), make_customer(db, world.shop.id)
    db.commit()
    template = client.post(
        "/api/v1/coupon-templates", headers=bearer(token), json=live_spec(channel="fission", fission_friends=1)
    ).json()
    coupon = client.post(
        f"/api/v1/coupon-templates/{template['id']}/claim", headers=bearer(token), json={"customer_id": holder.id}
    ).json()
    assert coupon["status"] == "locked"
    shared = client.post(
        f"/api/v1/coupons/{coupon['id']}/shares", headers=bearer(token), json={"friend_customer_id": friend.id}
    )
    assert shared.json()["status"] == "claimed"


def test_patch_and_stop_a_template(client: TestClient, token: str) -> None:
    template = client.post("/api/v1/coupon-templates", headers=bearer(token), json=live_spec()).json()
    patched = client.patch(
        f"/api/v1/coupon-templates/{template['id']}", headers=bearer(token), json={"name": "双11", "total_stock": 9}
    )
    assert (patched.json()["name"], patched.json()["total_stock"]) == ("双11", 9)
    stopped = client.post(f"/api/v1/coupon-templates/{template['id']}/stop", headers=bearer(token))
    assert stopped.json()["status"] == "stopped"


def test_another_shops_coupon_code_is_not_found(client: TestClient, db: Session, token: str) -> None:
    other = make_shop(db)
    template = services.create_template(db, by=other.principal.actor, spec=spec(claim_start=T0))
    db.flush()
    coupon = services.claim_coupon(
        db, by=other.principal.actor, template_id=template.id, customer_id=make_customer(db, other.shop.id).id, now=T0
    )
    db.commit()
    body = {"code": coupon.code, "order_no": "O", "lines": [{"sku": "1", "amount_fen": 20_000}]}
    assert client.post("/api/v1/coupons/use", headers=bearer(token), json=body).status_code == 404
    assert client.post("/api/v1/coupons/return", headers=bearer(token), json={"code": coupon.code}).status_code == 404
