"""Who is looking at the console: the signed-in staff member, their shop, language and CSRF token.

The staff row is re-read on every request, so a disabled account (or one whose permissions just
changed) takes effect at once.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from siyu.api.deps import lang_of
from siyu.core.errors import DomainError, PermissionDenied
from siyu.db import transaction
from siyu.shops.models import Shop, Staff
from siyu.shops.services import Principal, principal_for_staff

SESSION_STAFF = "staff_id"
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """Raised by page dependencies when nobody (or a disabled account) is signed in."""


class CsrfRejected(DomainError):
    code = "csrf_rejected"
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "页面已过期或请求来源无效，请刷新页面后重试",
            "the page expired or the request was forged; reload and try again",
        )


@dataclass(frozen=True, slots=True)
class Console:
    """Everything a console page needs to know about the person looking at it."""

    staff: Staff
    shop: Shop
    principal: Principal
    lang: str
    csrf: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.shop.timezone or "Asia/Shanghai")

    def allows(self, permission: str) -> bool:
        return self.principal.allows(permission)

    def require(self, permission: str) -> None:
        if not self.allows(permission):
            raise PermissionDenied(permission)


def factory_of(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def load_console(request: Request) -> Console | None:
    """The signed-in console user, or ``None`` (the session is cleared when the account is gone or disabled)."""
    staff_id = request.session.get(SESSION_STAFF)
    if not isinstance(staff_id, int):
        return None
    with transaction(factory_of(request)) as session:
        staff = session.get(Staff, staff_id)
        shop = session.get(Shop, staff.shop_id) if staff is not None else None
    if staff is None or shop is None or not staff.is_active:
        request.session.clear()
        return None
    return Console(staff, shop, principal_for_staff(staff), lang_of(request), csrf_token(request))


def current_console(request: Request) -> Console:
    console = load_console(request)
    if console is None:
        raise LoginRequired()
    return console


async def check_csrf(request: Request) -> None:
    """Every console POST carries the session's token, as a form field or (htmx, XHR) a header."""
    expected = request.session.get(SESSION_CSRF)
    given = request.headers.get(CSRF_HEADER, "")
    if not given:
        form = await request.form()
        value = form.get(CSRF_FIELD, "")
        given = value if isinstance(value, str) else ""
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(given, expected):
        raise CsrfRejected()


async def posting_console(request: Request) -> Console:
    console = current_console(request)
    await check_csrf(request)
    return console


ConsoleDep = Annotated[Console, Depends(current_console)]
PostDep = Annotated[Console, Depends(posting_console)]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths are followed after login or a language switch (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
