"""Mount the console on the app: signed session cookie, static files, pages and their error pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from siyu.web.context import LoginRequired
from siyu.web.errors import render_http_error, send_to_login

SESSION_COOKIE = "siyu_session"


def mount_console(app: FastAPI, *, static_dir: Path) -> None:
    """Add the console (pages at /, assets at /static) to an app whose API lives under /api."""
    settings = app.state.settings
    static_dir.mkdir(parents=True, exist_ok=True)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=12 * 3600,
        same_site="lax",
        https_only=settings.env == "prod",
    )
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    app.add_exception_handler(LoginRequired, send_to_login)
    app.add_exception_handler(StarletteHTTPException, render_http_error)

    from siyu.web.views import audiences, auth, customers, dashboard, imports, segments, staff, tags

    for module in (auth, dashboard, customers, imports, segments, audiences, tags, staff):
        app.include_router(module.router, include_in_schema=False)

    # membership, points mall and coupons (会员, 积分商城, 优惠券)
    from siyu.web.views import coupons, loyalty, mall, members

    for module in (members, loyalty, mall, coupons):
        app.include_router(module.router, include_in_schema=False)

    # SMS campaigns (短信营销)
    from siyu.web.views import campaigns

    app.include_router(campaigns.router, include_in_schema=False)

    # the campaign calendar and yearly coverage (营销日历)
    from siyu.web.views import calendar

    app.include_router(calendar.router, include_in_schema=False)

    # channel settings and consent (渠道设置与授权)
    from siyu.web.views import channels

    app.include_router(channels.router, include_in_schema=False)

    # the buyer-facing H5 pages (/m/{shop}/…): no staff login, their own session keys
    from siyu.web.views import h5

    app.include_router(h5.router, include_in_schema=False)

    # group chats (社群管理)
    from siyu.web.views import groups

    app.include_router(groups.router, include_in_schema=False)

    # group tools: activities, growth levels, operating plan, group data
    from siyu.web.views import group_tools

    app.include_router(group_tools.router, include_in_schema=False)

    # the buyer's group page (/m/{shop}/g/{code}): group chat, check-in and group activities
    from siyu.web.views import h5_groups

    app.include_router(h5_groups.router, include_in_schema=False)
