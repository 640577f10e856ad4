"""Shared fixtures. The database is chosen by SIYU_TEST_DB=sqlite|postgresql (default sqlite).

Each test runs inside a transaction that is rolled back at the end (services' own commits become
savepoints), so tests never see each other's rows. Tests that need real commits or several
connections (concurrency, a live server) ask for ``fresh_engine`` instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("SIYU_ENV", "test")
# outside development Siyu refuses its development keys: the suite brings its own
os.environ.setdefault("SIYU_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("SIYU_PHONE_KEY", "dGVzdC1waG9uZS1rZXktMzItYnl0ZXMtbG9uZy0xMjM=")
os.environ.setdefault("SIYU_PHONE_HASH_SALT", "test-phone-salt")

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from siyu import migrate
from siyu.config import get_settings
from siyu.db import create_engine

PG_URL = os.environ.get("SIYU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKEND = os.environ.get("SIYU_TEST_DB", "sqlite")


def pytest_report_header(config: pytest.Config) -> str:
    return f"siyu test database: {BACKEND}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (run with SIYU_TEST_DB=postgresql)")
    for item in items:
        if "postgres_only" in item.keywords and BACKEND != "postgresql":
            item.add_marker(skip_pg)


class Database:
    """A private database for a test run: a temp SQLite file or a fresh PostgreSQL schema."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        self.workdir = workdir
        self.schemas: dict[int, str] = {}

    def new_engine(self) -> Engine:
        if self.backend == "sqlite":
            path = self.workdir / f"siyu-{uuid.uuid4().hex[:8]}.db"
            return create_engine(f"sqlite:///{path}")
        schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        engine = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        self.schemas[id(engine)] = schema
        return engine

    def drop(self, engine: Engine) -> None:
        schema = self.schemas.pop(id(engine), None)
        engine.dispose()
        if schema:
            admin = create_engine(PG_URL)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Database:
    return Database(BACKEND, tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def engine(database: Database) -> Iterator[Engine]:
    """The session-wide migrated database that rolled-back tests share."""
    eng = database.new_engine()
    migrate.upgrade(eng)
    yield eng
    database.drop(eng)


@pytest.fixture
def fresh_engine(database: Database) -> Iterator[Engine]:
    """A new, migrated, empty database for tests that commit for real."""
    eng = database.new_engine()
    migrate.upgrade(eng)
    yield eng
    database.drop(eng)


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory whose every transaction is a savepoint inside one rolled-back transaction."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    yield factory
    outer.rollback()
    connection.close()


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arrange/assert; flushes are visible to services run through ``sessions``."""
    with sessions() as session:
        yield session


@pytest.fixture(autouse=True)
def _upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path / "data")
