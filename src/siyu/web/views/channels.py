"""Channel settings and consent (渠道设置与授权): each channel's provider, caps, quiet hours, price and words,
and a customer's marketing consent per channel with its full history, granted or withdrawn here (issue #4);
what the local sink "sent", the replies received and the messages that failed for good (消息记录)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from siyu.campaigns.domain import DEFAULT_FORBIDDEN_WORDS, sms_length, sms_parts
from siyu.campaigns.models import Campaign
from siyu.channels import services
from siyu.channels.errors import UnknownChannel
from siyu.channels.models import (
    CHANNELS,
    ChannelSettings,
    Consent,
    ConsentEvent,
    InboundReply,
    OutboxMessage,
    SinkMessage,
)
from siyu.core.errors import DomainError
from siyu.core.paging import Page, PageRequest
from siyu.customers import queries as customers
from siyu.customers.models import Customer
from siyu.customers.schemas import CustomerFilter
from siyu.db import transaction
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import render

router = APIRouter()

PROVIDERS = ("sink", "http")
RULES = ("generic", "aliyun", "tencent")
# the same bounds as the API's ChannelSettingsIn, so the console refuses what the API refuses
NUMBERS: dict[str, tuple[int, int]] = {
    "daily_cap": (0, 100),
    "weekly_cap": (0, 500),
    "rate_per_second": (1, 10_000),
    "price_fen_per_part": (0, 1000),
}
TEXTS: dict[str, int] = {"url": 500, "key": 200, "secret": 200, "signature": 20}
FIELDS = (
    "provider",
    "rules",
    "url",
    "key",
    "secret",
    "signature",
    "daily_cap",
    "weekly_cap",
    "quiet_start",
    "quiet_end",
    "rate_per_second",
    "price_fen_per_part",
    "optout_words",
    "forbidden_default",
    "forbidden_words",
    "require_consent",
)
CONSENT_FIELDS = ("channel", "source", "text", "evidence")
HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
WORD_SEPARATORS = re.compile(r"[\n\r,，、;；]+")
MAX_WORDS, MAX_WORD_LENGTH = 200, 30
MAX_CONSENT_TEXT, MAX_EVIDENCE = 2000, 300
WITHDRAW_TEXT = "客户要求退订"  # what the API records when a withdrawal comes without the customer's words
NOTICES = {
    "saved": "Channel settings saved.",
    "granted": "Consent recorded.",
    "withdrawn": "Consent withdrawn; no more marketing goes to this customer on that channel.",
}
SEARCH_LIMIT = 20


def _channel(value: str) -> str:
    if value not in CHANNELS:
        raise UnknownChannel(value[:20])
    return value


def _words(items: list[str] | None) -> str:
    return "\n".join(items or [])


def _form_of(row: ChannelSettings) -> dict[str, str]:
    config = row.config or {}
    return {
        "provider": row.provider,
        "rules": row.rules,
        "url": str(config.get("url", "")),
        "key": "",  # secrets never go back to the browser
        "secret": "",
        "signature": row.signature,
        "daily_cap": str(row.daily_cap),
        "weekly_cap": str(row.weekly_cap),
        "quiet_start": row.quiet_start,
        "quiet_end": row.quiet_end,
        "rate_per_second": str(row.rate_per_second),
        "price_fen_per_part": str(row.price_fen_per_part),
        "optout_words": _words(row.optout_words),
        "forbidden_default": "1" if row.forbidden_words is None else "",
        "forbidden_words": _words(
            list(DEFAULT_FORBIDDEN_WORDS) if row.forbidden_words is None else row.forbidden_words
        ),
        "require_consent": "1" if row.require_consent else "",
    }


def _split_words(value: str) -> list[str]:
    return [word.strip() for word in WORD_SEPARATORS.split(value) if word.strip()]


def _parse(form: dict[str, str], lang: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The changes for ``update_channel_settings`` from the typed form, or the errors per field."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    for name, choices in (("provider", PROVIDERS), ("rules", RULES)):
        if form[name] in choices:
            changes[name] = form[name]
        else:
            errors[name] = gettext(lang, "Choose one of the options.")
    for name, longest in TEXTS.items():
        value = form[name].strip()
        if len(value) > longest:
            errors[name] = gettext(lang, "At most {n} characters.", n=longest)
        elif name in ("key", "secret"):
            if value:  # left empty: the stored secret stays
                changes[name] = value
        else:
            changes[name] = value
    for name, (low, high) in NUMBERS.items():
        value = form[name].strip()
        if value.isdigit() and len(value) <= 6 and low <= int(value) <= high:
            changes[name] = int(value)
        else:
            errors[name] = gettext(lang, "Enter a whole number from {low} to {high}.", low=low, high=high)
    for name in ("quiet_start", "quiet_end"):
        value = form[name].strip()
        if HH_MM.match(value):
            changes[name] = value
        else:
            errors[name] = gettext(lang, "Enter a time as HH:MM, from 00:00 to 23:59.")
    word_fields = [("optout_words", form["optout_words"])]
    if form["forbidden_default"] == "1":
        changes["forbidden_words"] = None
    else:
        word_fields.append(("forbidden_words", form["forbidden_words"]))
    for name, text in word_fields:
        words = _split_words(text)
        if len(words) > MAX_WORDS or any(len(word) > MAX_WORD_LENGTH for word in words):
            errors[name] = gettext(
                lang, "At most {n} words of at most {length} characters each.", n=MAX_WORDS, length=MAX_WORD_LENGTH
            )
        else:
            changes[name] = words
    changes["require_consent"] = form["require_consent"] == "1"
    return ({} if errors else changes), errors


def _settings_page(
    request: Request,
    console: Console,
    channel: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    done = request.query_params.get("done", "")
    notice = gettext(console.lang, NOTICES[done]) if done in NOTICES and not error and not errors else ""
    # the first look at a channel stores its defaults, hence a writing unit
    with transaction(factory_of(request), write=True) as session:
        row = services.channel_settings(session, shop_id=console.shop.id, channel=channel)
        saved = _form_of(row)
        config = dict(row.config or {})
        updated_at = row.updated_at
    shown = form if form is not None else saved
    price = shown["price_fen_per_part"].strip()
    price_fen = int(price) if price.isdigit() and len(price) <= 6 else int(saved["price_fen_per_part"])
    return render(
        request,
        "channels/index.html",
        console=console,
        status_code=status_code,
        channel=channel,
        channels=CHANNELS,
        providers=PROVIDERS,
        rules=RULES,
        form=shown,
        saved=saved,
        errors=errors or {},
        error=error,
        notice=notice,
        key_set=bool(config.get("key")),
        secret_set=bool(config.get("secret")),
        price_fen=price_fen,
        default_words=DEFAULT_FORBIDDEN_WORDS,
        updated_at=updated_at,
    )


@router.get("/channels")
def channel_page(request: Request, console: ConsoleDep) -> Response:
    """One channel's settings (``?channel=sms|app|wechat``) and the consent lookup."""
    console.require("campaigns:view")
    channel = _channel(request.query_params.get("channel", "sms"))
    return _settings_page(request, console, channel)


