"""Channel settings and consent (渠道设置与授权): each channel's provider, caps, quiet hours, price and words,
and a customer's marketing consent per channel with its full history, granted or withdrawn here (issue #4)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.campaigns.domain import DEFAULT_FORBIDDEN_WORDS
from siyu.channels import services
from siyu.channels.errors import UnknownChannel
from siyu.channels.models import CHANNELS, ChannelSettings, Consent, ConsentEvent
from siyu.core.errors import DomainError
from siyu.core.paging import PageRequest
from siyu.customers import queries as customers
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
