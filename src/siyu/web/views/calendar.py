"""The campaign calendar (营销日历): the year's events with the SMS waves and reach the seed advises, forms to
plan, change and remove events, and the per-customer yearly coverage of marketing SMS (issue #4)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from siyu.campaigns import calendar, planning
from siyu.core.errors import DomainError
from siyu.db import transaction
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import render

router = APIRouter()
FIELDS = ("name", "kind", "festival", "starts_at", "ends_at", "note")
NOTICES = {
    "created": "The event is on the calendar.",
    "updated": "The event was changed.",
    "deleted": "The event was removed; its campaigns stay.",
}
WEEKDAYS_ZH = "一二三四五六日"


def when(moment: datetime | None, lang: str) -> str:
    """A shop-local wall-clock time with its weekday (周五 12-11 19:00 / Fri 12-11 19:00)."""
    if moment is None:
        return ""
    weekday = f"周{WEEKDAYS_ZH[moment.weekday()]}" if lang == "zh" else moment.strftime("%a")
    return f"{moment:%Y-%m-%d} {weekday} {moment:%H:%M}"


def _defaults(today: date, festival: str = "") -> dict[str, str]:
    form = {"name": "", "kind": "medium", "festival": "", "starts_at": "", "ends_at": "", "note": ""}
    if festival in planning.FESTIVALS:
        start = calendar.festival_start(festival, today)
        form.update(
            name=f"{planning.FESTIVALS[festival][0]} {start.year}",
            kind="big",
            festival=festival,
            starts_at=start.strftime("%Y-%m-%dT%H:%M"),
        )
    return form


def _parse(form: dict[str, str], lang: str) -> tuple[calendar.EventSpec | None, dict[str, str]]:
    errors: dict[str, str] = {}
    moments: dict[str, datetime | None] = {}
    for name in ("starts_at", "ends_at"):
        value = form[name].strip()
        if not value:
            moments[name] = None
            if name == "starts_at":
                errors[name] = gettext(lang, "Enter the start time.")
            continue
        try:
            moments[name] = datetime.fromisoformat(value[:16])
        except ValueError:
            errors[name] = gettext(lang, "Enter a valid time.")
    if errors:
        return None, errors
    start = moments["starts_at"]
    assert start is not None
    spec = calendar.EventSpec(
        name=form["name"],
        kind=form["kind"],
        starts_at=start,
        ends_at=moments["ends_at"],
        festival=form["festival"],
        note=form["note"],
    )
    return spec, {}


def _form_of(event: Any, zone: Any) -> dict[str, str]:
    ends = calendar.to_local(event.ends_at, zone).strftime("%Y-%m-%dT%H:%M") if event.ends_at else ""
    return {
        "name": event.name,
        "kind": event.kind,
        "festival": event.festival,
        "starts_at": calendar.to_local(event.starts_at, zone).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": ends,
        "note": event.note,
    }


def _year_of(request: Request, console: Console) -> int:
    raw = request.query_params.get("year", "")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return datetime.now(console.zone).year


def _page(
    request: Request,
    console: Console,
    *,
    year: int,
    form: dict[str, str],
    editing: int | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    done = request.query_params.get("done", "")
    notice = gettext(console.lang, NOTICES[done]) if done in NOTICES and not error else ""
    with transaction(factory_of(request)) as session:
        events = calendar.list_events(session, shop_id=console.shop.id, year=year)
        plans = calendar.event_plans(session, shop_id=console.shop.id, events=events)
        quiet = calendar.quiet_hours(session, console.shop.id)
        customers = calendar.marketable_customers(session, console.shop.id)
        for plan in plans:
            session.expunge(plan.event)
            for campaign in plan.campaigns:
                session.expunge(campaign)
    return render(
        request,
        "calendar/index.html",
        console=console,
        status_code=status_code,
        year=year,
        plans=plans,
        form=form,
        editing=editing,
        errors=errors or {},
        error=error,
        notice=notice,
        kinds=planning.EVENT_KINDS,
        festivals=planning.FESTIVALS,
        quiet=f"{quiet[0]:%H:%M}–{quiet[1]:%H:%M}",
        customers=customers,
        when=lambda moment: when(moment, console.lang),
    )


@router.get("/calendar")
def calendar_page(request: Request, console: ConsoleDep) -> Response:
    """The year's events by start, each with its waves, reach and the campaigns that prepare it; the form
    to plan an event (``?festival=618`` fills it for the next 618)."""
    console.require("campaigns:view")
    today = datetime.now(console.zone).date()
    form = _defaults(today, request.query_params.get("festival", ""))
    return _page(request, console, year=_year_of(request, console), form=form)


async def _save(request: Request, console: Console, event_id: int | None) -> Response:
    console.require("campaigns:manage")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in FIELDS}
    year = _year_of(request, console)
    spec, errors = _parse(form, console.lang)
    if spec is None:
        message = gettext(console.lang, "Some fields are not valid; see the marked fields.")
        return _page(
            request, console, year=year, form=form, editing=event_id, errors=errors, error=message, status_code=400
        )
    try:
        with transaction(factory_of(request), write=True) as session:
            if event_id is None:
                saved = calendar.create_event(session, by=console.principal.actor, spec=spec)
            else:
                saved = calendar.update_event(session, by=console.principal.actor, event_id=event_id, spec=spec)
            saved_year = calendar.to_local(saved.starts_at, console.zone).year
            saved_id = saved.id
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _page(
            request,
            console,
            year=year,
            form=form,
            editing=event_id,
            error=exc.message(console.lang),
            status_code=400,
        )
    done = "created" if event_id is None else "updated"
    # no #fragment: the notice at the top stays in view (the sticky bar would cover it)
    return RedirectResponse(f"/calendar?year={saved_year}&done={done}&event={saved_id}", status_code=303)


@router.post("/calendar/events")
async def event_create(request: Request, console: PostDep) -> Response:
    """Plan an event; bad input comes back with the typed values kept."""
    return await _save(request, console, None)


@router.get("/calendar/events/{event_id:int}/edit")
def event_edit(request: Request, console: ConsoleDep, event_id: int) -> Response:
    """The calendar with the form filled with one event to change it."""
    console.require("campaigns:manage")
    with transaction(factory_of(request)) as session:
        event = calendar.get_event(session, shop_id=console.shop.id, event_id=event_id)
        form = _form_of(event, console.zone)
        year = calendar.to_local(event.starts_at, console.zone).year
    return _page(request, console, year=year, form=form, editing=event_id)


@router.post("/calendar/events/{event_id:int}/edit")
async def event_update(request: Request, console: PostDep, event_id: int) -> Response:
    return await _save(request, console, event_id)


@router.post("/calendar/events/{event_id:int}/delete")
def event_delete(request: Request, console: PostDep, event_id: int) -> Response:
    """Remove an event; the campaigns that prepared it keep everything but the link."""
    console.require("campaigns:manage")
    with transaction(factory_of(request), write=True) as session:
        event = calendar.get_event(session, shop_id=console.shop.id, event_id=event_id)
        year = calendar.to_local(event.starts_at, console.zone).year
        calendar.delete_event(session, by=console.principal.actor, event_id=event_id)
    return RedirectResponse(f"/calendar?year={year}&done=deleted", status_code=303)


@router.get("/calendar/coverage")
def coverage_page(request: Request, console: ConsoleDep) -> Response:
    """How many marketing SMS each customer received in the last 365 days, against the minimum of 5."""
    console.require("campaigns:view")
    with transaction(factory_of(request)) as session:
        found = calendar.yearly_coverage(session, shop_id=console.shop.id)
    chart = {
        "labels": [label for label, _ in found.buckets],
        "customers": [n for _, n in found.buckets],
        "minimum": found.minimum,
        "name": gettext(console.lang, "Customers"),
        "axis": gettext(console.lang, "Marketing SMS in the last 365 days"),
    }
    return render(request, "calendar/coverage.html", console=console, coverage=found, chart=chart)
