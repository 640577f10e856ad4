"""The dashboard: headline figures, the GMV trend and orders by channel (SPEC §12)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from siyu.analytics.dashboard import PERIODS, build_dashboard
from siyu.core.errors import DomainError
from siyu.db import transaction
from siyu.web.context import ConsoleDep, factory_of
from siyu.web.navigation import home_for
from siyu.web.templating import render

router = APIRouter()


class NothingPermitted(DomainError):
    code = "nothing_permitted"
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "您的账号暂无可访问的页面，请联系主账号授予权限。",
            "Your account has no page it may open. Ask the main account for permissions.",
        )


@router.get("/")
def dashboard(request: Request, console: ConsoleDep, days: int = 30, grain: str = "day") -> Response:
    """Shop dashboard; people without analytics go to their first permitted page."""
    if not console.allows("analytics:view"):
        home = home_for(console)
        if home is None or home == "/":
            raise NothingPermitted()
        return RedirectResponse(home, status_code=303)
    days = days if days in PERIODS else 30
    grain = grain if grain in ("day", "week") else "day"
    with transaction(factory_of(request)) as session:
        board = build_dashboard(session, shop_id=console.shop.id, days=days, grain=grain)
    chart = {
        "labels": [p.label for p in board.trend],
        "orders": [p.orders for p in board.trend],
        "gmv_fen": [p.gmv_fen for p in board.trend],
        "channels": [{"name": c.channel, "orders": c.orders, "gmv_fen": c.gmv_fen} for c in board.channels],
    }
    channel_orders = sum(c.orders for c in board.channels)
    return render(
        request,
        "dashboard/index.html",
        console=console,
        board=board,
        chart=chart,
        periods=PERIODS,
        days=days,
        grain=grain,
        channel_orders=channel_orders,
    )
