"""Console routes are mounted here (skeleton; the console pages live in siyu.web.views)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def mount_console(app: FastAPI, *, static_dir: Path) -> None:
    static_dir.mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
