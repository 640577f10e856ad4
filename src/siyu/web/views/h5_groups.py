"""The buyer's group page (H5, SPEC §7–8): the group's entry link and QR code, whether the buyer may join
and why not, joining, the chat with new messages polled every 3 s, essentials / FAQ / notes / rules,
check-in and growth value, and the running activities (flash sale, red packets, group coupon, guess
the price).

Who the buyer is (a ``Customer`` of the shop) lives in the signed Starlette session like the membership
pages (see :mod:`siyu.web.views.h5`), under ``h5_buyer:{shop_id}`` = customer id. The buyer gets there by
- the signed entry link the shop's JD jump produces: ``?pin=&ts=&sig=`` with ``sig`` the hex
  HMAC-SHA256 of ``f"{shop_id}:{pin}:{ts}"`` under the app's secret key, valid for 10 minutes
  (:func:`signed_entry_url` makes one); the customer is found or created by the JD account (pin);
- being signed into the membership H5 (``h5_member:{shop_id}`` → member → customer);
- in dev and test only, a demo form asking for the JD account.
Ids in URLs are never trusted: the group comes from the shop the URL names, the buyer from the session.
Other members are shown by name, or as 群成员 and the last two characters of their account; full
mobile numbers inside messages are masked.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from siyu.api.deps import lang_of
from siyu.audit.services import Actor
from siyu.config import get_settings
from siyu.core.errors import DomainError, NotFound
from siyu.core.money import format_yuan
from siyu.customers.models import Customer
from siyu.db import transaction, utcnow
from siyu.groups import activities, cards, domain, growth, joining, services
from siyu.groups.models import (
    ActivityEntry,
    FlashSaleOrder,
    Group,
    GroupActivity,
    GroupCard,
    GroupCheckin,
    GroupPost,
    RedPacket,
    SubGroup,
)
from siyu.loyalty.models import Member
from siyu.promotions.models import CouponTemplate
from siyu.shops.models import Shop
from siyu.web import i18n
from siyu.web.context import CsrfRejected, check_csrf, csrf_token, factory_of
from siyu.web.i18n_h5 import h5_text
from siyu.web.templating import is_htmx, render
from siyu.web.views.h5 import _load_shop, member_key

T = TypeVar("T")
router = APIRouter(prefix="/m/{shop_code}/g")

ENTRY_TTL_SECONDS = 600
"""A signed entry link is good for 10 minutes."""
CLOCK_SKEW_SECONDS = 60
CHAT_SHOWN = 30
POLL_AT_MOST = 50
ACCOUNT_MAX = 100
MAX_FORM_BYTES = 8 * 1024
SIG = re.compile(r"^[0-9a-f]{64}$")
# an 11-digit mainland mobile inside a message, masked for the screen (as the console's message log does)
MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)")
FRAME: dict[str, str] = {"Membership service of {shop}": "Group service of {shop}"}
"""Texts of the shared H5 frame that read differently on the group page."""
RULE_KINDS = {"keyword": ("违禁词", "a banned word"), "link": ("外部链接", "an outside link"), "ad": ("广告", "ads")}


def buyer_key(shop_id: int) -> str:
    return f"h5_buyer:{shop_id}"


def flash_key(shop_id: int) -> str:
    return f"h5_group_flash:{shop_id}"


def buyer_actor(shop_id: int, customer_id: int | None = None) -> Actor:
    """The buyer as the actor of audit rows (``customer:{customer id}:h5``)."""
    return Actor(shop_id, "customer", customer_id, "h5")


# ---- the signed entry link ----------------------------------------------------------------------------
def entry_signature(shop_id: int, pin: str, ts: int) -> str:
    """The hex HMAC-SHA256 of ``f"{shop_id}:{pin}:{ts}"`` under the app's secret key."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{shop_id}:{pin}:{ts}".encode(), hashlib.sha256).hexdigest()


def signed_entry_url(shop: Shop, group_code: str, pin: str, *, now: int | None = None) -> str:
    """The path of a group's page that signs the JD account ``pin`` in (what the shop's JD jump, a test
    or the console's "preview as buyer" sends the buyer to); good for :data:`ENTRY_TTL_SECONDS`."""
    ts = int(time.time()) if now is None else now
    query = urlencode({"pin": pin, "ts": ts, "sig": entry_signature(shop.id, pin, ts)})
    return f"/m/{shop.code}/g/{group_code}?{query}"


def entry_is_valid(shop_id: int, pin: str, ts: str, sig: str, *, now: int | None = None) -> bool:
    """Whether ``pin``/``ts``/``sig`` is a genuine entry link of this shop that has not expired."""
    if not pin or len(pin) > ACCOUNT_MAX or not re.fullmatch(r"[0-9]{1,12}", ts) or not SIG.match(sig):
        return False
    moment = int(time.time()) if now is None else now
    stamp = int(ts)
    if stamp > moment + CLOCK_SKEW_SECONDS or moment - stamp > ENTRY_TTL_SECONDS:
        return False
    return hmac.compare_digest(entry_signature(shop_id, pin, stamp), sig)


