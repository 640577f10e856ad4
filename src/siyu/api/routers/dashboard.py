"""The dashboard's figures as JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends

from siyu.analytics.dashboard import build_dashboard
from siyu.api.deps import SessionDep, require
from siyu.shops.services import Principal

router = APIRouter(prefix="/dashboard", tags=["analytics"])


@router.get("")
def dashboard(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require("analytics:view"))],
    days: int = 90,
    grain: Literal["day", "week"] = "day",
) -> dict[str, Any]:
    """Customers, members, orders, GMV, average order value, GMV trend and orders by channel."""
    return asdict(build_dashboard(session, shop_id=principal.shop_id, days=days, grain=grain))
