"""Tags (标签): manual and rule tags grouped by dimension, the ready-made standard tags, rule refresh,
and bulk tagging from a list of JD accounts or from a snapshot (SPEC §2)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from siyu.core.errors import DomainError, InvalidInput
from siyu.customers.models import Product
from siyu.db import transaction
from siyu.segments import services
from siyu.segments.conditions import parse_definition
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import render
from siyu.web.views.audiences import read_definition

router = APIRouter()
DIMENSIONS = ("importance", "product", "spending", "frequency", "fan_source", "time", "custom")
MAX_ACCOUNTS_FILE = 2 * 1024 * 1024  # a pasted or uploaded list of accounts, one a line
MAX_ACCOUNTS = 50_000
MAX_CATEGORIES = 30  # "bought <category>" standard tags, most common categories only


def _tags_page(request: Request, console: Console, **extra: Any) -> Response:
    with transaction(factory_of(request)) as session:
        tags = services.list_tags(session, shop_id=console.shop.id)
        snapshots = services.list_snapshots(session, shop_id=console.shop.id)
    grouped: dict[str, list[Any]] = {d: [] for d in DIMENSIONS}
    for tag in tags:
        grouped.setdefault(tag.dimension if tag.dimension in grouped else "custom", []).append(tag)
    context: dict[str, Any] = {
        "grouped": [(d, grouped[d]) for d in grouped if grouped[d]],
        "tags": tags,
        "manual": [t for t in tags if t.kind == "manual"],
        "snapshots": snapshots,
        "dimensions": DIMENSIONS,
        "form": {"kind": "manual", "dimension": "custom", "name": "", "rule": ""},
        "error": "",
        "notice": "",
        "bulk_error": "",
        "result": None,
        "selected_tag": "",
        "open_create": False,
    }
    context.update(extra)
    status = context.pop("status_code", 200)
    return render(request, "tags/index.html", console=console, status_code=status, **context)


NOTICES = {"created": "Tag created.", "refreshed": "Rule tags refreshed.", "installed": "Standard tags installed: {n}."}


@router.get("/tags")
def tag_list(request: Request, console: ConsoleDep, done: str = "", n: int = 0, rule: str = "") -> Response:
    """Tags by dimension with their members; ``?rule=<json>`` (from the builder) prefills a rule tag."""
    console.require("segments:view")
    notice = gettext(console.lang, NOTICES[done], n=n) if done in NOTICES else ""
    extra: dict[str, Any] = {"notice": notice}
    if rule.strip():
        try:
            pretty = json.dumps(json.loads(rule), ensure_ascii=False, indent=2)
        except ValueError:
            pretty = rule
        extra["form"] = {"kind": "rule", "dimension": "custom", "name": "", "rule": pretty[:20_000]}
        extra["open_create"] = True
    return _tags_page(request, console, **extra)


@router.post("/tags")
async def tag_create(request: Request, console: PostDep) -> Response:
    """Create a manual tag, or a rule tag from a validated audience definition (computed at once)."""
    console.require("segments:manage")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    kind = "rule" if form.get("kind") == "rule" else "manual"
    dimension = form.get("dimension", "custom")
    dimension = dimension if dimension in DIMENSIONS else "custom"
    try:
        rule = read_definition(form.get("rule", "")) if kind == "rule" else None
        if kind == "rule" and rule is None:
            raise InvalidInput("规则标签需要填写规则（圈选条件）", "a rule tag needs a rule (audience conditions)")
        if rule is not None:
            parse_definition(rule)
        with transaction(factory_of(request), write=True) as session:
            tag = services.create_tag(
                session, by=console.principal, name=form.get("name", ""), dimension=dimension, rule=rule
            )
            if tag.kind == "rule":
                services.refresh_rule_tag(session, by=console.principal, tag_id=tag.id)
            tag_id = tag.id
    except DomainError as exc:
        return _tags_page(
            request,
            console,
            status_code=exc.status,
            error=exc.message(console.lang),
            form={"kind": kind, "dimension": dimension, "name": form.get("name", ""), "rule": form.get("rule", "")},
            open_create=True,
        )
    return RedirectResponse(f"/tags?done=created#tag-{tag_id}", status_code=303)


@router.post("/tags/standard")
def tag_install_standard(request: Request, console: PostDep) -> Response:
    """Install the ready-made rule tags of the private-domain plan (and 'bought <category>'), then compute them."""
    console.require("segments:manage")
    with transaction(factory_of(request), write=True) as session:
        categories = [
            c
            for c in session.scalars(
                select(Product.category).where(Product.shop_id == console.shop.id, Product.category != "").distinct()
            )
        ][:MAX_CATEGORIES]
        made = services.install_standard_tags(session, by=console.principal, categories=sorted(categories))
        made_ids = [t.id for t in made]
    with transaction(factory_of(request), write=True) as session:
        for tag_id in made_ids:
            services.refresh_rule_tag(session, by=console.principal, tag_id=tag_id)
    return RedirectResponse(f"/tags?done=installed&n={len(made_ids)}", status_code=303)


@router.post("/tags/refresh")
def tag_refresh_all(request: Request, console: PostDep) -> Response:
    """Recompute every rule tag now (the nightly job does the same)."""
    console.require("segments:manage")
    with transaction(factory_of(request), write=True) as session:
        services.refresh_rule_tags(session, by=console.principal)
    return RedirectResponse("/tags?done=refreshed", status_code=303)


@router.post("/tags/{tag_id}/refresh")
def tag_refresh(request: Request, console: PostDep, tag_id: int) -> Response:
    """Recompute one rule tag now."""
    console.require("segments:manage")
    with transaction(factory_of(request), write=True) as session:
        services.refresh_rule_tag(session, by=console.principal, tag_id=tag_id)
    return RedirectResponse(f"/tags?done=refreshed#tag-{tag_id}", status_code=303)


def read_accounts(pasted: str, upload: bytes) -> list[str]:
    """JD accounts, one a line (commas, tabs and semicolons separate too), from the textarea and a file."""
    text = pasted
    if upload:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text += "\n" + upload.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    accounts = []
    for line in (
        text.replace("\r", "\n")
        .replace(",", "\n")
        .replace("，", "\n")
        .replace("\t", "\n")
        .replace(";", "\n")
        .split("\n")
    ):
        value = line.strip().strip('"').strip()
        if value:
            accounts.append(value[:100])
    return accounts


@router.post("/tags/bulk")
async def tag_bulk(request: Request, console: PostDep) -> Response:
    """Tag customers with a manual tag: from pasted / uploaded JD accounts, or everyone in a snapshot."""
    console.require("segments:manage")
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    file = form.get("file")
    try:
        tag_id = int(fields.get("tag_id", "0") or 0)
        if not tag_id:
            raise InvalidInput("请选择手动标签", "choose a manual tag")
        upload = b""
        if isinstance(file, UploadFile) and file.filename:
            upload = await file.read(MAX_ACCOUNTS_FILE + 1)
            if len(upload) > MAX_ACCOUNTS_FILE:
                raise InvalidInput("名单文件不能超过 2 MB", "the list file may be at most 2 MB")
        snapshot = fields.get("snapshot_id", "")
        with transaction(factory_of(request), write=True) as session:
            tag = services.get_tag(session, shop_id=console.shop.id, tag_id=tag_id)
            tag_name = tag.name
            if snapshot.isdigit():
                added = services.tag_snapshot(session, by=console.principal, tag_id=tag_id, snapshot_id=int(snapshot))
                unknown: list[str] = []
                given = None
            else:
                accounts = read_accounts(fields.get("accounts", ""), upload)
                if not accounts:
                    raise InvalidInput("请粘贴或上传京东下单帐号名单", "paste or upload a list of JD accounts")
                if len(accounts) > MAX_ACCOUNTS:
                    raise InvalidInput(f"一次最多 {MAX_ACCOUNTS} 个帐号", f"at most {MAX_ACCOUNTS} accounts at a time")
                added, unknown = services.tag_accounts(session, by=console.principal, tag_id=tag_id, accounts=accounts)
                given = len(set(a.strip() for a in accounts))
    except (DomainError, ValueError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        message = (
            exc.message(console.lang) if isinstance(exc, DomainError) else gettext(console.lang, "Choose a manual tag.")
        )
        return _tags_page(request, console, status_code=400, bulk_error=message, selected_tag=fields.get("tag_id", ""))
    result = {"tag": tag_name, "tag_id": tag_id, "added": added, "unknown": unknown, "given": given}
    return _tags_page(request, console, result=result, selected_tag=str(tag_id))
