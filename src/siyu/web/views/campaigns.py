"""SMS campaigns (短信营销): the list, the composer with its live preview and lints, a campaign's detail with
queueing, pause / resume / cancel, and its results against the hold-out arm (issue #4)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.campaigns import calendar, domain, queries, services
from siyu.campaigns.models import Campaign, CampaignRecipient, LinkClick
from siyu.channels.models import OutboxMessage
from siyu.core.errors import DomainError
from siyu.customers.models import Order
from siyu.db import transaction
from siyu.promotions import services as promotions
from siyu.segments import services as segments
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import render

router = APIRouter()
FIELDS = (
    "name",
    "purpose",
    "signature",
    "body",
    "audience",
    "coupon_template_id",
    "link_url",
    "holdout_pct",
    "attribution_days",
    "batch_size",
    "batch_interval_minutes",
    "event_id",
)
NUMBERS = {
    "holdout_pct": ("对照组比例", "hold-out %"),
    "attribution_days": ("归因天数", "attribution days"),
    "batch_size": ("每批人数", "batch size"),
    "batch_interval_minutes": ("批次间隔", "batch interval"),
}
NOTICES = {
    "created": "Draft saved.",
    "queued": "The campaign is queued.",
    "pause": "The campaign is paused.",
    "resume": "The campaign resumed.",
    "cancel": "The campaign is cancelled.",
}
ACTIONS = ("pause", "resume", "cancel")


def _defaults() -> dict[str, str]:
    return {
        "name": "",
        "purpose": "marketing",
        "signature": "",
        "body": "",
        "audience": "",
        "coupon_template_id": "",
        "link_url": "",
        "holdout_pct": "5",
        "attribution_days": "7",
        "batch_size": "30000",
        "batch_interval_minutes": "0",
        "event_id": "",
    }


def _form_of(campaign: Campaign) -> dict[str, str]:
    audience = ""
    if campaign.snapshot_id is not None:
        audience = f"s{campaign.snapshot_id}"
    elif campaign.audience_id is not None:
        audience = f"a{campaign.audience_id}"
    return {
        "name": campaign.name,
        "purpose": campaign.purpose,
        "signature": campaign.signature,
        "body": campaign.body,
        "audience": audience,
        "coupon_template_id": str(campaign.coupon_template_id or ""),
        "link_url": campaign.link_url,
        "holdout_pct": str(campaign.holdout_pct),
        "attribution_days": str(campaign.attribution_days),
        "batch_size": str(campaign.batch_size),
        "batch_interval_minutes": str(campaign.batch_interval_minutes),
        "event_id": str(campaign.event_id or ""),
    }


def _parse(form: dict[str, str], lang: str) -> tuple[services.CampaignSpec | None, dict[str, str]]:
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name, label in NUMBERS.items():
        value = form[name].strip()
        if not value.isdigit() or len(value) > 6:
            errors[name] = gettext(lang, "Enter a whole number.") + f"（{label[0] if lang == 'zh' else label[1]}）"
        else:
            numbers[name] = int(value)
    audience, snapshot = None, None
    picked = form["audience"]
    if picked[:1] in ("a", "s") and picked[1:].isdigit() and len(picked) < 12:
        audience, snapshot = (int(picked[1:]), None) if picked[0] == "a" else (None, int(picked[1:]))
    coupon = form["coupon_template_id"]
    event = form["event_id"]
    if errors:
        return None, errors
    spec = services.CampaignSpec(
        name=form["name"].strip(),
        signature=form["signature"].strip(),
        body=form["body"],
        purpose=form["purpose"] if form["purpose"] in domain.PURPOSES else "marketing",
        audience_id=audience,
        snapshot_id=snapshot,
        link_url=form["link_url"].strip(),
        coupon_template_id=int(coupon) if coupon.isdigit() and len(coupon) < 12 else None,
        holdout_pct=numbers["holdout_pct"],
        attribution_days=numbers["attribution_days"],
        batch_size=numbers["batch_size"],
        batch_interval_minutes=numbers["batch_interval_minutes"],
        event_id=int(event) if event.isdigit() and len(event) < 12 else None,
    )
    return spec, {}


def _choices(session: Session, shop_id: int) -> dict[str, Any]:
    return {
        "audiences": segments.list_audiences(session, shop_id=shop_id),
        "snapshots": segments.list_snapshots(session, shop_id=shop_id),
        "coupons": promotions.list_templates(session, shop_id=shop_id),
        "events": calendar.list_events(session, shop_id=shop_id),
    }


def _coupon_fen(session: Session, shop_id: int, template_id: str) -> int | None:
    if not template_id.isdigit() or len(template_id) > 11:
        return None
    for t in promotions.list_templates(session, shop_id=shop_id):
        if t.id == int(template_id):
            return t.reduction_fen or None
    return None


def _preview(session: Session, console: Console, form: dict[str, str]) -> services.Preview:
    return services.preview(
        session,
        shop_id=console.shop.id,
        channel="sms",
        signature=form.get("signature", "").strip(),
        body=form.get("body", ""),
        purpose=form.get("purpose", "marketing") if form.get("purpose") in domain.PURPOSES else "marketing",
        coupon_fen=_coupon_fen(session, console.shop.id, form.get("coupon_template_id", "")),
    )


def _composer(
    request: Request,
    console: Console,
    form: dict[str, str],
    *,
    campaign_id: int | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    with transaction(factory_of(request)) as session:
        choices = _choices(session, console.shop.id)
        shown = _preview(session, console, form)
    return render(
        request,
        "campaigns/compose.html",
        console=console,
        status_code=status_code,
        form=form,
        errors=errors or {},
        error=error,
        campaign_id=campaign_id,
        preview=shown,
        variables=domain.VARIABLES,
        **choices,
    )


@router.get("/campaigns")
def campaign_list(request: Request, console: ConsoleDep) -> Response:
    """The shop's campaigns, newest first, with their status, audience and queued / sent counts."""
    console.require("campaigns:view")
    with transaction(factory_of(request)) as session:
        campaigns = services.list_campaigns(session, shop_id=console.shop.id)
        ids = [c.id for c in campaigns]
        sent: dict[int, int] = {}
        if ids:
            sent = {
                int(cid or 0): int(n)
                for cid, n in session.execute(
                    select(OutboxMessage.campaign_id, func.count())
                    .where(OutboxMessage.campaign_id.in_(ids), OutboxMessage.status.in_(("sent", "delivered")))
                    .group_by(OutboxMessage.campaign_id)
                )
            }
        choices = _choices(session, console.shop.id)
    audiences = {a.id: a.name for a in choices["audiences"]}
    snapshots = {s.id: s.name for s in choices["snapshots"]}
    return render(
        request,
        "campaigns/index.html",
        console=console,
        campaigns=campaigns,
        sent=sent,
        audiences=audiences,
        snapshots=snapshots,
    )