@router.post("/channels/{channel}")
async def channel_save(request: Request, console: PostDep, channel: str) -> Response:
    """Save a channel's settings; invalid input comes back with everything typed kept and nothing changed."""
    console.require("campaigns:manage")
    channel = _channel(channel)
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in FIELDS}
    changes, errors = _parse(form, console.lang)
    if errors:
        message = gettext(console.lang, "Some settings are not valid; see the marked fields.")
        return _settings_page(request, console, channel, form=form, errors=errors, error=message, status_code=400)
    try:
        with transaction(factory_of(request), write=True) as session:
            services.update_channel_settings(session, by=console.principal.actor, channel=channel, changes=changes)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _settings_page(
            request, console, channel, form=form, error=exc.message(console.lang), status_code=exc.status
        )
    return RedirectResponse(f"/channels?channel={channel}&done=saved", status_code=303)


# ---- consent ----------------------------------------------------------------------------------------------
@router.get("/channels/consents")
def consent_search(request: Request, console: ConsoleDep) -> Response:
    """Find a customer by id, account, name or phone tail, to open their consent record."""
    console.require("campaigns:view")
    console.require("customers:view")
    q = request.query_params.get("q", "").strip()[:100]
    found: list[dict[str, Any]] = []
    if q:
        with transaction(factory_of(request)) as session:
            if q.isdigit() and len(q) < 12:
                try:
                    exact = customers.get_customer(session, shop_id=console.shop.id, customer_id=int(q))
                    found.append(_person(exact))
                except DomainError:
                    pass
            page = customers.list_customers(
                session, shop_id=console.shop.id, flt=CustomerFilter(q=q), page=PageRequest(1, SEARCH_LIMIT)
            )
            found += [_person(row) for row in page.items if all(row.id != f["id"] for f in found)]
            total = page.total
    else:
        total = 0
    return render(
        request,
        "channels/search.html",
        console=console,
        q=q,
        found=found[:SEARCH_LIMIT],
        total=total,
        channel="",
        channels=CHANNELS,
    )


