"""SMS campaigns and channels: drafts, the composer's preview, queueing, pause/resume/cancel, results;
channel settings; consent; the provider's inbound-reply hook and the short-link click."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from siyu.api.deps import SessionDep, require
from siyu.audit.services import Actor
from siyu.campaigns import queries, services
from siyu.channels import services as channels
from siyu.core.errors import NotFound, PermissionDenied
from siyu.shops.models import Shop
from siyu.shops.services import Principal

router = APIRouter(tags=["campaigns"])
public = APIRouter(tags=["hooks"])
Viewer = Annotated[Principal, Depends(require("campaigns:view"))]
Manager = Annotated[Principal, Depends(require("campaigns:manage"))]
Channel = Literal["sms", "app", "wechat"]


class CampaignIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    signature: str = Field(default="", max_length=20)
    body: str = Field(default="", max_length=1000)
    purpose: Literal["marketing", "notification"] = "marketing"
    channel: Channel = "sms"
    audience_id: int | None = None
    snapshot_id: int | None = None
    link_url: str = Field(default="", max_length=500)
    coupon_template_id: int | None = None
    holdout_pct: int = Field(default=5, ge=0, le=50)
    attribution_days: int = Field(default=7, ge=1, le=60)
    batch_size: int = Field(default=30_000, ge=1, le=30_000)
    batch_interval_minutes: int = Field(default=0, ge=0, le=1440)
    event_id: int | None = None

    def spec(self) -> services.CampaignSpec:
        return services.CampaignSpec(**self.model_dump())


class CampaignOut(BaseModel):
    model_config = {"from_attributes": True}
    id: int
    name: str
    status: str
    channel: str
    purpose: str
    signature: str
    body: str
    audience_id: int | None
    snapshot_id: int | None
    link_url: str
    coupon_template_id: int | None
    holdout_pct: int
    attribution_days: int
    batch_size: int
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    audience_count: int
    holdout_count: int
    excluded_count: int
    queued_count: int
    parts_total: int
    lints: list[dict[str, Any]]


class PreviewIn(BaseModel):
    signature: str = Field(default="", max_length=20)
    body: str = Field(default="", max_length=1000)
    purpose: Literal["marketing", "notification"] = "marketing"
    channel: Channel = "sms"


class QueueIn(BaseModel):
    send_at: datetime | None = None  # omitted: now


class ConsentIn(BaseModel):
    channel: Channel = "sms"
    source: str = Field(default="api", max_length=40)
    text: str = Field(default="", max_length=2000)
    evidence: str = Field(default="", max_length=300)


class ChannelSettingsIn(BaseModel):
    provider: Literal["sink", "http"] | None = None
    rules: Literal["generic", "aliyun", "tencent"] | None = None
    url: str | None = Field(default=None, max_length=500)
    key: str | None = Field(default=None, max_length=200)
    secret: str | None = Field(default=None, max_length=200)
    signature: str | None = Field(default=None, max_length=20)
    daily_cap: int | None = Field(default=None, ge=0, le=100)
    weekly_cap: int | None = Field(default=None, ge=0, le=500)
    quiet_start: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_end: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    rate_per_second: int | None = Field(default=None, ge=1, le=10_000)
    price_fen_per_part: int | None = Field(default=None, ge=0, le=1000)
    optout_words: list[str] | None = None
    forbidden_words: list[str] | None = None
    require_consent: bool | None = None


def _settings_out(row: Any) -> dict[str, Any]:
    return {
        "channel": row.channel,
        "provider": row.provider,
        "rules": row.rules,
        "url": row.config.get("url", ""),
        "signature": row.signature,
        "daily_cap": row.daily_cap,
        "weekly_cap": row.weekly_cap,
        "quiet_start": row.quiet_start,
        "quiet_end": row.quiet_end,
        "rate_per_second": row.rate_per_second,
        "price_fen_per_part": row.price_fen_per_part,
        "optout_words": row.optout_words,
        "forbidden_words": row.forbidden_words,
        "require_consent": row.require_consent,
    }


# ---- campaigns ------------------------------------------------------------------------------------------
@router.get("/campaigns", response_model=list[CampaignOut])
def list_campaigns(session: SessionDep, principal: Viewer) -> list[Any]:
    """The shop's campaigns, newest first."""
    return services.list_campaigns(session, shop_id=principal.shop_id)