@router.get("/campaigns/new")
def campaign_new(request: Request, console: ConsoleDep) -> Response:
    """An empty composer."""
    console.require("campaigns:manage")
    form = _defaults()
    event = request.query_params.get("event_id", "")
    if event.isdigit() and len(event) < 12:
        with transaction(factory_of(request)) as session:
            found = calendar.get_event(session, shop_id=console.shop.id, event_id=int(event))
            form.update(event_id=event, name=found.name)
    return _composer(request, console, form)


@router.post("/campaigns/preview")
async def campaign_preview(request: Request, console: PostDep) -> Response:
    """The composer's live preview: characters, parts, cost, the phone's notification and the lints."""
    console.require("campaigns:view")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in FIELDS}
    with transaction(factory_of(request)) as session:
        shown = _preview(session, console, form)
    return render(request, "campaigns/_preview.html", console=console, preview=shown)


async def _save(request: Request, console: Console, campaign_id: int | None) -> Response:
    console.require("campaigns:manage")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in FIELDS}
    spec, errors = _parse(form, console.lang)
    if spec is None:
        message = gettext(console.lang, "Some fields are not valid; see the marked fields.")
        return _composer(request, console, form, campaign_id=campaign_id, errors=errors, error=message, status_code=400)
    try:
        with transaction(factory_of(request), write=True) as session:
            if campaign_id is None:
                saved = services.create_campaign(session, by=console.principal.actor, spec=spec)
            else:
                saved = services.update_campaign(
                    session, by=console.principal.actor, campaign_id=campaign_id, spec=spec
                )
            saved_id = saved.id
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _composer(
            request, console, form, campaign_id=campaign_id, error=exc.message(console.lang), status_code=exc.status
        )
    return RedirectResponse(f"/campaigns/{saved_id}?done=created", status_code=303)


