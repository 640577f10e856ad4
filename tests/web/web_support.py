"""Helpers shared by the console tests: a shop with a main account and a viewer, signing in."""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from siyu import migrate
from siyu.api.app import create_app
from siyu.db import session_factory, transaction
from siyu.shops import services
from siyu.shops.domain import VIEWER_PERMISSIONS

PASSWORD = "correct-horse-9"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Shop:
    shop_id: int
    main: str
    viewer: str


def make_shop(factory: sessionmaker[Session], code: str) -> Shop:
    with transaction(factory) as session:
        shop, main = services.create_shop(
            session, code=code, name=f"{code} 旗舰店", main_username=f"{code}-admin", main_password=PASSWORD
        )
        services.create_sub_account(
            session,
            by=services.principal_for_staff(main),
            username=f"{code}-viewer",
            display_name="只读",
            password=PASSWORD,
            permissions=list(VIEWER_PERMISSIONS),
        )
        return Shop(shop.id, main.username, f"{code}-viewer")


def csrf_of(client: TestClient, path: str = "/login") -> str:
    match = _CSRF.search(client.get(path).text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_of(client)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(engine: Engine) -> Iterator[str]:
    """The app on ``engine`` served by uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(engine=engine), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def screenshot_dir() -> Path:
    """Where browser tests put their screenshots: docs/images when SIYU_DOC_SCREENSHOTS=1 (to refresh the
    README's pictures), otherwise a temporary folder, so that a test run never changes the working tree."""
    if os.environ.get("SIYU_DOC_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parents[2] / "docs" / "images"
    return Path(tempfile.gettempdir()) / "siyu-screenshots"


@dataclass
class Live:
    """A served shop for browser tests: its base URL, the shop and a session factory on its database."""

    base: str
    shop: Shop
    factory: sessionmaker[Session]


@contextmanager
def live_shop(database: Any, code: str, fill: Callable[[sessionmaker[Session], Shop], None]) -> Iterator[Live]:
    """A new migrated database with shop ``code`` (main account + viewer), filled by ``fill``, served by
    uvicorn on 127.0.0.1; dropped afterwards. ``database`` is the suite's ``database`` fixture."""
    engine = database.new_engine()
    migrate.upgrade(engine)
    factory = session_factory(engine)
    shop = make_shop(factory, code)
    fill(factory, shop)
    try:
        with serving(engine) as base:
            yield Live(base, shop, factory)
    finally:
        database.drop(engine)