def _clean_account(value: str) -> str:
    account = value.strip()
    if not account or len(account) > ACCOUNT_MAX or any(ord(ch) < 32 or ord(ch) == 127 for ch in account):
        return ""
    return account


def customer_for_account(session: Session, shop_id: int, account: str) -> Customer:
    """The shop's customer with this JD account, created (source 社群) when there is none."""
    found = session.scalar(select(Customer).where(Customer.shop_id == shop_id, Customer.account == account))
    if found is not None:
        return found
    customer = Customer(shop_id=shop_id, account=account, name="", source_channel="group")
    session.add(customer)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # created by a concurrent first visit
        return session.scalars(select(Customer).where(Customer.shop_id == shop_id, Customer.account == account)).one()
    return customer


def _sign_in(request: Request, shop: Shop, account: str) -> None:
    with transaction(factory_of(request), write=True) as session:
        customer_id = customer_for_account(session, shop.id, account).id
    request.session[buyer_key(shop.id)] = customer_id


def demo_allowed() -> bool:
    """The demo entry form exists only in development and test environments."""
    return get_settings().env in ("dev", "test")


# ---- who is looking ----------------------------------------------------------------------------------
def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _buyer(session: Session, request: Request, shop: Shop) -> Customer | None:
    """The signed-in buyer of this shop: the group entry first, then the membership H5's member."""
    customer_id = _int(request.session.get(buyer_key(shop.id)))
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is not None and customer.shop_id == shop.id:
            return customer
        request.session.pop(buyer_key(shop.id), None)
    member_id = _int(request.session.get(member_key(shop.id)))
    if member_id is not None:
        member = session.get(Member, member_id)
        if member is not None and member.shop_id == shop.id and member.status == "active":
            return session.get(Customer, member.customer_id)
    return None


def _buyer_id(request: Request, shop: Shop) -> int | None:
    with transaction(factory_of(request)) as session:
        customer = _buyer(session, request, shop)
        return customer.id if customer is not None else None


# ---- rendering ---------------------------------------------------------------------------------------
def _zone(shop: Shop | None) -> ZoneInfo:
    return ZoneInfo((shop.timezone if shop else None) or "Asia/Shanghai")


def _page(
    request: Request, template: str, *, shop: Shop | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = lang_of(request)
    zone = _zone(shop)
    csrf_token(request)
    response = render(
        request,
        template,
        status_code=status_code,
        shop=shop,
        tr=lambda key, **kw: h5_text(lang, FRAME.get(str(key), str(key)), **kw),
        dt=lambda value, with_time=True: i18n.format_datetime(value, lang, zone, with_time=with_time),
        **context,
    )
    response.headers["Cache-Control"] = "no-store"  # personal data: never in a shared or back-forward cache
    return response


def _message(request: Request, shop: Shop | None, status: int, title: str, message: str, back: str = "") -> Response:
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


def _not_found(request: Request, shop: Shop | None = None) -> Response:
    text = h5_text(lang_of(request), "This group does not exist. Check the link or the QR code.")
    return _message(request, shop, 404, "Page not found", text)


def _group(session: Session, shop: Shop, code: str) -> Group | None:
    if not code or len(code) > 16:
        return None
    try:
        return services.group_by_code(session, shop_id=shop.id, code=code)
    except NotFound:
        return None


def _load(request: Request, shop_code: str, code: str) -> tuple[Shop, Group] | Response:
    shop = _load_shop(request, shop_code)
    if shop is None:
        return _not_found(request)
    with transaction(factory_of(request)) as session:
        group = _group(session, shop, code)
    if group is None:
        return _not_found(request, shop)
    return shop, group


def _here(shop: Shop, group: Group, anchor: str = "") -> str:
    return f"/m/{shop.code}/g/{group.code}" + (f"#{anchor}" if anchor else "")


def _back(shop: Shop, group: Group, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(_here(shop, group, anchor), status_code=303)


async def _posted(request: Request, shop: Shop, group: Group) -> Response | None:
    """Refuse an oversized or forged POST; ``None`` when it may go on."""
    lang = lang_of(request)
    try:
        too_big = int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES
    except ValueError:
        too_big = True
    if too_big:
        return _message(request, shop, 413, "Too much data", h5_text(lang, "The form sent too much data."))
    try:
        await check_csrf(request)
    except CsrfRejected as exc:
        return _message(request, shop, 403, "Page expired", exc.message(lang), back=_here(shop, group))
    return None


def _flash(request: Request, shop_id: int, kind: str, zh: str, en: str) -> None:
    request.session[flash_key(shop_id)] = {"kind": kind, "zh": zh[:300], "en": en[:300]}


def _flash_error(request: Request, shop_id: int, exc: DomainError) -> None:
    _flash(request, shop_id, "error", exc.zh, exc.en)


def _take_flash(request: Request, shop_id: int) -> dict[str, str] | None:
    value = request.session.pop(flash_key(shop_id), None)
    if not isinstance(value, dict):
        return None
    lang = lang_of(request)
    return {"kind": "ok" if value.get("kind") == "ok" else "error", "text": str(value.get(lang, value.get("zh", "")))}


# ---- the chat ----------------------------------------------------------------------------------------
def masked(text: str) -> str:
    """``text`` with every full mobile number in it masked as 138****5678."""
    return MOBILE_IN_TEXT.sub(r"\1****\2", text or "")


def _display_name(customer: Customer | None, lang: str) -> str:
    if customer is None:
        return h5_text(lang, "Member {tail}", tail="")
    name = masked(customer.name.strip())
    if name and not re.search(r"\d{7,}", name):
        return name[:20]
    return h5_text(lang, "Member {tail}", tail=customer.account[-2:])


def message_views(
    session: Session, posts: list[GroupPost], me: int, lang: str, zone: ZoneInfo, today: date
) -> list[dict[str, Any]]:
    """What the chat shows of each post: who (never another member's account), where, when, the text."""
    ids = {p.customer_id for p in posts if p.customer_id is not None and p.customer_id != me}
    people = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))} if ids else {}
    attached = cards.cards_of_posts(session, [p.id for p in posts if p.author_kind != "customer"])
    views = []
    for post in posts:
        local = post.created_at.astimezone(zone)
        at = local.strftime("%H:%M") if local.date() == today else local.strftime("%m-%d %H:%M")
        if post.author_kind == "customer":
            mine = post.customer_id == me
            who = h5_text(lang, "Me") if mine else _display_name(people.get(post.customer_id or 0), lang)
            badge = ""
        else:
            mine = False
            staff = post.author_kind == "staff"
            who = h5_text(lang, "Shop service") if staff else h5_text(lang, "Group notice")
            badge = h5_text(lang, "Official")
        views.append(
            {
                "id": post.id,
                "who": who,
                "mine": mine,
                "kind": post.author_kind,
                "badge": badge,
                "at_all": post.at_all,
                "text": masked(post.text),
                "at": at,
                "card": _card_view(attached[post.id], lang) if post.id in attached else None,
            }
        )
    return views


