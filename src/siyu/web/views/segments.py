"""RFM analysis (人群分析): the 8 segments, the R×F heat map, the drill-down with its export, the stages,
and the shop's RFM and stage settings (SPEC §2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from siyu.db import transaction
from siyu.segments import rfm
from siyu.segments.domain import SEGMENT_BY_CODE, RfmSettings, StageSettings
from siyu.segments.errors import UnknownSegment
from siyu.segments.exports import rfm_segment_xlsx
from siyu.segments.services import save_settings
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import render

router = APIRouter()
PAGE_SIZE = 50

# What each settings field must be, in words (the i18n key shown when it is not).
SETTING_RULES: dict[str, str] = {
    "window_days": "Window: whole days from 1 to 3650.",
    "score_mode": "Choose a scoring mode.",
    "r_cuts_days": "R cut points: 4 different whole numbers of days, largest first.",
    "f_cuts": "F cut points: 4 different whole numbers of orders, smallest first.",
    "m_cuts_fen": "M cut points: 4 different amounts in yuan, smallest first.",
    "split_mode": "Choose how high and low are split.",
    "score_threshold": "Score threshold: a whole number from 2 to 5.",
    "r_high_max_days": "Recent means at most this many days (0 or more).",
    "f_high_min": "Frequent means at least this many orders (1 or more).",
    "m_high_min_fen": "High spend means at least this amount in yuan (0 or more).",
    "recency_days": "Lifecycle boundaries: 5 different whole numbers of days, ascending.",
    "frequency_min": "Loyalty boundaries: 5 different order counts, ascending, starting at 1 or more.",
}


def settings_form(rfm_settings: RfmSettings, stages: StageSettings) -> dict[str, str]:
    """The settings as the form shows them (amounts in yuan, lists comma-separated)."""

    def join(values: list[int]) -> str:
        return ", ".join(str(v) for v in values)

    def yuan(fen: int) -> str:
        return f"{fen / 100:g}"

    return {
        "window_days": str(rfm_settings.window_days),
        "score_mode": rfm_settings.score_mode,
        "r_cuts_days": join(rfm_settings.r_cuts_days),
        "f_cuts": join(rfm_settings.f_cuts),
        "m_cuts_fen": ", ".join(yuan(v) for v in rfm_settings.m_cuts_fen),
        "split_mode": rfm_settings.split_mode,
        "score_threshold": str(rfm_settings.score_threshold),
        "r_high_max_days": str(rfm_settings.r_high_max_days),
        "f_high_min": str(rfm_settings.f_high_min),
        "m_high_min_fen": yuan(rfm_settings.m_high_min_fen),
        "recency_days": join(stages.recency_days),
        "frequency_min": join(stages.frequency_min),
    }


def _int(text: str) -> int:
    return int(text.strip())


def _fen(text: str) -> int:
    value = float(text.strip().replace("¥", "").replace(",", ""))
    if value != value or abs(value) > 1e12:  # NaN or absurd
        raise ValueError(text)
    return round(value * 100)


def _ints(text: str, convert: Any = _int) -> list[int]:
    parts = [p for p in text.replace("，", ",").replace(" ", ",").split(",") if p.strip()]
    return [convert(p) for p in parts]


def parse_settings(form: dict[str, str]) -> tuple[RfmSettings | None, StageSettings | None, dict[str, str]]:
    """Both settings models from the form; ``errors`` maps a field to the i18n key of its rule."""
    errors: dict[str, str] = {}
    raw_rfm: dict[str, Any] = {}
    raw_stages: dict[str, Any] = {}
    readers: dict[str, Any] = {
        "window_days": _int,
        "score_mode": str.strip,
        "r_cuts_days": _ints,
        "f_cuts": _ints,
        "m_cuts_fen": lambda t: _ints(t, _fen),
        "split_mode": str.strip,
        "score_threshold": _int,
        "r_high_max_days": _int,
        "f_high_min": _int,
        "m_high_min_fen": _fen,
        "recency_days": _ints,
        "frequency_min": _ints,
    }
    for name, read in readers.items():
        try:
            value = read(form.get(name, ""))
        except ValueError:
            errors[name] = SETTING_RULES[name]
            continue
        (raw_stages if name in ("recency_days", "frequency_min") else raw_rfm)[name] = value
    parsed: list[Any] = []
    for model, raw in ((RfmSettings, raw_rfm), (StageSettings, raw_stages)):
        try:
            parsed.append(model.model_validate(raw))
        except ValidationError as exc:
            parsed.append(None)
            for error in exc.errors():
                loc = [str(p) for p in error.get("loc", ())]
                field = loc[0] if loc else next((n for n in SETTING_RULES if n in str(error.get("msg", ""))), "")
                if field in SETTING_RULES:
                    errors.setdefault(field, SETTING_RULES[field])
                else:  # a model rule naming no field: show all of this model's list rules
                    for name in raw:
                        errors.setdefault(name, SETTING_RULES[name])
    if errors:
        return None, None, errors
    return parsed[0], parsed[1], {}


def _rfm_page(request: Request, console: Console, **extra: Any) -> Response:
    with transaction(factory_of(request)) as session:
        report = rfm.rfm_report(session, shop_id=console.shop.id)
        rfm_settings, stages = rfm.load_settings(session, console.shop.id)
    chart = {
        "matrix": [[c.f_score, c.r_score, c.customers, c.spend_fen] for c in report.matrix],
        "text": {
            "r": gettext(console.lang, "R score (recency)"),
            "f": gettext(console.lang, "F score (frequency)"),
            "customers": gettext(console.lang, "Customers"),
            "spend": gettext(console.lang, "Spend"),
            "lang": console.lang,
        },
    }
    context: dict[str, Any] = {
        "report": report,
        "chart": chart,
        "form": settings_form(rfm_settings, stages),
        "errors": {},
        "notice": "",
    }
    context.update(extra)
    status = context.pop("status_code", 200)
    return render(request, "segments/rfm.html", console=console, status_code=status, **context)


@router.get("/segments")
def rfm_page(request: Request, console: ConsoleDep, saved: int = 0) -> Response:
    """The 8 RFM segments with their figures, the R×F heat map and (for managers) the settings."""
    console.require("segments:view")
    return _rfm_page(request, console, notice=gettext(console.lang, "Settings saved.") if saved else "")


@router.post("/segments/settings")
async def rfm_settings_save(request: Request, console: PostDep) -> Response:
    """Save the RFM and stage settings; invalid fields come back with their rule in the reader's language."""
    console.require("segments:manage")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    rfm_settings, stages, errors = parse_settings(form)
    if rfm_settings is None or stages is None:
        shown = {name: gettext(console.lang, key) for name, key in errors.items()}
        return _rfm_page(request, console, status_code=400, form=form, errors=shown, open_settings=True)
    with transaction(factory_of(request), write=True) as session:
        save_settings(session, by=console.principal, rfm=rfm_settings, stages=stages)
    return RedirectResponse("/segments?saved=1#settings", status_code=303)


