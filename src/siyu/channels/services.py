"""Use cases of the channels area: channel settings, consent and its withdrawal, inbound replies.

SPEC §3 / MIIT Order 31: marketing only with the customer's consent, stop at once on refusal, keep the
proof (time, source, exact text, evidence) for at least 5 months. The current state lives in
``consents``; every grant and withdrawal is appended to ``consent_events`` and never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.services import Actor, record
from siyu.campaigns.domain import is_opt_out_reply
from siyu.channels.errors import ConsentProofMissing, UnknownChannel
from siyu.channels.models import CHANNELS, ChannelSettings, Consent, ConsentEvent, InboundReply, OutboxMessage
from siyu.config import get_settings
from siyu.core.errors import InvalidInput, NotFound
from siyu.core.phones import PhoneVault, analyse, mask_text
from siyu.customers.models import Customer
from siyu.db import insert_ignoring_conflicts, shop_row, utcnow

CONSENT_SOURCES = ("console", "api", "h5", "import", "member_join", "checkout", "reply")


@dataclass(frozen=True, slots=True)
class ConsentProof:
    """What the customer agreed to, where, and what shows it (e.g. IP + user agent, a form id)."""

    source: str
    text: str
    evidence: str = ""


PROOF_REPLY = ConsentProof(source="reply", text="退订")  # a refusal needs no more proof than the reply


def cap_periods(local: datetime) -> tuple[str, str]:
    """The day and ISO-week keys of the frequency caps, in shop time."""
    year, week, _ = local.isocalendar()
    return f"d{local:%Y-%m-%d}", f"w{year}-W{week:02d}"


def quiet_hours(settings: ChannelSettings) -> tuple[time, time]:
    """A channel's quiet hours (shop time) from its "HH:MM" settings: (start, end)."""

    def parse(value: str) -> time:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))

    return parse(settings.quiet_start), parse(settings.quiet_end)


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise UnknownChannel(channel)


def channel_settings(session: Session, *, shop_id: int, channel: str) -> ChannelSettings:
    """The shop's settings for a channel, created with the defaults the first time they are asked for."""
    _check_channel(channel)
    found = session.scalar(
        select(ChannelSettings).where(ChannelSettings.shop_id == shop_id, ChannelSettings.channel == channel)
    )
    if found is not None:
        return found
    insert_ignoring_conflicts(session, ChannelSettings.__table__, [{"shop_id": shop_id, "channel": channel}])
    return session.scalars(
        select(ChannelSettings).where(ChannelSettings.shop_id == shop_id, ChannelSettings.channel == channel)
    ).one()


_SETTABLE = (
    "provider",
    "rules",
    "signature",
    "daily_cap",
    "weekly_cap",
    "quiet_start",
    "quiet_end",
    "rate_per_second",
    "price_fen_per_part",
    "optout_words",
    "forbidden_words",
    "require_consent",
)
_CONFIG_KEYS = ("url", "key", "secret")


def update_channel_settings(session: Session, *, by: Actor, channel: str, changes: dict[str, Any]) -> ChannelSettings:
    """Change a channel's provider, caps, quiet hours, price or words; secrets are kept out of the audit."""
    settings = channel_settings(session, shop_id=by.shop_id, channel=channel)
    unknown = set(changes) - set(_SETTABLE) - set(_CONFIG_KEYS)
    if unknown:
        raise InvalidInput(f"未知设置：{', '.join(sorted(unknown))}", f"unknown settings: {', '.join(sorted(unknown))}")
    before = {key: getattr(settings, key) for key in _SETTABLE if key in changes}
    for key in _SETTABLE:
        if key in changes:
            value = changes[key]
            if key in ("optout_words", "forbidden_words") and value is not None:
                value = sorted({str(word).strip() for word in value if str(word).strip()})
            setattr(settings, key, value)
    config = dict(settings.config or {})
    for key in _CONFIG_KEYS:
        if key in changes:
            config[key] = str(changes[key]).strip()
    if settings.provider == "http" and not str(config.get("url", "")).startswith(("http://", "https://")):
        raise InvalidInput("HTTP 短信服务商需要以 http(s):// 开头的地址", "an HTTP provider needs an http(s):// URL")
    settings.config = config
    settings.updated_at = utcnow()
    after = {key: getattr(settings, key) for key in before}
    record(
        session,
        by,
        "channel.settings",
        "channel_settings",
        settings.id,
        before=before,
        after={**after, "config": sorted(k for k in changes if k in _CONFIG_KEYS)},
    )
    return settings


def _customer(session: Session, shop_id: int, customer_id: int) -> Customer:
    customer = shop_row(session, Customer, customer_id, shop_id)
    if customer is None:
        raise NotFound("客户", "customer")
    return customer