def _card_view(card: GroupCard, lang: str) -> dict[str, Any]:
    """A daily operation card in the chat: the product, its price, and for a poster the image to save."""
    return {
        "id": card.id,
        "kind": card.kind,
        "label": i18n.pick(cards.CARD_KINDS[card.kind], lang),
        "name": card.name,
        "price": format_yuan(card.price_fen),
        "was": format_yuan(card.list_price_fen) if card.list_price_fen > card.price_fen else "",
        "image": card.image_url,
        "text": masked(card.text),
    }


def _today(shop: Shop) -> date:
    return utcnow().astimezone(_zone(shop)).date()


# ---- the page ----------------------------------------------------------------------------------------
def _goal(group: Group, lang: str) -> dict[str, str]:
    goal = domain.GOALS[group.goal]
    rule = i18n.pick((goal.rule_zh, goal.rule_en), lang)
    if group.goal == "high_value":
        rule = h5_text(lang, "Cumulative spend of {amount} or more", amount=format_yuan(group.min_spend_fen))
    return {"label": i18n.pick((goal.label_zh, goal.label_en), lang), "rule": rule}


def _pinned(session: Session, group: Group, lang: str, zone: ZoneInfo) -> dict[str, list[dict[str, Any]]]:
    return {
        kind: [
            {
                "title": p.title,
                "text": masked(p.text),
                "at_all": p.at_all,
                "at": i18n.format_datetime(p.created_at, lang, zone, with_time=False),
            }
            for p in posts[:20]
        ]
        for kind, posts in services.pinned_posts(session, group_id=group.id).items()
    }


def _checkin(session: Session, shop: Shop, group: Group, customer_id: int, today: date) -> dict[str, Any]:
    last = session.scalar(
        select(GroupCheckin)
        .where(GroupCheckin.group_id == group.id, GroupCheckin.customer_id == customer_id)
        .order_by(GroupCheckin.day.desc())
        .limit(1)
    )
    streak = last.streak if last is not None and last.day >= today - timedelta(days=1) else 0
    week = growth.checkin_calendar(session, group_id=group.id, customer_id=customer_id, today=today)
    days = [today - timedelta(days=6 - n) for n in range(7)]
    standing = growth.standing_of(session, shop_id=shop.id, customer_id=customer_id)
    progress = 100
    if standing.next_level is not None:
        span = standing.next_level.min_growth - standing.level.min_growth
        progress = int(100 * (standing.growth - standing.level.min_growth) / span) if span > 0 else 100
    return {
        "streak": streak,
        "today": last is not None and last.day == today,
        "week": [
            {"done": done, "label": f"{d.month}/{d.day}", "today": d == today}
            for d, done in zip(days, week, strict=True)
        ],
        "growth": standing.growth,
        "level": standing.level.name,
        "benefits": standing.level.benefits,
        "next": standing.next_level,
        "to_next": (standing.next_level.min_growth - standing.growth) if standing.next_level else 0,
        "progress": max(0, min(progress, 100)),
    }


