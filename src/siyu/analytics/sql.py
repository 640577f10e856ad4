"""Small engine-neutral SQL building blocks (SQLite and PostgreSQL give the same answers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Date, Interval, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement


def local_date(column: Any, offset_minutes: int, dialect: str) -> ColumnElement[Any]:
    """The shop-local calendar date of a UTC timestamp column."""
    if dialect == "sqlite":
        return func.date(column, f"{offset_minutes:+d} minutes")
    return cast(column + literal(timedelta(minutes=offset_minutes), Interval()), Date)
