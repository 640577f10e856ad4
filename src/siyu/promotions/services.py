"""Use cases of coupons: templates, claims, use at order and refund, expiry, fission shares.

Every function runs inside the caller's transaction (routes and commands open one, as writers) and
writes an audit row. Changes that race are single conditional UPDATEs, so two requests can never both
win: see :func:`claim_coupon` for why stock and the per-customer limit hold under concurrency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.audit.services import Actor, record
from siyu.core.errors import InvalidInput, NotFound
from siyu.core.paging import Page, PageRequest
from siyu.customers.models import Customer
from siyu.db import insert_ignoring_conflicts, shop_row, utcnow
from siyu.promotions import domain
from siyu.promotions.domain import CouponEvent, CouponStatus, Offer, TemplateTerms
from siyu.promotions.errors import (
    ClaimLimitReached,
    CouponNotUsable,
    InvalidShare,
    InvalidTemplate,
    OutOfStock,
    OutsideClaimWindow,
    TemplateNotActive,
)
from siyu.promotions.models import Coupon, CouponTemplate, FissionShare
from siyu.promotions.schemas import CouponTemplateSpec, OrderLineIn

SPEC_FIELDS = tuple(CouponTemplateSpec.model_fields)
# once coupons exist, changing what they are worth or where they apply would change them under
# their holders' feet: only these may still change
CHANGEABLE_AFTER_CLAIMS = frozenset({"name", "claim_end", "total_stock", "per_customer_limit", "status"})


# ---- templates ------------------------------------------------------------------------------------------
def terms_of(template: CouponTemplate) -> TemplateTerms:
    return TemplateTerms(
        kind=template.kind,
        claim_start=template.claim_start,
        claim_end=template.claim_end,
        total_stock=template.total_stock,
        threshold_fen=template.threshold_fen,
        reduction_fen=template.reduction_fen,
        discount_pct=template.discount_pct,
        max_discount_fen=template.max_discount_fen,
        scope=template.scope,
        scope_items=tuple(template.scope_items),
        use_start=template.use_start,
        use_end=template.use_end,
        use_days=template.use_days,
        per_customer_limit=template.per_customer_limit,
        channel=template.channel,
        fission_friends=template.fission_friends,
    )


def offer_of(template: CouponTemplate) -> Offer:
    return Offer(
        kind=template.kind,
        threshold_fen=template.threshold_fen,
        reduction_fen=template.reduction_fen,
        discount_pct=template.discount_pct,
        max_discount_fen=template.max_discount_fen,
        scope=template.scope,
        scope_items=frozenset(template.scope_items),
    )


def _spec_dict(template: CouponTemplate) -> dict[str, Any]:
    return {name: getattr(template, name) for name in SPEC_FIELDS}


def _audit_view(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}


def get_template(session: Session, *, shop_id: int, template_id: int) -> CouponTemplate:
    template = shop_row(session, CouponTemplate, template_id, shop_id)
    if template is None:
        raise NotFound("优惠券模板", "coupon template")
    return template


def _locked_template(session: Session, shop_id: int, template_id: int) -> CouponTemplate:
    # FOR UPDATE on PostgreSQL (a concurrent claim cannot slip between check and change); SQLite has a
    # single writer already
    template = shop_row(session, CouponTemplate, template_id, shop_id, lock=True)
    if template is None:
        raise NotFound("优惠券模板", "coupon template")
    return template


def list_templates(session: Session, *, shop_id: int) -> list[CouponTemplate]:
    """The shop's templates, newest first."""
    return list(
        session.scalars(
            select(CouponTemplate).where(CouponTemplate.shop_id == shop_id).order_by(CouponTemplate.id.desc())
        )
    )


