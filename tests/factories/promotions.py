"""Coupon templates and coupons for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from siyu.audit.services import Actor
from siyu.promotions import services
from siyu.promotions.models import CouponTemplate
from siyu.promotions.schemas import CouponTemplateSpec

T0 = datetime(2026, 11, 1, tzinfo=UTC)
"""A fixed 'now' inside the default claim window (claims open T0 − 1 day .. T0 + 30 days)."""


def spec(**fields: Any) -> CouponTemplateSpec:
    """A 满100减20 shop-wide template, stock 100, one per customer; any field may be overridden."""
    values: dict[str, Any] = {
        "name": "满100减20",
        "kind": "full_reduction",
        "threshold_fen": 10_000,
        "reduction_fen": 2_000,
        "claim_start": T0 - timedelta(days=1),
        "claim_end": T0 + timedelta(days=30),
        "use_end": T0 + timedelta(days=60),
        "total_stock": 100,
    }
    values.update(fields)
    return CouponTemplateSpec(**values)


def make_template(session: Session, by: Actor, **fields: Any) -> CouponTemplate:
    template = services.create_template(session, by=by, spec=spec(**fields))
    session.flush()
    return template
