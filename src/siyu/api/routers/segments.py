"""Segments: RFM analysis, stages, settings, the audience builder, snapshots and tags."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from siyu.api.deps import SessionDep, lang_of, require
from siyu.core.paging import PageRequest
from siyu.customers.schemas import CustomerFilter
from siyu.customers.services import export_customers
from siyu.db import begin_writing
from siyu.segments import audiences, exports, rfm, services
from siyu.segments.domain import RfmSettings, StageSettings
from siyu.shops.services import Principal

router = APIRouter(tags=["segments"])
Viewer = Annotated[Principal, Depends(require("segments:view"))]
Manager = Annotated[Principal, Depends(require("segments:manage"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(body: bytes, name: str) -> Response:
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---- RFM and stages -------------------------------------------------------------------------------------
@router.get("/segments/rfm")
def rfm_report(session: SessionDep, principal: Viewer) -> dict[str, Any]:
    """The 8 RFM segments (counts, shares, spend, AOV), the R×F matrix and the averages."""
    return asdict(rfm.rfm_report(session, shop_id=principal.shop_id))


@router.get("/segments/rfm/customers")
def rfm_customers(
    session: SessionDep, principal: Viewer, segment: str | None = None, page: int = 1, size: int = 50
) -> dict[str, Any]:
    """Drill-down: the customers of one segment (or all buyers), best spenders first; phones masked."""
    paging = PageRequest(page, size)
    total, rows = rfm.rfm_customers(
        session, shop_id=principal.shop_id, segment=segment, limit=paging.size, offset=paging.offset
    )
    return {"total": total, "page": paging.page, "size": paging.size, "items": rows}


@router.get("/segments/rfm/export.xlsx", response_class=Response)
def rfm_export(request: Request, session: SessionDep, principal: Viewer, segment: str | None = None) -> Response:
    """Excel of one segment's customers (masked; audited)."""
    begin_writing(session)
    body = exports.rfm_segment_xlsx(session, by=principal, segment=segment, lang=lang_of(request))
    return _xlsx(body, f"rfm-{segment or 'all'}.xlsx")


@router.get("/segments/stages")
def stages(session: SessionDep, principal: Viewer) -> list[dict[str, Any]]:
    """Customers per lifecycle stage, loyalty stage and monetary level."""
    return [asdict(s) for s in rfm.stage_report(session, shop_id=principal.shop_id)]


class SettingsBody(BaseModel):
    rfm: RfmSettings = Field(default_factory=RfmSettings)
    stages: StageSettings = Field(default_factory=StageSettings)


@router.get("/segments/settings", response_model=SettingsBody)
def get_settings(session: SessionDep, principal: Viewer) -> SettingsBody:
    """The shop's RFM and stage settings (defaults until changed)."""
    rfm_settings, stage_settings = rfm.load_settings(session, principal.shop_id)
    return SettingsBody(rfm=rfm_settings, stages=stage_settings)


@router.put("/segments/settings", response_model=SettingsBody)
def put_settings(session: SessionDep, principal: Manager, body: SettingsBody) -> SettingsBody:
    """Change the thresholds: score mode and cut points, high/low split, stage boundaries."""
    services.save_settings(session, by=principal, rfm=body.rfm, stages=body.stages)
    return body


# ---- audiences ------------------------------------------------------------------------------------------
class DefinitionBody(BaseModel):
    definition: dict[str, Any]


class AudienceIn(DefinitionBody):
    name: str = Field(min_length=1, max_length=100)


class AudiencePatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    definition: dict[str, Any] | None = None


class AudienceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    definition: dict[str, Any]
    last_count: int
    refreshed_at: datetime | None
    created_by: str
    created_at: datetime


class SnapshotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    audience_id: int | None
    name: str
    origin: dict[str, Any]
    member_count: int
    frozen_at: datetime
    batches: list[int] = Field(default_factory=list)


