"""Read models of coupons: per-template and shop totals of claims and uses (one set-based query each)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlalchemy.orm import Session

from siyu.promotions.models import Coupon, CouponTemplate


@dataclass(frozen=True, slots=True)
class CouponCounts:
    total_stock: int
    claimed: int
    used: int
    expired: int
    locked: int

    @property
    def claim_rate(self) -> float:
        """claimed / stock (领取率)."""
        return self.claimed / self.total_stock if self.total_stock else 0.0

    @property
    def use_rate(self) -> float:
        """used / claimed (核销率)."""
        return self.used / self.claimed if self.claimed else 0.0


@dataclass(frozen=True, slots=True)
class TemplateStats(CouponCounts):
    template_id: int
    name: str
    kind: str
    status: str


@dataclass(frozen=True, slots=True)
class CouponStats:
    templates: list[TemplateStats]
    total: CouponCounts


def _count(status: str) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((Coupon.status == status, 1), else_=0)), 0).cast(Integer)


def coupon_stats(session: Session, *, shop_id: int) -> CouponStats:
    """Per template (newest first) and for the shop: stock, claimed, used, expired, locked, and the rates."""
    per_template = (
        select(
            CouponTemplate.id.label("template_id"),
            CouponTemplate.name,
            CouponTemplate.kind,
            CouponTemplate.status,
            CouponTemplate.total_stock,
            CouponTemplate.claimed_count.label("claimed"),
            _count("used").label("used"),
            _count("expired").label("expired"),
            _count("locked").label("locked"),
        )
        .select_from(CouponTemplate)
        .outerjoin(Coupon, Coupon.template_id == CouponTemplate.id)
        .where(CouponTemplate.shop_id == shop_id)
        .group_by(
            CouponTemplate.id,
            CouponTemplate.name,
            CouponTemplate.kind,
            CouponTemplate.status,
            CouponTemplate.total_stock,
            CouponTemplate.claimed_count,
        )
        .subquery()
    )
    rows = session.execute(select(per_template).order_by(per_template.c.template_id.desc())).all()
    totals = session.execute(
        select(
            *(
                func.coalesce(func.sum(per_template.c[name]), 0)
                for name in ("total_stock", "claimed", "used", "expired", "locked")
            )
        )
    ).one()
    return CouponStats(
        templates=[TemplateStats(**row._asdict()) for row in rows],
        total=CouponCounts(*(int(v) for v in totals)),
    )