def create_template(session: Session, *, by: Actor, spec: CouponTemplateSpec) -> CouponTemplate:
    """Define a coupon (terms checked; refused with a zh/en message saying which term is wrong)."""
    domain.check_terms(spec.terms())
    now = utcnow()
    values = spec.model_dump()
    values["name"] = values["name"].strip()
    values["scope_items"] = list(spec.terms().scope_items)
    template = CouponTemplate(
        shop_id=by.shop_id,
        claimed_count=0,
        status="active",
        created_by=by.label,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(template)
    session.flush()
    record(session, by, "coupon_template.create", "coupon_template", template.id, after=_audit_view(values))
    return template


def update_template(session: Session, *, by: Actor, template_id: int, changes: dict[str, Any]) -> CouponTemplate:
    """Change terms; once coupons were claimed only name, claim end, stock, limit and status may change."""
    template = _locked_template(session, by.shop_id, template_id)
    unknown = set(changes) - set(SPEC_FIELDS) - {"status"}
    if unknown:
        raise InvalidInput(
            f"不能修改的字段：{', '.join(sorted(unknown))}",
            f"fields that cannot be changed: {', '.join(sorted(unknown))}",
        )
    before = {**_spec_dict(template), "status": template.status}
    changed = {k: v for k, v in changes.items() if before.get(k) != v}
    if template.claimed_count > 0 and set(changed) - CHANGEABLE_AFTER_CLAIMS:
        fields = ", ".join(sorted(set(changed) - CHANGEABLE_AFTER_CLAIMS))
        raise InvalidTemplate(
            f"已有顾客领取，不能再修改：{fields}",
            f"coupons were already claimed; these terms can no longer change: {fields}",
            field=fields,
        )
    status = changes.get("status", template.status)
    if status not in domain.TEMPLATE_STATUSES:
        raise InvalidTemplate("状态只能是 active 或 stopped", "status must be active or stopped", field="status")
    merged = {k: v for k, v in {**_spec_dict(template), **changes}.items() if k != "status"}
    try:
        spec = CouponTemplateSpec.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidTemplate(
            f"字段「{where}」不正确", f"invalid value for '{where}': {first.get('msg', '')}", field=where
        ) from exc
    domain.check_terms(spec.terms())
    if spec.total_stock < template.claimed_count:
        raise InvalidTemplate(
            f"库存不能少于已领取的 {template.claimed_count} 张",
            f"total stock cannot go below the {template.claimed_count} already claimed",
            field="total_stock",
        )
    for name, value in spec.model_dump().items():
        setattr(template, name, value)
    template.scope_items = list(spec.terms().scope_items)
    template.status = status
    template.updated_at = utcnow()
    record(
        session,
        by,
        "coupon_template.update",
        "coupon_template",
        template.id,
        before=_audit_view({k: before[k] for k in changed}),
        after=_audit_view({k: getattr(template, k) for k in changed}),
    )
    return template


def stop_template(session: Session, *, by: Actor, template_id: int) -> CouponTemplate:
    """Stop issuing (停止发放); coupons already claimed stay usable inside their window."""
    template = _locked_template(session, by.shop_id, template_id)
    before = template.status
    template.status, template.updated_at = "stopped", utcnow()
    record(
        session,
        by,
        "coupon_template.stop",
        "coupon_template",
        template.id,
        before={"status": before},
        after={"status": "stopped"},
    )
    return template


# ---- claims ---------------------------------------------------------------------------------------------
def _by_key(session: Session, shop_id: int, key: str) -> Coupon | None:
    return session.scalar(select(Coupon).where(Coupon.shop_id == shop_id, Coupon.idempotency_key == key))


def _replayed(coupon: Coupon, template_id: int, customer_id: int) -> Coupon:
    if coupon.template_id != template_id or coupon.customer_id != customer_id:
        raise InvalidInput("该幂等键已用于另一次领取", "this idempotency key was already used for a different claim")
    return coupon


def _held(session: Session, template_id: int, customer_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Coupon)
            .where(Coupon.template_id == template_id, Coupon.customer_id == customer_id)
        )
        or 0
    )


