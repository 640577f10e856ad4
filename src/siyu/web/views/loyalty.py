"""The member programme (会员设置) with its tier ladder and jobs, identity matching (会员通) and member
analytics (会员分析) (SPEC §5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from siyu.core.errors import DomainError, InvalidInput
from siyu.db import transaction
from siyu.loyalty import queries, services
from siyu.loyalty.domain import INTERACTIONS
from siyu.promotions import queries as coupon_queries
from siyu.promotions import services as promotions
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import render
from siyu.web.views.loyalty_forms import (
    TABLE_INTERACTIONS,
    default_tiers,
    parse_program,
    parse_tiers,
    program_form,
    read_tier_rows,
    tier_rows,
)

router = APIRouter()
MAX_HASH_FILE = 20 * 1024 * 1024  # about 250,000 lines of hash, member no. and tier
JOBS = ("sync", "expire", "review", "birthday")
# the seed's case (SPEC §5): members repurchase about 4× as often and spend about 20% more per order
BENCHMARK_REPURCHASE_RATIO = 4.0
BENCHMARK_AOV_UPLIFT = 0.20


def _templates(session: Any, shop_id: int) -> list[Any]:
    return promotions.list_templates(session, shop_id=shop_id)


# ---- programme -----------------------------------------------------------------------------------------
def _program_page(request: Request, console: Console, **extra: Any) -> Response:
    with transaction(factory_of(request)) as session:
        settings, _row = services.load_program(session, console.shop.id)
        tiers = services.list_tiers(session, shop_id=console.shop.id)
        templates = _templates(session, console.shop.id)
    context: dict[str, Any] = {
        "form": program_form(settings),
        "errors": {},
        "basis": settings.tier_basis,
        "tier_form": tier_rows(tiers or default_tiers(), settings.tier_basis),
        "tiers_saved": bool(tiers),
        "tier_error": "",
        "templates": templates,
        "interactions": [(k, INTERACTIONS[k]) for k in TABLE_INTERACTIONS],
        "notice": "",
        "job": None,
    }
    context.update(extra)
    code = context.pop("status_code", 200)
    return render(request, "members/program.html", console=console, status_code=code, **context)


SAVED = {"program": "Programme settings saved.", "tiers": "Tier ladder saved."}


@router.get("/members/program")
def program_page(request: Request, console: ConsoleDep, saved: str = "") -> Response:
    """How points are earned and expire, member day, gifts, tier rules, interactions, and the tier ladder."""
    console.require("loyalty:view")
    notice = gettext(console.lang, SAVED[saved]) if saved in SAVED else ""
    return _program_page(request, console, notice=notice)


@router.post("/members/program")
async def program_save(request: Request, console: PostDep) -> Response:
    """Save the programme; invalid fields come back as typed with their rule in the reader's language."""
    console.require("loyalty:manage")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    with transaction(factory_of(request)) as session:
        coupon_ids = {t.id for t in _templates(session, console.shop.id)}
    settings, errors = parse_program(form, coupon_ids)
    if settings is None:
        shown = {name: gettext(console.lang, key) for name, key in errors.items()}
        return _program_page(request, console, status_code=400, form=form, errors=shown)
    with transaction(factory_of(request), write=True) as session:
        services.save_program(session, by=console.principal.actor, settings=settings)
    return RedirectResponse("/members/program?saved=program#program", status_code=303)


@router.post("/members/program/tiers")
async def tiers_save(request: Request, console: PostDep) -> Response:
    """Replace the tier ladder (thresholds strictly rising from 0; in yuan for the spend basis)."""
    console.require("loyalty:manage")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    rows = read_tier_rows(form)
    with transaction(factory_of(request)) as session:
        basis = services.load_program(session, console.shop.id)[0].tier_basis
    specs, problem = parse_tiers(rows, basis)
    try:
        if problem is not None:
            raise InvalidInput(
                gettext("zh", problem.rule, row=problem.row), gettext("en", problem.rule, row=problem.row)
            )
        if not specs:
            raise InvalidInput("请至少填写一个等级", "fill in at least one tier")
        with transaction(factory_of(request), write=True) as session:
            services.save_tiers(session, by=console.principal.actor, tiers=specs)
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _program_page(
            request, console, status_code=exc.status, tier_form=rows, tier_error=exc.message(console.lang)
        )
    return RedirectResponse("/members/program?saved=tiers#tiers", status_code=303)


