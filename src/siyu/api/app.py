"""The application factory: API under /api/v1, the console at /, one engine per app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from siyu.api.deps import lang_of
from siyu.config import Settings, get_settings
from siyu.core.errors import ConcurrentConflict, DomainError
from siyu.db import create_engine, session_factory

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, sessions: sessionmaker[Session] | None = None
) -> FastAPI:
    """Build the app; tests may hand in an engine or a session factory bound to their transaction."""
    settings = settings or get_settings()
    engine = engine or create_engine(settings.database_url)
    app = FastAPI(
        title="Siyu 私域 API",
        version="0.1.0",
        description="Private-domain customer operations for JD.com merchants. Authenticate with "
        "`Authorization: Bearer <token>` (per-shop API tokens, created in the console or with "
        "`siyu token create`).",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions or session_factory(engine)

    @app.exception_handler(DomainError)
    def _domain_error(request: Request, exc: DomainError) -> Any:
        if not request.url.path.startswith("/api/"):
            from siyu.web.errors import render_domain_error

            return render_domain_error(request, exc)
        return JSONResponse({"error": exc.to_dict(lang_of(request))}, status_code=exc.status)

    @app.exception_handler(IntegrityError)
    def _conflict(request: Request, exc: IntegrityError) -> Any:
        # the request's transaction is already rolled back: answer as a clear, retryable conflict, not a 500
        return _domain_error(request, ConcurrentConflict())

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = lang_of(request)
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        message = "请求参数不正确" if lang == "zh" else "invalid request"
        return JSONResponse(
            {"error": {"code": "invalid_input", "message": message, "details": details}}, status_code=422
        )

    from siyu.api.routers import (
        calendar,
        campaigns,
        customers,
        dashboard,
        groups,
        imports,
        loyalty,
        promotions,
        segments,
        staff,
    )

    for module in (customers, imports, dashboard, staff, segments, promotions, loyalty, campaigns, calendar, groups):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(campaigns.public)

    from siyu.web.app import mount_console

    mount_console(app, static_dir=Path(__file__).parent.parent / "web" / "static")
    return app
