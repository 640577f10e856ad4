"""Channel settings and consent pages through the ASGI app: a channel's settings shown and saved, bad input
refused with the typed text kept, secrets never shown, who may change them, and a customer's consent
granted and withdrawn with its history."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.campaigns.domain import DEFAULT_FORBIDDEN_WORDS
from siyu.channels import services
from siyu.channels.models import ChannelSettings, Consent, ConsentEvent
from siyu.customers.models import Customer
from tests.factories.customers import make_customer
from tests.web.web_support import Shop, csrf_of, log_in

FORM = {
    "provider": "sink",
    "rules": "aliyun",
    "url": "",
    "key": "",
    "secret": "",
    "signature": "测试旗舰店",
    "daily_cap": "2",
    "weekly_cap": "5",
    "quiet_start": "21:30",
    "quiet_end": "09:00",
    "rate_per_second": "20",
    "price_fen_per_part": "4",
    "optout_words": "不要了\nSTOP",
    "forbidden_default": "",
    "forbidden_words": "最好\n绝对",
    "require_consent": "1",
}


def settings_of(db: Session, shop: Shop, channel: str = "sms") -> ChannelSettings | None:
    db.expire_all()
    return db.scalar(
        select(ChannelSettings).where(ChannelSettings.shop_id == shop.shop_id, ChannelSettings.channel == channel)
    )


def a_customer(db: Session, shop: Shop) -> Customer:
    customer = make_customer(db, shop.shop_id, name="王小明", phone_masked="138****1234", phone_tail="1234")
    db.flush()
    return customer


def test_the_settings_page_shows_the_defaults_in_chinese_and_the_default_forbidden_list(
    app_client: TestClient, shop: Shop
) -> None:
    log_in(app_client, shop.main)
    page = app_client.get("/channels")
    assert page.status_code == 200
    assert "渠道设置与授权" in page.text and 'data-channel="sms"' in page.text
    assert 'data-stat="quiet">20:00–08:00<' in page.text and 'data-stat="caps">1 / 3<' in page.text
    assert 'data-stat="price">¥0.05<' in page.text and "本地模拟通道" in page.text
    assert 'name="forbidden_default" value="1" checked' in page.text
    assert f"此渠道使用默认词表（共 {len(DEFAULT_FORBIDDEN_WORDS)} 个词）" in page.text
    assert all(word in page.text for word in DEFAULT_FORBIDDEN_WORDS)
    assert 'href="/channels?channel=app"' in page.text and 'href="/channels?channel=wechat"' in page.text


def test_saving_the_form_changes_every_setting(app_client: TestClient, shop: Shop, db: Session) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/channels")
    saved = app_client.post("/channels/sms", data={**FORM, "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/channels?channel=sms&done=saved"
    row = settings_of(db, shop)
    assert row is not None
    assert (row.rules, row.signature, row.daily_cap, row.weekly_cap) == ("aliyun", "测试旗舰店", 2, 5)
    assert (row.quiet_start, row.quiet_end, row.rate_per_second, row.price_fen_per_part) == ("21:30", "09:00", 20, 4)
    assert row.optout_words == ["STOP", "不要了"] and row.forbidden_words == ["最好", "绝对"]
    assert row.require_consent is True
    page = app_client.get(saved.headers["location"])
    assert "渠道设置已保存" in page.text and 'data-stat="quiet">21:30–09:00<' in page.text
    assert "此渠道使用店铺自己的词表" in page.text


def test_ticking_the_default_list_stores_none_and_unticking_consent_stops_requiring_it(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/channels")
    form = {**FORM, "forbidden_default": "1", "csrf_token": token}
    del form["require_consent"]
    assert app_client.post("/channels/app", data=form, follow_redirects=False).status_code == 303
    row = settings_of(db, shop, "app")
    assert row is not None and row.forbidden_words is None and row.require_consent is False
    assert settings_of(db, shop, "sms") is None or settings_of(db, shop, "sms").require_consent is True  # type: ignore[union-attr]


def test_bad_input_is_explained_in_chinese_keeps_what_was_typed_and_changes_nothing(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/channels")
    bad = app_client.post(
        "/channels/sms",
        data={**FORM, "quiet_start": "25:00", "daily_cap": "-1", "signature": "新签名", "csrf_token": token},
    )
    assert bad.status_code == 400
    assert "部分设置不正确" in bad.text
    assert 'data-error="quiet_start">请按 HH:MM 输入时间（00:00–23:59）。<' in bad.text
    assert 'data-error="daily_cap">请输入 0–100 之间的整数。<' in bad.text
    assert 'value="25:00"' in bad.text and 'value="-1"' in bad.text and 'value="新签名"' in bad.text
    assert "不要了\nSTOP" in bad.text
    row = settings_of(db, shop)
    assert row is not None and (row.quiet_start, row.daily_cap, row.signature) == ("20:00", 1, "")


def test_an_http_provider_without_a_url_is_refused_by_the_service_with_the_form_kept(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/channels")
    refused = app_client.post("/channels/sms", data={**FORM, "provider": "http", "url": "ftp://x", "csrf_token": token})
    assert refused.status_code == 422
    assert "HTTP 短信服务商需要以 http(s):// 开头的地址" in refused.text and 'value="ftp://x"' in refused.text
    assert 'value="http" checked' in refused.text
    row = settings_of(db, shop)
    assert row is not None and row.provider == "sink"


def test_secrets_are_stored_but_never_shown_and_an_empty_field_keeps_them(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/channels")
    data = {**FORM, "provider": "http", "url": "https://sms.example.com/send", "key": "k-7788", "secret": "s3cr3t-x"}
    assert app_client.post("/channels/sms", data={**data, "csrf_token": token}).status_code == 200
    page = app_client.get("/channels?channel=sms")
    assert "k-7788" not in page.text and "s3cr3t-x" not in page.text
    assert (
        'data-secret="key" class="strong">已设置<' in page.text
        and 'data-secret="secret" class="strong">已设置<' in page.text
    )
    assert 'value="https://sms.example.com/send"' in page.text
    again = {**data, "key": "", "secret": "", "signature": "改签名", "csrf_token": token}
    assert app_client.post("/channels/sms", data=again).status_code == 200
    row = settings_of(db, shop)
    assert row is not None and row.config["key"] == "k-7788" and row.config["secret"] == "s3cr3t-x"
    assert row.signature == "改签名"


def test_a_viewer_sees_the_settings_but_cannot_change_them_or_consent(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    customer = a_customer(db, shop)
    log_in(app_client, shop.viewer)
    page = app_client.get("/channels")
    assert page.status_code == 200 and 'data-testid="settings-save"' not in page.text
    assert '<fieldset class="settings-body" disabled>' in page.text
    detail = app_client.get(f"/channels/consents/{customer.id}")
    assert detail.status_code == 200 and 'data-testid="grant-form"' not in detail.text
    token = csrf_of(app_client, "/channels")
    assert app_client.post("/channels/sms", data={**FORM, "csrf_token": token}).status_code == 403
    grant = {"channel": "sms", "source": "console", "text": "同意接收", "csrf_token": token}
    assert app_client.post(f"/channels/consents/{customer.id}/grant", data=grant).status_code == 403
    assert app_client.post(f"/channels/consents/{customer.id}/withdraw", data=grant).status_code == 403
    row = settings_of(db, shop)
    assert row is None or row.signature == ""
    assert db.scalar(select(ConsentEvent.id).where(ConsentEvent.customer_id == customer.id)) is None


def test_an_unknown_channel_is_refused(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    assert app_client.get("/channels?channel=fax").status_code == 422
    token = csrf_of(app_client, "/channels")
    assert app_client.post("/channels/fax", data={**FORM, "csrf_token": token}).status_code == 422


def test_the_lookup_finds_a_customer_by_phone_tail_and_by_id_showing_the_phone_masked(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    customer = a_customer(db, shop)
    log_in(app_client, shop.main)
    by_tail = app_client.get("/channels/consents?q=1234")
    assert by_tail.status_code == 200 and f'href="/channels/consents/{customer.id}"' in by_tail.text
    assert "138****1234" in by_tail.text
    by_id = app_client.get(f"/channels/consents?q={customer.id}")
    assert f'data-customer="{customer.id}"' in by_id.text
    none = app_client.get("/channels/consents?q=nobody-here")
    assert "没有匹配的客户" in none.text


def test_grant_then_withdraw_shows_both_events_in_the_history_and_the_phone_masked(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    customer = a_customer(db, shop)
    log_in(app_client, shop.main)
    path = f"/channels/consents/{customer.id}"
    token = csrf_of(app_client, path)
    granted = app_client.post(
        f"{path}/grant",
        data={
            "channel": "sms",
            "source": "checkout",
            "text": "我同意接收店铺优惠短信",
            "evidence": "订单 1001 勾选",
            "csrf_token": token,
        },
    )
    assert granted.status_code == 200 and "已记录客户同意" in granted.text
    assert 'data-consent="granted"' in granted.text and 'data-may-market="yes"' in granted.text
    withdrawn = app_client.post(f"{path}/withdraw", data={"channel": "sms", "text": "", "csrf_token": token})
    assert withdrawn.status_code == 200 and "授权已撤回" in withdrawn.text
    history = withdrawn.text.split('data-testid="consent-history"')[1]
    events = re.findall(r'data-event="(\w+)" data-channel="(\w+)"', history)
    assert events == [("withdraw", "sms"), ("grant", "sms")]
    assert "我同意接收店铺优惠短信" in history and "订单 1001 勾选" in history and "下单时" in history
    assert "客户要求退订" in history and "staff:" in history
    assert "138****1234" in withdrawn.text
    db.expire_all()
    consent = db.scalar(select(Consent).where(Consent.customer_id == customer.id, Consent.channel == "sms"))
    assert consent is not None and consent.status == "withdrawn"
    assert services.may_market(db, shop_id=shop.shop_id, customer_id=customer.id, channel="sms") is False


def test_consent_without_the_agreed_text_is_refused_with_the_typed_proof_kept(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    customer = a_customer(db, shop)
    log_in(app_client, shop.main)
    path = f"/channels/consents/{customer.id}"
    token = csrf_of(app_client, path)
    refused = app_client.post(
        f"{path}/grant",
        data={"channel": "wechat", "source": "console", "text": "  ", "evidence": "电话录音 0312", "csrf_token": token},
    )
    assert refused.status_code == 422 and "记录同意需要来源" in refused.text
    assert 'value="电话录音 0312"' in refused.text and '<option value="wechat" selected>' in refused.text
    assert db.scalar(select(ConsentEvent.id).where(ConsentEvent.customer_id == customer.id)) is None


def test_another_shops_customer_is_not_found(app_client: TestClient, shop: Shop, db: Session) -> None:
    from tests.web.web_support import make_shop

    other = make_shop(app_client.app.state.sessions, "othershop")  # type: ignore[attr-defined]
    stranger = make_customer(db, other.shop_id, phone_masked="139****0000")
    db.flush()
    log_in(app_client, shop.main)
    assert app_client.get(f"/channels/consents/{stranger.id}").status_code == 404
    token = csrf_of(app_client, "/channels")
    grant = {"channel": "sms", "source": "console", "text": "同意", "csrf_token": token}
    assert app_client.post(f"/channels/consents/{stranger.id}/grant", data=grant).status_code == 404


def test_the_channel_pages_speak_english_when_asked(app_client: TestClient, shop: Shop, db: Session) -> None:
    customer = a_customer(db, shop)
    log_in(app_client, shop.main)
    app_client.get("/lang/en?next=/channels")
    page = app_client.get("/channels")
    assert "Channels and consent" in page.text and "Local sink" in page.text and "not set" in page.text
    detail = app_client.get(f"/channels/consents/{customer.id}")
    assert "Record consent" in detail.text and "Not recorded" in detail.text