def _person(customer: Any) -> dict[str, Any]:
    # only what the page shows: the phone as stored masked, never the cipher
    return {
        "id": customer.id,
        "account": customer.account,
        "name": customer.name,
        "phone_masked": customer.phone_masked,
        "is_member": customer.is_member,
    }


def _consent_state(session: Session, shop_id: int, customer_id: int) -> tuple[list[dict[str, Any]], list[Any]]:
    current = {
        c.channel: c
        for c in session.scalars(select(Consent).where(Consent.shop_id == shop_id, Consent.customer_id == customer_id))
    }
    rows = []
    for channel in CHANNELS:
        consent = current.get(channel)
        settings = services.channel_settings(session, shop_id=shop_id, channel=channel)
        rows.append(
            {
                "channel": channel,
                "status": consent.status if consent else "none",
                "at": consent.at if consent else None,
                "source": consent.source if consent else "",
                "require_consent": settings.require_consent,
                "may_market": services.may_market(session, shop_id=shop_id, customer_id=customer_id, channel=channel),
            }
        )
    events = list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.shop_id == shop_id, ConsentEvent.customer_id == customer_id)
            .order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())
        )
    )
    for event in events:
        session.expunge(event)
    return rows, events


def _consent_page(
    request: Request,
    console: Console,
    customer_id: int,
    *,
    grant: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    done = request.query_params.get("done", "")
    notice = gettext(console.lang, NOTICES[done]) if done in NOTICES and not error else ""
    with transaction(factory_of(request), write=True) as session:
        person = _person(customers.get_customer(session, shop_id=console.shop.id, customer_id=customer_id))
        current, events = _consent_state(session, console.shop.id, customer_id)
    return render(
        request,
        "channels/consents.html",
        console=console,
        status_code=status_code,
        person=person,
        current=current,
        events=events,
        channel="",
        channels=CHANNELS,
        sources=services.CONSENT_SOURCES,
        grant=grant or {"channel": "sms", "source": "console", "text": "", "evidence": ""},
        error=error,
        notice=notice,
    )


@router.get("/channels/consents/{customer_id:int}")
def consent_detail(request: Request, console: ConsoleDep, customer_id: int) -> Response:
    """A customer's consent per channel, whether marketing may reach them now, and every grant and withdrawal."""
    console.require("campaigns:view")
    console.require("customers:view")
    return _consent_page(request, console, customer_id)


async def _consent_form(request: Request) -> dict[str, str]:
    raw = await request.form()
    form = {k: str(raw.get(k) or "").strip() for k in CONSENT_FIELDS}
    form["text"] = form["text"][:MAX_CONSENT_TEXT]
    form["evidence"] = form["evidence"][:MAX_EVIDENCE]
    return form


@router.post("/channels/consents/{customer_id:int}/grant")
async def consent_grant(request: Request, console: PostDep, customer_id: int) -> Response:
    """Record the customer's consent on a channel, with its source and the exact text agreed to."""
    console.require("campaigns:manage")
    form = await _consent_form(request)
    channel = _channel(form["channel"])
    proof = services.ConsentProof(source=form["source"], text=form["text"], evidence=form["evidence"])
    try:
        with transaction(factory_of(request), write=True) as session:
            services.grant_consent(
                session, by=console.principal.actor, customer_id=customer_id, channel=channel, proof=proof
            )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _consent_page(
            request, console, customer_id, grant=form, error=exc.message(console.lang), status_code=exc.status
        )
    return RedirectResponse(f"/channels/consents/{customer_id}?done=granted", status_code=303)


@router.post("/channels/consents/{customer_id:int}/withdraw")
async def consent_withdraw(request: Request, console: PostDep, customer_id: int) -> Response:
    """The customer refused marketing on a channel: recorded at once, with what they said if given."""
    console.require("campaigns:manage")
    form = await _consent_form(request)
    channel = _channel(form["channel"])
    source = form["source"] if form["source"] in services.CONSENT_SOURCES else "console"
    proof = services.ConsentProof(source=source, text=form["text"] or WITHDRAW_TEXT, evidence=form["evidence"])
    with transaction(factory_of(request), write=True) as session:
        services.withdraw_consent(
            session, by=console.principal.actor, customer_id=customer_id, channel=channel, proof=proof
        )
    return RedirectResponse(f"/channels/consents/{customer_id}?done=withdrawn", status_code=303)


# ---- what went out and what came back -----------------------------------------------------------------------
LOG_PAGE_SIZE = 50
# an 11-digit mainland mobile inside free text (a reply saying "我的手机 13812345678 退订"), masked for the screen
MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)")
FAILURE_CODES = ("no_phone", "bad_phone", "undelivered", "failed")


