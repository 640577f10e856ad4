"""Friendly error pages in the reader's language (403, 404, business errors); the API keeps JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from siyu.api.deps import lang_of
from siyu.core.errors import DomainError
from siyu.web.context import Console, load_console
from siyu.web.templating import is_htmx, render

TITLES = {403: "No permission", 404: "Not found", 405: "Method not allowed"}


def _console_or_none(request: Request) -> Console | None:
    # The error page keeps the navigation when someone is signed in; it must never fail itself.
    try:
        return load_console(request) if "session" in request.scope else None
    except Exception:
        return None


def render_domain_error(request: Request, exc: DomainError) -> HTMLResponse:
    """A business error (permission, not found, invalid input…) as a page in the current language."""
    lang = lang_of(request)
    title = TITLES.get(exc.status, "Something went wrong")
    return render(
        request,
        "error.html",
        console=_console_or_none(request),
        status_code=exc.status,
        title_key=title,
        message=exc.message(lang),
        status=exc.status,
    )


async def render_http_error(request: Request, exc: Any) -> Response:
    """Unknown pages and other HTTP errors: JSON under /api, a page elsewhere."""
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith("/api/") or request.url.path.startswith("/static/"):
        return await http_exception_handler(request, exc)
    if exc.status_code == 404:
        title, message_key = "Page not found", "The page you asked for does not exist."
    else:
        title, message_key = TITLES.get(exc.status_code, "Error"), ""
    console = _console_or_none(request)
    lang = console.lang if console else lang_of(request)
    from siyu.web import i18n

    return render(
        request,
        "error.html",
        console=console,
        status_code=exc.status_code,
        title_key=title,
        message=i18n.gettext(lang, message_key) if message_key else str(exc.detail),
        status=exc.status_code,
    )


async def send_to_login(request: Request, exc: Exception) -> Response:
    """Pages need a signed-in staff member: go to the login page and come back afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/login?next=" + quote(target, safe="/")
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": location})
    if request.method != "GET":
        location = "/login?expired=1"
    return RedirectResponse(location, status_code=303)