@router.post("/audiences/count")
def count(session: SessionDep, principal: Viewer, body: DefinitionBody) -> dict[str, int]:
    """The live count of a definition (nothing is saved)."""
    return {"count": audiences.count_audience(session, shop_id=principal.shop_id, definition=body.definition)}


@router.get("/audiences", response_model=list[AudienceOut])
def list_audiences(session: SessionDep, principal: Viewer) -> list[Any]:
    """Saved audiences, newest first."""
    return services.list_audiences(session, shop_id=principal.shop_id)


@router.post("/audiences", response_model=AudienceOut, status_code=201)
def create_audience(session: SessionDep, principal: Manager, body: AudienceIn) -> Any:
    """Save a definition as a named audience (validated; counted now)."""
    return services.create_audience(session, by=principal, name=body.name, definition=body.definition)


class CombineIn(BaseModel):
    op: Literal["union", "intersect", "subtract"]
    left: dict[str, int]
    right: dict[str, int]
    name: str = Field(min_length=1, max_length=100)


@router.post("/audiences/combine", response_model=SnapshotOut, status_code=201)
def combine(session: SessionDep, principal: Manager, body: CombineIn) -> SnapshotOut:
    """Union / intersection / difference of two audiences or snapshots, frozen as a new snapshot."""
    snap = services.combine(session, by=principal, op=body.op, left=body.left, right=body.right, name=body.name)
    return _snapshot_out(session, principal, snap.id)


@router.get("/audiences/{audience_id}", response_model=AudienceOut)
def get_audience(session: SessionDep, principal: Viewer, audience_id: int) -> Any:
    return services.get_audience(session, shop_id=principal.shop_id, audience_id=audience_id)


@router.patch("/audiences/{audience_id}", response_model=AudienceOut)
def update_audience(session: SessionDep, principal: Manager, audience_id: int, body: AudiencePatch) -> Any:
    return services.update_audience(
        session, by=principal, audience_id=audience_id, name=body.name, definition=body.definition
    )


@router.delete("/audiences/{audience_id}", status_code=204, response_class=Response)
def delete_audience(session: SessionDep, principal: Manager, audience_id: int) -> Response:
    services.delete_audience(session, by=principal, audience_id=audience_id)
    return Response(status_code=204)


@router.post("/audiences/{audience_id}/refresh", response_model=AudienceOut)
def refresh_audience(session: SessionDep, principal: Manager, audience_id: int) -> Any:
    """Re-count a saved audience now."""
    return services.refresh_audience(session, by=principal, audience_id=audience_id)


class FreezeIn(BaseModel):
    name: str | None = Field(default=None, max_length=100)


@router.post("/audiences/{audience_id}/freeze", response_model=SnapshotOut, status_code=201)
def freeze(session: SessionDep, principal: Manager, audience_id: int, body: FreezeIn | None = None) -> SnapshotOut:
    """Freeze who is in the audience now as a snapshot."""
    snap = services.freeze_audience(session, by=principal, audience_id=audience_id, name=body.name if body else None)
    return _snapshot_out(session, principal, snap.id)


def _snapshot_out(session: SessionDep, principal: Principal, snapshot_id: int) -> SnapshotOut:
    snap = services.get_snapshot(session, shop_id=principal.shop_id, snapshot_id=snapshot_id)
    out = SnapshotOut.model_validate(snap)
    out.batches = services.snapshot_batches(session, shop_id=principal.shop_id, snapshot_id=snap.id)
    return out


@router.get("/snapshots", response_model=list[SnapshotOut])
def list_snapshots(session: SessionDep, principal: Viewer) -> list[Any]:
    return services.list_snapshots(session, shop_id=principal.shop_id)


@router.get("/snapshots/{snapshot_id}", response_model=SnapshotOut)
def get_snapshot(session: SessionDep, principal: Viewer, snapshot_id: int) -> SnapshotOut:
    """A snapshot with its send batches (each at most 30,000 customers)."""
    return _snapshot_out(session, principal, snapshot_id)


