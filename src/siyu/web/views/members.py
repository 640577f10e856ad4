"""Members (会员): headline cards, the searchable member list, joining a customer with recorded consent,
and a member's card with the points ledger, manual adjustment, redemptions and leaving (SPEC §5)."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from siyu.core.errors import DomainError, InvalidInput
from siyu.core.paging import PageRequest
from siyu.customers.models import Customer
from siyu.db import transaction
from siyu.loyalty import queries, services
from siyu.loyalty.domain import SOURCES
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import render

router = APIRouter()
PAGE_SIZE = 50
CONSENT_TEXT = "本人已阅读并同意《会员协议》与《隐私政策》，同意成为品牌会员并接收会员权益通知。"
NOTICES = {
    "joined": "{name} joined as member {no}.",
    "adjusted": "Points adjusted.",
    "replayed": "This adjustment was already made; nothing was granted twice.",
    "left": "The member has left the programme. The ledger is kept.",
}


def form_key() -> str:
    """A fresh idempotency key for one rendering of a form: a double submit is answered once."""
    return "console:" + secrets.token_urlsafe(18)


def _join_form() -> dict[str, str]:
    return {"phone": "", "name": "", "account": "", "consent_text": CONSENT_TEXT, "evidence": "", "consent": ""}


def _list_page(request: Request, console: Console, **extra: Any) -> Response:
    params = {
        "q": request.query_params.get("q", "").strip()[:100],
        "tier": request.query_params.get("tier", "").strip(),
        "status": request.query_params.get("status", "active"),
    }
    status = params["status"] if params["status"] in ("active", "left", "") else "active"
    tier = int(params["tier"]) if params["tier"].isdigit() and len(params["tier"]) < 4 else None
    page = request.query_params.get("page", "1")
    number = int(page) if page.isdigit() and len(page) < 7 else 1
    with transaction(factory_of(request)) as session:
        board = queries.member_analytics(session, shop_id=console.shop.id, months=1)
        result = queries.list_members(
            session,
            shop_id=console.shop.id,
            page=PageRequest(max(1, number), PAGE_SIZE),
            q=params["q"],
            tier=tier,
            status=status,
        )
        tiers = services.list_tiers(session, shop_id=console.shop.id)
    active = {k: v for k, v in params.items() if v and not (k == "status" and v == "active")}
    context: dict[str, Any] = {
        "board": board,
        "result": result,
        "params": params,
        "query": urlencode(active),
        "tiers": tiers,
        "form": _join_form(),
        "join_error": "",
        "notice": "",
        "open_join": False,
    }
    context.update(extra)
    code = context.pop("status_code", 200)
    return render(request, "members/list.html", console=console, status_code=code, **context)


@router.get("/members")
def member_list(request: Request, console: ConsoleDep, done: str = "", name: str = "", no: str = "") -> Response:
    """Member cards, search (member no., account, name, last 4 phone digits), tier filter, paged list."""
    console.require("loyalty:view")
    notice = gettext(console.lang, NOTICES[done], name=name[:100], no=no[:40]) if done in NOTICES else ""
    return _list_page(request, console, notice=notice)


@router.post("/members")
async def member_join(request: Request, console: PostDep) -> Response:
    """Join a customer by phone with the consent the customer gave (source: console)."""
    console.require("loyalty:manage")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in _join_form()}
    try:
        consent = services.Consent(
            source="console",
            text=form["consent_text"],
            evidence=form["evidence"].strip(),
            given=form["consent"] == "yes",
        )
        with transaction(factory_of(request), write=True) as session:
            member = services.join_by_phone(
                session,
                by=console.principal.actor,
                phone=form["phone"],
                consent=consent,
                name=form["name"],
                account=form["account"],
            )
            customer = session.get_one(Customer, member.customer_id)
            label, member_no = customer.name or customer.account, member.member_no
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _list_page(
            request, console, status_code=exc.status, form=form, join_error=exc.message(console.lang), open_join=True
        )
    target = "/members?" + urlencode({"done": "joined", "name": label, "no": member_no, "q": member_no})
    return RedirectResponse(target, status_code=303)


def _detail_page(request: Request, console: Console, member_id: int, **extra: Any) -> Response:
    shop_id = console.shop.id
    with transaction(factory_of(request)) as session:
        member = services.get_member(session, shop_id=shop_id, member_id=member_id)
        customer = session.get_one(Customer, member.customer_id)
        tiers = services.list_tiers(session, shop_id=shop_id)
        settings, _row = services.load_program(session, shop_id)
        expiring = services.expiring_soon(session, shop_id=shop_id, member_id=member_id)
        streak = services.checkin_streak(session, shop_id=shop_id, member_id=member_id)
        entries = services.ledger(session, shop_id=shop_id, member_id=member_id, limit=200)
        redeemed = [
            {"item": name, "points": r.points, "status": r.status, "at": r.at, "coupon_id": r.coupon_id}
            for r, name in services.redemptions(session, shop_id=shop_id, member_id=member_id, limit=50)
        ]
        session.expunge_all()
    tier = next((t for t in tiers if t.level == member.tier_level), None)
    upper = next((t for t in tiers if t.level == member.tier_level + 1), None)
    context: dict[str, Any] = {
        "m": member,
        "c": customer,
        "tier": tier,
        "next_tier": upper,
        "settings": settings,
        "expiring": expiring,
        "streak": streak,
        "entries": entries,
        "redeemed": redeemed,
        "sources": SOURCES,
        "adjust": {"points": "", "reason": "", "key": form_key()},
        "adjust_error": "",
        "notice": "",
    }
    context.update(extra)
    code = context.pop("status_code", 200)
    return render(request, "members/detail.html", console=console, status_code=code, **context)


@router.get("/members/{member_id:int}")
def member_page(request: Request, console: ConsoleDep, member_id: int, done: str = "") -> Response:
    """A member's card: tier, balance, debt, growth, points expiring soon, check-in streak and the ledger."""
    console.require("loyalty:view")
    notice = gettext(console.lang, NOTICES[done]) if done in NOTICES else ""
    return _detail_page(request, console, member_id, notice=notice)


@router.post("/members/{member_id:int}/adjust")
async def member_adjust(request: Request, console: PostDep, member_id: int) -> Response:
    """Grant (+) or deduct (−) points with a reason; the form's key makes a double submit count once."""
    console.require("loyalty:manage")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in ("points", "reason", "key")}
    form["key"] = form["key"] or form_key()
    try:
        text = form["points"].strip().replace(",", "").replace("+", "")
        if not text.lstrip("-").isdigit():
            raise InvalidInput(
                "积分数量需为整数，扣减请填负数", "points are a whole number; use a minus sign to deduct"
            )
        with transaction(factory_of(request), write=True) as session:
            result = services.adjust_points(
                session,
                by=console.principal.actor,
                member_id=member_id,
                points=int(text),
                reason=form["reason"],
                idempotency_key=form["key"][:160],
            )
            replayed = result.replayed
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _detail_page(
            request, console, member_id, status_code=exc.status, adjust=form, adjust_error=exc.message(console.lang)
        )
    done = "replayed" if replayed else "adjusted"
    return RedirectResponse(f"/members/{member_id}?done={done}#ledger", status_code=303)


@router.post("/members/{member_id:int}/leave")
def member_leave(request: Request, console: PostDep, member_id: int) -> Response:
    """The member leaves the programme (退会); earning stops, the ledger stays."""
    console.require("loyalty:manage")
    with transaction(factory_of(request), write=True) as session:
        services.leave_member(session, by=console.principal.actor, member_id=member_id)
    return RedirectResponse(f"/members/{member_id}?done=left", status_code=303)