ANSWERS_SHOWN_DAYS = 7
"""How long after a guess-the-price activity ends its answer stays on the page."""


def _activity_views(
    session: Session, shop: Shop, group: Group, customer_id: int | None, member: bool, lang: str, zone: ZoneInfo
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(running, coming up, answers) of the group's activities, with what this buyer already did in each;
    answers are the right prices of guess-the-price activities that ended in the last week."""
    now = utcnow()
    running: list[dict[str, Any]] = []
    coming: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for activity in activities.list_activities(session, shop_id=shop.id, group_id=group.id):
        if activity.kind == "guess" and activity.ends_at <= now < activity.ends_at + timedelta(days=ANSWERS_SHOWN_DAYS):
            answers.append(_answer(session, activity, customer_id if member else None, lang, zone))
            continue
        if activity.status != "active" or activity.ends_at <= now:
            continue
        view: dict[str, Any] = {
            "id": activity.id,
            "kind": activity.kind,
            "kind_label": i18n.pick(activities.KINDS[activity.kind], lang),
            "name": activity.name,
            "ends": i18n.format_datetime(activity.ends_at, lang, zone),
            "starts": i18n.format_datetime(activity.starts_at, lang, zone),
        }
        if activity.starts_at > now:
            coming.append(view)
            continue
        view.update(_activity_state(session, activity, customer_id if member else None))
        running.append(view)
    running.sort(key=lambda v: v["id"])
    coming.sort(key=lambda v: v["starts"])
    answers.sort(key=lambda v: v["ended_at"], reverse=True)
    return running, coming[:5], answers[:3]


def _answer(session: Session, activity: GroupActivity, me: int | None, lang: str, zone: ZoneInfo) -> dict[str, Any]:
    """An ended guess-the-price activity: the right price, how many guessed it, and this member's guess."""
    config = activity.config or {}
    right = session.scalar(
        select(func.count())
        .select_from(ActivityEntry)
        .where(ActivityEntry.activity_id == activity.id, ActivityEntry.correct.is_(True))
    )
    mine = (
        session.scalar(
            select(ActivityEntry).where(ActivityEntry.activity_id == activity.id, ActivityEntry.customer_id == me)
        )
        if me is not None
        else None
    )
    return {
        "id": activity.id,
        "name": activity.name,
        "product": str(config.get("name", "")),
        "price": format_yuan(int(config.get("price_fen", 0) or 0)),
        "right": int(right or 0),
        "guessed": format_yuan(mine.guess_fen) if mine is not None and mine.guess_fen is not None else "",
        "correct": bool(mine is not None and mine.correct),
        "ended": i18n.format_datetime(activity.ends_at, lang, zone),
        "ended_at": activity.ends_at,
    }


def _activity_state(session: Session, activity: GroupActivity, me: int | None) -> dict[str, Any]:
    if activity.kind == "flash_sale":
        items = activities.flash_items(session, activity.id)
        mine = set()
        if me is not None and items:
            mine = set(
                session.scalars(
                    select(FlashSaleOrder.item_id).where(
                        FlashSaleOrder.activity_id == activity.id, FlashSaleOrder.customer_id == me
                    )
                )
            )
        return {
            "skus": [
                {
                    "id": i.id,
                    "name": i.name or i.sku,
                    "price": format_yuan(i.price_fen),
                    "list_price": format_yuan(i.list_price_fen),
                    "left": max(i.stock - i.sold, 0),
                    "mine": i.id in mine,
                }
                for i in items
            ]
        }
    if activity.kind == "red_packet":
        current = activity.rounds
        left = session.scalar(
            select(func.count())
            .select_from(RedPacket)
            .where(RedPacket.activity_id == activity.id, RedPacket.round == current, RedPacket.customer_id.is_(None))
        )
        got = None
        if me is not None:
            got = session.scalar(
                select(RedPacket.amount_fen).where(
                    RedPacket.activity_id == activity.id, RedPacket.round == current, RedPacket.customer_id == me
                )
            )
        return {
            "round": current,
            "left": int(left or 0),
            "total": activity.packets,
            "got": format_yuan(got) if got is not None else "",
        }
    entry = None
    if me is not None:
        entry = session.scalar(
            select(ActivityEntry).where(ActivityEntry.activity_id == activity.id, ActivityEntry.customer_id == me)
        )
    if activity.kind == "coupon":
        template = session.get(CouponTemplate, activity.coupon_template_id) if activity.coupon_template_id else None
        return {"coupon": template.name if template is not None else "", "claimed": entry is not None}
    config = activity.config or {}
    return {
        "product": str(config.get("name", "")),
        "guessed": format_yuan(entry.guess_fen) if entry is not None and entry.guess_fen is not None else "",
        "correct": bool(entry is not None and entry.correct),
    }


@router.get("/{code}")
def group_page(request: Request, shop_code: str, code: str, pin: str = "", ts: str = "", sig: str = "") -> Response:
    """The group's one entry link: the rule, join or why not, and for members the chat and activities."""
    loaded = _load(request, shop_code, code)
    if isinstance(loaded, Response):
        return loaded
    shop, group = loaded
    lang = lang_of(request)
    if pin or ts or sig:
        if not entry_is_valid(shop.id, pin, ts, sig):
            text = h5_text(lang, "The entry link expired or is not valid. Open the group again from the JD app.")
            return _message(request, shop, 403, "Page expired", text, back=_here(shop, group))
        _sign_in(request, shop, pin)
        return _back(shop, group)  # the signed query never stays in the address bar or history
    zone = _zone(shop)
    today = _today(shop)
    with transaction(factory_of(request)) as session:
        customer = _buyer(session, request, shop)
        subs = services.sub_groups_of(session, group.id)
        seats = sum(s.capacity for s in subs)
        members = sum(s.member_count for s in subs)
        membership = services.membership_of(session, group.id, customer.id) if customer is not None else None
        member = membership is not None and membership.status == "active" and membership.sub_group_id is not None
        context: dict[str, Any] = {
            "group": group,
            "goal": _goal(group, lang),
            "group_type": i18n.pick(
                (domain.GROUP_TYPES[group.group_type].label_zh, domain.GROUP_TYPES[group.group_type].label_en), lang
            )
            if group.group_type in domain.GROUP_TYPES
            else "",
            "members": members,
            "signed_in": customer is not None,
            "member": member,
            "demo": demo_allowed(),
            "pinned": _pinned(session, group, lang, zone),
            "post_max": services.POST_MAX,
            "account_max": ACCOUNT_MAX,
            "page_url": _here(shop, group),
        }
        if customer is not None and not member:
            refusal = joining.join_refusal(session, group=group, customer_id=customer.id)
            context["refusal"] = i18n.pick((refusal.zh, refusal.en), lang) if refusal else ""
            context["full"] = refusal is None and members >= seats
            context["rejoin"] = membership is not None and membership.status == "left"
        if member and customer is not None and membership is not None:
            sub = session.get_one(SubGroup, membership.sub_group_id)
            posts = services.posts_after(session, group_id=group.id, sub_group_id=sub.id, limit=CHAT_SHOWN)
            context.update(
                sub_group=sub.name,
                messages=message_views(session, posts, customer.id, lang, zone, today),
                last_id=posts[-1].id if posts else 0,
                checkin=_checkin(session, shop, group, customer.id, today),
            )
        running, coming, answers = _activity_views(
            session, shop, group, customer.id if customer else None, member, lang, zone
        )
        context.update(running=running, coming=coming, answers=answers)
    return _page(request, "h5/group_page.html", shop=shop, flash=_take_flash(request, shop.id), **context)


@router.get("/{code}/messages")
def new_messages(request: Request, shop_code: str, code: str, after: int = 0) -> Response:
    """The chat's posts newer than ``after`` (what the page polls every 3 s): 204 when there is none, so
    the page changes nothing. Once the buyer is no longer a member (kicked, left in another tab): 286 (htmx:
    stop polling) and, for a buyer who was one, a refresh, so the page shows why at once."""
    loaded = _load(request, shop_code, code)
    if isinstance(loaded, Response):
        return loaded
    shop, group = loaded
    lang = lang_of(request)
    with transaction(factory_of(request)) as session:
        customer = _buyer(session, request, shop)
        membership = services.membership_of(session, group.id, customer.id) if customer is not None else None
        if customer is None or membership is None or membership.status != "active":
            headers = {"Cache-Control": "no-store"}
            if membership is not None:
                headers["HX-Refresh"] = "true"  # a member a moment ago: reload to show the non-member page
            return Response(status_code=286, headers=headers)
        posts = services.posts_after(
            session,
            group_id=group.id,
            sub_group_id=membership.sub_group_id,
            after_id=max(after, 0),
            limit=POLL_AT_MOST,
        )
        if not posts:
            return Response(status_code=204, headers={"Cache-Control": "no-store"})
        views = message_views(session, posts, customer.id, lang, _zone(shop), _today(shop))
    return _page(
        request, "h5/group_messages.html", shop=shop, messages=views, last_id=posts[-1].id, page_url=_here(shop, group)
    )


# ---- actions -----------------------------------------------------------------------------------------
async def _write(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one write transaction on a worker thread: the event loop keeps serving the other
    buyers while the database works (a red-packet rain or a flash sale is many requests at once)."""
    factory = factory_of(request)

    def run() -> T:
        with transaction(factory, write=True) as session:
            return work(session)

    return await run_in_threadpool(run)


async def _acting(request: Request, shop_code: str, code: str) -> tuple[Shop, Group, int] | Response:
    """Shop, group and signed-in buyer of a POST (CSRF checked), or the response that refuses it."""
    loaded = _load(request, shop_code, code)
    if isinstance(loaded, Response):
        return loaded
    shop, group = loaded
    refused = await _posted(request, shop, group)
    if refused is not None:
        return refused
    customer_id = _buyer_id(request, shop)
    if customer_id is None:
        return _back(shop, group)
    return shop, group, customer_id


@router.post("/{code}/enter")
async def demo_enter(request: Request, shop_code: str, code: str, account: Annotated[str, Form()] = "") -> Response:
    """Demo and test only: enter as the buyer with this JD account, as the signed JD link would."""
    loaded = _load(request, shop_code, code)
    if isinstance(loaded, Response):
        return loaded
    shop, group = loaded
    if not demo_allowed():
        return _not_found(request, shop)
    refused = await _posted(request, shop, group)
    if refused is not None:
        return refused
    clean = _clean_account(account)
    if not clean:
        _flash(request, shop.id, "error", "请填写京东账号", "Please enter a JD account")
        return _back(shop, group)
    _sign_in(request, shop, clean)
    return _back(shop, group)


@router.post("/{code}/join")
async def join(request: Request, shop_code: str, code: str) -> Response:
    """Join: a seat in the first sub-group, in order, that is not full — or the reason why not."""
    acting = await _acting(request, shop_code, code)
    if isinstance(acting, Response):
        return acting
    shop, group, customer_id = acting
    desk = joining.desk(factory_of(request))  # joins of concurrent buyers share one transaction
    try:
        seat = await run_in_threadpool(
            desk.join, by=buyer_actor(shop.id, customer_id), group_id=group.id, customer_id=customer_id
        )
    except DomainError as exc:
        _flash_error(request, shop.id, exc)
        return _back(shop, group)
    if seat.already:
        _flash(request, shop.id, "ok", f"你已在「{seat.name}」中", f"You are already in {seat.name}")
    else:
        _flash(request, shop.id, "ok", f"入群成功！你在「{seat.name}」", f"Welcome! You are in {seat.name}")
    return _back(shop, group)


@router.post("/{code}/leave")
async def leave(request: Request, shop_code: str, code: str) -> Response:
    acting = await _acting(request, shop_code, code)
    if isinstance(acting, Response):
        return acting
    shop, group, customer_id = acting
    try:
        await _write(
            request,
            lambda session: services.leave_group(
                session, by=buyer_actor(shop.id, customer_id), group_id=group.id, customer_id=customer_id
            ),
        )
    except DomainError as exc:
        _flash_error(request, shop.id, exc)
        return _back(shop, group)
    _flash(request, shop.id, "ok", "已退出该群，欢迎随时回来", "You left the group: come back any time")
    return _back(shop, group)


def _verdict_texts(verdict: domain.Verdict | None, kicked: bool) -> tuple[str, str, str] | None:
    """(kind, zh, en) told to the poster about the moderation of their post, None when it passed."""
    if verdict is None:
        return None
    zh_rule, en_rule = RULE_KINDS.get(verdict.rule.kind, (verdict.rule.kind, verdict.rule.kind))
    if kicked:
        return (
            "error",
            f"你的消息含有{zh_rule}，违反群规，已被删除，你已被移出本群",
            f"Your message contained {en_rule} against the group rules: it was removed and so were you",
        )
    if verdict.action == "remove":
        return (
            "error",
            f"你的消息含有{zh_rule}，违反群规，已被删除",
            f"Your message contained {en_rule} against the group rules and was removed",
        )
    return (
        "error",
        f"你的消息已发出，但含有{zh_rule}，违反群规，请注意（警告）",
        f"Your message was posted, but it contained {en_rule} against the group rules: this is a warning",
    )


@router.post("/{code}/post")
async def post(request: Request, shop_code: str, code: str, text: Annotated[str, Form()] = "") -> Response:
    """A member's message; the moderation verdict (removed / warned / removed from the group) is told to
    the poster. Sent by htmx the page stays and the next poll shows the message at once."""
    acting = await _acting(request, shop_code, code)
    if isinstance(acting, Response):
        return acting
    shop, group, customer_id = acting
    lang = lang_of(request)
    told: tuple[str, str, str] | None
    kicked = False
    try:
        posted = await _write(
            request,
            lambda session: services.post_message(
                session, by=buyer_actor(shop.id, customer_id), group_id=group.id, customer_id=customer_id, text=text
            ),
        )
        told, kicked = _verdict_texts(posted.verdict, posted.kicked), posted.kicked
    except DomainError as exc:
        told = ("error", exc.zh, exc.en)
    if is_htmx(request) and not kicked:
        note = {"kind": told[0], "text": told[1] if lang != "en" else told[2]} if told else None
        response = _page(request, "h5/group_status.html", shop=shop, note=note)
        response.headers["HX-Trigger"] = "chat-refresh"
        return response
    if told is not None:
        _flash(request, shop.id, *told)
    if kicked and is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": _here(shop, group)})
    return _back(shop, group, "" if kicked else "chat")


@router.post("/{code}/checkin")
async def checkin(request: Request, shop_code: str, code: str) -> Response:
    """Daily check-in (签到) in the group: once a shop-local day, streak and growth value."""
    acting = await _acting(request, shop_code, code)
    if isinstance(acting, Response):
        return acting
    shop, group, customer_id = acting
    try:
        done = await _write(
            request,
            lambda session: growth.check_in(
                session, by=buyer_actor(shop.id, customer_id), group_id=group.id, customer_id=customer_id
            ),
        )
    except DomainError as exc:
        _flash_error(request, shop.id, exc)
        return _back(shop, group, "checkin")
    zh = f"签到成功！已连续签到 {done.streak} 天，成长值 +{done.growth}"
    en = f"Checked in: {done.streak} days in a row, +{done.growth} growth"
    if done.points:
        zh, en = f"{zh}，积分 +{done.points}", f"{en}, +{done.points} points"
    _flash(request, shop.id, "ok", zh, en)
    return _back(shop, group, "checkin")


def _activity_of(session: Session, shop: Shop, group: Group, activity_id: int) -> GroupActivity:
    activity = activities.get_activity(session, shop_id=shop.id, activity_id=activity_id)
    if activity.group_id != group.id:
        raise NotFound("群活动", "group activity")
    return activity


@router.post("/{code}/a/{activity_id}/buy/{item_id}")
async def buy(request: Request, shop_code: str, code: str, activity_id: int, item_id: int) -> Response:
    """One unit of a flash-sale SKU at the group price."""
    acting = await _acting(request, shop_code, code)
    if isinstance(acting, Response):
        return acting
    shop, group, customer_id = acting

    def work(session: Session) -> tuple[str, str]:
        activity = _activity_of(session, shop, group, activity_id)
        order = activities.buy_flash_item(
            session,
            by=buyer_actor(shop.id, customer_id),
            activity_id=activity.id,
            item_id=item_id,
            customer_id=customer_id,
        )
        item = next(i for i in activities.flash_items(session, activity.id) if i.id == order.item_id)
        return item.name or item.sku, format_yuan(order.price_fen)

    try:
        name, price = await _write(request, work)
    except DomainError as exc:
        _flash_error(request, shop.id, exc)
        return _back(shop, group, f"activity-{activity_id}")
    _flash(request, shop.id, "ok", f"抢到了！「{name}」群专享价 {price}", f"Got it: {name} at the group price {price}")
    return _back(shop, group, f"activity-{activity_id}")


@router.post("/{code}/a/{activity_id}/grab")
async def grab(request: Request, shop_code: str, code: str, activity_id: int) -> Response:
    """One red packet of the current round."""
    acting = await _acting(request, shop_code, code)
    if isinstance(acting, Response):
        return acting
    shop, group, customer_id = acting

    def work(session: Session) -> activities.Grab:
        activity = _activity_of(session, shop, group, activity_id)
        return activities.grab_red_packet(
            session, by=buyer_actor(shop.id, customer_id), activity_id=activity.id, customer_id=customer_id
        )

    try:
        got = await _write(request, work)
    except DomainError as exc:
        _flash_error(request, shop.id, exc)
        return _back(shop, group, f"activity-{activity_id}")
    amount = format_yuan(got.amount_fen)
    if got.already:
        zh, en = f"本轮你已抢到 {amount}，每轮限抢 1 个", f"You already got {amount} this round: one per round"
        _flash(request, shop.id, "error", zh, en)
    else:
        _flash(request, shop.id, "ok", f"恭喜抢到红包 {amount}！", f"You got a red packet of {amount}!")
    return _back(shop, group, f"activity-{activity_id}")


@router.post("/{code}/a/{activity_id}/claim")
async def claim(request: Request, shop_code: str, code: str, activity_id: int) -> Response:
    """The group coupon, once."""
    acting = await _acting(request, shop_code, code)
    if isinstance(acting, Response):
        return acting
    shop, group, customer_id = acting

    def work(session: Session) -> str:
        activity = _activity_of(session, shop, group, activity_id)
        activities.claim_group_coupon(
            session, by=buyer_actor(shop.id, customer_id), activity_id=activity.id, customer_id=customer_id
        )
        template = session.get(CouponTemplate, activity.coupon_template_id)
        return template.name if template is not None else activity.name

    try:
        name = await _write(request, work)
    except DomainError as exc:
        _flash_error(request, shop.id, exc)
        return _back(shop, group, f"activity-{activity_id}")
    _flash(request, shop.id, "ok", f"领取成功：「{name}」已放入你的券包", f"Claimed: {name} is in your coupons")
    return _back(shop, group, f"activity-{activity_id}")


def _fen(value: str) -> int | None:
    """A price typed in yuan ("59", "59.9", "¥59.90") as fen, None when it is not one."""
    cleaned = value.strip().replace("¥", "").replace("￥", "").replace(",", "").replace("元", "")
    if not re.fullmatch(r"\d{1,9}(\.\d{1,2})?", cleaned):
        return None
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:
        return None


@router.post("/{code}/a/{activity_id}/guess")
async def guess(
    request: Request, shop_code: str, code: str, activity_id: int, price: Annotated[str, Form()] = ""
) -> Response:
    """One guess of the price; a right one earns card members points."""
    acting = await _acting(request, shop_code, code)
    if isinstance(acting, Response):
        return acting
    shop, group, customer_id = acting
    fen = _fen(price)
    if fen is None:
        _flash(request, shop.id, "error", "请填写价格，例如 59.90", "Enter a price, e.g. 59.90")
        return _back(shop, group, f"activity-{activity_id}")

    def work(session: Session) -> tuple[bool, int]:
        activity = _activity_of(session, shop, group, activity_id)
        entry = activities.guess_price(
            session,
            by=buyer_actor(shop.id, customer_id),
            activity_id=activity.id,
            customer_id=customer_id,
            guess_fen=fen,
        )
        return entry.correct, entry.points

    try:
        correct, points = await _write(request, work)
    except DomainError as exc:
        _flash_error(request, shop.id, exc)
        return _back(shop, group, f"activity-{activity_id}")
    if correct and points:
        _flash(request, shop.id, "ok", f"猜中了！+{points} 积分", f"Right! +{points} points")
    elif correct:
        _flash(request, shop.id, "ok", "猜中了！", "Right!")
    else:
        _flash(request, shop.id, "error", "很遗憾，没猜中", "Not this time")
    return _back(shop, group, f"activity-{activity_id}")


# ---- a poster card's image ----------------------------------------------------------------------------
@router.get("/{code}/cards/{card_id}/poster.svg")
def card_poster(request: Request, shop_code: str, code: str, card_id: int) -> Response:
    """A card as a poster image (product, price, the group's QR code) members save and share."""
    loaded = _load(request, shop_code, code)
    if isinstance(loaded, Response):
        return loaded
    shop, group = loaded
    with transaction(factory_of(request)) as session:
        try:
            card = cards.card_of_group(session, group_id=group.id, card_id=card_id)
        except DomainError:
            return _not_found(request, shop)
        entry = str(request.url_for("group_page", shop_code=shop.code, code=group.code))
        svg = cards.poster_svg(card, shop_name=shop.name, group_name=group.name, entry_url=entry)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=300"})


# ---- the group module the merchant embeds in the shop home page and activity pages ---------------------
@router.get("/{code}/embed")
def group_embed(request: Request, shop_code: str, code: str) -> Response:
    """A small card of the group — name, members, join rule, a join button and the QR code — made to be
    framed by the shop's home page or an activity page (the snippet on the console's overview). It reads
    nothing about the viewer; the button opens the entry page in the whole window."""
    loaded = _load(request, shop_code, code)
    if isinstance(loaded, Response):
        return loaded
    shop, group = loaded
    lang = lang_of(request)
    with transaction(factory_of(request)) as session:
        subs = services.sub_groups_of(session, group.id)
    response = _page(
        request,
        "h5/group_embed.html",
        shop=shop,
        group=group,
        goal=_goal(group, lang),
        members=sum(s.member_count for s in subs),
        full=sum(s.member_count for s in subs) >= sum(s.capacity for s in subs),
        page_url=_here(shop, group),
        qr_url=f"{_here(shop, group)}/qr.svg",
    )
    # made to be framed by any page of the merchant's (JD shop pages live on other hosts)
    response.headers["Content-Security-Policy"] = "frame-ancestors *"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


# ---- the QR code for the merchant --------------------------------------------------------------------
@router.get("/{code}/qr.svg")
def group_qr(request: Request, shop_code: str, code: str) -> Response:
    """A QR code of the group's entry link, for the console, posters and parcel cards."""
    loaded = _load(request, shop_code, code)
    if isinstance(loaded, Response):
        return loaded
    shop, group = loaded
    url = str(request.url_for("group_page", shop_code=shop.code, code=group.code))
    buffer = io.BytesIO()
    segno.make_qr(url, error="m").save(buffer, kind="svg", scale=8, border=2, dark="#1f2937", title=url)
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"})


__all__ = [
    "ENTRY_TTL_SECONDS",
    "buyer_key",
    "customer_for_account",
    "entry_is_valid",
    "entry_signature",
    "router",
    "signed_entry_url",
]
