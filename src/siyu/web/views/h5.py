"""Buyer-facing mobile pages (H5) of the brand membership: join, member card, check-in, points mall.

No staff login here. A buyer who joins is signed into a *buyer session*: the member id under the key
``h5_member:{shop_id}`` in the same signed Starlette session cookie as the console (its keys never
collide with the staff keys). Ids in the URL are never trusted: the member always comes from the
session of the shop the URL names, so one shop's card can never show another shop's member.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.api.deps import lang_of
from siyu.audit.services import Actor
from siyu.core.errors import DomainError
from siyu.core.money import format_yuan
from siyu.customers.models import Customer
from siyu.db import transaction
from siyu.loyalty import domain
from siyu.loyalty import services as loyalty
from siyu.loyalty.errors import AccountNotLinkable, AlreadyMember, NotAMember
from siyu.loyalty.models import Member
from siyu.shops.models import Shop
from siyu.web import i18n
from siyu.web.context import CsrfRejected, check_csrf, csrf_token, factory_of
from siyu.web.i18n_h5 import consent_text, h5_text
from siyu.web.templating import render

router = APIRouter(prefix="/m/{shop_code}")

LIMITS = {"phone": 20, "name": 40, "account": 100}
MAX_FORM_BYTES = 8 * 1024
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
HISTORY = 20
KINDS = {"coupon": ("优惠券", "Coupon"), "gift": ("礼品", "Gift"), "lottery": ("抽奖", "Lottery")}


def member_key(shop_id: int) -> str:
    return f"h5_member:{shop_id}"


def flash_key(shop_id: int) -> str:
    return f"h5_flash:{shop_id}"


def buyer(shop_id: int, member_id: int | None = None) -> Actor:
    """The buyer as the actor of audit rows (``customer:{member id}:h5``)."""
    return Actor(shop_id, "customer", member_id, "h5")


# ---- rendering ------------------------------------------------------------------------------------------------
def _page(
    request: Request, template: str, *, shop: Shop | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = lang_of(request)
    zone = ZoneInfo((shop.timezone if shop else None) or "Asia/Shanghai")
    csrf_token(request)
    response = render(
        request,
        template,
        status_code=status_code,
        shop=shop,
        tr=lambda key, **kw: h5_text(lang, key, **kw),
        dt=lambda value, with_time=True: i18n.format_datetime(value, lang, zone, with_time=with_time),
        **context,
    )
    # personal data: never kept by a shared cache or the browser's back-forward cache of another visitor
    response.headers["Cache-Control"] = "no-store"
    return response


def _message(
    request: Request, shop: Shop | None, status: int, title: str, message: str, back: str = ""
) -> HTMLResponse:
    return _page(
        request,
        "h5/message.html",
        shop=shop,
        status_code=status,
        status=status,
        title=title,
        message=message,
        back=back,
    )


def _not_found(request: Request) -> HTMLResponse:
    lang = lang_of(request)
    return _message(
        request,
        None,
        404,
        "Page not found",
        h5_text(lang, "This shop's membership page does not exist. Check the link or the QR code."),
    )


def _forged(request: Request, shop: Shop) -> HTMLResponse:
    return _message(
        request, shop, 403, "Page expired", CsrfRejected().message(lang_of(request)), back=f"/m/{shop.code}/card"
    )


def _shop(session: Session, code: str) -> Shop | None:
    if not code or len(code) > 64:
        return None
    return session.scalar(select(Shop).where(Shop.code == code))


def _load_shop(request: Request, code: str) -> Shop | None:
    with transaction(factory_of(request)) as session:
        return _shop(session, code)


def _too_big(request: Request) -> bool:
    try:
        return int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES
    except ValueError:
        return True


async def _posted(request: Request, shop: Shop) -> HTMLResponse | None:
    """Refuse an oversized or forged POST; ``None`` when it may go on."""
    if _too_big(request):
        return _message(request, shop, 413, "Too much data", h5_text(lang_of(request), "The form sent too much data."))
    try:
        await check_csrf(request)
    except CsrfRejected:
        return _forged(request, shop)
    return None


def _flash(request: Request, shop_id: int, kind: str, zh: str, en: str) -> None:
    request.session[flash_key(shop_id)] = {"kind": kind, "zh": zh[:300], "en": en[:300]}


def _take_flash(request: Request, shop_id: int) -> dict[str, str] | None:
    value = request.session.pop(flash_key(shop_id), None)
    if not isinstance(value, dict):
        return None
    lang = lang_of(request)
    return {"kind": "ok" if value.get("kind") == "ok" else "error", "text": str(value.get(lang, value.get("zh", "")))}


def _to_card(shop: Shop) -> RedirectResponse:
    return RedirectResponse(f"/m/{shop.code}/card", status_code=303)


def _member_id(request: Request, shop: Shop) -> int | None:
    value = request.session.get(member_key(shop.id))
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# ---- join -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TierView:
    level: int
    name: str
    rule: str
    multiplier: str
    privileges: tuple[str, ...]


def _tiers(session: Session, shop: Shop, lang: str) -> tuple[list[TierView], int]:
    settings, _ = loyalty.load_program(session, shop.id)
    rows = [
        (t.level, t.name, t.threshold, t.points_multiplier_pct, tuple(t.privileges or ()))
        for t in loyalty.list_tiers(session, shop_id=shop.id)
    ]
    if not rows:  # the programme's first join creates the default ladder; show it before that
        rows = [(n, zh, th, pct, priv) for n, (zh, _en, th, pct, priv) in enumerate(domain.DEFAULT_TIERS, start=1)]
    views = []
    for level, name, threshold, pct, privileges in rows:
        if threshold == 0:
            rule = h5_text(lang, "Entry tier")
        elif settings.tier_basis == "growth":
            rule = h5_text(lang, "Growth value {n}+", n=i18n.format_number(threshold, lang))
        else:
            rule = h5_text(lang, "Spend {amount}+", amount=format_yuan(threshold))
        multiplier = "" if pct == 100 else f"{pct / 100:g}"
        views.append(TierView(level, name, rule, multiplier, privileges))
    return views, settings.join_gift_points


def _join_page(
    request: Request,
    shop: Shop,
    *,
    values: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    bad: tuple[str, ...] = (),
    status_code: int = 200,
) -> HTMLResponse:
    lang = lang_of(request)
    with transaction(factory_of(request)) as session:
        tiers, join_gift = _tiers(session, shop, lang)
        signed_in = _signed_in_member(session, request, shop) is not None
    return _page(
        request,
        "h5/join.html",
        shop=shop,
        status_code=status_code,
        tiers=tiers,
        join_gift=join_gift,
        consent_text=consent_text(shop.name, lang),
        values=values or {"phone": "", "name": "", "account": "", "consent": False},
        errors=errors or [],
        bad=bad,
        limits=LIMITS,
        signed_in=signed_in,
    )


@router.get("/join")
def join_page(request: Request, shop_code: str) -> Response:
    """The membership join page (开卡): benefits, the join gift, phone + consent."""
    shop = _load_shop(request, shop_code)
    if shop is None:
        return _not_found(request)
    return _join_page(request, shop)


@router.post("/join")
async def join(
    request: Request,
    shop_code: str,
    phone: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    account: Annotated[str, Form()] = "",
    consent: Annotated[str, Form()] = "",
    terms_lang: Annotated[str, Form()] = "zh",
) -> Response:
    """Join with phone and consent; on success the buyer is signed in and sees the card."""
    shop = _load_shop(request, shop_code)
    if shop is None:
        return _not_found(request)
    refused = await _posted(request, shop)
    if refused is not None:
        return refused
    lang = lang_of(request)
    values: dict[str, Any] = {
        "phone": phone.strip()[: LIMITS["phone"]],
        "name": name.strip()[: LIMITS["name"]],
        "account": account.strip()[: LIMITS["account"]],
        "consent": consent == "yes",
    }
    errors: list[str] = []
    bad: list[str] = []
    mobile = domain.normalise_mobile(values["phone"])
    if mobile is None:
        errors.append(h5_text(lang, "Please enter a valid 11-digit mobile number."))
        bad.append("phone")
    if not values["consent"]:
        errors.append(h5_text(lang, "Please read and agree to the member terms and privacy policy to join."))
        bad.append("consent")
    if errors or mobile is None:
        return _join_page(request, shop, values=values, errors=errors, bad=tuple(bad), status_code=422)

    # the text stored as consent is exactly the one the page showed (in the language it was shown in)
    shown = consent_text(shop.name, i18n.normalise_lang(terms_lang))
    agent = request.headers.get("user-agent", "")[:200]
    ip = request.client.host if request.client else "-"
    proof = loyalty.Consent(source="h5", text=shown, evidence=f"ip={ip} ua={agent}"[:300])
    try:
        with transaction(factory_of(request), write=True) as session:
            member = loyalty.join_by_phone(
                session,
                by=buyer(shop.id),
                phone=mobile,
                consent=proof,
                name=values["name"],
                account=values["account"],
                account_proven=False,
            )
            member_id, gift = member.id, member.points_balance
    except AccountNotLinkable as exc:
        return _join_page(request, shop, values=values, errors=[exc.message(lang)], bad=("account",), status_code=409)
    except AlreadyMember:
        # never the member number of whoever owns that phone: the page is open to anyone
        message = h5_text(
            lang, "This phone number is already a member of the shop. Your card opens on the device you joined with."
        )
        return _join_page(request, shop, values=values, errors=[message], bad=("phone",), status_code=409)
    except DomainError as exc:
        return _join_page(request, shop, values=values, errors=[exc.message(lang)], status_code=exc.status)
    request.session[member_key(shop.id)] = member_id
    if gift:
        _flash(
            request, shop.id, "ok", f"开卡成功！已获得开卡礼 {gift:,} 积分", f"Welcome! {gift:,} join gift points added"
        )
    else:
        _flash(request, shop.id, "ok", "开卡成功！", "Welcome to the membership!")
    return _to_card(shop)


# ---- the card ----------------------------------------------------------------------------------------------------
def _signed_in_member(session: Session, request: Request, shop: Shop) -> Member | None:
    member_id = _member_id(request, shop)
    if member_id is None:
        return None
    member = session.get(Member, member_id)
    if member is None or member.shop_id != shop.id or member.status != "active":
        return None
    return member


def _day(value: datetime | None, lang: str, zone: ZoneInfo) -> str:
    return i18n.format_datetime(value, lang, zone, with_time=False)


@router.get("/card")
def card(request: Request, shop_code: str) -> Response:
    """The member card: tier, balance, expiring points, check-in, points mall and recent history."""
    shop = _load_shop(request, shop_code)
    if shop is None:
        return _not_found(request)
    lang = lang_of(request)
    zone = ZoneInfo(shop.timezone or "Asia/Shanghai")
    with transaction(factory_of(request)) as session:
        member = _signed_in_member(session, request, shop)
        if member is None:
            request.session.pop(member_key(shop.id), None)
            return RedirectResponse(f"/m/{shop.code}/join", status_code=303)
        settings, _ = loyalty.load_program(session, shop.id)
        customer = session.get_one(Customer, member.customer_id)
        tiers = {t.level: t.name for t in loyalty.list_tiers(session, shop_id=shop.id)}
        expiring = loyalty.expiring_soon(session, shop_id=shop.id, member_id=member.id)
        streak = loyalty.checkin_streak(session, shop_id=shop.id, member_id=member.id)
        checked_today = loyalty.checked_in_today(session, shop_id=shop.id, member_id=member.id)
        items = []
        for item in loyalty.list_mall_items(session, shop_id=shop.id, active_only=True):
            why = ""
            if item.stock <= 0:
                why = h5_text(lang, "Sold out")
            elif member.tier_level < item.min_tier_level:
                why = h5_text(lang, "{tier} and above", tier=tiers.get(item.min_tier_level, str(item.min_tier_level)))
            elif member.points_balance < item.points_cost:
                why = h5_text(lang, "Not enough points")
            items.append(
                {
                    "id": item.id,
                    "name": item.name,
                    "kind": i18n.pick(KINDS.get(item.kind, (item.kind, item.kind)), lang),
                    "description": item.description,
                    "cost": item.points_cost,
                    "stock": item.stock,
                    "why": why,
                    # a fresh key per page view: a double tap sends the same key and redeems once
                    "token": secrets.token_urlsafe(18),
                }
            )
        history = [
            {
                "label": i18n.pick(domain.SOURCES.get(e.source, (e.source, e.source)), lang),
                "points": e.points,
                "at": i18n.format_datetime(e.at, lang, zone),
            }
            for e in loyalty.ledger(session, shop_id=shop.id, member_id=member.id, limit=HISTORY)
            if e.points
        ]
        redeemed = []
        for redemption, item_name in loyalty.redemptions(session, shop_id=shop.id, member_id=member.id, limit=10):
            code = ""
            if redemption.coupon_id is not None:
                code = _coupon_code(session, shop.id, redemption.coupon_id)
            redeemed.append({"name": item_name, "code": code, "at": i18n.format_datetime(redemption.at, lang, zone)})
        context: dict[str, Any] = {
            "member_no": member.member_no,
            "tier_name": tiers.get(member.tier_level, ""),
            "balance": member.points_balance,
            "phone_masked": customer.phone_masked or "",
            "expiring": {"points": expiring.points, "date": _day(expiring.first_at, lang, zone)},
            "notice_days": settings.expiring_notice_days,
            "streak": streak,
            "checked_today": checked_today,
            "checkin_points": settings.checkin.points,
            "items": items,
            "history": history,
            "redeemed": redeemed,
        }
    return _page(request, "h5/card.html", shop=shop, flash=_take_flash(request, shop.id), **context)


def _coupon_code(session: Session, shop_id: int, coupon_id: int) -> str:
    from siyu.promotions import services as promotions

    try:
        return promotions.get_coupon(session, shop_id=shop_id, coupon_id=coupon_id).code or ""
    except DomainError:
        return ""


# ---- actions ------------------------------------------------------------------------------------------------------
@router.post("/checkin")
async def checkin(request: Request, shop_code: str) -> Response:
    """Daily check-in (每日签到): once a shop-local day, with the streak bonus."""
    shop = _load_shop(request, shop_code)
    if shop is None:
        return _not_found(request)
    refused = await _posted(request, shop)
    if refused is not None:
        return refused
    member_id = _member_id(request, shop)
    if member_id is None:
        return RedirectResponse(f"/m/{shop.code}/join", status_code=303)
    try:
        with transaction(factory_of(request), write=True) as session:
            result = loyalty.earn_interaction(
                session, by=buyer(shop.id, member_id), member_id=member_id, kind="checkin"
            )
            points, replayed = result.points, result.replayed
    except NotAMember:
        request.session.pop(member_key(shop.id), None)
        return RedirectResponse(f"/m/{shop.code}/join", status_code=303)
    except DomainError as exc:
        _flash(request, shop.id, "error", exc.zh, exc.en)
        return _to_card(shop)
    if replayed:
        _flash(request, shop.id, "ok", "今天已经签到过了，明天再来", "Already checked in today: come back tomorrow")
    else:
        _flash(request, shop.id, "ok", f"签到成功，+{points:,} 积分", f"Checked in: +{points:,} points")
    return _to_card(shop)


@router.post("/mall/{item_id}/redeem")
async def redeem(request: Request, shop_code: str, item_id: int, token: Annotated[str, Form()] = "") -> Response:
    """Redeem a points-mall item; the page's per-view token makes a double tap redeem once."""
    shop = _load_shop(request, shop_code)
    if shop is None:
        return _not_found(request)
    refused = await _posted(request, shop)
    if refused is not None:
        return refused
    member_id = _member_id(request, shop)
    if member_id is None:
        return RedirectResponse(f"/m/{shop.code}/join", status_code=303)
    if not TOKEN.match(token):
        _flash(request, shop.id, "error", "页面已过期，请刷新后重试", "The page expired: reload and try again")
        return _to_card(shop)
    try:
        with transaction(factory_of(request), write=True) as session:
            # the key is the member's own: a token seen on another member's page can never collide with theirs
            done = loyalty.redeem(
                session,
                by=buyer(shop.id, member_id),
                member_id=member_id,
                item_id=item_id,
                idempotency_key=f"h5:{member_id}:{token}",
            )
            item = loyalty.get_mall_item(session, shop_id=shop.id, item_id=done.item_id)
            name, status = item.name, done.status
            code = _coupon_code(session, shop.id, done.coupon_id) if done.coupon_id is not None else ""
    except NotAMember:
        request.session.pop(member_key(shop.id), None)
        return RedirectResponse(f"/m/{shop.code}/join", status_code=303)
    except DomainError as exc:
        _flash(request, shop.id, "error", exc.zh, exc.en)
        return _to_card(shop)
    if status == "won":
        _flash(request, shop.id, "ok", f"恭喜中奖：「{name}」", f"You won: {name}")
    elif status == "not_won":
        _flash(request, shop.id, "ok", f"很遗憾，「{name}」未中奖", f"No luck with {name} this time")
    elif code:
        _flash(request, shop.id, "ok", f"兑换成功：「{name}」，券码 {code}", f"Redeemed {name}: coupon code {code}")
    else:
        _flash(request, shop.id, "ok", f"兑换成功：「{name}」", f"Redeemed {name}")
    return _to_card(shop)


# ---- the QR code for the merchant ----------------------------------------------------------------------------------
@router.get("/join.svg")
def join_qr(request: Request, shop_code: str) -> Response:
    """A QR code of the join link, for the console, posters and parcel cards (包裹卡)."""
    shop = _load_shop(request, shop_code)
    if shop is None:
        return _not_found(request)
    url = str(request.url_for("join_page", shop_code=shop.code))
    buffer = io.BytesIO()
    segno.make_qr(url, error="m").save(buffer, kind="svg", scale=8, border=2, dark="#1f2937", title=url)
    return Response(
        buffer.getvalue(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=3600"},
    )