@router.post("/campaigns/new")
async def campaign_create(request: Request, console: PostDep) -> Response:
    """Save a new draft; invalid input comes back with the typed text kept."""
    return await _save(request, console, None)


@router.get("/campaigns/{campaign_id:int}/edit")
def campaign_edit(request: Request, console: ConsoleDep, campaign_id: int) -> Response:
    """The composer for a draft."""
    console.require("campaigns:manage")
    with transaction(factory_of(request)) as session:
        campaign = services.get_campaign(session, shop_id=console.shop.id, campaign_id=campaign_id)
        form = _form_of(campaign)
        status = campaign.status
    if status != "draft":
        return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)
    return _composer(request, console, form, campaign_id=campaign_id)


@router.post("/campaigns/{campaign_id:int}/edit")
async def campaign_update(request: Request, console: PostDep, campaign_id: int) -> Response:
    """Change a draft."""
    return await _save(request, console, campaign_id)


def _detail(
    request: Request, console: Console, campaign_id: int, *, error: str = "", status_code: int = 200
) -> Response:
    done = request.query_params.get("done", "")
    notice = gettext(console.lang, NOTICES[done]) if done in NOTICES and not error else ""
    with transaction(factory_of(request)) as session:
        campaign = services.get_campaign(session, shop_id=console.shop.id, campaign_id=campaign_id)
        choices = _choices(session, console.shop.id)
        estimate = None
        if campaign.status == "draft":
            try:
                estimate = services.estimate_campaign(session, shop_id=console.shop.id, campaign_id=campaign_id)
            except DomainError:
                estimate = None
        shown = _preview(session, console, _form_of(campaign))
        session.expunge(campaign)
    audience = next((a.name for a in choices["audiences"] if a.id == campaign.audience_id), "")
    snapshot = next((s.name for s in choices["snapshots"] if s.id == campaign.snapshot_id), "")
    coupon = next((t.name for t in choices["coupons"] if t.id == campaign.coupon_template_id), "")
    event = next((e for e in choices["events"] if e.id == campaign.event_id), None)
    event_year = calendar.to_local(event.starts_at, console.zone).year if event is not None else None
    now = datetime.now(console.zone).strftime("%Y-%m-%dT%H:%M")
    return render(
        request,
        "campaigns/detail.html",
        console=console,
        status_code=status_code,
        campaign=campaign,
        audience=audience,
        snapshot=snapshot,
        coupon=coupon,
        event=event,
        event_year=event_year,
        estimate=estimate,
        preview=shown,
        error=error,
        notice=notice,
        now=now,
    )


@router.get("/campaigns/{campaign_id:int}")
def campaign_detail(request: Request, console: ConsoleDep, campaign_id: int) -> Response:
    """A campaign: message, settings, lints, the estimate of a draft and what can be done with it now."""
    console.require("campaigns:view")
    return _detail(request, console, campaign_id)


@router.post("/campaigns/{campaign_id:int}/queue")
async def campaign_queue(request: Request, console: PostDep, campaign_id: int) -> Response:
    """Queue a draft now or at a shop-time moment; refusals (lints, no audience, state) show on the page."""
    console.require("campaigns:manage")
    raw = await request.form()
    when = str(raw.get("send_at") or "").strip()
    send_at = None
    if when:
        try:
            send_at = datetime.fromisoformat(when[:16]).replace(tzinfo=console.zone)
        except ValueError:
            return _detail(
                request, console, campaign_id, error=gettext(console.lang, "Enter a valid time."), status_code=400
            )
    try:
        with transaction(factory_of(request), write=True) as session:
            services.queue_campaign(session, by=console.principal.actor, campaign_id=campaign_id, send_at=send_at)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _detail(request, console, campaign_id, error=exc.message(console.lang), status_code=exc.status)
    return RedirectResponse(f"/campaigns/{campaign_id}?done=queued", status_code=303)


