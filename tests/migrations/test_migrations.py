"""`siyu db upgrade` and `siyu db check` on the configured backend (SQLite and PostgreSQL in CI)."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from siyu import migrate
from siyu.db import Base


def test_upgrade_creates_every_table_of_the_models(fresh_engine: Engine) -> None:
    tables = set(inspect(fresh_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_check_reports_no_drift_between_models_and_migrations(fresh_engine: Engine) -> None:
    assert migrate.check(fresh_engine) is None


def test_upgrade_twice_is_harmless(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    assert migrate.check(fresh_engine) is None


def test_every_table_is_shop_scoped() -> None:
    """SPEC §0: every row belongs to one shop."""
    unscoped = [name for name, table in Base.metadata.tables.items() if name != "shops" and "shop_id" not in table.c]
    assert unscoped == []
