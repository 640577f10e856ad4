"""Console pages through the ASGI app: sign-in, CSRF, permissions, shop isolation, language."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from siyu.db import transaction
from siyu.shops.models import Staff
from siyu.web import i18n
from tests.factories.customers import make_customer, make_order
from tests.web.web_support import PASSWORD, Shop, csrf_of, log_in, make_shop

TEMPLATES = Path(i18n.__file__).parent / "templates"


def test_pages_need_a_login_and_come_back_after_it(app_client: TestClient, shop: Shop) -> None:
    # given nobody signed in, when a page is opened, then the login page is shown with the way back
    response = app_client.get("/customers?q=abc", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/customers%3Fq%3Dabc"

    token = csrf_of(app_client)
    back = app_client.post(
        "/login",
        data={"username": shop.main, "password": PASSWORD, "csrf_token": token, "next": "/customers?q=abc"},
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert back.headers["location"] == "/customers?q=abc"


def test_wrong_password_is_refused_in_the_page_language(app_client: TestClient, shop: Shop) -> None:
    token = csrf_of(app_client)
    response = app_client.post("/login", data={"username": shop.main, "password": "nope-nope", "csrf_token": token})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text

    app_client.cookies.set("siyu_lang", "en")
    response = app_client.post("/login", data={"username": shop.main, "password": "nope-nope", "csrf_token": token})
    assert "wrong username or password" in response.text


def test_login_and_every_post_need_the_csrf_token(app_client: TestClient, shop: Shop) -> None:
    csrf_of(app_client)
    forged = app_client.post("/login", data={"username": shop.main, "password": PASSWORD})
    assert forged.status_code == 403

    log_in(app_client, shop.main)
    forged = app_client.post("/tokens", data={"name": "x"})
    assert forged.status_code == 403
    assert "请刷新页面后重试" in forged.text
    wrong = app_client.post("/tokens", data={"name": "x", "csrf_token": "guess"})
    assert wrong.status_code == 403
    token = csrf_of(app_client, "/tokens")
    made = app_client.post("/tokens", data={"name": "ci", "csrf_token": token, "perm": "customers:view"})
    assert made.status_code == 201
    assert re.search(r"siyu_[A-Za-z0-9_-]{20,}", made.text)
    by_header = app_client.post("/tokens", data={"name": "ci2"}, headers={"X-CSRF-Token": token})
    assert by_header.status_code == 201


def test_a_viewer_sees_pages_but_cannot_change_anything(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.viewer)
    page = app_client.get("/imports")
    assert page.status_code == 200
    assert 'id="upload-form"' not in page.text
    assert app_client.get("/").status_code == 200
    assert app_client.get("/staff").status_code == 200
    token = csrf_of(app_client, "/staff")

    upload = app_client.post("/imports", files={"file": ("a.csv", b"x", "text/csv")}, headers={"X-CSRF-Token": token})
    assert upload.status_code == 403
    assert "没有权限" in upload.text
    for path, data in (("/tokens", {"name": "x"}), ("/staff", {"username": "u", "password": "12345678"})):
        response = app_client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403, path


def test_pages_without_the_permission_are_forbidden(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    # given a sub-account that may only see customers
    with transaction(sessions) as session:
        main = session.query(Staff).filter_by(username=shop.main).one()
        from siyu.shops.services import create_sub_account, principal_for_staff

        create_sub_account(
            session,
            by=principal_for_staff(main),
            username="only-customers",
            display_name="客服",
            password=PASSWORD,
            permissions=["customers:view"],
        )
    log_in(app_client, "only-customers")
    # the dashboard sends them to their first page; nav shows only what they may open
    home = app_client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/customers"
    page = app_client.get("/customers")
    assert 'href="/imports"' not in page.text and 'href="/staff"' not in page.text
    for path in ("/imports", "/staff", "/tokens", "/audit"):
        assert app_client.get(path).status_code == 403, path


def test_another_shops_customer_is_not_found(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session], db: Session
) -> None:
    other = make_shop(sessions, "othershop")
    theirs = make_customer(db, other.shop_id, account="their_pin", phone_masked="139****0000")
    ours = make_customer(db, shop.shop_id, account="our_pin", name="张三", phone_masked="138****1234")
    make_order(db, ours, paid_fen=12_345, channel="微信")
    db.flush()
    log_in(app_client, shop.main)

    mine = app_client.get(f"/customers/{ours.id}")
    assert mine.status_code == 200
    assert "张三" in mine.text and "138****1234" in mine.text and "¥123.45" in mine.text
    assert "2024-06-18 10:00" in mine.text  # 02:00 UTC shown in Asia/Shanghai

    response = app_client.get(f"/customers/{theirs.id}")
    assert response.status_code == 404
    assert "their_pin" not in response.text
    assert "客户不存在" in response.text
    listing = app_client.get("/customers")
    assert "our_pin" in listing.text and "their_pin" not in listing.text


def test_customer_search_returns_a_fragment_for_htmx(app_client: TestClient, shop: Shop, db: Session) -> None:
    make_customer(db, shop.shop_id, account="pin_a", name="李雷", phone_masked="138****1234", phone_tail="1234")
    make_customer(db, shop.shop_id, account="pin_b", name="韩梅梅", phone_masked="139****5678", phone_tail="5678")
    db.flush()
    log_in(app_client, shop.main)
    response = app_client.get("/customers?q=5678", headers={"HX-Request": "true", "HX-Target": "results"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "韩梅梅" in response.text and "李雷" not in response.text
    assert "共 1 位客户" in response.text


def test_unknown_pages_get_a_friendly_404_and_the_api_keeps_json(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    page = app_client.get("/no-such-page")
    assert page.status_code == 404
    assert "页面不存在" in page.text and "<nav" in page.text
    api = app_client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")


def test_language_switch_changes_labels_and_numbers(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    assert "客户总数" in app_client.get("/").text
    switched = app_client.get("/lang/en?next=/customers", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/customers"
    assert switched.cookies.get("siyu_lang") == "en"
    app_client.cookies.set("siyu_lang", "en")
    page = app_client.get("/")
    assert "Total customers" in page.text and "客户总数" not in page.text
    assert '<html lang="en">' in page.text
    # no open redirect through the switch
    evil = app_client.get("/lang/zh?next=//evil.example", follow_redirects=False)
    assert evil.headers["location"] == "/"


def test_a_disabled_account_is_logged_out_on_its_next_request(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    log_in(app_client, shop.viewer)
    assert app_client.get("/customers").status_code == 200
    with transaction(sessions) as session:
        session.query(Staff).filter_by(username=shop.viewer).one().is_active = False
    response = app_client.get("/customers", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_main_account_grants_and_edits_permissions(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/staff")
    created = app_client.post(
        "/staff",
        data={
            "username": "ops1",
            "display_name": "运营一号",
            "password": "long-enough-1",
            "perm": ["customers:view", "orders:manage"],
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert created.status_code == 200 and "运营一号" in created.text
    weak = app_client.post(
        "/staff", data={"username": "ops2", "password": "short", "csrf_token": token, "perm": "customers:view"}
    )
    assert weak.status_code == 422 and "密码至少 8 位" in weak.text
    staff_id = int(re.findall(r'href="/staff/(\d+)"', created.text)[-1])
    saved = app_client.post(
        f"/staff/{staff_id}", data={"perm": ["analytics:view"], "csrf_token": token}, follow_redirects=True
    )
    assert saved.status_code == 200 and "已保存" in saved.text
    assert 'value="analytics:view" aria-label="analytics:view" checked' in saved.text
    audit = app_client.get("/audit")
    assert "修改权限" in audit.text and "创建账号" in audit.text


def test_every_template_text_has_a_chinese_translation() -> None:
    keys: set[str] = set()
    for path in TEMPLATES.rglob("*.html"):
        keys.update(re.findall(r'_\(\s*"([^"]+)"\s*[,)]', path.read_text(encoding="utf-8")))
        keys.update(re.findall(r"_\(\s*'([^']+)'\s*[,)]", path.read_text(encoding="utf-8")))
    from siyu.web.errors import TITLES
    from siyu.web.navigation import NAV

    keys.update(entry.label for entry in NAV)
    keys.update(TITLES.values())
    keys.update(("queued", "running", "done", "failed"))
    missing = sorted(k for k in keys if not i18n.has(k))
    assert missing == []


def test_full_phone_only_for_the_phone_permission_and_audited(app_client: TestClient, shop: Shop, db: Session) -> None:
    from siyu.config import get_settings
    from siyu.core.phones import PhoneVault

    settings = get_settings()
    cipher = PhoneVault(settings.phone_key, settings.phone_hash_salt).encrypt("13812341234")
    customer = make_customer(db, shop.shop_id, phone_masked="138****1234", phone_tail="1234", phone_cipher=cipher)
    db.flush()

    log_in(app_client, shop.viewer)
    page = app_client.get(f"/customers/{customer.id}")
    assert "138****1234" in page.text and "13812341234" not in page.text
    assert "reveal-phone" not in page.text
    token = csrf_of(app_client, f"/customers/{customer.id}")
    assert app_client.post(f"/customers/{customer.id}/phone", data={"csrf_token": token}).status_code == 403

    app_client.cookies.clear()
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/customers/{customer.id}")
    shown = app_client.post(f"/customers/{customer.id}/phone", headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert shown.status_code == 200 and "13812341234" in shown.text
    assert "查看完整手机号" in app_client.get("/audit").text
