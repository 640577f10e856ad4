"""Jinja2 environment of the console and the one function that renders a page or a fragment."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from siyu.api.deps import lang_of
from siyu.core.money import format_yuan
from siyu.web import i18n
from siyu.web.context import CSRF_FIELD, Console, csrf_token
from siyu.web.navigation import nav_for

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def _asset_version() -> str:
    """A cache-buster for our own CSS/JS: the newest modification time of the static folder."""
    try:
        return str(int(max(p.stat().st_mtime for p in STATIC.rglob("*") if p.is_file())))
    except ValueError:
        return "0"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["yuan"] = format_yuan
    env.globals["asset_version"] = _asset_version()
    env.globals["csrf_field_name"] = CSRF_FIELD
    env.filters["compact_json"] = lambda v: "" if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True)
    return env


def render(
    request: Request,
    template: str,
    *,
    console: Console | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with the console's helpers bound to the request's language and shop time zone."""
    lang = console.lang if console is not None else lang_of(request)
    zone = console.zone if console is not None else ZoneInfo("Asia/Shanghai")

    def dt(value: datetime | None, with_time: bool = True) -> str:
        return i18n.format_datetime(value, lang, zone, with_time=with_time)

    def day(value: date | None) -> str:
        return i18n.format_date(value, lang)

    values: dict[str, Any] = {
        "request": request,
        "console": console,
        "lang": lang,
        "_": lambda key, **kw: i18n.gettext(lang, key, **kw),
        "num": lambda n: i18n.format_number(n, lang),
        "pct": lambda f: i18n.format_percent(f, lang),
        "size": lambda n: i18n.format_bytes(n, lang),
        "dt": dt,
        "day": day,
        "pick": lambda pair: i18n.pick(pair, lang),
        "csrf": csrf_token(request) if console is not None else request.session.get("csrf", ""),
        "nav": nav_for(console) if console is not None else [],
        "path": request.url.path,
        "here": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
    }
    values.update(context)
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
