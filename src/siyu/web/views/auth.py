"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from siyu.api.deps import lang_of
from siyu.core.errors import DomainError
from siyu.db import transaction
from siyu.shops.services import Principal, authenticate, principal_for_staff
from siyu.web.context import (
    SESSION_CSRF,
    SESSION_STAFF,
    PostDep,
    check_csrf,
    csrf_token,
    factory_of,
    load_console,
    safe_next,
)
from siyu.web.i18n import LANGS
from siyu.web.navigation import NAV
from siyu.web.templating import render

router = APIRouter()
LANG_COOKIE = "siyu_lang"


@router.get("/login")
def login_page(request: Request, next: str = "", expired: int = 0, bye: int = 0) -> Response:
    """The login form (a signed-in visitor goes straight on)."""
    if load_console(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    csrf_token(request)
    notice = "Your session has ended, please log in again." if expired else ("You have logged out." if bye else "")
    return render(request, "login.html", next=safe_next(next, ""), notice=notice, error="", username="")


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the staff password (argon2) and start a console session."""
    await check_csrf(request)
    try:
        with transaction(factory_of(request), write=True) as session:
            staff = authenticate(session, username=username.strip(), password=password)
            principal = principal_for_staff(staff)
    except DomainError as exc:
        return render(
            request,
            "login.html",
            status_code=exc.status,
            next=safe_next(next, ""),
            notice="",
            error=exc.message(lang_of(request)),
            username=username,
        )
    # A fresh session on login: nothing from before the login survives (session fixation).
    request.session.clear()
    request.session[SESSION_STAFF] = staff.id
    csrf_token(request)
    default = next_page(principal)
    return RedirectResponse(safe_next(next, default), status_code=303)


def next_page(principal: Principal) -> str:
    for entry in NAV:
        if principal.allows(entry.permission):
            return entry.href
    return "/"


@router.post("/logout")
def logout(request: Request, console: PostDep) -> Response:
    """End the console session."""
    request.session.pop(SESSION_STAFF, None)
    request.session.pop(SESSION_CSRF, None)
    return RedirectResponse("/login?bye=1", status_code=303)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """Remember the console language (zh-CN default, English) in a cookie."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGS:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=False)
    return response