def masked(text: str) -> str:
    """``text`` with every full mobile number in it masked as 138****5678."""
    return MOBILE_IN_TEXT.sub(r"\1****\2", text or "")


def _log_params(request: Request, *, flags: tuple[str, ...] = ()) -> tuple[dict[str, str], PageRequest]:
    """The list filters (channel, ``q`` and on/off ``flags``) and the page asked for."""
    channel = request.query_params.get("channel", "")
    params = {"channel": _channel(channel) if channel else "", "q": request.query_params.get("q", "").strip()[:100]}
    for flag in flags:
        params[flag] = "1" if request.query_params.get(flag) == "1" else ""
    page = request.query_params.get("page", "1")
    number = int(page) if page.isdigit() and len(page) < 7 else 1
    return params, PageRequest(number, LOG_PAGE_SIZE)


def _counted(session: Session, stmt: Select[*tuple[Any, ...]], asked: PageRequest, order: tuple[Any, ...]) -> Page[Any]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if asked.offset >= total > 0:  # past the end (rows went away, or a typed URL): the last page
        asked = PageRequest(-(-total // asked.size), asked.size)
    rows = list(session.execute(stmt.order_by(*order).offset(asked.offset).limit(asked.size)))
    return Page(rows, total, asked)


def _campaign_names(session: Session, shop_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = session.execute(select(Campaign.id, Campaign.name).where(Campaign.shop_id == shop_id, Campaign.id.in_(ids)))
    return {row.id: row.name for row in found}


def _log_page(
    request: Request, console: Console, template: str, params: dict[str, str], result: Page[Any], **context: Any
) -> Response:
    return render(
        request,
        template,
        console=console,
        params=params,
        query=urlencode({k: v for k, v in params.items() if v}),
        result=result,
        channel="",
        channels=CHANNELS,
        **context,
    )


@router.get("/channels/messages")
def message_log(request: Request, console: ConsoleDep) -> Response:
    """What the local sink 'sent', newest first: ``?channel=``, ``?q=`` (text or masked phone), ``?page=``."""
    console.require("campaigns:view")
    params, asked = _log_params(request)
    shop_id = console.shop.id
    stmt = select(SinkMessage).where(SinkMessage.shop_id == shop_id)
    if params["channel"]:
        stmt = stmt.where(SinkMessage.channel == params["channel"])
    if params["q"]:
        q = params["q"]
        stmt = stmt.where(
            or_(SinkMessage.text.contains(q, autoescape=True), SinkMessage.to_masked.contains(q, autoescape=True))
        )
    with transaction(factory_of(request)) as session:
        page = _counted(session, stmt, asked, (SinkMessage.at.desc(), SinkMessage.id.desc()))
        sunk = [row[0] for row in page.items]
        # the worker hands the sink the outbox id as client reference: the message's campaign and billed parts
        refs = {int(m.client_ref) for m in sunk if m.client_ref.isdigit() and len(m.client_ref) < 19}
        outbox = (
            {
                row.id: row
                for row in session.execute(
                    select(OutboxMessage.id, OutboxMessage.campaign_id, OutboxMessage.parts).where(
                        OutboxMessage.shop_id == shop_id, OutboxMessage.id.in_(refs)
                    )
                )
            }
            if refs
            else {}
        )
        names = _campaign_names(session, shop_id, {row.campaign_id for row in outbox.values() if row.campaign_id})
    items = []
    for message in sunk:
        sent = outbox.get(int(message.client_ref)) if message.client_ref.isdigit() else None
        campaign_id = sent.campaign_id if sent else None
        if sent:
            parts: int | None = sent.parts
        elif message.channel == "sms":
            parts = sms_parts(sms_length(message.text))
        else:
            parts = None
        items.append(
            {
                "id": message.id,
                "at": message.at,
                "channel": message.channel,
                "to_masked": masked(message.to_masked),
                "text": masked(message.text),
                "parts": parts,
                "campaign_id": campaign_id if campaign_id in names else None,
                "campaign_name": names.get(campaign_id or 0, ""),
            }
        )
    result = Page(items, page.total, page.request)
    return _log_page(request, console, "channels/messages.html", params, result)


@router.get("/channels/replies")
def reply_log(request: Request, console: ConsoleDep) -> Response:
    """Replies received, newest first, opt-outs marked: ``?channel=``, ``?q=``, ``?opt_out=1``, ``?page=``."""
    console.require("campaigns:view")
    params, asked = _log_params(request, flags=("opt_out",))
    shop_id = console.shop.id
    stmt = (
        select(InboundReply, Customer.account, Customer.name, Campaign.name.label("campaign_name"))
        .outerjoin(Customer, and_(Customer.id == InboundReply.customer_id, Customer.shop_id == shop_id))
        .outerjoin(Campaign, and_(Campaign.id == InboundReply.campaign_id, Campaign.shop_id == shop_id))
        .where(InboundReply.shop_id == shop_id)
    )
    if params["channel"]:
        stmt = stmt.where(InboundReply.channel == params["channel"])
    if params["q"]:
        q = params["q"]
        stmt = stmt.where(
            or_(InboundReply.text.contains(q, autoescape=True), InboundReply.phone_masked.contains(q, autoescape=True))
        )
    if params["opt_out"]:
        stmt = stmt.where(InboundReply.opt_out.is_(True))
    with transaction(factory_of(request)) as session:
        page = _counted(session, stmt, asked, (InboundReply.at.desc(), InboundReply.id.desc()))
    items = [
        {
            "id": reply.id,
            "at": reply.at,
            "channel": reply.channel,
            "phone_masked": masked(reply.phone_masked),
            "text": masked(reply.text),
            "opt_out": reply.opt_out,
            "customer_id": reply.customer_id if account is not None else None,
            "customer": name or account or "",
            "campaign_id": reply.campaign_id if campaign_name is not None else None,
            "campaign_name": campaign_name or "",
        }
        for reply, account, name, campaign_name in page.items
    ]
    return _log_page(request, console, "channels/replies.html", params, Page(items, page.total, page.request))


@router.get("/channels/failures")
def failure_log(request: Request, console: ConsoleDep) -> Response:
    """Messages that failed for good, newest first, with the error: ``?channel=``, ``?q=``, ``?page=``."""
    console.require("campaigns:view")
    params, asked = _log_params(request)
    shop_id = console.shop.id
    when = func.coalesce(OutboxMessage.sent_at, OutboxMessage.due_at)
    stmt = (
        select(
            OutboxMessage.id,
            OutboxMessage.channel,
            OutboxMessage.purpose,
            OutboxMessage.campaign_id,
            OutboxMessage.customer_id,
            OutboxMessage.attempts,
            OutboxMessage.last_error,
            OutboxMessage.parts,
            OutboxMessage.text,
            when.label("at"),
            Customer.phone_masked,
            Customer.account,
            Customer.name,
            Campaign.name.label("campaign_name"),
        )
        .outerjoin(Customer, and_(Customer.id == OutboxMessage.customer_id, Customer.shop_id == shop_id))
        .outerjoin(Campaign, and_(Campaign.id == OutboxMessage.campaign_id, Campaign.shop_id == shop_id))
        .where(OutboxMessage.shop_id == shop_id, OutboxMessage.status == "failed")
    )
    if params["channel"]:
        stmt = stmt.where(OutboxMessage.channel == params["channel"])
    if params["q"]:
        q = params["q"]
        stmt = stmt.where(
            or_(
                OutboxMessage.last_error.contains(q, autoescape=True),
                Customer.phone_masked.contains(q, autoescape=True),
            )
        )
    with transaction(factory_of(request)) as session:
        page = _counted(session, stmt, asked, (when.desc(), OutboxMessage.id.desc()))
    items = [
        {
            "id": row.id,
            "at": row.at,
            "channel": row.channel,
            "purpose": row.purpose,
            "phone_masked": masked(row.phone_masked or ""),
            "customer_id": row.customer_id if row.account is not None else None,
            "customer": row.name or row.account or "",
            "text": masked(row.text),
            "parts": row.parts,
            "attempts": row.attempts,
            "error": masked(row.last_error),
            "error_code": row.last_error if row.last_error in FAILURE_CODES else "",
            "campaign_id": row.campaign_id if row.campaign_name is not None else None,
            "campaign_name": row.campaign_name or "",
        }
        for row in page.items
    ]
    return _log_page(request, console, "channels/failures.html", params, Page(items, page.total, page.request))