@router.post("/members/program/run/{job}")
def program_run(request: Request, console: PostDep, job: str) -> Response:
    """Run a programme job now (the scheduler runs them too) and show what it did."""
    console.require("loyalty:manage")
    if job not in JOBS:
        raise InvalidInput("未知的任务", "unknown job")
    by = console.principal.actor
    lang = console.lang
    with transaction(factory_of(request), write=True) as session:
        if job == "sync":
            sync = services.sync_order_points(session, by=by)
            text = gettext(
                lang,
                "Order points synced: {orders} orders earned {points} points; {reversed} refunds taken back.",
                orders=sync.awarded,
                points=sync.points,
                reversed=sync.reversed,
            )
        elif job == "expire":
            text = gettext(lang, "Points expired: {points}.", points=services.expire_points(session, by=by))
        elif job == "review":
            review = services.review_tiers(session, by=by)
            text = gettext(
                lang,
                "Tiers reviewed: {members} members, {up} upgraded, {down} downgraded.",
                members=review.members,
                up=review.upgraded,
                down=review.downgraded,
            )
        else:
            text = gettext(lang, "Birthday gifts given: {n}.", n=services.grant_birthday_gifts(session, by=by))
    return _program_page(request, console, job={"name": job, "text": text})


# ---- identity matching -------------------------------------------------------------------------------------
def _matching_page(request: Request, console: Console, **extra: Any) -> Response:
    with transaction(factory_of(request)) as session:
        _settings, row = services.load_program(session, console.shop.id)
        history = services.uploads(session, shop_id=console.shop.id)
        total = services.hash_total(session, shop_id=console.shop.id)
        matched = services.matched_count(session, shop_id=console.shop.id)
    context: dict[str, Any] = {
        "mode": row.mode if row else "disconnected",
        "has_secret": bool(row and row.match_secret),
        "secret": None,
        "history": history,
        "total": total,
        "matched": matched,
        "report": None,
        "legal_basis": "",
        "error": "",
        "notice": "",
    }
    context.update(extra)
    code = context.pop("status_code", 200)
    return render(request, "members/matching.html", console=console, status_code=code, **context)


MATCH_NOTICES = {
    "connected": "Connected mode is on: share the key with the brand, then upload their hash file.",
    "disconnected": "Disconnected mode is on: members exist only in this shop.",
    "rotated": "A new key was made. Hashes made with the old key no longer match; send the brand the new one.",
}


@router.get("/members/matching")
def matching_page(request: Request, console: ConsoleDep, done: str = "") -> Response:
    """会员通: the mode, the shared key (shown on request), hash uploads and the match rate."""
    console.require("loyalty:view")
    notice = gettext(console.lang, MATCH_NOTICES[done]) if done in MATCH_NOTICES else ""
    return _matching_page(request, console, notice=notice)


@router.post("/members/matching/mode")
async def matching_mode(request: Request, console: PostDep) -> Response:
    """打通 (connected) or 不打通 (disconnected); the first switch to connected makes the shared key."""
    console.require("loyalty:manage")
    mode = str((await request.form()).get("mode") or "")
    with transaction(factory_of(request), write=True) as session:
        services.set_matching_mode(session, by=console.principal.actor, mode=mode)
    return RedirectResponse(f"/members/matching?done={mode}", status_code=303)


