"""Evaluating audience definitions: live counts and member lists (set operations and snapshots in
services.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.segments.compiler import AudienceCompiler
from siyu.segments.conditions import Node, parse_definition
from siyu.segments.engine import DuckDBEngine, SegmentEngine, engine_for
from siyu.segments.rfm import load_settings, moment_for
from siyu.segments.sql import facts_ctes


def _run(
    session: Session,
    shop_id: int,
    definition: Node | dict[str, Any],
    as_of: datetime | None,
    select: str,
    engine: SegmentEngine | None,
) -> list[tuple[Any, ...]]:
    node = definition if not isinstance(definition, dict) else parse_definition(definition)
    rfm, stages = load_settings(session, shop_id)
    moment = moment_for(session, shop_id, as_of)
    compiled = AudienceCompiler(moment).compile(node)
    engine = engine or engine_for(session)
    base = {"shop_id": shop_id, **moment.params(rfm.window_days)}
    params = {**base, **compiled.params}
    facts = facts_ctes(rfm, stages, moment)
    tail = f"\nSELECT {select} FROM {{facts}} f{compiled.joins()} WHERE {compiled.where}"
    if isinstance(engine, DuckDBEngine):
        table = engine.materialized(session, shop_id, facts + "\nSELECT * FROM facts", base)
        head = ("WITH " + compiled.window_ctes().lstrip(",\n")) if compiled.windows else ""
        sql = head + tail.replace("{facts}", table)
    else:
        sql = facts + compiled.window_ctes() + tail.replace("{facts}", "facts")
    return engine.run(session, shop_id, sql, params)


def count_audience(
    session: Session,
    *,
    shop_id: int,
    definition: Node | dict[str, Any],
    as_of: datetime | None = None,
    engine: SegmentEngine | None = None,
) -> int:
    """How many customers match, now (the builder's live count)."""
    return int(_run(session, shop_id, definition, as_of, "COUNT(*)", engine)[0][0])


def audience_members(
    session: Session,
    *,
    shop_id: int,
    definition: Node | dict[str, Any],
    as_of: datetime | None = None,
    engine: SegmentEngine | None = None,
) -> list[int]:
    """The matching customer ids, ascending."""
    rows = _run(session, shop_id, definition, as_of, "f.customer_id", engine)
    return sorted(int(r[0]) for r in rows)
