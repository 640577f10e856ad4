"""`siyu serve`: the console and the API."""

from __future__ import annotations

import typer

from siyu.config import get_settings


def serve(
    host: str = typer.Option(None),
    port: int = typer.Option(None),
    reload: bool = typer.Option(False, help="reload on code changes (development)"),
) -> None:
    """Serve the console and the API (default http://127.0.0.1:8000)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "siyu.api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        log_level="info",
    )
