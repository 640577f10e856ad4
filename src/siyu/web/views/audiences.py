"""The audience builder (人群圈选): nested AND / OR / NOT conditions with a live count, saved audiences,
snapshots with their send batches, and set operations between them (SPEC §2)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from siyu.core.errors import DomainError, InvalidInput
from siyu.customers.models import SOURCE_CHANNELS
from siyu.db import transaction
from siyu.segments import services
from siyu.segments.audiences import count_audience
from siyu.segments.domain import LIFECYCLE_STAGES, LOYALTY_STAGES, MONETARY_LEVELS, SEGMENTS
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import is_htmx, render

router = APIRouter()
MAX_DEFINITION = 100_000  # characters of JSON the builder may post


class BadDefinition(InvalidInput):
    code = "invalid_audience"

    def __init__(self) -> None:
        super().__init__("条件格式不正确（不是有效的 JSON）", "the conditions are not valid JSON")


def read_definition(text: str) -> dict[str, Any] | None:
    """The builder's JSON definition; ``None`` when there is no condition yet."""
    text = (text or "").strip()
    if not text or text == "null":
        return None
    if len(text) > MAX_DEFINITION:
        raise BadDefinition()
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise BadDefinition() from exc
    if not isinstance(value, dict):
        raise BadDefinition()
    return value


def field_catalog(console: Console, tags: list[Any]) -> dict[str, Any]:
    """What the builder's field picker offers: each field's input kind, label and options."""
    lang = console.lang

    def t(key: str) -> str:
        return gettext(lang, key)

    def options(triples: Any) -> list[list[str]]:
        return [[code, zh if lang == "zh" else en] for code, zh, en in triples]

    segments = [[s.code, s.zh if lang == "zh" else s.en] for s in SEGMENTS.values()]
    channels = [[code, names[0] if lang == "zh" else names[1]] for code, names in SOURCE_CHANNELS.items()]
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    months = [[str(m), f"{m}月" if lang == "zh" else names[m - 1]] for m in range(1, 13)]
    groups: list[tuple[str, list[tuple[str, str, str, list[list[str]] | None]]]] = [
        (
            t("Profile"),
            [
                ("gender", "choice", t("Gender"), [["male", t("Male")], ["female", t("Female")]]),
                ("city", "text", t("City"), None),
                ("province", "text", t("Province"), None),
                ("source_channel", "choice", t("Source channel"), channels),
                ("is_member", "flag", t("Member"), None),
                ("follows_shop", "flag", t("Follows shop"), None),
                ("age", "number", t("Age"), None),
                ("birthday_month", "months", t("Birthday month"), months),
                ("customer_since", "joined", t("Became a customer"), None),
                ("member_since", "joined", t("Joined membership"), None),
            ],
        ),
        (
            t("Behaviour"),
            [
                ("orders", "count", t("Paid orders"), None),
                ("spent", "amount", t("Amount paid"), None),
                ("last_order", "last_order", t("Last paid order"), None),
                ("cart_without_order", "joined", t("Added to cart without ordering"), None),
                ("bought_sku", "list", t("Bought SKU"), None),
                ("bought_category", "list", t("Bought category"), None),
            ],
        ),
        (
            t("Segments and tags"),
            [
                ("rfm_segment", "choice", t("RFM segment"), segments),
                ("lifecycle_stage", "choice", t("Lifecycle stage"), options(LIFECYCLE_STAGES)),
                ("loyalty_stage", "choice", t("Loyalty stage"), options(LOYALTY_STAGES)),
                ("monetary_level", "choice", t("Spending level"), options(MONETARY_LEVELS)),
                ("tags", "tags", t("Tags"), [[str(tag.id), tag.name] for tag in tags]),
            ],
        ),
    ]
    text_keys = (
        "AND (all of)",
        "OR (any of)",
        "NOT (none of)",
        "NOT (not all of)",
        "Add condition",
        "Add group",
        "Remove",
        "is one of",
        "is not one of",
        "Yes",
        "No",
        "within the last",
        "not within the last",
        "days",
        "in the last",
        "days (empty = ever)",
        "yuan",
        "any of",
        "all of",
        "none of",
        "Separate values with commas",
        "Pick a field",
        "No condition yet: add one to see how many customers match.",
        "No tags yet",
    )
    return {
        "groups": [
            {
                "label": label,
                "fields": [{"key": k, "kind": kind, "label": lab, "options": opts} for k, kind, lab, opts in fields],
            }
            for label, fields in groups
        ],
        "text": {key: t(key) for key in text_keys},
    }


def _audience_page(request: Request, console: Console, **extra: Any) -> Response:
    edit_id = extra.pop("edit_id", None)
    with transaction(factory_of(request)) as session:
        tags = services.list_tags(session, shop_id=console.shop.id)
        audiences = services.list_audiences(session, shop_id=console.shop.id)
        snapshots = services.list_snapshots(session, shop_id=console.shop.id)
        batches = {
            s.id: services.snapshot_batches(session, shop_id=console.shop.id, snapshot_id=s.id) for s in snapshots
        }
        editing = services.get_audience(session, shop_id=console.shop.id, audience_id=edit_id) if edit_id else None
    context: dict[str, Any] = {
        "catalog": field_catalog(console, tags),
        "audiences": audiences,
        "snapshots": snapshots,
        "batches": batches,
        "editing": editing,
        "definition": editing.definition if editing else None,
        "name": editing.name if editing else "",
        "error": "",
        "notice": "",
        "combine_error": "",
        "count": None,
        "empty": True,
    }
    context.update(extra)
    status = context.pop("status_code", 200)
    return render(request, "audiences/index.html", console=console, status_code=status, **context)