def _set_consent(
    session: Session, by: Actor, customer_id: int, channel: str, status: str, proof: ConsentProof, at: datetime
) -> Consent:
    insert_ignoring_conflicts(
        session,
        Consent.__table__,
        [
            {
                "shop_id": by.shop_id,
                "customer_id": customer_id,
                "channel": channel,
                "status": status,
                "at": at,
                "source": proof.source,
            }
        ],
    )
    consent = session.scalars(
        select(Consent)
        .where(Consent.shop_id == by.shop_id, Consent.customer_id == customer_id, Consent.channel == channel)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    before = {"status": consent.status}
    consent.status, consent.at, consent.source = status, at, proof.source
    session.add(
        ConsentEvent(
            shop_id=by.shop_id,
            customer_id=customer_id,
            channel=channel,
            action="grant" if status == "granted" else "withdraw",
            at=at,
            source=proof.source,
            text=proof.text,
            evidence=proof.evidence,
            recorded_by=by.label,
        )
    )
    record(
        session,
        by,
        f"consent.{'grant' if status == 'granted' else 'withdraw'}",
        "customer",
        customer_id,
        before=before,
        after={"channel": channel, "status": status, "source": proof.source},
    )
    return consent


def grant_consent(
    session: Session, *, by: Actor, customer_id: int, channel: str, proof: ConsentProof, at: datetime | None = None
) -> Consent:
    """Record the customer's explicit consent to marketing on a channel (also re-subscribing after an opt-out)."""
    _check_channel(channel)
    if proof.source not in CONSENT_SOURCES or not proof.text.strip():
        raise ConsentProofMissing()
    _customer(session, by.shop_id, customer_id)
    return _set_consent(session, by, customer_id, channel, "granted", proof, at or utcnow())


def withdraw_consent(
    session: Session, *, by: Actor, customer_id: int, channel: str, proof: ConsentProof, at: datetime | None = None
) -> Consent:
    """The customer refused marketing on a channel: nothing more is sent from this moment on."""
    _check_channel(channel)
    _customer(session, by.shop_id, customer_id)
    return _set_consent(session, by, customer_id, channel, "withdrawn", proof, at or utcnow())


def may_market(session: Session, *, shop_id: int, customer_id: int, channel: str) -> bool:
    """Whether marketing may reach this customer on this channel now (consent, never after an opt-out)."""
    settings = channel_settings(session, shop_id=shop_id, channel=channel)
    status = session.scalar(
        select(Consent.status).where(
            Consent.shop_id == shop_id, Consent.customer_id == customer_id, Consent.channel == channel
        )
    )
    if status == "withdrawn":
        return False
    return status == "granted" or not settings.require_consent


def receive_reply(
    session: Session, *, by: Actor, channel: str, phone: str, text: str, at: datetime | None = None
) -> InboundReply:
    """An inbound reply from a provider's hook: T / TD / R / 退订 (and the shop's own words) opt out at once."""
    _check_channel(channel)
    at = at or utcnow()
    facts = analyse(phone)
    customer_id: int | None = None
    if facts is not None and facts.full_mobile:
        key = get_settings()
        digest = PhoneVault(key.phone_key, key.phone_hash_salt).match_hash(facts.full_mobile)
        customer_id = session.scalar(
            select(Customer.id).where(Customer.shop_id == by.shop_id, Customer.phone_hash == digest).limit(1)
        )
    settings = channel_settings(session, shop_id=by.shop_id, channel=channel)
    opt_out = is_opt_out_reply(text, settings.optout_words)
    campaign_id = None
    if customer_id is not None:
        campaign_id = session.scalar(
            select(OutboxMessage.campaign_id)
            .where(
                OutboxMessage.shop_id == by.shop_id,
                OutboxMessage.customer_id == customer_id,
                OutboxMessage.channel == channel,
                OutboxMessage.sent_at.is_not(None),
            )
            .order_by(OutboxMessage.sent_at.desc())
            .limit(1)
        )
    reply = InboundReply(
        shop_id=by.shop_id,
        channel=channel,
        customer_id=customer_id,
        campaign_id=campaign_id,
        phone_masked=facts.masked if facts else mask_text(phone.strip()),
        text=text[:500],
        opt_out=opt_out,
        at=at,
    )
    session.add(reply)
    session.flush()
    if opt_out and customer_id is not None:
        withdraw_consent(
            session,
            by=by,
            customer_id=customer_id,
            channel=channel,
            proof=ConsentProof(source="reply", text=text[:500], evidence=f"inbound_reply:{reply.id}"),
            at=at,
        )
    return reply


def record_receipt(
    session: Session, *, shop_id: int, client_ref: str, delivered: bool, error: str = "", at: datetime | None = None
) -> OutboxMessage | None:
    """A provider's delivery receipt for one of our messages (by its client reference, the outbox id)."""
    if not client_ref.isdigit() or len(client_ref) > 18:
        return None
    row = shop_row(session, OutboxMessage, int(client_ref), shop_id, lock=True)
    if row is None or row.status not in ("sending", "sent", "delivered"):
        return row
    at = at or utcnow()
    if delivered:
        row.status, row.delivered_at, row.last_error = "delivered", at, ""
        row.sent_at = row.sent_at or at
    elif row.status != "delivered":
        row.status, row.last_error = "failed", (error or "undelivered")[:300]
    return row
