"""Staff sub-accounts, their permissions, API tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from siyu.api.deps import SessionDep, require
from siyu.audit.queries import recent_entries
from siyu.shops import services
from siyu.shops.domain import ALL_PERMISSIONS
from siyu.shops.services import Principal

router = APIRouter(tags=["staff"])
StaffViewer = Annotated[Principal, Depends(require("staff:view"))]
StaffManager = Annotated[Principal, Depends(require("staff:manage"))]


class StaffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    is_main: bool
    is_active: bool
    permissions: list[str]
    created_at: datetime
    last_login_at: datetime | None


class StaffIn(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    display_name: str = Field(default="", max_length=100)
    password: str = Field(min_length=8, max_length=200)
    permissions: list[str] = []


class PermissionsIn(BaseModel):
    permissions: list[str]
    is_active: bool | None = None


@router.get("/permissions")
def permissions(principal: StaffViewer) -> list[str]:
    """Every grantable permission."""
    return list(ALL_PERMISSIONS)


@router.get("/staff", response_model=list[StaffOut])
def list_staff(session: SessionDep, principal: StaffViewer) -> list[Any]:
    """The shop's staff accounts."""
    return services.list_staff(session, shop_id=principal.shop_id)


@router.post("/staff", response_model=StaffOut, status_code=201)
def create_staff(session: SessionDep, principal: StaffManager, body: StaffIn) -> Any:
    """Create a sub-account (子账号) with per-area permissions."""
    return services.create_sub_account(
        session,
        by=principal,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        permissions=body.permissions,
    )


@router.patch("/staff/{staff_id}", response_model=StaffOut)
def update_staff(session: SessionDep, principal: StaffManager, staff_id: int, body: PermissionsIn) -> Any:
    """Change a sub-account's permissions or disable it."""
    return services.set_permissions(
        session, by=principal, staff_id=staff_id, permissions=body.permissions, is_active=body.is_active
    )


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    permissions: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    permissions: list[str]


class NewToken(TokenOut):
    token: str


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(session: SessionDep, principal: StaffViewer) -> list[Any]:
    """The shop's API tokens (never the secret)."""
    return services.list_api_tokens(session, shop_id=principal.shop_id)


@router.post("/tokens", response_model=NewToken, status_code=201)
def create_token(session: SessionDep, principal: StaffManager, body: TokenIn) -> NewToken:
    """Create an API token; the secret is shown once."""
    token, clear = services.create_api_token(session, by=principal, name=body.name, permissions=body.permissions)
    return NewToken(**TokenOut.model_validate(token).model_dump(), token=clear)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(session: SessionDep, principal: StaffManager, token_id: int) -> Any:
    """Revoke an API token."""
    return services.revoke_api_token(session, by=principal, token_id=token_id)


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor: str
    action: str
    target_type: str
    target_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


@router.get("/audit", response_model=list[AuditOut])
def audit_log(session: SessionDep, principal: StaffViewer, limit: int = 100) -> list[Any]:
    """The shop's audit log, newest first."""
    return recent_entries(session, shop_id=principal.shop_id, limit=limit)