def _notice(console: Console, key: str, **values: Any) -> str:
    return gettext(console.lang, key, **values)


NOTICES = {
    "saved": "Audience saved.",
    "refreshed": "Audience refreshed.",
    "frozen": "Snapshot created.",
    "deleted": "Audience deleted.",
    "combined": "Combined snapshot created.",
}


@router.get("/audiences")
def audience_builder(request: Request, console: ConsoleDep, edit: int | None = None, done: str = "") -> Response:
    """The builder, the saved audiences and the snapshots; ``?edit=<id>`` loads an audience into the builder."""
    console.require("segments:view")
    notice = _notice(console, NOTICES[done]) if done in NOTICES else ""
    return _audience_page(request, console, edit_id=edit, notice=notice)


@router.post("/audiences/count")
async def audience_count(request: Request, console: PostDep) -> Response:
    """The live count of the builder's definition (an htmx fragment; errors are shown inline)."""
    console.require("segments:view")
    form = await request.form()
    raw = form.get("definition", "")
    count: int | None = None
    error = ""
    definition: dict[str, Any] | None = None
    try:
        definition = read_definition(raw if isinstance(raw, str) else "")
        if definition is not None:
            with transaction(factory_of(request)) as session:
                count = count_audience(session, shop_id=console.shop.id, definition=definition)
    except DomainError as exc:
        error = exc.message(console.lang)
    return render(request, "audiences/_count.html", console=console, count=count, error=error, empty=definition is None)


@router.post("/audiences")
async def audience_save(request: Request, console: PostDep) -> Response:
    """Save the builder's definition as a new audience, or over the one being edited."""
    console.require("segments:manage")
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    name = fields.get("name", "")
    audience_id = int(fields["audience_id"]) if fields.get("audience_id", "").isdigit() else None
    raw = fields.get("definition", "")
    try:
        definition = read_definition(raw)
        if definition is None:
            raise InvalidInput("请至少添加一个条件", "add at least one condition")
        with transaction(factory_of(request), write=True) as session:
            if audience_id is None:
                saved = services.create_audience(session, by=console.principal, name=name, definition=definition)
            else:
                saved = services.update_audience(
                    session, by=console.principal, audience_id=audience_id, name=name, definition=definition
                )
            saved_id = saved.id
    except DomainError as exc:
        if exc.status == 404:
            raise
        try:
            kept = json.loads(raw) if raw else None
        except ValueError:
            kept = None
        return _audience_page(
            request,
            console,
            status_code=exc.status,
            error=exc.message(console.lang),
            edit_id=audience_id,
            definition=kept,
            name=name,
        )
    return RedirectResponse(f"/audiences?done=saved#audience-{saved_id}", status_code=303)


@router.post("/audiences/{audience_id}/refresh")
def audience_refresh(request: Request, console: PostDep, audience_id: int) -> Response:
    """Re-count a saved audience now."""
    console.require("segments:manage")
    with transaction(factory_of(request), write=True) as session:
        services.refresh_audience(session, by=console.principal, audience_id=audience_id)
    return RedirectResponse("/audiences?done=refreshed", status_code=303)


@router.post("/audiences/{audience_id}/freeze")
async def audience_freeze(request: Request, console: PostDep, audience_id: int) -> Response:
    """Freeze who is in the audience now as a snapshot."""
    console.require("segments:manage")
    form = await request.form()
    name = form.get("name", "")
    with transaction(factory_of(request), write=True) as session:
        services.freeze_audience(
            session,
            by=console.principal,
            audience_id=audience_id,
            name=name if isinstance(name, str) and name.strip() else None,
        )
    return RedirectResponse("/audiences?done=frozen#snapshots", status_code=303)


@router.post("/audiences/{audience_id}/delete")
def audience_delete(request: Request, console: PostDep, audience_id: int) -> Response:
    """Delete a saved audience (its snapshots stay)."""
    console.require("segments:manage")
    with transaction(factory_of(request), write=True) as session:
        services.delete_audience(session, by=console.principal, audience_id=audience_id)
    return RedirectResponse("/audiences?done=deleted", status_code=303)


def read_ref(value: str) -> dict[str, int]:
    """``a:<id>`` is an audience (evaluated now), ``s:<id>`` a snapshot."""
    kind, _, number = value.partition(":")
    if kind in ("a", "s") and number.isdigit():
        return {"audience" if kind == "a" else "snapshot": int(number)}
    raise InvalidInput("请选择两个人群或快照", "choose two audiences or snapshots")


@router.post("/audiences/combine")
async def audience_combine(request: Request, console: PostDep) -> Response:
    """Union, intersection or difference of two audiences/snapshots, frozen as a new snapshot."""
    console.require("segments:manage")
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        op = fields.get("op", "")
        if op not in ("union", "intersect", "subtract"):
            raise InvalidInput("请选择集合运算", "choose union, intersect or subtract")
        left, right = read_ref(fields.get("left", "")), read_ref(fields.get("right", ""))
        with transaction(factory_of(request), write=True) as session:
            services.combine(
                session,
                by=console.principal,
                op=op,  # type: ignore[arg-type]
                left=left,
                right=right,
                name=fields.get("name", ""),
            )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _audience_page(request, console, status_code=exc.status, combine_error=exc.message(console.lang))
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": "/audiences?done=combined#snapshots"})
    return RedirectResponse("/audiences?done=combined#snapshots", status_code=303)
