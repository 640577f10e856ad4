"""Fixtures for the console tests: an app on the rolled-back test database, and a shop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from siyu.api.app import create_app
from tests.web.web_support import CHROMIUM_ARGS, Shop, make_shop


@pytest.fixture
def app_client(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(engine=engine, sessions=sessions)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def shop(sessions: sessionmaker[Session]) -> Shop:
    return make_shop(sessions, "webshop")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for every browser test (never a downloaded browser)."""
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
