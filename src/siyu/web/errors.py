from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from siyu.core.errors import DomainError


def render_domain_error(request: Request, exc: DomainError) -> HTMLResponse:
    return HTMLResponse(f"<p>{exc.zh}</p><p>{exc.en}</p>", status_code=exc.status)