def get_customer(session: Session, shop_id: int, customer_id: int) -> Customer:
    customer = shop_row(session, Customer, customer_id, shop_id)
    if customer is None:
        raise NotFound("客户", "customer")
    return customer


def claim_coupon(
    session: Session,
    *,
    by: Actor,
    template_id: int,
    customer_id: int,
    channel: str = "shop",
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Coupon:
    """Give the customer one coupon of the template (领券), or say why not.

    Race-free on PostgreSQL and SQLite, and short on the hot row: the coupon (seq = the customer's
    coupons so far + 1) and its audit row are written first, and the stock is taken last by one
    conditional UPDATE (``claimed_count < total_stock``), so the template row — which every claim of a
    popular coupon needs — is locked only from that UPDATE to the commit. The database backs both
    rules: CHECK (claimed_count <= total_stock), and UNIQUE (template_id, customer_id, seq): two claims
    of one customer at the same moment pick the same seq, the second waits for the first and, on the
    conflict, counts again (and meets the limit). No claim waits for another while holding the template
    row, so claims cannot deadlock; a coupon taken inside a mall redemption keeps the order member →
    mall item → template.
    """
    now = now or utcnow()
    key = None
    if idempotency_key is not None:
        key = idempotency_key.strip()
        if not 1 <= len(key) <= 100:
            raise InvalidInput("幂等键须为 1 到 100 个字符", "an idempotency key has 1–100 characters")
        earlier = _by_key(session, by.shop_id, key)
        if earlier is not None:
            return _replayed(earlier, template_id, customer_id)
    template = get_template(session, shop_id=by.shop_id, template_id=template_id)
    customer = get_customer(session, by.shop_id, customer_id)
    terms = terms_of(template)
    if template.status != "active":
        raise TemplateNotActive()
    window = domain.claim_window_state(terms, now)
    if window != "open":
        raise OutsideClaimWindow(early=window == "early")
    domain.check_channel(template.channel, channel, is_member=customer.is_member)
    limit = template.per_customer_limit
    valid_from, valid_until = domain.validity(terms, now)
    for _attempt in range(limit + 1):  # a retry only follows a same-customer race on seq
        held = _held(session, template.id, customer.id)
        if held >= limit:
            raise ClaimLimitReached(limit)
        try:
            with session.begin_nested():
                coupon = Coupon(
                    shop_id=by.shop_id,
                    template_id=template.id,
                    customer_id=customer.id,
                    seq=held + 1,
                    code=domain.new_code(),
                    status=domain.initial_status(template.channel),
                    channel=channel,
                    idempotency_key=key,
                    claimed_at=now,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    updated_at=now,
                )
                session.add(coupon)
                session.flush()
                record(
                    session,
                    by,
                    "coupon.claim",
                    "coupon",
                    coupon.id,
                    after={
                        "template_id": template.id,
                        "customer_id": customer.id,
                        "seq": coupon.seq,
                        "channel": channel,
                        "status": coupon.status,
                    },
                )
                session.flush()
                # the stock last: from here to the commit this transaction holds the template's row
                taken = session.execute(
                    update(CouponTemplate)
                    .where(
                        CouponTemplate.id == template.id,
                        CouponTemplate.status == "active",
                        CouponTemplate.claimed_count < CouponTemplate.total_stock,
                    )
                    .values(claimed_count=CouponTemplate.claimed_count + 1)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]
                    raise OutOfStock()
        except IntegrityError:
            # the same key used at the same moment (a replay), or this customer's seq taken by a twin claim
            if key is not None and (earlier := _by_key(session, by.shop_id, key)) is not None:
                session.expire(template, ["claimed_count"])
                return _replayed(earlier, template_id, customer_id)
            continue
        session.expire(template, ["claimed_count"])
        return coupon
    raise ClaimLimitReached(limit)


# ---- use, refund, expiry --------------------------------------------------------------------------------
def get_coupon(session: Session, *, shop_id: int, coupon_id: int) -> Coupon:
    coupon = shop_row(session, Coupon, coupon_id, shop_id)
    if coupon is None:
        raise NotFound("优惠券", "coupon")
    return coupon


def get_coupon_by_code(session: Session, *, shop_id: int, code: str) -> Coupon:
    coupon = session.scalar(select(Coupon).where(Coupon.shop_id == shop_id, Coupon.code == code.strip().upper()))
    if coupon is None:
        raise NotFound("优惠券", "coupon")
    return coupon


def _not_usable(coupon: Coupon, template: CouponTemplate, session: Session) -> CouponNotUsable:
    if coupon.status == "locked":
        shared = _shares(session, coupon.id)
        need = (template.fission_friends or 0) - shared
        return CouponNotUsable(
            f"裂变券尚未解锁：还需分享给 {need} 位好友",
            f"the fission coupon is still locked: share it with {need} more friend(s)",
            status=coupon.status,
        )
    if coupon.status == "used":
        return CouponNotUsable("优惠券已使用", "the coupon was already used", status=coupon.status)
    return CouponNotUsable("优惠券已过期", "the coupon has expired", status=coupon.status)


def _move(session: Session, coupon: Coupon, event: CouponEvent, **values: Any) -> bool:
    """Apply a state-machine move as a conditional UPDATE; False when another request moved it first."""
    target = domain.next_status(coupon.status, event)
    moved = session.execute(
        update(Coupon)
        .where(Coupon.id == coupon.id, Coupon.status == coupon.status)
        .values(status=target.value, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(coupon)
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]


def use_coupon(
    session: Session, *, by: Actor, code: str, order_no: str, lines: list[OrderLineIn], now: datetime | None = None
) -> tuple[Coupon, int]:
    """Redeem the coupon on an order; returns the coupon (now ``used``) and the discount in fen.

    Using it again for the same order number answers the same discount (a retried request is safe).
    """
    now = now or utcnow()
    order_no = order_no.strip()
    if not 1 <= len(order_no) <= 64:
        raise InvalidInput("订单号必填", "an order number of 1–64 characters is required")
    coupon = get_coupon_by_code(session, shop_id=by.shop_id, code=code)
    template = get_template(session, shop_id=by.shop_id, template_id=coupon.template_id)
    if coupon.status == "used" and coupon.order_no == order_no:
        return coupon, coupon.discount_fen or 0
    if coupon.status != "claimed":
        raise _not_usable(coupon, template, session)
    if now < coupon.valid_from:
        raise CouponNotUsable("优惠券尚未到使用时间", "the coupon cannot be used yet", status=coupon.status)
    if now > coupon.valid_until:
        raise CouponNotUsable("优惠券已过期", "the coupon has expired", status=coupon.status)
    eligible, off = domain.price_order(offer_of(template), [line.line() for line in lines])
    if not _move(session, coupon, CouponEvent.USE, order_no=order_no, used_at=now, discount_fen=off, updated_at=now):
        raise _not_usable(coupon, template, session)
    record(
        session,
        by,
        "coupon.use",
        "coupon",
        coupon.id,
        after={"order_no": order_no, "eligible_fen": eligible, "discount_fen": off},
    )
    return coupon, off


def return_coupon(session: Session, *, by: Actor, code: str, now: datetime | None = None) -> Coupon:
    """The order was refunded: the coupon is usable again inside its window, else it expires."""
    now = now or utcnow()
    coupon = get_coupon_by_code(session, shop_id=by.shop_id, code=code)
    if coupon.status != "used":
        raise CouponNotUsable("只有已使用的优惠券可以退回", "only a used coupon can be returned", status=coupon.status)
    order_no = coupon.order_no
    event = CouponEvent.REFUND if now <= coupon.valid_until else CouponEvent.REFUND_LATE
    if not _move(session, coupon, event, order_no=None, used_at=None, discount_fen=None, updated_at=now):
        raise CouponNotUsable("优惠券已被退回", "the coupon was already returned", status=coupon.status)
    record(
        session,
        by,
        "coupon.return",
        "coupon",
        coupon.id,
        before={"status": "used", "order_no": order_no},
        after={"status": coupon.status},
    )
    return coupon


def expire_coupons(session: Session, *, by: Actor, now: datetime | None = None) -> int:
    """Mark the shop's claimed and locked coupons past their end as expired (one UPDATE); returns how many."""
    now = now or utcnow()
    result = session.execute(
        update(Coupon)
        .where(
            Coupon.shop_id == by.shop_id,
            Coupon.status.in_([CouponStatus.CLAIMED.value, CouponStatus.LOCKED.value]),
            Coupon.valid_until < now,
        )
        .values(status=CouponStatus.EXPIRED.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    session.expire_all()
    record(session, by, "coupon.expire", "shop", by.shop_id, after={"expired": count, "as_of": now.isoformat()})
    return count


# ---- fission --------------------------------------------------------------------------------------------
def _shares(session: Session, coupon_id: int) -> int:
    return (
        session.scalar(select(func.count()).select_from(FissionShare).where(FissionShare.coupon_id == coupon_id)) or 0
    )


def record_fission_share(
    session: Session, *, by: Actor, coupon_id: int, friend_customer_id: int, now: datetime | None = None
) -> Coupon:
    """Count a distinct friend the fission coupon was shared with; the N-th one unlocks it."""
    now = now or utcnow()
    # lock the coupon: two friends arriving together must not both count "N-1 others"
    coupon = shop_row(session, Coupon, coupon_id, by.shop_id, lock=True)
    if coupon is None:
        raise NotFound("优惠券", "coupon")
    friend = get_customer(session, by.shop_id, friend_customer_id)
    if friend.id == coupon.customer_id:
        raise InvalidShare("不能分享给自己", "a coupon's holder cannot count as their own friend")
    template = get_template(session, shop_id=by.shop_id, template_id=coupon.template_id)
    if coupon.status != "locked":
        raise CouponNotUsable("该优惠券无需再分享", "the coupon is not waiting for shares", status=coupon.status)
    if now > coupon.valid_until:
        raise CouponNotUsable("优惠券已过期", "the coupon has expired", status=coupon.status)
    insert_ignoring_conflicts(
        session,
        FissionShare.__table__,
        [{"shop_id": by.shop_id, "coupon_id": coupon.id, "friend_customer_id": friend.id, "shared_at": now}],
    )
    shared = _shares(session, coupon.id)
    unlocked = shared >= (template.fission_friends or 1)
    if unlocked:
        _move(session, coupon, CouponEvent.UNLOCK, unlocked_at=now, updated_at=now)
    record(
        session,
        by,
        "coupon.share",
        "coupon",
        coupon.id,
        after={"friend_customer_id": friend.id, "friends": shared, "unlocked": unlocked},
    )
    return coupon


# ---- lists ----------------------------------------------------------------------------------------------
def list_coupons(
    session: Session,
    *,
    shop_id: int,
    customer_id: int | None = None,
    template_id: int | None = None,
    status: str | None = None,
    page: PageRequest,
) -> Page[Coupon]:
    """The shop's coupons, newest first, optionally of one customer, template or status."""
    where = [Coupon.shop_id == shop_id]
    if customer_id is not None:
        where.append(Coupon.customer_id == customer_id)
    if template_id is not None:
        where.append(Coupon.template_id == template_id)
    if status is not None:
        if status not in set(CouponStatus):
            raise InvalidInput(f"未知的状态「{status}」", f"unknown status '{status}'")
        where.append(Coupon.status == status)
    total = session.scalar(select(func.count()).select_from(Coupon).where(*where)) or 0
    items = session.scalars(
        select(Coupon).where(*where).order_by(Coupon.id.desc()).limit(page.size).offset(page.offset)
    )
    return Page(list(items), total, page)
