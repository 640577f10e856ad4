"""Browsing customers through the API: search, filters, paging, profile, export, phone reveal."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEntry
from siyu.config import get_settings
from siyu.core.phones import PhoneVault
from tests.api.conftest import bearer
from tests.factories.customers import make_customer, make_order
from tests.factories.shops import ShopWorld, make_shop, make_token


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


def test_search_finds_by_account_name_phone_tail_and_masked_phone(
    client: TestClient, db: Session, world: ShopWorld
) -> None:
    shop = world.shop.id
    make_customer(db, shop, account="jd_wang", name="王小明", phone_masked="138****1234", phone_tail="1234")
    make_customer(db, shop, account="jd_li", name="李雷", phone_masked="139****9876", phone_tail="9876")
    token = make_token(db, world)
    db.commit()

    def accounts(q: str) -> list[str]:
        body = client.get("/api/v1/customers", params={"q": q}, headers=bearer(token)).json()
        return [c["account"] for c in body["items"]]

    assert accounts("wang") == ["jd_wang"]
    assert accounts("李") == ["jd_li"]
    assert accounts("9876") == ["jd_li"]
    assert accounts("138****1234") == ["jd_wang"]


def test_filters_and_paging(client: TestClient, db: Session, world: ShopWorld) -> None:
    shop = world.shop.id
    for i in range(7):
        c = make_customer(db, shop, city="上海市" if i % 2 else "北京市", is_member=i < 3)
        if i < 2:
            make_order(db, c)
    token = make_token(db, world)
    db.commit()
    get = lambda **p: client.get("/api/v1/customers", params=p, headers=bearer(token)).json()  # noqa: E731
    assert get(city="上海市")["total"] == 3
    assert get(is_member=True)["total"] == 3
    assert get(has_paid_order=True)["total"] == 2
    assert get(has_paid_order=False)["total"] == 5
    page = get(size=3, page=3)
    assert (page["total"], page["pages"], len(page["items"])) == (7, 3, 1)


def test_a_list_row_carries_paid_orders_spend_and_last_order(client: TestClient, db: Session, world: ShopWorld) -> None:
    c = make_customer(db, world.shop.id)
    make_order(db, c, paid_fen=1_000, at=datetime(2024, 1, 1, tzinfo=UTC))
    make_order(db, c, paid_fen=2_500, at=datetime(2024, 3, 1, tzinfo=UTC))
    make_order(db, c, paid_fen=9_999, is_paid=False, at=datetime(2024, 5, 1, tzinfo=UTC))
    token = make_token(db, world)
    db.commit()
    row = client.get("/api/v1/customers", headers=bearer(token)).json()["items"][0]
    assert (row["paid_orders"], row["paid_fen"]) == (2, 3_500)
    assert row["last_order_at"].startswith("2024-05-01")


def test_the_customer_page_has_the_profile_and_the_order_timeline_newest_first(
    client: TestClient, db: Session, world: ShopWorld
) -> None:
    c = make_customer(db, world.shop.id, name="张三")
    make_order(db, c, at=datetime(2024, 1, 1, tzinfo=UTC), sku="111")
    make_order(db, c, at=datetime(2024, 6, 1, tzinfo=UTC), sku="222", quantity=2)
    token = make_token(db, world)
    db.commit()
    body = client.get(f"/api/v1/customers/{c.id}", headers=bearer(token)).json()
    assert body["name"] == "张三"
    assert [o["lines"][0]["sku"] for o in body["orders"]] == ["222", "111"]
    assert body["orders"][0]["lines"][0]["quantity"] == 2
    assert body["first_order_at"].startswith("2024-01-01")


def test_the_excel_export_is_masked_and_safe_against_formula_injection(
    client: TestClient, db: Session, world: ShopWorld
) -> None:
    vault = PhoneVault(get_settings().phone_key, get_settings().phone_hash_salt)
    make_customer(
        db,
        world.shop.id,
        account='=HYPERLINK("http://evil")',
        name="+cmd",
        phone_masked="138****8000",
        phone_cipher=vault.encrypt("13800138000"),
    )
    token = make_token(db, world)
    db.commit()
    response = client.get("/api/v1/customers/export.xlsx", headers=bearer(token))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "下单帐号"
    assert rows[1][0] == '\'=HYPERLINK("http://evil")' and rows[1][1] == "'+cmd"
    assert rows[1][4] == "138****8000"
    assert b"13800138000" not in response.content
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "customers.export")) == 1


def test_the_full_phone_is_shown_only_with_permission_and_is_audited(
    client: TestClient, db: Session, world: ShopWorld
) -> None:
    vault = PhoneVault(get_settings().phone_key, get_settings().phone_hash_salt)
    c = make_customer(db, world.shop.id, phone_masked="138****8000", phone_cipher=vault.encrypt("13800138000"))
    allowed = make_token(db, world, ["customers:view", "customers:phone"])
    denied = make_token(db, world, ["customers:manage"])
    db.commit()
    assert client.post(f"/api/v1/customers/{c.id}/reveal-phone", headers=bearer(denied)).status_code == 403
    response = client.post(f"/api/v1/customers/{c.id}/reveal-phone", headers=bearer(allowed))
    assert response.json() == {"customer_id": c.id, "phone": "13800138000"}
    audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "customers.reveal_phone")).all()
    assert [a.target_id for a in audited] == [str(c.id)]


def test_errors_speak_the_callers_language(client: TestClient, db: Session, world: ShopWorld) -> None:
    token = make_token(db, world)
    db.commit()
    zh = client.get("/api/v1/customers/999999", headers=bearer(token)).json()["error"]
    en = client.get("/api/v1/customers/999999", headers={**bearer(token), "Accept-Language": "en-US"}).json()["error"]
    assert (zh["code"], zh["message"], en["message"]) == ("not_found", "客户不存在", "customer not found")
