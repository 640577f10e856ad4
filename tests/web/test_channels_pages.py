"""Channel settings and consent pages through the ASGI app: a channel's settings shown and saved, bad input
refused with the typed text kept, secrets never shown, who may change them, and a customer's consent
granted and withdrawn with its history; the message log (what the local sink "sent"), the replies and the
permanent failures, newest first, filtered, paged, phones masked and only the shop's own."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.campaigns.domain import DEFAULT_FORBIDDEN_WORDS
from siyu.campaigns.models import Campaign
from siyu.channels import services
from siyu.channels.models import ChannelSettings, Consent, ConsentEvent, InboundReply, OutboxMessage, SinkMessage
from siyu.customers.models import Customer
from siyu.db import transaction
from siyu.shops.models import Staff
from siyu.shops.services import create_sub_account, principal_for_staff
from tests.factories.customers import make_customer
from tests.web.web_support import PASSWORD, Shop, csrf_of, log_in

NOW = datetime.now(UTC).replace(microsecond=0)

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


# ---- 消息记录: what the local sink "sent", the replies, the failures ---------------------------------------------
FULL_PHONE = "13812345678"


def a_campaign(db: Session, shop: Shop, name: str = "双12 预热") -> Campaign:
    from tests.web.test_campaigns_pages import a_draft

    return a_draft(db, shop, customers=2, name=name)


def outbox_row(db: Session, shop: Shop, customer: Customer, **fields: object) -> OutboxMessage:
    values: dict[str, object] = {
        "shop_id": shop.shop_id,
        "channel": "sms",
        "customer_id": customer.id,
        "text": "【测试旗舰店】双12 全场 5 折 拒收请回复R",
        "status": "sent",
        "due_at": NOW - timedelta(hours=1),
    }
    values.update(fields)
    row = OutboxMessage(**values)
    db.add(row)
    db.flush()
    return row


def sunk(db: Session, shop_id: int, ref: str, *, at: datetime, channel: str = "sms", **fields: object) -> SinkMessage:
    values: dict[str, object] = {"to_masked": "138****1234", "text": "【测试旗舰店】上新啦 拒收请回复R"}
    values.update(fields)
    row = SinkMessage(shop_id=shop_id, channel=channel, client_ref=ref, at=at, **values)
    db.add(row)
    db.flush()
    return row


def reply(db: Session, shop_id: int, *, at: datetime, **fields: object) -> InboundReply:
    values: dict[str, object] = {"channel": "sms", "phone_masked": "138****1234", "text": "好的", "opt_out": False}
    values.update(fields)
    row = InboundReply(shop_id=shop_id, at=at, **values)
    db.add(row)
    db.flush()
    return row


def rows_of(html: str, kind: str) -> list[int]:
    return [int(n) for n in re.findall(rf'data-{kind}="(\d+)"', html)]


def test_the_message_log_lists_the_sinks_messages_newest_first_with_parts_and_the_campaign(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    customer = a_customer(db, shop)
    campaign = a_campaign(db, shop)
    queued = outbox_row(db, shop, customer, campaign_id=campaign.id, parts=2)
    from_campaign = sunk(db, shop.shop_id, str(queued.id), at=NOW - timedelta(hours=1), text="【测试旗舰店】双12")
    older = sunk(db, shop.shop_id, "no-outbox", at=NOW - timedelta(hours=3), text="长" * 100)
    newest = sunk(db, shop.shop_id, "push-1", at=NOW, channel="app", to_masked="jd_***99", text="App 推送")
    log_in(app_client, shop.main)
    page = app_client.get("/channels/messages")
    assert page.status_code == 200 and "消息记录" in page.text and "共 3 条消息" in page.text
    assert rows_of(page.text, "message") == [newest.id, from_campaign.id, older.id]
    row = page.text.split(f'data-message="{from_campaign.id}"')[1].split("</tr>")[0]
    assert f'href="/campaigns/{campaign.id}"' in row and "双12 预热" in row and 'data-parts="2"' in row
    assert "138****1234" in row
    long_row = page.text.split(f'data-message="{older.id}"')[1].split("</tr>")[0]
    assert 'data-parts="2"' in long_row and "/campaigns/" not in long_row  # 100 characters: 2 parts, no campaign
    push_row = page.text.split(f'data-message="{newest.id}"')[1].split("</tr>")[0]
    assert 'data-parts=""' in push_row and "App 推送" in push_row
    assert 'aria-current="page"' in page.text.split('data-testid="messages-tab"')[1].split(">")[0]


def test_the_message_log_filters_by_channel_and_by_text_or_masked_phone(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    sms = sunk(db, shop.shop_id, "a", at=NOW - timedelta(minutes=5), text="【测试旗舰店】会员日 100% 有礼")
    other = sunk(db, shop.shop_id, "b", at=NOW - timedelta(minutes=4), to_masked="139****8888", text="上新")
    push = sunk(db, shop.shop_id, "c", at=NOW - timedelta(minutes=3), channel="app", text="会员日 App")
    log_in(app_client, shop.main)
    assert rows_of(app_client.get("/channels/messages?channel=sms").text, "message") == [other.id, sms.id]
    assert rows_of(app_client.get("/channels/messages?q=8888").text, "message") == [other.id]
    assert rows_of(app_client.get("/channels/messages?q=会员日").text, "message") == [push.id, sms.id]
    assert rows_of(app_client.get("/channels/messages?q=100%25").text, "message") == [sms.id]  # % is no wildcard
    both = app_client.get("/channels/messages?channel=app&q=会员日")
    assert rows_of(both.text, "message") == [push.id] and '<option value="app" selected>' in both.text
    none = app_client.get("/channels/messages?q=没有这条")
    assert "没有匹配的消息" in none.text and 'value="没有这条"' in none.text
    assert app_client.get("/channels/messages?channel=fax").status_code == 422


def test_sixty_messages_make_two_pages_and_the_pager_keeps_the_filter(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    made = [sunk(db, shop.shop_id, f"m{n}", at=NOW - timedelta(minutes=n)) for n in range(60)]
    log_in(app_client, shop.main)
    first = app_client.get("/channels/messages?channel=sms")
    assert rows_of(first.text, "message") == [m.id for m in made[:50]]
    assert "第 1 / 2 页" in first.text and 'href="/channels/messages?channel=sms&amp;page=2"' in first.text
    second = app_client.get("/channels/messages?channel=sms&page=2")
    assert rows_of(second.text, "message") == [m.id for m in made[50:]]
    assert 'href="/channels/messages?channel=sms&amp;page=1"' in second.text and "page=3" not in second.text
    past = app_client.get("/channels/messages?page=9")  # past the end: the last page
    assert rows_of(past.text, "message") == [m.id for m in made[50:]] and "第 2 / 2 页" in past.text
    assert rows_of(app_client.get("/channels/messages?page=abc").text, "message")[:1] == [made[0].id]


def test_replies_are_newest_first_with_the_opt_out_badge_and_links_to_consent_and_campaign(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    customer = a_customer(db, shop)
    campaign = a_campaign(db, shop)
    thanks = reply(db, shop.shop_id, at=NOW - timedelta(hours=2), text="收到，谢谢")
    stop = reply(db, shop.shop_id, at=NOW, customer_id=customer.id, campaign_id=campaign.id, text="退订", opt_out=True)
    log_in(app_client, shop.main)
    page = app_client.get("/channels/replies")
    assert page.status_code == 200 and "共 2 条回复" in page.text
    assert rows_of(page.text, "reply") == [stop.id, thanks.id]
    row = page.text.split(f'data-reply="{stop.id}"')[1].split("</tr>")[0]
    assert 'data-testid="opt-out">退订<' in row and f'href="/channels/consents/{customer.id}"' in row
    assert "王小明" in row and f'href="/campaigns/{campaign.id}"' in row
    plain = page.text.split(f'data-reply="{thanks.id}"')[1].split("</tr>")[0]
    assert "opt-out" not in plain and "未匹配到客户" in plain
    assert rows_of(app_client.get("/channels/replies?opt_out=1").text, "reply") == [stop.id]
    assert rows_of(app_client.get("/channels/replies?q=谢谢").text, "reply") == [thanks.id]


def test_the_failures_page_shows_permanent_failures_with_the_error_attempts_and_phone(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    customer = a_customer(db, shop)
    campaign = a_campaign(db, shop)
    http = outbox_row(
        db, shop, customer, campaign_id=campaign.id, status="failed", attempts=5, last_error="HTTP 400: bad sign"
    )
    other = make_customer(db, shop.shop_id, phone_masked="")
    earlier = NOW - timedelta(hours=5)
    no_phone = outbox_row(
        db, shop, other, status="failed", purpose="notification", ref="n-1", last_error="no_phone", due_at=earlier
    )
    outbox_row(db, shop, customer, status="delivered", ref="ok-1", last_error="")
    log_in(app_client, shop.main)
    page = app_client.get("/channels/failures")
    assert page.status_code == 200 and "共 2 条发送失败" in page.text
    assert rows_of(page.text, "failure") == [http.id, no_phone.id]
    row = page.text.split(f'data-failure="{http.id}"')[1].split("</tr>")[0]
    assert "HTTP 400: bad sign" in row and 'data-attempts="5"' in row and "138****1234" in row
    assert f'href="/campaigns/{campaign.id}"' in row
    second = page.text.split(f'data-failure="{no_phone.id}"')[1].split("</tr>")[0]
    assert "客户没有手机号" in second and "通知" in second
    assert rows_of(app_client.get("/channels/failures?q=bad sign").text, "failure") == [http.id]
    assert rows_of(app_client.get("/channels/failures?q=1234").text, "failure") == [http.id]


def test_empty_logs_say_so(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    assert "还没有消息" in app_client.get("/channels/messages").text
    assert "还没有客户回复" in app_client.get("/channels/replies").text
    assert "没有发送失败的消息" in app_client.get("/channels/failures").text
    assert 'data-testid="pager"' not in app_client.get("/channels/messages").text


def test_a_full_phone_never_appears_in_the_logs(app_client: TestClient, shop: Shop, db: Session) -> None:
    from siyu.config import get_settings
    from siyu.core.phones import PhoneVault

    settings = get_settings()
    cipher = PhoneVault(settings.phone_key, settings.phone_hash_salt).encrypt(FULL_PHONE)
    customer = make_customer(db, shop.shop_id, phone_masked="138****5678", phone_tail="5678", phone_cipher=cipher)
    queued = outbox_row(db, shop, customer, status="failed", last_error=f"HTTP 400: invalid mobile {FULL_PHONE}")
    sunk(db, shop.shop_id, str(queued.id), at=NOW, to_masked="138****5678", text=f"回电 {FULL_PHONE}")
    reply(db, shop.shop_id, at=NOW, customer_id=customer.id, text="我的号码 +86 138-1234-5678 退订", opt_out=True)
    reply(db, shop.shop_id, at=NOW, phone_masked=FULL_PHONE, text="T")
    log_in(app_client, shop.main)
    for path in ("/channels/messages", "/channels/replies", "/channels/failures"):
        html = app_client.get(path).text
        assert "138****5678" in html, path
        assert FULL_PHONE not in html and "138-1234-5678" not in html, path


def test_another_shops_messages_replies_and_failures_never_appear(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    from tests.web.web_support import make_shop

    other = make_shop(app_client.app.state.sessions, "othershop")  # type: ignore[attr-defined]
    stranger = make_customer(db, other.shop_id, phone_masked="139****0000")
    sunk(db, other.shop_id, "x1", at=NOW, text="别家的消息")
    reply(db, other.shop_id, at=NOW, customer_id=stranger.id, text="别家的回复")
    outbox_row(db, other, stranger, status="failed", ref="x", last_error="别家的错误")
    mine = sunk(db, shop.shop_id, "x1", at=NOW - timedelta(minutes=1), text="自家的消息")
    log_in(app_client, shop.main)
    messages = app_client.get("/channels/messages")
    assert rows_of(messages.text, "message") == [mine.id] and "别家的消息" not in messages.text
    replies = app_client.get("/channels/replies")
    assert "别家的回复" not in replies.text and "还没有客户回复" in replies.text
    failures = app_client.get("/channels/failures")
    assert "别家的错误" not in failures.text and "139****0000" not in failures.text


def test_the_logs_need_campaigns_view(app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        main = session.scalars(select(Staff).where(Staff.username == shop.main)).one()
        create_sub_account(
            session,
            by=principal_for_staff(main),
            username="only-customers",
            display_name="客服",
            password=PASSWORD,
            permissions=["customers:view"],
        )
    log_in(app_client, "only-customers")
    for path in ("/channels/messages", "/channels/replies", "/channels/failures"):
        assert app_client.get(path).status_code == 403, path
    app_client.cookies.clear()
    log_in(app_client, shop.viewer)  # every view permission: may look, and the tabs are there
    page = app_client.get("/channels/replies")
    assert page.status_code == 200
    assert all(f'data-testid="{tab}-tab"' in page.text for tab in ("messages", "replies", "failures"))


def test_the_logs_speak_english_when_asked(app_client: TestClient, shop: Shop, db: Session) -> None:
    outbox_row(db, shop, a_customer(db, shop), status="failed", ref="e", last_error="undelivered")
    log_in(app_client, shop.main)
    app_client.get("/lang/en?next=/channels/messages")
    assert "No messages yet." in app_client.get("/channels/messages").text
    assert "Opt-outs only" in app_client.get("/channels/replies").text
    assert "Not delivered (provider receipt)" in app_client.get("/channels/failures").text