@router.post("/campaigns/{campaign_id:int}/{action}")
def campaign_change(request: Request, console: PostDep, campaign_id: int, action: str) -> Response:
    """Pause, resume or cancel."""
    console.require("campaigns:manage")
    if action not in ACTIONS:
        return _detail(request, console, campaign_id, error=gettext(console.lang, "Unknown action."), status_code=404)
    try:
        with transaction(factory_of(request), write=True) as session:
            services.change_campaign(session, by=console.principal.actor, campaign_id=campaign_id, action=action)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _detail(request, console, campaign_id, error=exc.message(console.lang), status_code=exc.status)
    return RedirectResponse(f"/campaigns/{campaign_id}?done={action}", status_code=303)


def _series(session: Session, campaign: Campaign, results: queries.CampaignResults, zone: Any) -> dict[str, Any]:
    """Sent, delivered, clicked and orders of the target arm per shop-time day (per hour when everything
    happened within one day), read from the outbox, the link clicks and the orders; read-only."""
    moments: dict[str, list[datetime]] = {"sent": [], "delivered": [], "clicked": [], "orders": []}
    for sent_at, delivered_at in session.execute(
        select(OutboxMessage.sent_at, OutboxMessage.delivered_at).where(OutboxMessage.campaign_id == campaign.id)
    ):
        if sent_at is not None:
            moments["sent"].append(sent_at)
        if delivered_at is not None:
            moments["delivered"].append(delivered_at)
    moments["clicked"] = [
        at for (at,) in session.execute(select(LinkClick.at).where(LinkClick.campaign_id == campaign.id))
    ]
    if results.window_start is not None and results.window_end is not None:
        targets = select(CampaignRecipient.customer_id).where(
            CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.arm == "target"
        )
        moments["orders"] = [
            at
            for (at,) in session.execute(
                select(Order.ordered_at).where(
                    Order.shop_id == campaign.shop_id,
                    Order.is_paid.is_(True),
                    Order.ordered_at >= results.window_start,
                    Order.ordered_at < results.window_end,
                    Order.customer_id.in_(targets),
                )
            )
        ]
    local = [at.astimezone(zone) for values in moments.values() for at in values]
    hourly = len({at.date() for at in local}) == 1
    shape = "%m-%d %H:00" if hourly else "%Y-%m-%d"
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(moments, 0))
    for key, values in moments.items():
        for at in values:
            counts[at.astimezone(zone).strftime(shape)][key] += 1
    labels = sorted(counts)
    return {"days": labels, "hourly": hourly, **{key: [counts[d][key] for d in labels] for key in moments}}


@router.get("/campaigns/{campaign_id:int}/results")
def campaign_results(request: Request, console: ConsoleDep, campaign_id: int) -> Response:
    """Sent, delivered, failed, clicked, opted out, orders, GMV, cost, ROI, conversion and the increment."""
    console.require("campaigns:view")
    with transaction(factory_of(request)) as session:
        campaign = services.get_campaign(session, shop_id=console.shop.id, campaign_id=campaign_id)
        found = queries.campaign_results(session, campaign=campaign)
        series = _series(session, campaign, found, console.zone)
        session.expunge(campaign)
    text = {
        "sent": gettext(console.lang, "Sent"),
        "delivered": gettext(console.lang, "Delivered"),
        "clicked": gettext(console.lang, "Clicked"),
        "orders": gettext(console.lang, "Orders"),
    }
    return render(
        request,
        "campaigns/results.html",
        console=console,
        campaign=campaign,
        results=found,
        series=series,
        chart_text=text,
    )
