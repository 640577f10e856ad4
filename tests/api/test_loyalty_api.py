"""Brand membership through the API: joining with consent, points with idempotency keys, interactions,
refunds, the points mall, identity matching by keyed hash, analytics, and who may change what."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEntry
from siyu.config import get_settings
from siyu.core.phones import PhoneVault
from siyu.customers.models import Customer, Order
from siyu.loyalty.domain import phone_hmac
from siyu.loyalty.models import PointsEntry
from siyu.shops.domain import VIEWER_PERMISSIONS
from tests.api.conftest import bearer
from tests.factories.customers import make_customer, make_order
from tests.factories.loyalty import make_member
from tests.factories.shops import ShopWorld, make_shop, make_token

CONSENT = {"text": "本人已阅读并同意《会员协议》与《隐私政策》", "evidence": "ip=203.0.113.7"}


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


@pytest.fixture
def token(db: Session, world: ShopWorld) -> dict[str, str]:
    clear = make_token(db, world)
    db.commit()
    return bearer(clear)


def join(client: TestClient, token: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/members", headers=token, json={"consent": CONSENT, **body})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def with_mobile(db: Session, shop_id: int, mobile: str, **fields: object) -> Customer:
    settings = get_settings()
    vault = PhoneVault(settings.phone_key, settings.phone_hash_salt)
    return make_customer(
        db,
        shop_id,
        phone_cipher=vault.encrypt(mobile),
        phone_hash=vault.match_hash(mobile),
        phone_masked=f"{mobile[:3]}****{mobile[-4:]}",
        phone_tail=mobile[-4:],
        **fields,
    )


# ---- joining ------------------------------------------------------------------------------------------------
def test_join_by_phone_creates_the_customer_records_consent_and_gives_the_join_gift(
    client: TestClient, db: Session, world: ShopWorld, token: dict[str, str]
) -> None:
    card = join(client, token, phone="+86 138-0013-8000", name="王小明")
    assert card["phone_masked"] == "138****8000"
    assert (card["name"], card["status"], card["tier_level"], card["tier_name"]) == ("王小明", "active", 1, "普通会员")
    assert (card["points_balance"], card["points_debt"], card["consent_source"]) == (100, 0, "api")
    assert card["member_no"].startswith("M")
    db.expire_all()
    customer = db.get_one(Customer, card["customer_id"])
    assert customer.is_member and "13800138000" not in (customer.phone_cipher or "")
    again = client.post("/api/v1/members", headers=token, json={"phone": "13800138000", "consent": CONSENT})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_member"


def test_join_by_customer_id_keeps_the_consent_source_and_evidence(
    client: TestClient, db: Session, world: ShopWorld, token: dict[str, str]
) -> None:
    customer = make_customer(db, world.shop.id, account="jd_li")
    db.commit()
    card = join(client, token, customer_id=customer.id, consent={**CONSENT, "source": "h5"})
    assert (card["customer_id"], card["account"], card["consent_source"], card["source"]) == (
        customer.id,
        "jd_li",
        "h5",
        "h5",
    )
    assert client.get(f"/api/v1/members/{card['id']}", headers=token).json()["id"] == card["id"]
    listed = client.get("/api/v1/members", headers=token, params={"q": "jd_li"}).json()
    assert (listed["total"], [m["id"] for m in listed["items"]]) == (1, [card["id"]])


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "13800138000"},
        {"phone": "13800138000", "consent": {"text": "  "}},
        {"phone": "13800138000", "consent": None},
    ],
    ids=["no consent", "empty consent text", "null consent"],
)
def test_joining_without_consent_is_refused_and_changes_nothing(
    client: TestClient, db: Session, token: dict[str, str], body: dict[str, Any]
) -> None:
    customers = db.scalar(select(func.count()).select_from(Customer))
    response = client.post("/api/v1/members", headers=token, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "consent_required"
    assert db.scalar(select(func.count()).select_from(Customer)) == customers


def test_a_bad_mobile_or_no_customer_at_all_is_refused(client: TestClient, token: dict[str, str]) -> None:
    bad = client.post("/api/v1/members", headers=token, json={"phone": "12345", "consent": CONSENT})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_mobile")
    nobody = client.post("/api/v1/members", headers=token, json={"consent": CONSENT})
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (422, "invalid_input")


def test_a_member_who_leaves_keeps_the_ledger_and_earns_no_more(client: TestClient, token: dict[str, str]) -> None:
    member = join(client, token, phone="13900139000")
    left = client.delete(f"/api/v1/members/{member['id']}", headers=token)
    assert left.status_code == 200 and left.json()["status"] == "left"
    grant = client.post(
        f"/api/v1/members/{member['id']}/points",
        headers=token,
        json={"points": 10, "reason": "补偿", "idempotency_key": "after-leaving"},
    )
    assert (grant.status_code, grant.json()["error"]["code"]) == (409, "not_a_member")
    ledger = client.get(f"/api/v1/members/{member['id']}/points", headers=token).json()
    assert [e["source"] for e in ledger["items"]] == ["join_gift"]
    assert client.get("/api/v1/members", headers=token).json()["total"] == 0
    assert client.get("/api/v1/members", headers=token, params={"status": "left"}).json()["total"] == 1


# ---- points -------------------------------------------------------------------------------------------------
def test_a_grant_repeated_with_the_same_key_grants_once(client: TestClient, db: Session, token: dict[str, str]) -> None:
    member = join(client, token, phone="13700137000")
    body = {"points": 250, "reason": "客服补偿 compensation", "idempotency_key": "ticket-42"}
    first = client.post(f"/api/v1/members/{member['id']}/points", headers=token, json=body)
    second = client.post(f"/api/v1/members/{member['id']}/points", headers=token, json=body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    assert first.json()["balance"] == second.json()["balance"] == 350
    assert second.json()["entry"]["id"] == first.json()["entry"]["id"]
    entries = db.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.idempotency_key == "ticket-42"))
    assert entries == 1
    ledger = client.get(f"/api/v1/members/{member['id']}/points", headers=token).json()["items"]
    assert [(e["source"], e["points"], e["balance_after"]) for e in ledger] == [
        ("manual", 250, 350),
        ("join_gift", 100, 100),
    ]
    paged = client.get(f"/api/v1/members/{member['id']}/points", headers=token, params={"limit": 1, "offset": 1})
    assert [e["source"] for e in paged.json()["items"]] == ["join_gift"]


def test_spending_more_than_the_balance_is_refused_and_changes_nothing(
    client: TestClient, token: dict[str, str]
) -> None:
    member = join(client, token, phone="13600136000")
    url = f"/api/v1/members/{member['id']}/points/spend"
    short = client.post(url, headers=token, json={"points": 101, "idempotency_key": "pay-1", "ref": "300001"})
    assert short.status_code == 409
    error = short.json()["error"]
    assert (error["code"], error["details"]) == ("insufficient_points", {"wanted": 101, "available": 100})
    deduct = client.post(
        f"/api/v1/members/{member['id']}/points",
        headers=token,
        json={"points": -101, "reason": "误发", "idempotency_key": "fix-1"},
    )
    assert (deduct.status_code, deduct.json()["error"]["code"]) == (409, "insufficient_points")
    ok = client.post(url, headers=token, json={"points": 60, "idempotency_key": "pay-2", "ref": "300001"})
    assert (ok.status_code, ok.json()["balance"], ok.json()["entry"]["ref"]) == (201, 40, "300001")
    card = client.get(f"/api/v1/members/{member['id']}", headers=token).json()
    assert card["points_balance"] == 40


def test_interactions_respect_daily_and_lifetime_limits_and_checkin_counts_the_streak(
    client: TestClient, token: dict[str, str]
) -> None:
    member = join(client, token, phone="13500135000")
    url = f"/api/v1/members/{member['id']}/interactions"
    follow = client.post(url, headers=token, json={"kind": "follow"})
    assert (follow.status_code, follow.json()["points"]) == (201, 20)
    again = client.post(url, headers=token, json={"kind": "follow", "ref": "second"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "limit_reached")
    vote = client.post(url, headers=token, json={"kind": "vote", "ref": "poll-1"})
    assert vote.status_code == 201
    vote_again = client.post(url, headers=token, json={"kind": "vote", "ref": "poll-2"})
    assert (vote_again.status_code, vote_again.json()["error"]["code"]) == (409, "limit_reached")
    checkin = client.post(url, headers=token, json={"kind": "checkin"})
    assert (checkin.status_code, checkin.json()["points"]) == (201, 5)
    twice = client.post(url, headers=token, json={"kind": "checkin"})
    assert (twice.status_code, twice.json()["replayed"], twice.json()["balance"]) == (200, True, 130)
    unknown = client.post(url, headers=token, json={"kind": "dance"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "unknown_interaction")
    card = client.get(f"/api/v1/members/{member['id']}", headers=token).json()
    assert (card["checkin_streak"], card["points_balance"]) == (1, 130)


def test_order_points_are_synced_and_a_refund_takes_them_back_once(
    client: TestClient, db: Session, world: ShopWorld, token: dict[str, str]
) -> None:
    member = join(client, token, phone="13400134000")
    customer = db.get_one(Customer, member["customer_id"])
    order = make_order(db, customer, paid_fen=12_345, at=datetime.now(UTC) + timedelta(seconds=1))
    db.commit()
    synced = client.post("/api/v1/loyalty/sync-orders", headers=token).json()
    assert synced == {"awarded": 1, "points": 123, "reversed": 0}
    assert client.post("/api/v1/loyalty/sync-orders", headers=token).json()["awarded"] == 0
    db.get_one(Order, order.id).is_paid = False
    db.commit()
    refund = client.post(f"/api/v1/orders/{order.order_no}/points/refund", headers=token)
    assert (refund.status_code, refund.json()["points"], refund.json()["balance"]) == (201, -123, 100)
    again = client.post(f"/api/v1/orders/{order.order_no}/points/refund", headers=token)
    assert (again.status_code, again.json()["replayed"], again.json()["balance"]) == (200, True, 100)
    unknown = client.post("/api/v1/orders/no-such-order/points/refund", headers=token)
    assert unknown.status_code == 404


def test_batch_jobs_answer_with_their_counts(client: TestClient, token: dict[str, str]) -> None:
    join(client, token, phone="13300133000")
    assert client.post("/api/v1/loyalty/expire", headers=token).json() == {"points_expired": 0}
    assert client.post("/api/v1/loyalty/review-tiers", headers=token).json() == {
        "members": 1,
        "upgraded": 0,
        "downgraded": 0,
    }
    assert client.post("/api/v1/loyalty/birthday-gifts", headers=token).json() == {"members": 0}


# ---- programme and tiers ------------------------------------------------------------------------------------
def test_programme_and_tiers_are_read_and_replaced(client: TestClient, token: dict[str, str]) -> None:
    program = client.get("/api/v1/loyalty/program", headers=token).json()
    assert (program["join_gift_points"], program["points_per_yuan"]) == (100, 1)
    program["join_gift_points"] = 0
    program["member_day"] = 8
    saved = client.put("/api/v1/loyalty/program", headers=token, json=program)
    assert saved.status_code == 200 and saved.json()["member_day"] == 8
    assert client.get("/api/v1/loyalty/program", headers=token).json()["join_gift_points"] == 0
    bad = client.put("/api/v1/loyalty/program", headers=token, json={"interactions": {"dance": {"points": 1}}})
    assert bad.status_code == 422

    defaults = client.get("/api/v1/loyalty/tiers", headers=token).json()
    assert defaults["default"] is True and [t["name"] for t in defaults["tiers"]][:2] == ["普通会员", "银卡会员"]
    ladder = [
        {"name": "普通", "threshold": 0},
        {"name": "金卡", "threshold": 100_000, "points_multiplier_pct": 150, "privileges": ["专属客服"]},
    ]
    put = client.put("/api/v1/loyalty/tiers", headers=token, json={"tiers": ladder})
    assert put.status_code == 200
    assert [(t["level"], t["name"], t["points_multiplier_pct"]) for t in put.json()["tiers"]] == [
        (1, "普通", 100),
        (2, "金卡", 150),
    ]
    assert client.get("/api/v1/loyalty/tiers", headers=token).json()["default"] is False
    falling = [{"name": "a", "threshold": 0}, {"name": "b", "threshold": 0}]
    refused = client.put("/api/v1/loyalty/tiers", headers=token, json={"tiers": falling})
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "invalid_input")


# ---- points mall --------------------------------------------------------------------------------------------
def test_mall_items_are_created_redeemed_once_per_key_and_run_out_of_stock(
    client: TestClient, token: dict[str, str]
) -> None:
    first = join(client, token, phone="13200132000")
    second = join(client, token, phone="13200132001")
    created = client.post(
        "/api/v1/mall/items",
        headers=token,
        json={"name": "保温杯", "kind": "gift", "points_cost": 80, "stock": 1, "per_member_limit": 1},
    )
    assert created.status_code == 201
    item = created.json()
    assert (item["stock"], item["redeemed_count"], item["active"]) == (1, 0, True)
    url = f"/api/v1/mall/items/{item['id']}/redeem"
    done = client.post(url, headers=token, json={"member_id": first["id"], "idempotency_key": "r-1"})
    assert done.status_code == 201
    assert (done.json()["status"], done.json()["points"], done.json()["item_name"]) == ("redeemed", 80, "保温杯")
    replay = client.post(url, headers=token, json={"member_id": first["id"], "idempotency_key": "r-1"})
    assert replay.json()["id"] == done.json()["id"]
    assert client.get(f"/api/v1/members/{first['id']}", headers=token).json()["points_balance"] == 20
    gone = client.post(url, headers=token, json={"member_id": second["id"], "idempotency_key": "r-2"})
    assert (gone.status_code, gone.json()["error"]["code"]) == (409, "out_of_stock")
    assert client.get(f"/api/v1/members/{second['id']}", headers=token).json()["points_balance"] == 100

    restocked = client.patch(f"/api/v1/mall/items/{item['id']}", headers=token, json={"stock": 5, "points_cost": 150})
    assert (restocked.json()["stock"], restocked.json()["points_cost"]) == (5, 150)
    short = client.post(url, headers=token, json={"member_id": second["id"], "idempotency_key": "r-3"})
    assert (short.status_code, short.json()["error"]["code"]) == (409, "insufficient_points")
    client.patch(f"/api/v1/mall/items/{item['id']}", headers=token, json={"active": False})
    off = client.post(url, headers=token, json={"member_id": second["id"], "idempotency_key": "r-4"})
    assert (off.status_code, off.json()["error"]["code"]) == (409, "item_unavailable")

    assert [i["name"] for i in client.get("/api/v1/mall/items", headers=token).json()] == ["保温杯"]
    assert client.get("/api/v1/mall/items", headers=token, params={"active_only": True}).json() == []
    mine = client.get("/api/v1/mall/redemptions", headers=token, params={"member_id": first["id"]}).json()
    assert [(r["member_id"], r["item_name"]) for r in mine] == [(first["id"], "保温杯")]
    assert client.get("/api/v1/mall/redemptions", headers=token, params={"member_id": second["id"]}).json() == []


# ---- identity matching --------------------------------------------------------------------------------------
def test_hash_upload_matches_brand_members_and_reports_the_match_rate(
    client: TestClient, db: Session, world: ShopWorld, token: dict[str, str]
) -> None:
    shop = world.shop.id
    with_mobile(db, shop, "13811110001", account="jd_a")
    with_mobile(db, shop, "13811110002", account="jd_b")
    db.commit()
    off = client.post(
        "/api/v1/loyalty/member-hashes",
        headers=token,
        files={"file": ("m.csv", b"", "text/csv")},
        data={"legal_basis": "品牌会员协议第 5 条"},
    )
    assert (off.status_code, off.json()["error"]["code"]) == (409, "matching_disabled")
    mode = client.put("/api/v1/loyalty/matching", headers=token, json={"mode": "connected"})
    assert mode.json()["mode"] == "connected" and "secret" not in mode.json()
    secret = client.post("/api/v1/loyalty/matching/secret", headers=token).json()["secret"]
    assert len(secret) >= 32
    lines = ["phone_hmac,brand_no,tier"]
    lines += [f"{phone_hmac(secret, m)},B{n},金卡" for n, m in enumerate(["13811110001", "13811110002"])]
    lines += [phone_hmac(secret, m) for m in ("13811110003", "13811110004")]
    lines += ["not-a-hash,B9"]
    body = "\n".join(lines).encode("gbk")

    no_basis = client.post(
        "/api/v1/loyalty/member-hashes", headers=token, files={"file": ("brand.csv", body, "text/csv")}
    )
    assert (no_basis.status_code, no_basis.json()["error"]["code"]) == (422, "legal_basis_required")
    report = client.post(
        "/api/v1/loyalty/member-hashes",
        headers=token,
        files={"file": ("brand.csv", body, "text/csv")},
        data={"legal_basis": "品牌会员协议第 5 条：会员同意共享"},
    )
    assert report.status_code == 201, report.text
    got = report.json()
    assert {k: got[k] for k in ("rows", "new", "matched_now", "rejected", "total_hashes", "matched_total")} == {
        "rows": 5,
        "new": 4,
        "matched_now": 2,
        "rejected": 1,
        "total_hashes": 4,
        "matched_total": 2,
    }
    assert got["match_rate"] == 0.5
    members = client.get("/api/v1/members", headers=token).json()
    assert sorted(m["account"] for m in members["items"]) == ["jd_a", "jd_b"]
    assert {m["source"] for m in members["items"]} == {"brand"}

    with_mobile(db, shop, "13811110003", account="jd_c")
    db.commit()
    rematch = client.post("/api/v1/loyalty/member-hashes/match", headers=token).json()
    assert rematch == {"matched_now": 1, "total_hashes": 4, "matched_total": 3, "match_rate": 0.75}
    uploads = client.get("/api/v1/loyalty/member-hashes/uploads", headers=token).json()
    assert [(u["filename"], u["rows"], u["matched"]) for u in uploads] == [("brand.csv", 5, 2)]
    state = client.get("/api/v1/loyalty/matching", headers=token).json()
    assert state == {"mode": "connected", "has_secret": True, "total_hashes": 4, "matched_total": 3, "match_rate": 0.75}
    audited = db.scalars(select(AuditEntry.action).where(AuditEntry.shop_id == shop)).all()
    assert {"loyalty.hash_upload", "loyalty.match_secret_rotated", "loyalty.matching_mode"} <= set(audited)


def test_a_hash_file_over_20_mb_is_refused(client: TestClient, token: dict[str, str]) -> None:
    client.put("/api/v1/loyalty/matching", headers=token, json={"mode": "connected"})
    big = io.BytesIO(b"0" * (20 * 1024 * 1024 + 1))
    response = client.post(
        "/api/v1/loyalty/member-hashes",
        headers=token,
        files={"file": ("big.csv", big, "text/csv")},
        data={"legal_basis": "品牌会员协议"},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (413, "file_too_large")


# ---- analytics ----------------------------------------------------------------------------------------------
def test_analytics_compare_members_with_non_members(
    client: TestClient, db: Session, world: ShopWorld, token: dict[str, str]
) -> None:
    recent = datetime.now(UTC) - timedelta(days=10)
    member = make_member(db, world.principal.actor, account="m1")
    customer = db.get_one(Customer, member.customer_id)
    for days in (0, 1):
        make_order(db, customer, paid_fen=12_000, at=recent + timedelta(days=days))
    loyal = make_customer(db, world.shop.id, follows_shop=True)
    make_order(db, loyal, paid_fen=10_000, at=recent)
    make_order(db, loyal, paid_fen=10_000, at=recent + timedelta(days=1))
    make_order(db, make_customer(db, world.shop.id), paid_fen=10_000, at=recent)
    db.commit()
    report = client.get("/api/v1/loyalty/analytics", headers=token).json()
    assert (report["members"], report["shop_members"], report["fans"]) == (1, 3, 1)
    assert report["member"] == {
        "buyers": 1,
        "repeat_buyers": 1,
        "orders": 2,
        "gmv_fen": 24_000,
        "repurchase_rate": 1.0,
        "aov_fen": 12_000,
    }
    assert (report["non_member"]["buyers"], report["non_member"]["repurchase_rate"]) == (2, 0.5)
    assert report["repurchase_ratio"] == 2.0
    assert report["aov_uplift"] == pytest.approx(0.2)
    assert report["tiers"][0] == {"level": 1, "name": "普通会员", "members": 1}
    assert len(report["months"]) == 12 and set(report["months"][-1]) >= {"month", "new_members", "points_issued"}


def test_analytics_of_a_shop_without_non_member_buyers_has_no_ratio(client: TestClient, token: dict[str, str]) -> None:
    report = client.get("/api/v1/loyalty/analytics", headers=token).json()
    assert (report["repurchase_ratio"], report["aov_uplift"], report["members"]) == (None, None, 0)


# ---- permissions --------------------------------------------------------------------------------------------
def test_a_viewer_reads_but_cannot_change_points_settings_or_see_the_key(
    client: TestClient, db: Session, world: ShopWorld, token: dict[str, str]
) -> None:
    member = join(client, token, phone="13100131000")
    viewer = bearer(make_token(db, world, list(VIEWER_PERMISSIONS)))
    db.commit()
    assert client.get(f"/api/v1/members/{member['id']}", headers=viewer).status_code == 200
    assert client.get("/api/v1/loyalty/matching", headers=viewer).status_code == 200
    attempts = [
        ("POST", f"/api/v1/members/{member['id']}/points", {"points": 5, "reason": "x", "idempotency_key": "v"}),
        ("PUT", "/api/v1/loyalty/program", {}),
        ("PUT", "/api/v1/loyalty/matching", {"mode": "connected"}),
        ("POST", "/api/v1/loyalty/matching/secret", None),
        ("POST", "/api/v1/members", {"phone": "13100131001", "consent": CONSENT}),
        ("DELETE", f"/api/v1/members/{member['id']}", None),
    ]
    for method, url, body in attempts:
        response = client.request(method, url, headers=viewer, json=body)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["error"]["code"] == "permission_denied"
    card = client.get(f"/api/v1/members/{member['id']}", headers=token).json()
    assert (card["status"], card["points_balance"]) == ("active", 100)
    assert client.get("/api/v1/loyalty/matching", headers=token).json()["mode"] == "disconnected"
