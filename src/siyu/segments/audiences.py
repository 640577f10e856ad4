"""Evaluating audience definitions: live counts and member lists (set operations and snapshots in
services.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.segments.compiler import AudienceCompiler
from siyu.segments.conditions import Node, parse_definition
from siyu.segments.engine import SegmentEngine, engine_for
from siyu.segments.rfm import load_settings, moment_for
from siyu.segments.sql import facts_ctes


def _query(
    session: Session, shop_id: int, definition: Node | dict[str, Any], as_of: datetime | None, select: str
) -> tuple[str, dict[str, Any]]:
    node = definition if not isinstance(definition, dict) else parse_definition(definition)
    rfm, stages = load_settings(session, shop_id)
    moment = moment_for(session, shop_id, as_of)
    compiled = AudienceCompiler(moment).compile(node)
    sql = (
        facts_ctes(rfm, stages, moment)
        + compiled.window_ctes()
        + f"\nSELECT {select} FROM facts f{compiled.joins()} WHERE {compiled.where}"
    )
    return sql, {"shop_id": shop_id, **moment.params(rfm.window_days), **compiled.params}


def count_audience(
    session: Session,
    *,
    shop_id: int,
    definition: Node | dict[str, Any],
    as_of: datetime | None = None,
    engine: SegmentEngine | None = None,
) -> int:
    """How many customers match, now (the builder's live count)."""
    sql, params = _query(session, shop_id, definition, as_of, "COUNT(*)")
    return int((engine or engine_for(session)).run(session, shop_id, sql, params)[0][0])


def audience_members(
    session: Session,
    *,
    shop_id: int,
    definition: Node | dict[str, Any],
    as_of: datetime | None = None,
    engine: SegmentEngine | None = None,
) -> list[int]:
    """The matching customer ids, ascending."""
    sql, params = _query(session, shop_id, definition, as_of, "f.customer_id")
    rows = (engine or engine_for(session)).run(session, shop_id, sql + " ORDER BY f.customer_id", params)
    return [int(r[0]) for r in rows]
