"""Staff accounts and per-area permissions, API tokens, and the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from siyu.audit.queries import recent_entries
from siyu.core.errors import DomainError
from siyu.db import transaction
from siyu.shops import services
from siyu.shops.domain import AREAS, LEVELS, SPECIAL
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.templating import render

router = APIRouter()
AUDIT_PAGE = 100


def permission_grid(console: Console, granted: list[str] | set[str]) -> dict[str, Any]:
    """Rows of the area × level checkbox grid, plus the special grants; only what the editor holds is editable."""
    granted = set(granted)
    rows = [
        {
            "area": area,
            "label": names,
            "cells": [
                {
                    "perm": f"{area}:{level}",
                    "checked": f"{area}:{level}" in granted,
                    "can": console.allows(f"{area}:{level}"),
                }
                for level in LEVELS
            ],
        }
        for area, names in AREAS.items()
    ]
    special = [
        {"perm": perm, "label": names, "checked": perm in granted, "can": console.allows(perm)}
        for perm, names in SPECIAL.items()
    ]
    return {"rows": rows, "special": special}


async def _form(request: Request) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    perms = [v for v in form.getlist("perm") if isinstance(v, str)]
    return fields, perms


def _staff_page(request: Request, console: Console, **extra: Any) -> Response:
    with transaction(factory_of(request)) as session:
        accounts = services.list_staff(session, shop_id=console.shop.id)
    context: dict[str, Any] = {
        "accounts": accounts,
        "grid": permission_grid(console, extra.pop("granted", [])),
        "form": extra.pop("form", {}),
        "error": "",
        "notice": "",
    }
    context.update(extra)
    return render(request, "staff/list.html", console=console, **context)


@router.get("/staff")
def staff_list(request: Request, console: ConsoleDep, created: str = "") -> Response:
    """The shop's accounts; managers also get the form for a new sub-account."""
    console.require("staff:view")
    notice = console_text(console, "Sub-account {name} created.", name=created) if created else ""
    return _staff_page(request, console, notice=notice)


def console_text(console: Console, key: str, **values: object) -> str:
    from siyu.web.i18n import gettext

    return gettext(console.lang, key, **values)


@router.post("/staff")
async def staff_create(request: Request, console: PostDep) -> Response:
    """Create a sub-account (子账号) with the ticked permissions."""
    console.require("staff:manage")
    fields, perms = await _form(request)
    username = fields.get("username", "").strip()
    try:
        with transaction(factory_of(request), write=True) as session:
            services.create_sub_account(
                session,
                by=console.principal,
                username=username,
                display_name=fields.get("display_name", ""),
                password=fields.get("password", ""),
                permissions=perms,
            )
    except DomainError as exc:
        return _staff_page(
            request,
            console,
            status_code=exc.status,
            error=exc.message(console.lang),
            form={"username": username, "display_name": fields.get("display_name", "")},
            granted=perms,
        )
    return RedirectResponse(f"/staff?created={username}", status_code=303)


def _edit_page(request: Request, console: Console, staff_id: int, **extra: Any) -> Response:
    with transaction(factory_of(request)) as session:
        account = services.get_staff(session, shop_id=console.shop.id, staff_id=staff_id)
    granted = extra.pop("granted", None)
    context: dict[str, Any] = {
        "account": account,
        "grid": permission_grid(console, account.permissions if granted is None else granted),
        "error": "",
        "notice": "",
    }
    context.update(extra)
    status = context.pop("status_code", 200)
    return render(request, "staff/edit.html", console=console, status_code=status, **context)


@router.get("/staff/{staff_id}")
def staff_edit(request: Request, console: ConsoleDep, staff_id: int, saved: int = 0) -> Response:
    """Permissions of one account."""
    console.require("staff:view")
    return _edit_page(request, console, staff_id, notice=console_text(console, "Saved.") if saved else "")


@router.post("/staff/{staff_id}")
async def staff_save(request: Request, console: PostDep, staff_id: int) -> Response:
    """Save the permission grid and the active flag of a sub-account (audited by the service)."""
    console.require("staff:manage")
    fields, perms = await _form(request)
    try:
        with transaction(factory_of(request), write=True) as session:
            services.set_permissions(
                session,
                by=console.principal,
                staff_id=staff_id,
                permissions=perms,
                is_active=fields.get("is_active") == "1",
            )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _edit_page(
            request, console, staff_id, status_code=exc.status, error=exc.message(console.lang), granted=perms
        )
    return RedirectResponse(f"/staff/{staff_id}?saved=1", status_code=303)


def _tokens_page(request: Request, console: Console, **extra: Any) -> Response:
    with transaction(factory_of(request)) as session:
        tokens = services.list_api_tokens(session, shop_id=console.shop.id)
    context: dict[str, Any] = {
        "tokens": list(reversed(tokens)),
        "grid": permission_grid(console, extra.pop("granted", [])),
        "error": "",
        "notice": "",
        "secret": "",
    }
    no_store = bool(extra.pop("no_store", False))
    context.update(extra)
    status = context.pop("status_code", 200)
    headers = {"Cache-Control": "no-store"} if no_store else None
    return render(request, "staff/tokens.html", console=console, status_code=status, headers=headers, **context)


@router.get("/tokens")
def token_list(request: Request, console: ConsoleDep, revoked: int = 0) -> Response:
    """The shop's API tokens."""
    console.require("staff:view")
    return _tokens_page(request, console, notice=console_text(console, "Token revoked.") if revoked else "")


@router.post("/tokens")
async def token_create(request: Request, console: PostDep) -> Response:
    """Create an API token; its secret is shown on this response only."""
    console.require("staff:manage")
    fields, perms = await _form(request)
    try:
        with transaction(factory_of(request), write=True) as session:
            token, secret = services.create_api_token(
                session, by=console.principal, name=fields.get("name", ""), permissions=perms
            )
            name = token.name
    except DomainError as exc:
        return _tokens_page(request, console, status_code=exc.status, error=exc.message(console.lang), granted=perms)
    return _tokens_page(
        request,
        console,
        status_code=201,
        secret=secret,
        notice=console_text(console, "Token {name} created.", name=name),
        no_store=True,
    )


@router.post("/tokens/{token_id}/revoke")
def token_revoke(request: Request, console: PostDep, token_id: int) -> Response:
    """Revoke an API token at once."""
    console.require("staff:manage")
    with transaction(factory_of(request), write=True) as session:
        services.revoke_api_token(session, by=console.principal, token_id=token_id)
    return RedirectResponse("/tokens?revoked=1", status_code=303)


@router.get("/audit")
def audit_log(request: Request, console: ConsoleDep, before: int | None = None) -> Response:
    """Who did what and when, newest first."""
    console.require("staff:view")
    with transaction(factory_of(request)) as session:
        entries = recent_entries(session, shop_id=console.shop.id, limit=AUDIT_PAGE, before_id=before)
    older = entries[-1].id if len(entries) == AUDIT_PAGE else None
    return render(request, "staff/audit.html", console=console, entries=entries, older=older, before=before)