@router.get("/snapshots/{snapshot_id}/batches/{batch}")
def batch(session: SessionDep, principal: Viewer, snapshot_id: int, batch: int) -> dict[str, Any]:
    """The customer ids of one send batch (1-based)."""
    ids = services.batch_member_ids(session, shop_id=principal.shop_id, snapshot_id=snapshot_id, batch=batch)
    return {"snapshot_id": snapshot_id, "batch": batch, "customer_ids": ids}


@router.get("/snapshots/{snapshot_id}/export.xlsx", response_class=Response)
def export_snapshot(request: Request, session: SessionDep, principal: Viewer, snapshot_id: int) -> Response:
    """The snapshot's customers as Excel (masked; audited)."""
    services.get_snapshot(session, shop_id=principal.shop_id, snapshot_id=snapshot_id)
    begin_writing(session)
    body = export_customers(session, by=principal, flt=CustomerFilter(snapshot_id=snapshot_id), lang=lang_of(request))
    return _xlsx(body, f"audience-{snapshot_id}.xlsx")


# ---- tags -----------------------------------------------------------------------------------------------
class TagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    dimension: str
    rule: dict[str, Any] | None
    member_count: int
    refreshed_at: datetime | None


class TagIn(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    dimension: str = Field(default="", max_length=40)
    rule: dict[str, Any] | None = None


class TagMembersIn(BaseModel):
    customer_ids: list[int] = Field(default_factory=list, max_length=100_000)
    accounts: list[str] = Field(default_factory=list, max_length=100_000)
    snapshot_id: int | None = None


@router.get("/tags", response_model=list[TagOut])
def list_tags(session: SessionDep, principal: Viewer) -> list[Any]:
    return services.list_tags(session, shop_id=principal.shop_id)


@router.post("/tags", response_model=TagOut, status_code=201)
def create_tag(session: SessionDep, principal: Manager, body: TagIn) -> Any:
    """A manual tag, or a rule tag when ``rule`` (an audience definition) is given."""
    return services.create_tag(session, by=principal, name=body.name, dimension=body.dimension, rule=body.rule)


@router.post("/tags/standard", response_model=list[TagOut], status_code=201)
def install_standard(session: SessionDep, principal: Manager) -> list[Any]:
    """Install the ready-made rule tags of the private-domain tag dimensions."""
    return services.install_standard_tags(session, by=principal)


@router.post("/tags/refresh", response_model=list[TagOut])
def refresh_all(session: SessionDep, principal: Manager) -> list[Any]:
    """Recompute every rule tag now."""
    return services.refresh_rule_tags(session, by=principal)


@router.post("/tags/{tag_id}/members")
def add_members(session: SessionDep, principal: Manager, tag_id: int, body: TagMembersIn) -> dict[str, Any]:
    """Tag customers by id, by a list of JD accounts, or everyone in a snapshot."""
    added, unknown = 0, list[str]()
    if body.customer_ids:
        added += services.tag_customers(session, by=principal, tag_id=tag_id, customer_ids=body.customer_ids)
    if body.accounts:
        more, unknown = services.tag_accounts(session, by=principal, tag_id=tag_id, accounts=body.accounts)
        added += more
    if body.snapshot_id is not None:
        added += services.tag_snapshot(session, by=principal, tag_id=tag_id, snapshot_id=body.snapshot_id)
    tag = services.get_tag(session, shop_id=principal.shop_id, tag_id=tag_id)
    return {"added": added, "unknown_accounts": unknown, "member_count": tag.member_count}


@router.post("/tags/{tag_id}/members/remove")
def remove_members(session: SessionDep, principal: Manager, tag_id: int, body: TagMembersIn) -> dict[str, Any]:
    removed = services.untag_customers(session, by=principal, tag_id=tag_id, customer_ids=body.customer_ids)
    return {"removed": removed}


@router.post("/tags/{tag_id}/refresh", response_model=TagOut)
def refresh_tag(session: SessionDep, principal: Manager, tag_id: int) -> Any:
    """Recompute one rule tag now."""
    return services.refresh_rule_tag(session, by=principal, tag_id=tag_id)
