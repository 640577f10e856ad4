"""Membership, programme, matching, analytics, points mall and coupon pages through the ASGI app:
permissions, forms that keep what was typed, idempotent adjustment, tenancy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.models import AuditEntry
from siyu.audit.services import Actor
from siyu.loyalty import services as loyalty
from siyu.loyalty.domain import phone_hmac
from siyu.loyalty.models import Member, MemberTier
from siyu.promotions.models import Coupon, CouponTemplate
from siyu.shops.models import Staff
from siyu.shops.services import principal_for_staff
from tests.factories.customers import make_customer
from tests.factories.loyalty import CONSENT
from tests.factories.promotions import make_template
from tests.web.web_support import Shop, csrf_of, log_in, make_shop

PAGES = ("/members", "/members/program", "/members/matching", "/members/analytics", "/mall", "/coupons")


def main_actor(db: Session, shop: Shop) -> Actor:
    staff = db.scalar(select(Staff).where(Staff.username == shop.main))
    assert staff is not None
    return principal_for_staff(staff).actor


def a_member(db: Session, shop: Shop, **fields: object) -> Member:
    by = main_actor(db, shop)
    customer = make_customer(db, shop.shop_id, **fields)
    member = loyalty.join_member(db, by=by, customer_id=customer.id, consent=CONSENT)
    db.flush()
    return member


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name}"
    return match.group(1)


@pytest.fixture
def member(db: Session, shop: Shop) -> Member:
    return a_member(db, shop, account="pin_vip", name="王芳", phone_masked="138****6677", phone_tail="6677")


def test_every_page_opens_for_the_main_account_in_chinese_and_english(
    app_client: TestClient, shop: Shop, member: Member, db: Session
) -> None:
    make_template(db, main_actor(db, shop), name="满100减20")
    log_in(app_client, shop.main)
    zh = {path: app_client.get(path) for path in (*PAGES, f"/members/{member.id}")}
    assert {p: r.status_code for p, r in zh.items()} == dict.fromkeys(zh, 200)
    for label in ("会员", "积分商城", "优惠券"):
        assert f"<span>{label}</span>" in zh["/members"].text  # the navigation
    assert "王芳" in zh["/members"].text and "138****6677" in zh["/members"].text
    assert 'data-stat="members">1<' in zh["/members"].text
    assert "开卡礼" in zh[f"/members/{member.id}"].text  # the join gift in the ledger
    assert "+100" in zh[f"/members/{member.id}"].text
    assert "满 ¥100.00 减 ¥20.00" in zh["/coupons"].text
    assert 'id="loyalty-data"' in zh["/members/analytics"].text
    assert "会员等级" in zh["/members/program"].text and "打通" in zh["/members/matching"].text

    app_client.cookies.set("siyu_lang", "en")
    en = {path: app_client.get(path) for path in (*PAGES, f"/members/{member.id}")}
    assert {p: r.status_code for p, r in en.items()} == dict.fromkeys(en, 200)
    assert "Points outstanding" in en["/members"].text
    assert "Join gift" in en[f"/members/{member.id}"].text
    assert "Spend ¥100.00, save ¥20.00" in en["/coupons"].text
    assert "Tier ladder" in en["/members/program"].text
    assert "Shared key" in en["/members/matching"].text
    assert "Members vs non-members" in en["/members/analytics"].text
    assert "Points mall" in en["/mall"].text
    for response in en.values():
        assert "开卡礼" not in response.text.replace("开卡礼 join gift", "")  # no stray Chinese labels


def test_a_viewer_sees_no_forms_and_every_change_is_refused(
    app_client: TestClient, shop: Shop, member: Member, db: Session
) -> None:
    template = make_template(db, main_actor(db, shop))
    log_in(app_client, shop.viewer)
    pages = {path: app_client.get(path) for path in (*PAGES, f"/members/{member.id}")}
    assert {p: r.status_code for p, r in pages.items()} == dict.fromkeys(pages, 200)
    for path, response in pages.items():
        forms = re.findall(r'<form method="post" action="([^"]+)"', response.text)
        assert forms == ["/logout"], (path, forms)
    assert "secret-value" not in pages["/members/matching"].text

    token = csrf_of(app_client, "/members")
    for path, data in (
        ("/members", {"phone": "13800001111", "consent": "yes", "consent_text": "同意"}),
        (f"/members/{member.id}/adjust", {"points": "10", "reason": "x", "key": "k1"}),
        (f"/members/{member.id}/leave", {}),
        ("/members/program", {}),
        ("/members/program/tiers", {"tier_rows": "0"}),
        ("/members/program/run/sync", {}),
        ("/members/matching/mode", {"mode": "connected"}),
        ("/members/matching/key", {}),
        ("/members/matching/rotate", {}),
        ("/members/matching/upload", {"legal_basis": "x"}),
        ("/mall", {"name": "x", "kind": "gift", "points_cost": "1"}),
        ("/mall/1", {"stock": "1"}),
        ("/coupons/templates", {"name": "x"}),
        (f"/coupons/templates/{template.id}/stop", {}),
        ("/coupons/issue", {"account": "pin_vip", "template_id": str(template.id)}),
    ):
        response = app_client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403, path
        assert "没有权限" in response.text, path
    db.refresh(member)
    assert member.points_balance == 100 and member.status == "active"


def test_joining_without_consent_keeps_what_was_typed_then_joins(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/members")
    form = {
        "phone": "139 1234 5678",
        "name": "赵敏",
        "account": "",
        "consent_text": "本人同意《会员协议》",
        "evidence": "客服对话 2026-11-20",
        "csrf_token": token,
    }
    refused = app_client.post("/members", data=form)
    assert refused.status_code == 422
    assert 'data-testid="join-error"' in refused.text
    assert "开卡需要客户本人同意" in refused.text
    for value in ("139 1234 5678", "赵敏", "本人同意《会员协议》", "客服对话 2026-11-20"):
        assert value in refused.text
    assert db.scalar(select(Member).where(Member.shop_id == shop.shop_id)) is None

    app_client.cookies.set("siyu_lang", "en")
    assert "joining needs the customer's own consent" in app_client.post("/members", data=form).text.replace(
        "&#39;", "'"
    )

    joined = app_client.post("/members", data={**form, "consent": "yes"}, follow_redirects=True)
    assert joined.status_code == 200
    assert "赵敏" in joined.text and "139****5678" in joined.text and "13912345678" not in joined.text
    member = db.scalar(select(Member).where(Member.shop_id == shop.shop_id))
    assert member is not None
    assert (member.source, member.consent_source, member.consent_evidence) == (
        "console",
        "console",
        "客服对话 2026-11-20",
    )


def test_a_bad_phone_is_refused_in_the_users_language(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/members")
    response = app_client.post(
        "/members", data={"phone": "12345", "consent": "yes", "consent_text": "同意", "csrf_token": token}
    )
    assert response.status_code == 422
    assert "不是有效的 11 位手机号" in response.text and 'value="12345"' in response.text


def test_the_same_adjust_form_submitted_twice_grants_once(
    app_client: TestClient, shop: Shop, member: Member, db: Session
) -> None:
    log_in(app_client, shop.main)
    page = app_client.get(f"/members/{member.id}")
    key = hidden(page.text, "key")
    token = hidden(page.text, "csrf_token")
    form = {"points": "+250", "reason": "物流延误补偿", "key": key, "csrf_token": token}
    first = app_client.post(f"/members/{member.id}/adjust", data=form, follow_redirects=False)
    second = app_client.post(f"/members/{member.id}/adjust", data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"].endswith("done=adjusted#ledger")
    assert second.headers["location"].endswith("done=replayed#ledger")
    db.refresh(member)
    assert member.points_balance == 100 + 250
    shown = app_client.get(f"/members/{member.id}")
    assert "物流延误补偿" in shown.text and "+250" in shown.text
    assert hidden(shown.text, "key") != key  # a new rendering, a new key

    # a reason is required; the form keeps the points and its key
    missing = app_client.post(
        f"/members/{member.id}/adjust", data={"points": "-50", "reason": " ", "key": "console:k2", "csrf_token": token}
    )
    assert missing.status_code == 422
    assert "人工调整积分必须填写原因" in missing.text
    assert 'value="-50"' in missing.text and 'value="console:k2"' in missing.text
    # a deduction beyond the balance is refused, not overdrawn
    over = app_client.post(
        f"/members/{member.id}/adjust",
        data={"points": "-9999", "reason": "测试", "key": "console:k3", "csrf_token": token},
    )
    assert over.status_code == 409 and "积分不足" in over.text
    db.refresh(member)
    assert member.points_balance == 350


def test_the_tier_editor_refuses_a_falling_threshold(
    app_client: TestClient, shop: Shop, member: Member, db: Session
) -> None:
    log_in(app_client, shop.main)
    page = app_client.get("/members/program")
    token = hidden(page.text, "csrf_token")
    rows = {
        "tier_rows": "3",
        "tier_name_0": "普通会员",
        "tier_threshold_0": "0",
        "tier_multiplier_0": "1",
        "tier_name_1": "金卡",
        "tier_threshold_1": "2000",
        "tier_multiplier_1": "1.5",
        "tier_privileges_1": "会员价，生日礼",
        "tier_name_2": "银卡",
        "tier_threshold_2": "500",
        "tier_multiplier_2": "1.2",
    }
    refused = app_client.post("/members/program/tiers", data={**rows, "csrf_token": token})
    assert refused.status_code == 422
    assert "等级「银卡」的门槛必须高于「金卡」" in refused.text
    assert 'value="银卡"' in refused.text and 'value="500"' in refused.text
    before = db.scalars(select(MemberTier.name).where(MemberTier.shop_id == shop.shop_id).order_by(MemberTier.level))
    assert list(before) == ["普通会员", "银卡会员", "金卡会员", "钻石会员"]

    fixed = {**rows, "tier_name_1": "银卡", "tier_threshold_1": "500", "tier_multiplier_1": "1.2"}
    fixed.update({"tier_name_2": "金卡", "tier_threshold_2": "2000.5", "tier_multiplier_2": "1.5"})
    saved = app_client.post("/members/program/tiers", data={**fixed, "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303
    tiers = db.scalars(select(MemberTier).where(MemberTier.shop_id == shop.shop_id).order_by(MemberTier.level)).all()
    assert [(t.name, t.threshold, t.points_multiplier_pct) for t in tiers] == [
        ("普通会员", 0, 100),
        ("银卡", 50_000, 120),
        ("金卡", 200_050, 150),
    ]
    assert (tiers[0].privileges, tiers[1].privileges) == ([], ["会员价", "生日礼"])
    assert app_client.get("/members/program").text.count('value="2000.5"') == 1


def test_programme_settings_errors_come_back_beside_their_fields(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    log_in(app_client, shop.main)
    page = app_client.get("/members/program")
    form = dict(re.findall(r'<input name="([a-z_0-9]+)" value="([^"]*)"', page.text))
    form.update({"tier_basis": "spend", "downgrade": "one_level", "csrf_token": hidden(page.text, "csrf_token")})
    form.update({"member_day": "31", "streak_bonus": "3-5", "points_per_yuan": "2"})
    bad = app_client.post("/members/program", data=form)
    assert bad.status_code == 400
    assert 'data-error="member_day"' in bad.text and 'data-error="streak_bonus"' in bad.text
    assert "会员日：每月 1 到 28 号" in bad.text
    assert 'value="31"' in bad.text and 'value="3-5"' in bad.text
    form.update({"member_day": "18", "member_day_multiplier": "1.5", "streak_bonus": "3:5, 7:30"})
    assert app_client.post("/members/program", data=form, follow_redirects=False).status_code == 303
    settings, _row = loyalty.load_program(db, shop.shop_id)
    assert (settings.points_per_yuan, settings.member_day, settings.member_day_multiplier_pct) == (2, 18, 150)
    assert settings.checkin.streak_bonus == {3: 5, 7: 30}


def test_a_job_runs_and_shows_what_it_did(app_client: TestClient, shop: Shop, member: Member) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/members/program")
    response = app_client.post("/members/program/run/review", data={"csrf_token": token})
    assert response.status_code == 200
    assert "评级完成：共 1 位会员，升级 0 位，降级 0 位。" in response.text


def test_a_coupon_template_with_a_reduction_not_below_its_threshold_is_refused(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/coupons")
    form = {
        "name": "满100减100",
        "kind": "full_reduction",
        "threshold": "100",
        "reduction": "100",
        "scope": "shop",
        "claim_start": "2026-11-20T10:00",
        "claim_end": "2026-11-30T23:59",
        "use_mode": "days",
        "use_days": "30",
        "total_stock": "500",
        "per_customer_limit": "1",
        "channel": "any",
        "csrf_token": token,
    }
    refused = app_client.post("/coupons/templates", data=form)
    assert refused.status_code == 422
    assert "满减券的减免金额必须小于门槛金额" in refused.text
    assert 'data-error="reduction"' in refused.text
    assert 'value="满100减100"' in refused.text and 'value="2026-11-30T23:59"' in refused.text
    assert db.scalar(select(CouponTemplate).where(CouponTemplate.shop_id == shop.shop_id)) is None

    made = app_client.post("/coupons/templates", data={**form, "reduction": "15.5"}, follow_redirects=False)
    assert made.status_code == 303
    template = db.scalar(select(CouponTemplate).where(CouponTemplate.shop_id == shop.shop_id))
    assert template is not None
    assert (template.threshold_fen, template.reduction_fen, template.use_days) == (10_000, 1_550, 30)
    assert template.claim_start == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_a_support_coupon_is_issued_once_by_jd_account(
    app_client: TestClient, shop: Shop, member: Member, db: Session
) -> None:
    now = datetime.now(UTC)
    template = make_template(
        db,
        main_actor(db, shop),
        claim_start=now - timedelta(days=1),
        claim_end=now + timedelta(days=5),
        use_end=now + timedelta(days=10),
        per_customer_limit=3,
    )
    log_in(app_client, shop.main)
    page = app_client.get("/coupons")
    data = {"account": "pin_vip", "template_id": str(template.id), "key": hidden(page.text, "key")}
    data["csrf_token"] = hidden(page.text, "csrf_token")
    first = app_client.post("/coupons/issue", data=data)
    again = app_client.post("/coupons/issue", data=data)
    assert first.status_code == again.status_code == 200
    assert 'data-testid="issued"' in first.text
    assert db.scalar(select(Coupon).where(Coupon.template_id == template.id)) is not None
    assert len(db.scalars(select(Coupon).where(Coupon.template_id == template.id)).all()) == 1
    unknown = app_client.post("/coupons/issue", data={**data, "account": "nobody", "key": "console:x"})
    assert unknown.status_code == 422 and "京东帐号「nobody」的客户不存在" in unknown.text


def test_the_mall_creates_a_coupon_item_and_restocks(app_client: TestClient, shop: Shop, db: Session) -> None:
    template = make_template(db, main_actor(db, shop), name="满100减20")
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/mall")
    item = {"name": "20 元券", "kind": "coupon", "points_cost": "500", "stock": "10", "per_member_limit": "1"}
    missing = app_client.post("/mall", data={**item, "csrf_token": token})
    assert missing.status_code == 422 and "优惠券类商品需要选择优惠券模板" in missing.text
    assert 'value="20 元券"' in missing.text
    made = app_client.post(
        "/mall", data={**item, "coupon_template_id": str(template.id), "csrf_token": token}, follow_redirects=False
    )
    assert made.status_code == 303
    (row,) = loyalty.list_mall_items(db, shop_id=shop.shop_id)
    assert (row.kind, row.points_cost, row.stock, row.coupon_template_id) == ("coupon", 500, 10, template.id)
    assert app_client.post(f"/mall/{row.id}", data={"stock": "40", "csrf_token": token}).status_code == 200
    assert app_client.post(f"/mall/{row.id}", data={"active": "0", "csrf_token": token}).status_code == 200
    db.refresh(row)
    assert (row.stock, row.active) == (40, False)


def test_matching_shows_the_key_audited_and_reports_an_upload(app_client: TestClient, shop: Shop, db: Session) -> None:
    from siyu.config import get_settings
    from siyu.core.phones import PhoneVault

    settings = get_settings()
    vault = PhoneVault(settings.phone_key, settings.phone_hash_salt)
    make_customer(
        db,
        shop.shop_id,
        account="pin_brand",
        phone_cipher=vault.encrypt("13700001111"),
        phone_hash=vault.match_hash("13700001111"),
        phone_masked="137****1111",
        phone_tail="1111",
    )
    db.flush()
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/members/matching")
    refused = app_client.post(
        "/members/matching/upload",
        data={"legal_basis": "会员条款", "csrf_token": token},
        files={"file": ("h.csv", b"x", "text/csv")},
    )
    assert refused.status_code == 409 and "不打通" in refused.text and 'value="会员条款"' in refused.text
    app_client.post("/members/matching/mode", data={"mode": "connected", "csrf_token": token})
    shown = app_client.post("/members/matching/key", data={"csrf_token": token})
    secret = re.search(r'data-testid="secret-value">([^<]+)<', shown.text)
    assert secret
    viewed = db.scalars(select(AuditEntry.action).where(AuditEntry.shop_id == shop.shop_id)).all()
    assert "loyalty.match_secret_revealed" in viewed

    lines = "hash,member_no\n" + "\n".join(
        [
            f"{phone_hmac(secret.group(1), '13700001111')},B001",
            f"{phone_hmac(secret.group(1), '13700002222')},B002",
            "oops",
        ]
    )
    no_basis = app_client.post(
        "/members/matching/upload",
        data={"legal_basis": "", "csrf_token": token},
        files={"file": ("brand.csv", lines.encode(), "text/csv")},
    )
    assert no_basis.status_code == 422 and "合法依据" in no_basis.text
    report = app_client.post(
        "/members/matching/upload",
        data={"legal_basis": "品牌会员条款第 5 条", "csrf_token": token},
        files={"file": ("brand.csv", lines.encode(), "text/csv")},
    )
    assert report.status_code == 200
    figures = dict(re.findall(r'data-report="(\w+)">([^<]+)<', report.text))
    assert figures == {"rows": "3", "new": "2", "matched": "1", "rejected": "1", "rate": "50.0%"}
    assert "brand.csv" in report.text and "品牌会员条款第 5 条" in report.text


def test_another_shops_member_is_not_found(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session], db: Session
) -> None:
    other = make_shop(sessions, "othermembers")
    theirs = a_member(db, other, account="their_member", name="外店会员")
    log_in(app_client, shop.main)
    page = app_client.get(f"/members/{theirs.id}")
    assert page.status_code == 404
    assert "会员不存在" in page.text and "外店会员" not in page.text
    token = csrf_of(app_client, "/members")
    adjust = app_client.post(
        f"/members/{theirs.id}/adjust", data={"points": "10", "reason": "x", "key": "k", "csrf_token": token}
    )
    assert adjust.status_code == 404
    assert app_client.post(f"/members/{theirs.id}/leave", data={"csrf_token": token}).status_code == 404
    db.refresh(theirs)
    assert theirs.points_balance == 100 and theirs.status == "active"
    assert "their_member" not in app_client.get("/members").text
