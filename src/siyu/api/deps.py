"""Dependencies shared by API routes: the unit-of-work session and the authenticated principal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from siyu.core.errors import NotAuthenticated, PermissionDenied
from siyu.db import transaction
from siyu.shops.services import Principal, principal_for_token


def get_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    Requests that may change data (anything but GET/HEAD) begin as writers (see siyu.db.transaction).
    """
    with transaction(get_factory(request), write=request.method not in ("GET", "HEAD")) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
FactoryDep = Annotated[sessionmaker[Session], Depends(get_factory)]


def get_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated()
    with transaction(get_factory(request)) as session:
        principal = principal_for_token(session, token.strip())
    if principal is None:
        raise NotAuthenticated()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require(permission: str) -> Callable[[Principal], Principal]:
    """A dependency that admits only principals holding ``permission``."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.allows(permission):
            raise PermissionDenied(permission)
        return principal

    check.__name__ = f"require_{permission.replace(':', '_')}"
    return check


def lang_of(request: Request) -> str:
    """'zh' or 'en' from the console cookie or the Accept-Language header."""
    cookie = request.cookies.get("siyu_lang")
    if cookie in ("zh", "en"):
        return cookie
    accept = request.headers.get("accept-language", "").lower()
    if accept.startswith("en"):
        return "en"
    return "zh"