@router.post("/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(session: SessionDep, principal: Manager, body: CampaignIn) -> Any:
    """A draft campaign: message, audience or snapshot, hold-out share, attribution window, batches."""
    return services.create_campaign(session, by=principal.actor, spec=body.spec())


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(session: SessionDep, principal: Viewer, campaign_id: int) -> Any:
    """One campaign with the figures fixed when it was queued."""
    return services.get_campaign(session, shop_id=principal.shop_id, campaign_id=campaign_id)


@router.put("/campaigns/{campaign_id}", response_model=CampaignOut)
def update_campaign(session: SessionDep, principal: Manager, campaign_id: int, body: CampaignIn) -> Any:
    """Change a draft."""
    return services.update_campaign(session, by=principal.actor, campaign_id=campaign_id, spec=body.spec())


@router.post("/campaigns/preview")
def preview(session: SessionDep, principal: Viewer, body: PreviewIn) -> dict[str, Any]:
    """Characters, parts, cost per message, the phone's preview and the lints of a message being written."""
    shown = services.preview(
        session,
        shop_id=principal.shop_id,
        channel=body.channel,
        signature=body.signature,
        body=body.body,
        purpose=body.purpose,
    )
    return {**asdict(shown), "blocked": shown.blocked}


@router.get("/campaigns/{campaign_id}/estimate")
def estimate(session: SessionDep, principal: Viewer, campaign_id: int) -> dict[str, Any]:
    """Who would receive the campaign if queued now: the audience less opt-outs, missing consent, the hold-out
    and those already at today's cap; nothing is written."""
    found = services.estimate_campaign(session, shop_id=principal.shop_id, campaign_id=campaign_id)
    return {**asdict(found), "receive": found.receive}


@router.post("/campaigns/{campaign_id}/queue")
def queue(session: SessionDep, principal: Manager, campaign_id: int, body: QueueIn | None = None) -> dict[str, Any]:
    """Fix the audience, draw the hold-out, render and lint every message, and queue them (now or later)."""
    send_at = body.send_at if body is not None else None
    return asdict(services.queue_campaign(session, by=principal.actor, campaign_id=campaign_id, send_at=send_at))


@router.post("/campaigns/{campaign_id}/{action}", response_model=CampaignOut)
def change(
    session: SessionDep, principal: Manager, campaign_id: int, action: Literal["pause", "resume", "cancel"]
) -> Any:
    """Pause (queued messages wait), resume, or cancel (queued messages are never sent)."""
    return services.change_campaign(session, by=principal.actor, campaign_id=campaign_id, action=action)


@router.get("/campaigns/{campaign_id}/results")
def results(session: SessionDep, principal: Viewer, campaign_id: int) -> dict[str, Any]:
    """Sent, delivered, failed, clicked, opted out, orders in the window, GMV, cost, ROI and the increment."""
    campaign = services.get_campaign(session, shop_id=principal.shop_id, campaign_id=campaign_id)
    found = queries.campaign_results(session, campaign=campaign)
    out = asdict(found)
    out["roi"] = None if found.roi is None else str(found.roi)
    out["incremental_roi"] = None if found.incremental_roi is None else str(found.incremental_roi)
    out["benchmark"] = {**asdict(found.benchmark), "roi": str(found.benchmark.roi)}
    return out


# ---- channels and consent -------------------------------------------------------------------------------
@router.get("/channels/settings")
def get_channel_settings(session: SessionDep, principal: Viewer, channel: Channel = Query("sms")) -> dict[str, Any]:
    """Provider, caps, quiet hours, price and words of one channel (secrets are never shown)."""
    return _settings_out(channels.channel_settings(session, shop_id=principal.shop_id, channel=channel))


@router.put("/channels/settings")
def put_channel_settings(
    session: SessionDep, principal: Manager, body: ChannelSettingsIn, channel: Channel = Query("sms")
) -> dict[str, Any]:
    """Change what is given; the rest stays."""
    changes = body.model_dump(exclude_none=True)
    row = channels.update_channel_settings(session, by=principal.actor, channel=channel, changes=changes)
    return _settings_out(row)


@router.post("/customers/{customer_id}/consents", status_code=201)
def grant_consent(session: SessionDep, principal: Manager, customer_id: int, body: ConsentIn) -> dict[str, Any]:
    """Record the customer's consent to marketing on a channel, with its proof."""
    proof = channels.ConsentProof(source=body.source, text=body.text, evidence=body.evidence)
    row = channels.grant_consent(
        session, by=principal.actor, customer_id=customer_id, channel=body.channel, proof=proof
    )
    return {"customer_id": customer_id, "channel": row.channel, "status": row.status, "at": row.at}


@router.post("/customers/{customer_id}/consents/withdraw")
def withdraw_consent(session: SessionDep, principal: Manager, customer_id: int, body: ConsentIn) -> dict[str, Any]:
    """The customer refused marketing on a channel: nothing more is sent from now on."""
    proof = channels.ConsentProof(source=body.source, text=body.text or "客户要求退订", evidence=body.evidence)
    row = channels.withdraw_consent(
        session, by=principal.actor, customer_id=customer_id, channel=body.channel, proof=proof
    )
    return {"customer_id": customer_id, "channel": row.channel, "status": row.status, "at": row.at}


# ---- public: provider hooks and short links --------------------------------------------------------------
class InboundIn(BaseModel):
    phone: str = Field(max_length=40)
    text: str = Field(max_length=500)


class ReceiptIn(BaseModel):
    client_ref: str = Field(max_length=40)
    delivered: bool
    error: str = Field(default="", max_length=300)


def _signed_shop(session: Any, shop_code: str, raw: bytes, signature: str) -> Shop:
    """The shop whose SMS channel secret signed this body (HMAC-SHA256, hex); refuses anything else."""
    shop = session.scalar(select(Shop).where(Shop.code == shop_code))
    if shop is None:
        raise NotFound("店铺", "shop")
    settings = channels.channel_settings(session, shop_id=shop.id, channel="sms")
    secret = str(settings.config.get("secret", ""))
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest() if secret else ""
    if not secret or not hmac.compare_digest(expected, signature):
        raise PermissionDenied("sms hook signature")
    return shop


@public.post("/hooks/{shop_code}/sms/receipt")
async def delivery_receipt(
    request: Request, session: SessionDep, shop_code: str, x_siyu_signature: str = Header(default="")
) -> dict[str, Any]:
    """The provider's delivery-receipt webhook: marks our message (by client reference) delivered or failed."""
    raw = await request.body()
    shop = _signed_shop(session, shop_code, raw, x_siyu_signature)
    body = ReceiptIn.model_validate_json(raw)
    row = channels.record_receipt(
        session, shop_id=shop.id, client_ref=body.client_ref, delivered=body.delivered, error=body.error
    )
    return {"known": row is not None, "status": row.status if row is not None else None}


@public.post("/hooks/{shop_code}/sms/inbound")
async def inbound_reply(
    request: Request, session: SessionDep, shop_code: str, x_siyu_signature: str = Header(default="")
) -> dict[str, Any]:
    """The provider's inbound-reply webhook, signed with the channel's secret (HMAC-SHA256 of the body)."""
    raw = await request.body()
    shop = _signed_shop(session, shop_code, raw, x_siyu_signature)
    body = InboundIn.model_validate_json(raw)
    reply = channels.receive_reply(
        session, by=Actor(shop.id, "system", None, "sms-hook"), channel="sms", phone=body.phone, text=body.text
    )
    return {"opt_out": reply.opt_out, "matched": reply.customer_id is not None}


@public.get("/s/{code}")
def short_link(session: SessionDep, code: str, request: Request) -> RedirectResponse:
    """A recipient's personal short link: counts the click, then leads to the campaign's page."""
    target = services.follow_short_link(session, code=code, user_agent=request.headers.get("user-agent", ""))
    return RedirectResponse(target, status_code=302)
