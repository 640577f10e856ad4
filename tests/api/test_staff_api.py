"""SPEC §0: the main account grants per-area permissions to sub-accounts; every change is audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEntry
from siyu.shops import services
from siyu.shops.errors import LoginFailed
from tests.api.conftest import bearer
from tests.factories.shops import PASSWORD, make_shop, make_token


def test_the_main_account_creates_a_sub_account_that_can_log_in(client: TestClient, db: Session) -> None:
    world = make_shop(db)
    token = make_token(db, world)
    db.commit()
    response = client.post(
        "/api/v1/staff",
        headers=bearer(token),
        json={
            "username": "ops:xiaoli",
            "display_name": "小李",
            "password": "long-enough-1",
            "permissions": ["groups:view", "groups:manage"],
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["permissions"] == ["groups:manage", "groups:view"]
    staff = services.authenticate(db, username="ops:xiaoli", password="long-enough-1")
    principal = services.principal_for_staff(staff)
    assert principal.allows("groups:manage") and not principal.allows("customers:view")


def test_a_staff_manager_cannot_grant_more_than_they_hold(client: TestClient, db: Session) -> None:
    world = make_shop(db)
    limited = make_token(db, world, ["staff:manage", "customers:view"])
    db.commit()
    response = client.post(
        "/api/v1/staff",
        headers=bearer(limited),
        json={"username": "sneaky", "password": "long-enough-1", "permissions": ["orders:manage"]},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "grant_beyond_own"


def test_a_disabled_sub_account_can_no_longer_log_in(client: TestClient, db: Session) -> None:
    world = make_shop(db)
    token = make_token(db, world)
    db.commit()
    created = client.post(
        "/api/v1/staff",
        headers=bearer(token),
        json={"username": "temp", "password": PASSWORD, "permissions": ["customers:view"]},
    ).json()
    client.patch(f"/api/v1/staff/{created['id']}", headers=bearer(token), json={"permissions": [], "is_active": False})
    try:
        services.authenticate(db, username="temp", password=PASSWORD)
    except LoginFailed:
        pass
    else:  # pragma: no cover - the assertion below explains the failure
        raise AssertionError("a disabled account logged in")


def test_the_main_account_cannot_be_restricted(client: TestClient, db: Session) -> None:
    world = make_shop(db)
    token = make_token(db, world)
    db.commit()
    response = client.patch(
        f"/api/v1/staff/{world.main.id}", headers=bearer(token), json={"permissions": [], "is_active": False}
    )
    assert response.status_code == 409


def test_a_token_secret_is_shown_once_and_stored_hashed(client: TestClient, db: Session) -> None:
    world = make_shop(db)
    token = make_token(db, world)
    db.commit()
    created = client.post("/api/v1/tokens", headers=bearer(token), json={"name": "erp", "permissions": ["orders:view"]})
    secret = created.json()["token"]
    listed = client.get("/api/v1/tokens", headers=bearer(token))
    assert secret not in listed.text
    assert client.get("/api/v1/imports", headers=bearer(secret)).status_code == 200
    assert client.get("/api/v1/customers", headers=bearer(secret)).status_code == 403


def test_every_change_writes_an_audit_row_with_before_and_after(client: TestClient, db: Session) -> None:
    world = make_shop(db)
    token = make_token(db, world)
    db.commit()
    created = client.post(
        "/api/v1/staff",
        headers=bearer(token),
        json={"username": "audited", "password": PASSWORD, "permissions": ["customers:view"]},
    ).json()
    client.patch(f"/api/v1/staff/{created['id']}", headers=bearer(token), json={"permissions": ["orders:view"]})
    entries = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.shop_id == world.shop.id, AuditEntry.target_id == str(created["id"]))
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["staff.create", "staff.permissions"]
    assert entries[1].before == {"permissions": ["customers:view"], "is_active": True}
    assert entries[1].after == {"permissions": ["orders:view"], "is_active": True}
    assert entries[1].actor.startswith("token:")
    log = client.get("/api/v1/audit", headers=bearer(token)).json()
    assert log[0]["action"] == "staff.permissions"