@router.get("/segments/rfm/{code}")
def rfm_segment(request: Request, console: ConsoleDep, code: str, page: int = 1) -> Response:
    """One segment's customers, best spenders first, 50 a page, phones masked."""
    console.require("segments:view")
    segment = SEGMENT_BY_CODE.get(code)
    if segment is None:
        raise UnknownSegment(code)
    page = max(1, page)
    with transaction(factory_of(request)) as session:
        total, rows = rfm.rfm_customers(
            session, shop_id=console.shop.id, segment=code, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "segments/drill.html",
        console=console,
        segment=segment,
        total=total,
        rows=rows,
        page=page,
        pages=pages,
    )


@router.get("/segments/rfm/{code}/export.xlsx")
def rfm_segment_export(request: Request, console: ConsoleDep, code: str) -> Response:
    """Excel of one segment's customers (phones masked; the export is audited by the service)."""
    console.require("segments:view")
    if code not in SEGMENT_BY_CODE:
        raise UnknownSegment(code)
    with transaction(factory_of(request), write=True) as session:
        body = rfm_segment_xlsx(session, by=console.principal, segment=code, lang=console.lang)
    stamp = datetime.now(console.zone).strftime("%Y%m%d-%H%M")
    name = f"rfm-{code}-{console.shop.code}-{stamp}.xlsx"
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/segments/stages")
def stages_page(request: Request, console: ConsoleDep) -> Response:
    """Customers per lifecycle stage, loyalty stage and monetary level."""
    console.require("segments:view")
    with transaction(factory_of(request)) as session:
        counts = rfm.stage_report(session, shop_id=console.shop.id)
        _rfm, stages = rfm.load_settings(session, console.shop.id)
    lang = console.lang
    groups: list[dict[str, Any]] = []
    for kind, title in (("lifecycle", "Lifecycle stage"), ("loyalty", "Loyalty stage"), ("monetary", "Spending level")):
        items = [c for c in counts if c.kind == kind]
        total = sum(c.customers for c in items)
        groups.append(
            {
                "kind": kind,
                "title": title,
                "total": total,
                "items": [
                    {
                        "code": c.code or "none",
                        "name": gettext(lang, "No purchase in the window")
                        if kind == "monetary" and not c.code
                        else (c.zh if lang == "zh" else c.en),
                        "customers": c.customers,
                        "share": (c.customers / total) if total else None,
                    }
                    for c in items
                ],
            }
        )
    chart = {
        "groups": [
            {
                "kind": g["kind"],
                "names": [i["name"] for i in g["items"]],
                "values": [i["customers"] for i in g["items"]],
            }
            for g in groups
        ],
        "text": {"customers": gettext(lang, "Customers"), "lang": lang},
    }
    return render(request, "segments/stages.html", console=console, groups=groups, chart=chart, stages=stages)
