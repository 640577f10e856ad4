"""Campaigns through the API: draft, preview, queue, pause/cancel, results; channel settings; consent; the
signed inbound-reply hook; the short-link click. Errors in both languages."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.campaigns import services
from siyu.campaigns.models import CampaignRecipient, LinkClick
from siyu.channels import services as channels
from siyu.channels.models import OutboxMessage
from tests.api.conftest import bearer
from tests.factories.campaigns import frozen_audience, reachable_customers
from tests.factories.shops import ShopWorld, make_shop, make_token

BODY = "全场2折起，戳 {link} 拒收请回复R"


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db, code="apishop")


@pytest.fixture
def token(db: Session, world: ShopWorld) -> str:
    clear = make_token(db, world)
    db.commit()
    return clear


def test_compose_queue_and_report_a_campaign(client: TestClient, db: Session, world: ShopWorld, token: str) -> None:
    by = world.principal.actor
    snapshot = frozen_audience(db, by, reachable_customers(db, by, 40))
    db.commit()
    shown = client.post(
        "/api/v1/campaigns/preview", json={"signature": "测试旗舰店", "body": BODY}, headers=bearer(token)
    ).json()
    assert (
        shown["parts"] == 1 and shown["blocked"] is False and shown["phone_preview"].startswith("【测试旗舰店】全场2折")
    )
    created = client.post(
        "/api/v1/campaigns",
        json={
            "name": "双12预热",
            "signature": "测试旗舰店",
            "body": BODY,
            "snapshot_id": snapshot,
            "link_url": "https://shop.example.com/1212",
        },
        headers=bearer(token),
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    estimate = client.get(f"/api/v1/campaigns/{campaign_id}/estimate", headers=bearer(token)).json()
    assert estimate["audience"] == 40 and estimate["receive"] == estimate["targets"]
    queued = client.post(f"/api/v1/campaigns/{campaign_id}/queue", headers=bearer(token))
    assert queued.status_code == 200, queued.text
    assert queued.json()["targets"] + queued.json()["holdout"] == 40
    assert queued.json()["targets"] == estimate["targets"]
    again = client.post(
        f"/api/v1/campaigns/{campaign_id}/queue",
        headers=bearer(
            token,
        )
        | {"Accept-Language": "en"},
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "campaign_state"
    assert client.post(f"/api/v1/campaigns/{campaign_id}/pause", headers=bearer(token)).json()["status"] == "paused"
    report = client.get(f"/api/v1/campaigns/{campaign_id}/results", headers=bearer(token)).json()
    assert report["statuses"] == {"queued": queued.json()["targets"]}
    assert report["benchmark"]["roi"] == "25"


def test_blocked_message_is_refused_in_both_languages(
    client: TestClient, db: Session, world: ShopWorld, token: str
) -> None:
    by = world.principal.actor
    snapshot = frozen_audience(db, by, reachable_customers(db, by, 2))
    campaign = services.create_campaign(
        db,
        by=by,
        spec=services.CampaignSpec(name="x", signature="测试旗舰店", body="国家级好货 5折", snapshot_id=snapshot),
    )
    db.commit()
    zh = client.post(f"/api/v1/campaigns/{campaign.id}/queue", headers=bearer(token))
    en = client.post(f"/api/v1/campaigns/{campaign.id}/queue", headers=bearer(token) | {"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 422
    assert zh.json()["error"]["code"] == "campaign_blocked_by_lints"
    assert "阻止发送" in zh.json()["error"]["message"] and "blocking" in en.json()["error"]["message"]
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_channel_settings_change_and_secrets_stay_hidden(client: TestClient, token: str) -> None:
    changed = client.put(
        "/api/v1/channels/settings?channel=sms",
        json={"provider": "http", "url": "https://sms.example.com", "secret": "s3cret", "daily_cap": 2},
        headers=bearer(token),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["daily_cap"] == 2 and "s3cret" not in changed.text
    bad = client.put("/api/v1/channels/settings?channel=sms", json={"quiet_start": "25:00"}, headers=bearer(token))
    assert bad.status_code == 422


def test_consent_then_signed_opt_out_reply_then_click(
    client: TestClient, db: Session, world: ShopWorld, token: str
) -> None:
    by = world.principal.actor
    customer_id = reachable_customers(db, by, 1, consent=False)[0]
    channels.update_channel_settings(db, by=by, channel="sms", changes={"secret": "hook-secret"})
    db.commit()
    granted = client.post(
        f"/api/v1/customers/{customer_id}/consents",
        json={"channel": "sms", "source": "api", "text": "同意接收营销短信"},
        headers=bearer(token),
    )
    assert granted.status_code == 201 and granted.json()["status"] == "granted"
    raw = json.dumps({"phone": f"139{customer_id:08d}", "text": "T"}).encode()
    unsigned = client.post("/hooks/apishop/sms/inbound", content=raw)
    assert unsigned.status_code == 403
    signature = hmac.new(b"hook-secret", raw, hashlib.sha256).hexdigest()
    answer = client.post("/hooks/apishop/sms/inbound", content=raw, headers={"X-Siyu-Signature": signature})
    assert answer.json() == {"opt_out": True, "matched": True}
    db.expire_all()
    assert not channels.may_market(db, shop_id=world.shop.id, customer_id=customer_id, channel="sms")


def test_short_link_counts_the_recipients_click_and_redirects(
    client: TestClient, db: Session, world: ShopWorld
) -> None:
    by = world.principal.actor
    ids = reachable_customers(db, by, 3)
    campaign = services.create_campaign(
        db,
        by=by,
        spec=services.CampaignSpec(
            name="x",
            signature="测试旗舰店",
            body=BODY,
            snapshot_id=frozen_audience(db, by, ids),
            link_url="https://shop.example.com/go",
            holdout_pct=0,
        ),
    )
    services.queue_campaign(db, by=by, campaign_id=campaign.id)
    db.commit()
    target = db.scalars(select(CampaignRecipient.customer_id).where(CampaignRecipient.arm == "target")).first()
    assert target is not None
    hop = client.get(f"/s/{services.short_code(campaign.id, target)}", follow_redirects=False)
    assert hop.status_code == 302 and hop.headers["location"] == "https://shop.example.com/go"
    assert client.get("/s/nonsense", follow_redirects=False).status_code == 404
    assert db.scalar(select(func.count()).select_from(LinkClick)) == 1


def test_delivery_receipt_marks_the_message_delivered(client: TestClient, db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    ids = reachable_customers(db, by, 1)
    campaign = services.create_campaign(
        db,
        by=by,
        spec=services.CampaignSpec(
            name="x", signature="测试旗舰店", body=BODY, snapshot_id=frozen_audience(db, by, ids), holdout_pct=0
        ),
    )
    services.queue_campaign(db, by=by, campaign_id=campaign.id)
    channels.update_channel_settings(db, by=by, channel="sms", changes={"secret": "hook-secret"})
    row = db.scalars(select(OutboxMessage)).one()
    row.status = "sent"
    db.commit()
    raw = json.dumps({"client_ref": str(row.id), "delivered": True}).encode()
    signature = hmac.new(b"hook-secret", raw, hashlib.sha256).hexdigest()
    answer = client.post("/hooks/apishop/sms/receipt", content=raw, headers={"X-Siyu-Signature": signature})
    assert answer.json() == {"known": True, "status": "delivered"}
    forged = client.post("/hooks/apishop/sms/receipt", content=raw, headers={"X-Siyu-Signature": "0" * 64})
    assert forged.status_code == 403
    db.expire_all()
    assert db.get(OutboxMessage, row.id).delivered_at is not None  # type: ignore[union-attr]
