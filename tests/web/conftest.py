"""Fixtures for the console tests: an app on the rolled-back test database, and a shop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from siyu.api.app import create_app
from tests.web.web_support import Shop, make_shop


@pytest.fixture
def app_client(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(engine=engine, sessions=sessions)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def shop(sessions: sessionmaker[Session]) -> Shop:
    return make_shop(sessions, "webshop")