@router.post("/members/matching/key")
def matching_key(request: Request, console: PostDep) -> Response:
    """Show the shared matching key to a manager; every viewing is written to the audit log."""
    console.require("loyalty:manage")
    with transaction(factory_of(request), write=True) as session:
        _settings, row = services.load_program(session, console.shop.id)
        # the key lets anyone holding a hash file test phone numbers against it: the service audits who saw it
        secret = services.reveal_match_secret(session, by=console.principal.actor) if row and row.match_secret else ""
    return _matching_page(request, console, secret=secret or None)


@router.post("/members/matching/rotate")
def matching_rotate(request: Request, console: PostDep) -> Response:
    """A new shared key (the old one stops matching)."""
    console.require("loyalty:manage")
    with transaction(factory_of(request), write=True) as session:
        services.rotate_match_secret(session, by=console.principal.actor)
    return RedirectResponse("/members/matching?done=rotated", status_code=303)


@router.post("/members/matching/upload")
async def matching_upload(request: Request, console: PostDep) -> Response:
    """Upload the brand's member file of keyed hashes (a legal basis is required; audited by the service)."""
    console.require("loyalty:manage")
    form = await request.form()
    legal_basis = str(form.get("legal_basis") or "")
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise InvalidInput("请选择品牌方提供的哈希文件", "choose the hash file the brand sent")
        body = await file.read(MAX_HASH_FILE + 1)
        if len(body) > MAX_HASH_FILE:
            raise InvalidInput("哈希文件不能超过 20 MB", "the hash file may be at most 20 MB")
        text = body.decode("utf-8-sig", errors="replace")
        with transaction(factory_of(request), write=True) as session:
            report = services.upload_member_hashes(
                session,
                by=console.principal.actor,
                lines=text.splitlines(),
                filename=file.filename,
                legal_basis=legal_basis,
            )
            shown = {
                "file": report.upload.filename,
                "rows": report.upload.rows,
                "new": report.upload.new_hashes,
                "matched": report.upload.matched,
                "rejected": report.upload.rejected,
                "total": report.total_hashes,
                "matched_total": report.matched_total,
                "rate": report.match_rate,
            }
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _matching_page(
            request, console, status_code=exc.status, error=exc.message(console.lang), legal_basis=legal_basis
        )
    return _matching_page(request, console, report=shown)


# ---- analytics -------------------------------------------------------------------------------------------
@router.get("/members/analytics")
def analytics_page(request: Request, console: ConsoleDep) -> Response:
    """New vs returning members, points flows, tiers, member vs non-member repurchase and AOV, coupon rates."""
    console.require("loyalty:view")
    lang = console.lang
    with transaction(factory_of(request)) as session:
        report = queries.member_analytics(session, shop_id=console.shop.id)
        coupons = (
            coupon_queries.coupon_stats(session, shop_id=console.shop.id) if console.allows("promotions:view") else None
        )
    chart = {
        "months": [m.month for m in report.months],
        "new": [m.new_members for m in report.months],
        "returning": [m.returning_members for m in report.months],
        "issued": [m.points_issued for m in report.months],
        "spent": [m.points_spent for m in report.months],
        "expired": [m.points_expired for m in report.months],
        "tiers": [{"name": name, "value": count} for _level, name, count in report.tiers],
        "compare": {
            "repurchase": [report.member.repurchase_rate, report.non_member.repurchase_rate],
            "aov_fen": [report.member.aov_fen, report.non_member.aov_fen],
        },
        "text": {
            "new": gettext(lang, "New members"),
            "returning": gettext(lang, "Returning members"),
            "issued": gettext(lang, "Points issued"),
            "spent": gettext(lang, "Points spent"),
            "expired": gettext(lang, "Points expired"),
            "members": gettext(lang, "Members"),
            "non_members": gettext(lang, "Non-members"),
            "repurchase": gettext(lang, "Repurchase rate"),
            "aov": gettext(lang, "Average order value"),
            "lang": lang,
        },
    }
    return render(
        request,
        "members/analytics.html",
        console=console,
        report=report,
        chart=chart,
        coupons=coupons,
        benchmark={"ratio": BENCHMARK_REPURCHASE_RATIO, "uplift": BENCHMARK_AOV_UPLIFT},
    )
