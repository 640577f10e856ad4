"""Use cases of brand membership: the programme and its tiers, joining with consent, the points ledger
(earn, spend, refund, expire), the points mall, birthday gifts, tier reviews and identity matching.

Every change to a member's points runs under that member's row lock (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite has one writer at a time) and writes, in the same transaction, the ledger entry,
the lots it touches and the cached balance. Lock order is always member → mall item → coupon template,
so concurrent use cannot deadlock. Each entry carries an idempotency key, unique per shop: a request
repeated with the same key is answered with the first result and grants nothing more.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from siyu.audit.services import Actor, record
from siyu.config import get_settings
from siyu.core.errors import DomainError, InvalidInput, NotFound
from siyu.core.phones import PhoneVault
from siyu.customers.models import Customer, Order
from siyu.db import insert_ignoring_conflicts, shop_row, utcnow
from siyu.loyalty import domain
from siyu.loyalty.domain import Lot, ProgramSettings, TierRung
from siyu.loyalty.errors import (
    AccountNotLinkable,
    AccountPhoneMismatch,
    AlreadyMember,
    ConsentRequired,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidMobile,
    ItemUnavailable,
    LegalBasisRequired,
    LimitReached,
    MatchingDisabled,
    NotAMember,
    OutOfStock,
    UnknownInteraction,
)
from siyu.loyalty.models import (
    BrandMemberHash,
    MallItem,
    MallRedemption,
    Member,
    MemberHashUpload,
    MemberProgram,
    MemberTier,
    PointsEntry,
    PointsLot,
)
from siyu.segments.engine import bump_data_version
from siyu.shops.models import Shop

CONSENT_SOURCES = ("console", "api", "h5", "brand", "import")


# ---- programme and tiers --------------------------------------------------------------------------------
def load_program(session: Session, shop_id: int) -> tuple[ProgramSettings, MemberProgram | None]:
    row = session.get(MemberProgram, shop_id)
    return (ProgramSettings.model_validate(row.settings) if row else ProgramSettings()), row


def save_program(session: Session, *, by: Actor, settings: ProgramSettings) -> MemberProgram:
    """Change how the programme earns, expires and ranks (join gift, multipliers, member day, limits…)."""
    _, row = load_program(session, by.shop_id)
    before = dict(row.settings) if row else None
    if row is None:
        row = MemberProgram(shop_id=by.shop_id, mode="disconnected", match_secret="")
        session.add(row)
    row.settings = settings.model_dump(mode="json")
    row.updated_at = utcnow()
    session.flush()
    record(session, by, "loyalty.program", "member_program", by.shop_id, before=before, after=row.settings)
    return row


def _program_row(session: Session, shop_id: int) -> MemberProgram:
    _, row = load_program(session, shop_id)
    if row is None:
        row = MemberProgram(shop_id=shop_id, settings=ProgramSettings().model_dump(mode="json"))
        session.add(row)
        session.flush()
    return row


def set_matching_mode(session: Session, *, by: Actor, mode: str) -> MemberProgram:
    """打通 ``connected`` (match the brand's members by keyed hash) or 不打通 ``disconnected``."""
    if mode not in ("connected", "disconnected"):
        raise InvalidInput("模式只能是 connected（打通）或 disconnected（不打通）", "mode is connected or disconnected")
    row = _program_row(session, by.shop_id)
    before = row.mode
    row.mode = mode
    if mode == "connected" and not row.match_secret:
        row.match_secret = secrets.token_urlsafe(32)
    session.flush()
    record(
        session,
        by,
        "loyalty.matching_mode",
        "member_program",
        by.shop_id,
        before={"mode": before},
        after={"mode": mode},
    )
    return row


def rotate_match_secret(session: Session, *, by: Actor) -> MemberProgram:
    """A new shared key; hashes made with the old key will no longer match."""
    row = _program_row(session, by.shop_id)
    row.match_secret = secrets.token_urlsafe(32)
    session.flush()
    record(session, by, "loyalty.match_secret_rotated", "member_program", by.shop_id)
    return row


def reveal_match_secret(session: Session, *, by: Actor) -> str:
    """The current shared key, for handing to the brand again (audited; connected mode only)."""
    _, row = load_program(session, by.shop_id)
    if row is None or row.mode != "connected" or not row.match_secret:
        raise MatchingDisabled()
    record(session, by, "loyalty.match_secret_revealed", "member_program", by.shop_id)
    return row.match_secret


@dataclass(frozen=True, slots=True)
class TierSpec:
    name: str
    threshold: int
    points_multiplier_pct: int = 100
    privileges: tuple[str, ...] = ()
    upgrade_gift_points: int = 0


def list_tiers(session: Session, *, shop_id: int) -> list[MemberTier]:
    return list(session.scalars(select(MemberTier).where(MemberTier.shop_id == shop_id).order_by(MemberTier.level)))


def _ensure_tiers(session: Session, shop_id: int) -> list[MemberTier]:
    tiers = list_tiers(session, shop_id=shop_id)
    if tiers:
        return tiers
    for level, (name, _en, threshold, pct, privileges) in enumerate(domain.DEFAULT_TIERS, start=1):
        session.add(
            MemberTier(
                shop_id=shop_id,
                level=level,
                name=name,
                threshold=threshold,
                points_multiplier_pct=pct,
                privileges=list(privileges),
                upgrade_gift_points=0,
            )
        )
    session.flush()
    return list_tiers(session, shop_id=shop_id)


def save_tiers(session: Session, *, by: Actor, tiers: Sequence[TierSpec]) -> list[MemberTier]:
    """Replace the tier ladder: 1–10 tiers, the first from 0, thresholds strictly rising, names unique."""
    if not 1 <= len(tiers) <= 10:
        raise InvalidInput("会员等级需要 1–10 个", "a ladder has 1–10 tiers")
    if tiers[0].threshold != 0:
        raise InvalidInput("第一个等级（入会等级）的门槛必须为 0", "the first (entry) tier must start at 0")
    for lower, higher in itertools.pairwise(tiers):
        if higher.threshold <= lower.threshold:
            raise InvalidInput(
                f"等级「{higher.name}」的门槛必须高于「{lower.name}」",
                f"tier '{higher.name}' must have a higher threshold than '{lower.name}'",
            )
    names = [t.name.strip() for t in tiers]
    if any(not n or len(n) > 40 for n in names) or len(set(names)) != len(names):
        raise InvalidInput("等级名称不能为空、不超过 40 字且不能重复", "tier names: 1–40 characters, all different")
    for t in tiers:
        if not 100 <= t.points_multiplier_pct <= 1_000:
            raise InvalidInput("积分倍数需在 1–10 倍之间", "the points multiplier must be 1×–10×")
        if t.upgrade_gift_points < 0:
            raise InvalidInput("升级礼积分不能为负", "upgrade gift points must not be negative")
    before = [
        {"level": t.level, "name": t.name, "threshold": t.threshold} for t in list_tiers(session, shop_id=by.shop_id)
    ]
    session.execute(delete(MemberTier).where(MemberTier.shop_id == by.shop_id))
    for level, spec in enumerate(tiers, start=1):
        session.add(
            MemberTier(
                shop_id=by.shop_id,
                level=level,
                name=spec.name.strip(),
                threshold=spec.threshold,
                points_multiplier_pct=spec.points_multiplier_pct,
                privileges=list(spec.privileges),
                upgrade_gift_points=spec.upgrade_gift_points,
            )
        )
    session.flush()
    top = len(tiers)
    session.execute(update(Member).where(Member.shop_id == by.shop_id, Member.tier_level > top).values(tier_level=top))
    record(
        session,
        by,
        "loyalty.tiers",
        "member_tiers",
        by.shop_id,
        before={"tiers": before},
        after={"tiers": [{"name": t.name, "threshold": t.threshold, "pct": t.points_multiplier_pct} for t in tiers]},
    )
    return list_tiers(session, shop_id=by.shop_id)


def _rungs(session: Session, shop_id: int) -> list[TierRung]:
    return [TierRung(t.level, t.threshold, t.points_multiplier_pct) for t in _ensure_tiers(session, shop_id)]


# ---- joining ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Consent:
    """Proof of the customer's consent to membership (kept with the member: time, source, evidence)."""

    source: str
    text: str
    evidence: str = ""
    given: bool = True


def _check_consent(consent: Consent) -> None:
    if not consent.given or consent.source not in CONSENT_SOURCES or not consent.text.strip():
        raise ConsentRequired()


def get_member(session: Session, *, shop_id: int, member_id: int) -> Member:
    member = shop_row(session, Member, member_id, shop_id)
    if member is None:
        raise NotFound("会员", "member")
    return member


def member_of_customer(session: Session, *, shop_id: int, customer_id: int) -> Member | None:
    return session.scalar(select(Member).where(Member.shop_id == shop_id, Member.customer_id == customer_id))


def join_member(
    session: Session,
    *,
    by: Actor,
    customer_id: int,
    consent: Consent,
    now: datetime | None = None,
) -> Member:
    """开卡: the customer becomes a member with recorded consent, gets the entry tier and the join gift."""
    _check_consent(consent)
    now = now or utcnow()
    customer = shop_row(session, Customer, customer_id, by.shop_id)
    if customer is None:
        raise NotFound("客户", "customer")
    existing = member_of_customer(session, shop_id=by.shop_id, customer_id=customer_id)
    if existing is not None and existing.status == "active":
        raise AlreadyMember(existing.member_no)
    settings, _ = load_program(session, by.shop_id)
    _ensure_tiers(session, by.shop_id)
    if existing is None:
        member = Member(
            shop_id=by.shop_id,
            customer_id=customer_id,
            member_no="",
            points_balance=0,
            points_debt=0,
            growth_value=0,
            tier_level=1,
        )
        session.add(member)
    else:
        member = _lock(session, by.shop_id, existing.id)
    member.status = "active"
    member.source = consent.source
    member.joined_at = now
    member.consent_at = now
    member.consent_source = consent.source
    member.consent_text = consent.text.strip()[:2000]
    member.consent_evidence = consent.evidence[:300]
    session.flush()
    if not member.member_no:
        member.member_no = f"M{by.shop_id:04d}{member.id:08d}"
    customer.is_member = True
    customer.member_since = customer.member_since or now
    bump_data_version(session, by.shop_id)
    session.flush()
    record(
        session,
        by,
        "member.join",
        "member",
        member.id,
        after={"customer_id": customer_id, "source": consent.source, "member_no": member.member_no},
    )
    if settings.join_gift_points:
        _earn(
            session,
            member,
            settings,
            points=settings.join_gift_points,
            source="join_gift",
            key=f"join:{member.id}",
            ref=member.member_no,
            reason="开卡礼 join gift",
            by=by,
            now=now,
        )
    if settings.join_gift_coupon_template_id:
        _gift_coupon(
            session,
            by,
            settings.join_gift_coupon_template_id,
            customer_id,
            "join_gift",
            f"join:{member.id}",
            now,
        )
    return member


def join_by_phone(
    session: Session,
    *,
    by: Actor,
    phone: str,
    consent: Consent,
    name: str = "",
    account: str = "",
    account_proven: bool = True,
    now: datetime | None = None,
) -> Member:
    """Join from the H5 page, the API or the console with a phone number: the customer is found by JD
    account or by the phone's matching hash, or created (the phone is encrypted, never stored clear).

    A typed JD account never takes over a customer known with another phone. Where nobody vouches for the
    account (``account_proven=False``: the public H5 page) it may only point at a customer with this very
    phone; staff (console, API) may link an account whose customer has no phone yet."""
    _check_consent(consent)
    mobile = domain.normalise_mobile(phone)
    if mobile is None:
        raise InvalidMobile(phone[:20])
    settings = get_settings()
    vault = PhoneVault(settings.phone_key, settings.phone_hash_salt)
    phone_hash = vault.match_hash(mobile)
    customer = None
    account = account.strip()[:100]
    if account:
        customer = session.scalar(select(Customer).where(Customer.shop_id == by.shop_id, Customer.account == account))
        if customer is not None and customer.phone_hash != phone_hash:
            if not account_proven:
                raise AccountNotLinkable()
            if customer.phone_hash:
                raise AccountPhoneMismatch()
    if customer is None:
        customer = session.scalars(
            select(Customer)
            .where(Customer.shop_id == by.shop_id, Customer.phone_hash == phone_hash)
            .order_by(Customer.id)
        ).first()
    if customer is None:
        customer = Customer(
            shop_id=by.shop_id,
            account=account or f"m_{phone_hash[:16]}",
            name=name.strip()[:100],
            source_channel="member_join",
            created_at=now or utcnow(),
        )
        session.add(customer)
    if not customer.phone_cipher:
        customer.phone_cipher = vault.encrypt(mobile)
        customer.phone_masked = f"{mobile[:3]}****{mobile[-4:]}"
        customer.phone_tail = mobile[-4:]
        customer.phone_hash = phone_hash
    if name.strip() and not customer.name:
        customer.name = name.strip()[:100]
    session.flush()
    return join_member(session, by=by, customer_id=customer.id, consent=consent, now=now)


def leave_member(session: Session, *, by: Actor, member_id: int) -> Member:
    """The member leaves (退会): no more earning; the ledger is kept."""
    member = _lock(session, by.shop_id, member_id)
    member.status = "left"
    customer = session.get_one(Customer, member.customer_id)
    customer.is_member = False
    bump_data_version(session, by.shop_id)
    session.flush()
    record(session, by, "member.leave", "member", member.id)
    return member


# ---- the ledger ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PointsResult:
    """The ledger entry a request produced (``replayed``: the key was seen before; nothing changed)."""

    entry: PointsEntry | None
    member: Member
    replayed: bool = False
    points: int = 0


def _lock(session: Session, shop_id: int, member_id: int) -> Member:
    member = shop_row(session, Member, member_id, shop_id, lock=True)
    if member is None:
        raise NotFound("会员", "member")
    return member


def _active(member: Member) -> None:
    if member.status != "active":
        raise NotAMember()


def _replay(session: Session, member: Member, key: str, source: str, kind: str | None = None) -> PointsResult | None:
    if not key or len(key) > 160:
        raise InvalidInput("幂等键需要 1–160 个字符", "an idempotency key has 1–160 characters")
    entry = session.scalar(
        select(PointsEntry).where(PointsEntry.shop_id == member.shop_id, PointsEntry.idempotency_key == key)
    )
    if entry is None:
        return None
    if entry.member_id != member.id or entry.source != source or (kind is not None and entry.kind != kind):
        raise IdempotencyConflict(key)
    return PointsResult(entry, member, replayed=True, points=entry.points)


def _entry(
    session: Session,
    member: Member,
    *,
    kind: str,
    source: str,
    points: int,
    key: str,
    ref: str,
    reason: str,
    by: Actor,
    now: datetime,
    debt_change: int = 0,
    growth: int = 0,
) -> PointsEntry:
    member.points_balance += points
    member.points_debt += debt_change
    member.growth_value += growth
    entry = PointsEntry(
        shop_id=member.shop_id,
        member_id=member.id,
        kind=kind,
        source=source,
        points=points,
        balance_after=member.points_balance,
        debt_change=debt_change,
        growth=growth,
        idempotency_key=key,
        ref=ref[:80],
        reason=reason[:300],
        actor=by.label[:120],
        at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def _open_lots(session: Session, member: Member, *, exclude: int | None = None) -> list[PointsLot]:
    query = select(PointsLot).where(PointsLot.member_id == member.id, PointsLot.remaining > 0)
    if exclude is not None:
        query = query.where(PointsLot.id != exclude)
    # FIFO: the points that expire first are used first; points that never expire come last
    return list(
        session.scalars(
            query.order_by(PointsLot.expires_at.is_(None), PointsLot.expires_at, PointsLot.earned_at, PointsLot.id)
        )
    )


def _expire_due(session: Session, member: Member, by: Actor, now: datetime) -> int:
    """Expire the member's lots whose time has come (run before every change, and by the nightly job)."""
    due = list(
        session.scalars(
            select(PointsLot)
            .where(
                PointsLot.member_id == member.id,
                PointsLot.remaining > 0,
                PointsLot.expires_at.is_not(None),
                PointsLot.expires_at <= now,
            )
            .order_by(PointsLot.expires_at, PointsLot.id)
        )
    )
    total = 0
    for lot in due:
        amount = lot.remaining
        lot.remaining = 0
        _entry(
            session,
            member,
            kind="expire",
            source="expiry",
            points=-amount,
            key=f"expire:lot:{lot.id}",
            ref=str(lot.id),
            reason="积分过期 points expired",
            by=by,
            now=now,
        )
        total += amount
    return total


def _earn(
    session: Session,
    member: Member,
    settings: ProgramSettings,
    *,
    points: int,
    source: str,
    key: str,
    ref: str,
    reason: str,
    by: Actor,
    now: datetime,
    growth: int = 0,
) -> PointsResult:
    replay = _replay(session, member, key, source, "earn")
    if replay is not None:
        return replay
    _expire_due(session, member, by, now)
    if points <= 0 and growth <= 0:
        return PointsResult(None, member, points=0)
    if points <= 0:
        # growth without points: a ledger line of 0 points keeps the key, so a retry adds no growth again
        entry = _entry(
            session,
            member,
            kind="earn",
            source=source,
            points=0,
            key=key,
            ref=ref,
            reason=reason,
            by=by,
            now=now,
            growth=growth,
        )
        return PointsResult(entry, member, points=0)
    repaid = domain.repay_debt(points, member.points_debt)
    entry = _entry(
        session,
        member,
        kind="earn",
        source=source,
        points=points,
        key=key,
        ref=ref,
        reason=reason,
        by=by,
        now=now,
        growth=growth,
    )
    credited = points - repaid
    expires_at = now + timedelta(days=settings.expiry_days) if settings.expiry_days else None
    session.add(
        PointsLot(
            shop_id=member.shop_id,
            member_id=member.id,
            entry_id=entry.id,
            source=source,
            ref=ref[:80],
            points=points,
            remaining=credited,
            earned_at=now,
            expires_at=expires_at,
        )
    )
    if repaid:
        _entry(
            session,
            member,
            kind="repay",
            source="debt",
            points=-repaid,
            debt_change=-repaid,
            key=f"{key}#repay",
            ref=ref,
            reason="抵扣退款欠分 repays refund debt",
            by=by,
            now=now,
        )
    session.flush()
    return PointsResult(entry, member, points=points)


def _spend(
    session: Session,
    member: Member,
    *,
    points: int,
    source: str,
    key: str,
    ref: str,
    reason: str,
    by: Actor,
    now: datetime,
) -> PointsResult:
    replay = _replay(session, member, key, source, "spend")
    if replay is not None:
        return replay
    _expire_due(session, member, by, now)
    lots = _open_lots(session, member)
    try:
        taken = domain.take_fifo([Lot(lot.id, lot.remaining) for lot in lots], points)
    except domain.NotEnoughPoints as exc:
        raise InsufficientPoints(exc.wanted, exc.available) from exc
    by_id = {lot.id: lot for lot in lots}
    for lot_id, amount in taken:
        by_id[lot_id].remaining -= amount
    entry = _entry(
        session, member, kind="spend", source=source, points=-points, key=key, ref=ref, reason=reason, by=by, now=now
    )
    return PointsResult(entry, member, points=-points)


def _positive(points: int) -> None:
    if points <= 0 or points > 100_000_000:
        raise InvalidInput(
            "积分数量需为正整数（不超过 1 亿）", "points must be a positive whole number (≤ 100,000,000)"
        )


def adjust_points(
    session: Session,
    *,
    by: Actor,
    member_id: int,
    points: int,
    reason: str,
    idempotency_key: str,
    now: datetime | None = None,
) -> PointsResult:
    """Manual grant (positive) or deduction (negative) with a reason; a deduction never overdraws."""
    if not reason.strip():
        raise InvalidInput("人工调整积分必须填写原因", "a manual adjustment needs a reason")
    _positive(abs(points))
    now = now or utcnow()
    member = _lock(session, by.shop_id, member_id)
    settings, _ = load_program(session, by.shop_id)
    if points > 0:
        _active(member)
        result = _earn(
            session,
            member,
            settings,
            points=points,
            source="manual",
            key=idempotency_key,
            ref="",
            reason=reason.strip(),
            by=by,
            now=now,
        )
    else:
        result = _spend(
            session,
            member,
            points=-points,
            source="manual",
            key=idempotency_key,
            ref="",
            reason=reason.strip(),
            by=by,
            now=now,
        )
    if not result.replayed:
        record(session, by, "points.adjust", "member", member.id, after={"points": points, "reason": reason.strip()})
    return result


def spend_points(
    session: Session,
    *,
    by: Actor,
    member_id: int,
    points: int,
    reason: str,
    idempotency_key: str,
    ref: str = "",
    now: datetime | None = None,
) -> PointsResult:
    """Spend points oldest first (e.g. points deduction at checkout); refused when the balance is short."""
    _positive(points)
    member = _lock(session, by.shop_id, member_id)
    _active(member)
    result = _spend(
        session,
        member,
        points=points,
        source="manual",
        key=idempotency_key,
        ref=ref,
        reason=reason.strip() or "积分消费 points spent",
        by=by,
        now=now or utcnow(),
    )
    if not result.replayed:
        record(session, by, "points.spend", "member", member.id, after={"points": points, "ref": ref})
    return result


# ---- earning by order and refunds ---------------------------------------------------------------------------
def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _zone(session: Session, shop_id: int) -> ZoneInfo:
    shop = session.get_one(Shop, shop_id)
    return ZoneInfo(shop.timezone or "Asia/Shanghai")


def _tier_pct(session: Session, member: Member) -> int:
    tier = session.scalar(
        select(MemberTier.points_multiplier_pct).where(
            MemberTier.shop_id == member.shop_id, MemberTier.level == member.tier_level
        )
    )
    return int(tier or 100)


def earn_for_order(session: Session, *, by: Actor, order_id: int, now: datetime | None = None) -> PointsResult:
    """Points for one paid order of a member, placed after joining: whole yuan × points per yuan × tier
    multiplier × member-day multiplier (on the shop's member day). The order number is the key."""
    order = shop_row(session, Order, order_id, by.shop_id)
    if order is None:
        raise NotFound("订单", "order")
    existing = member_of_customer(session, shop_id=by.shop_id, customer_id=order.customer_id)
    if existing is None:
        raise NotAMember()
    member = _lock(session, by.shop_id, existing.id)
    _active(member)
    if not order.is_paid:
        raise InvalidInput("未付款或已取消的订单不积分", "unpaid or cancelled orders earn no points")
    if order.ordered_at < member.joined_at:
        raise InvalidInput("入会之前的订单不积分", "orders placed before joining earn no points")
    now = now or utcnow()
    settings, _ = load_program(session, by.shop_id)
    zone = _zone(session, by.shop_id)
    day_pct = (
        settings.member_day_multiplier_pct
        if domain.is_member_day(_local_date(order.ordered_at, zone), settings.member_day)
        else 100
    )
    points = domain.order_points(
        order.paid_fen, points_per_yuan=settings.points_per_yuan, tier_pct=_tier_pct(session, member), day_pct=day_pct
    )
    growth = domain.growth_for_order(order.paid_fen, settings.growth_per_yuan)
    result = _earn(
        session,
        member,
        settings,
        points=points,
        source="order",
        key=f"order:{order.order_no}",
        ref=order.order_no,
        reason="购物积分 order points",
        by=by,
        now=now,
        growth=growth,
    )
    if not result.replayed:
        _review_one(session, by, member, settings, now)
    return result


def reverse_order_points(session: Session, *, by: Actor, order_no: str, now: datetime | None = None) -> PointsResult:
    """A refund takes back the points (and growth) its order earned. Unspent points of the order's own lot
    go first, then other points oldest first; points already spent become a debt that later earnings
    repay, so no balance ever goes negative (docs/loyalty.md explains why a debt and not a loss)."""
    earned = session.scalar(
        select(PointsEntry).where(PointsEntry.shop_id == by.shop_id, PointsEntry.idempotency_key == f"order:{order_no}")
    )
    if earned is None:
        raise NotFound("该订单的积分记录", "points earned by this order")
    member = _lock(session, by.shop_id, earned.member_id)
    key = f"refund:{order_no}"
    replay = _replay(session, member, key, "refund", "reverse")
    if replay is not None:
        return replay
    now = now or utcnow()
    _expire_due(session, member, by, now)
    own = session.scalar(select(PointsLot).where(PointsLot.entry_id == earned.id))
    others = _open_lots(session, member, exclude=own.id if own else None)
    plan = domain.clawback(earned.points, own.remaining if own else 0, [Lot(x.id, x.remaining) for x in others])
    if own is not None:
        own.remaining -= plan.from_order_lot
    by_id = {x.id: x for x in others}
    for lot_id, amount in plan.from_other_lots:
        by_id[lot_id].remaining -= amount
    growth_back = -min(member.growth_value, earned.growth)
    entry = _entry(
        session,
        member,
        kind="reverse",
        source="refund",
        points=-plan.taken,
        debt_change=plan.debt,
        growth=growth_back,
        key=key,
        ref=order_no,
        reason="订单退款扣回积分 refund takes back points",
        by=by,
        now=now,
    )
    record(
        session,
        by,
        "points.refund",
        "member",
        member.id,
        after={"order_no": order_no, "taken": plan.taken, "debt": plan.debt},
    )
    return PointsResult(entry, member, points=-plan.taken)


@dataclass(frozen=True, slots=True)
class OrderSync:
    awarded: int
    points: int
    reversed: int


def sync_order_points(session: Session, *, by: Actor, now: datetime | None = None, limit: int = 50_000) -> OrderSync:
    """Award points for members' paid orders not yet awarded and take back points of orders now refunded
    or cancelled (run after imports; `siyu loyalty sync-orders` for cron). Safe to run any number of times."""
    now = now or utcnow()
    key = "order:" + Order.order_no
    refund_key = "refund:" + Order.order_no
    done = aliased(PointsEntry)
    to_award = (
        session.execute(
            select(Order.id)
            .join(Member, and_(Member.customer_id == Order.customer_id, Member.shop_id == Order.shop_id))
            .where(
                Order.shop_id == by.shop_id,
                Order.is_paid.is_(True),
                Member.status == "active",
                Order.ordered_at >= Member.joined_at,
                ~exists().where(PointsEntry.shop_id == by.shop_id, PointsEntry.idempotency_key == key),
            )
            .order_by(Order.ordered_at, Order.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    awarded = points = 0
    for order_id in to_award:
        result = earn_for_order(session, by=by, order_id=order_id, now=now)
        if result.entry is not None and not result.replayed:
            awarded += 1
            points += result.points
    refunded = (
        session.execute(
            select(Order.order_no)
            .join(PointsEntry, and_(PointsEntry.shop_id == Order.shop_id, PointsEntry.idempotency_key == key))
            .where(
                Order.shop_id == by.shop_id,
                Order.is_paid.is_(False),
                ~exists().where(done.shop_id == by.shop_id, done.idempotency_key == refund_key),
            )
            .limit(limit)
        )
        .scalars()
        .all()
    )
    for order_no in refunded:
        reverse_order_points(session, by=by, order_no=order_no, now=now)
    if awarded or refunded:
        record(
            session,
            by,
            "points.sync_orders",
            "shop",
            by.shop_id,
            after={"awarded": awarded, "points": points, "reversed": len(refunded)},
        )
    return OrderSync(awarded, points, len(refunded))


# ---- interactions --------------------------------------------------------------------------------------------
def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)


def earn_interaction(
    session: Session,
    *,
    by: Actor,
    member_id: int,
    kind: str,
    ref: str = "",
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> PointsResult:
    """Points for an interaction (check-in with streak bonus, follow, add to cart, vote, quiz, game, invite a
    friend, guess the price), within the programme's daily and lifetime limits."""
    if kind not in domain.INTERACTIONS:
        raise UnknownInteraction(kind)
    now = now or utcnow()
    member = _lock(session, by.shop_id, member_id)
    _active(member)
    settings, _ = load_program(session, by.shop_id)
    rule = settings.interaction(kind)
    zone = _zone(session, by.shop_id)
    today = _local_date(now, zone)
    ref = ref.strip()[:80]
    if kind == "checkin":
        key = f"checkin:{member.id}:{today.isoformat()}"
        ref = today.isoformat()
    elif kind == "invite":
        if not ref:
            raise InvalidInput("邀请好友需要好友的账号", "an invitation needs the friend's account")
        key = f"invite:{member.id}:{ref}"
    else:
        key = idempotency_key or f"{kind}:{member.id}:{ref or now.isoformat()}"
    replay = _replay(session, member, key, kind)
    if replay is not None:
        return replay
    if rule.points <= 0 and rule.growth <= 0:
        raise LimitReached(
            f"「{domain.INTERACTIONS[kind][0]}」未设置积分", f"'{kind}' earns no points in this programme"
        )
    counted = (
        select(func.count())
        .select_from(PointsEntry)
        .where(PointsEntry.member_id == member.id, PointsEntry.source == kind, PointsEntry.kind == "earn")
    )
    if rule.daily_limit:
        start, end = _day_bounds(today, zone)
        if (session.scalar(counted.where(PointsEntry.at >= start, PointsEntry.at < end)) or 0) >= rule.daily_limit:
            raise LimitReached(f"「{domain.INTERACTIONS[kind][0]}」今日次数", f"'{kind}' times today")
    if rule.lifetime_limit and (session.scalar(counted) or 0) >= rule.lifetime_limit:
        raise LimitReached(f"「{domain.INTERACTIONS[kind][0]}」累计次数", f"'{kind}' times in all")
    points = rule.points
    reason = domain.INTERACTIONS[kind][0]
    if kind == "checkin":
        since = today - timedelta(days=400)
        days = [
            date.fromisoformat(r)
            for r in session.scalars(
                select(PointsEntry.ref).where(
                    PointsEntry.member_id == member.id,
                    PointsEntry.source == "checkin",
                    PointsEntry.ref >= since.isoformat(),
                )
            )
        ]
        streak = domain.streak_on(today, days)
        bonus = domain.checkin_bonus(streak, settings.checkin)
        points += bonus
        reason = f"签到第 {streak} 天" + (f"，连签奖励 {bonus}" if bonus else "")
    return _earn(
        session,
        member,
        settings,
        points=points,
        source=kind,
        key=key,
        ref=ref,
        reason=reason,
        by=by,
        now=now,
        growth=rule.growth,
    )


def checked_in_today(session: Session, *, shop_id: int, member_id: int, now: datetime | None = None) -> bool:
    """Whether the member has checked in on the shop's today."""
    today = _local_date(now or utcnow(), _zone(session, shop_id))
    key = f"checkin:{member_id}:{today.isoformat()}"
    found = session.scalar(
        select(PointsEntry.id).where(PointsEntry.shop_id == shop_id, PointsEntry.idempotency_key == key)
    )
    return found is not None


def checkin_streak(session: Session, *, shop_id: int, member_id: int, now: datetime | None = None) -> int:
    """Days in a row the member has checked in, up to today (0 when neither today nor yesterday)."""
    zone = _zone(session, shop_id)
    today = _local_date(now or utcnow(), zone)
    days = {
        date.fromisoformat(r)
        for r in session.scalars(
            select(PointsEntry.ref).where(
                PointsEntry.member_id == member_id,
                PointsEntry.source == "checkin",
                PointsEntry.ref >= (today - timedelta(days=400)).isoformat(),
            )
        )
    }
    last = today if today in days else today - timedelta(days=1)
    if last not in days:
        return 0
    return domain.streak_on(last, days - {last})


# ---- expiry ---------------------------------------------------------------------------------------------------
def expire_points(session: Session, *, by: Actor, now: datetime | None = None) -> int:
    """Nightly job: expire every lot whose time has come, oldest first; returns the points expired."""
    now = now or utcnow()
    member_ids = session.scalars(
        select(PointsLot.member_id)
        .where(
            PointsLot.shop_id == by.shop_id,
            PointsLot.remaining > 0,
            PointsLot.expires_at.is_not(None),
            PointsLot.expires_at <= now,
        )
        .distinct()
        .order_by(PointsLot.member_id)
    ).all()
    total = 0
    for member_id in member_ids:
        total += _expire_due(session, _lock(session, by.shop_id, member_id), by, now)
    if total:
        record(session, by, "points.expire", "shop", by.shop_id, after={"members": len(member_ids), "points": total})
    return total


@dataclass(frozen=True, slots=True)
class Expiring:
    points: int
    first_at: datetime | None


def expiring_soon(
    session: Session, *, shop_id: int, member_id: int, now: datetime | None = None, within_days: int | None = None
) -> Expiring:
    """Points that will expire within the notice period (default: the programme's, 30 days)."""
    now = now or utcnow()
    if within_days is None:
        within_days = load_program(session, shop_id)[0].expiring_notice_days
    row = session.execute(
        select(func.coalesce(func.sum(PointsLot.remaining), 0), func.min(PointsLot.expires_at)).where(
            PointsLot.shop_id == shop_id,
            PointsLot.member_id == member_id,
            PointsLot.remaining > 0,
            PointsLot.expires_at.is_not(None),
            PointsLot.expires_at > now,
            PointsLot.expires_at <= now + timedelta(days=within_days),
        )
    ).one()
    return Expiring(int(row[0]), row[1])


# ---- tiers and gifts ---------------------------------------------------------------------------------------------
def _tier_value(session: Session, member: Member, settings: ProgramSettings, now: datetime) -> int:
    if settings.tier_basis == "growth":
        return member.growth_value
    since = now - timedelta(days=settings.tier_window_days)
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Order.paid_fen), 0)).where(
                Order.shop_id == member.shop_id,
                Order.customer_id == member.customer_id,
                Order.is_paid.is_(True),
                Order.ordered_at >= since,
            )
        )
        or 0
    )


def _set_level(
    session: Session, by: Actor, member: Member, level: int, settings: ProgramSettings, now: datetime
) -> None:
    before = member.tier_level
    if level == before:
        return
    member.tier_level = level
    member.tier_changed_at = now
    record(session, by, "member.tier", "member", member.id, before={"level": before}, after={"level": level})
    if level > before:
        gifts = session.scalars(
            select(MemberTier).where(
                MemberTier.shop_id == member.shop_id, MemberTier.level > before, MemberTier.level <= level
            )
        )
        for tier in gifts:
            if tier.upgrade_gift_points:
                _earn(
                    session,
                    member,
                    settings,
                    points=tier.upgrade_gift_points,
                    source="tier_gift",
                    key=f"tier_gift:{member.id}:{tier.level}",
                    ref=tier.name,
                    reason=f"升级礼 {tier.name}",
                    by=by,
                    now=now,
                )


def _review_one(session: Session, by: Actor, member: Member, settings: ProgramSettings, now: datetime) -> None:
    """After an earning: upgrade at once when the threshold is reached (downgrades wait for the review)."""
    fit = domain.fitting_level(_tier_value(session, member, settings, now), _rungs(session, member.shop_id))
    if fit > member.tier_level:
        _set_level(session, by, member, fit, settings, now)


@dataclass(frozen=True, slots=True)
class TierReview:
    members: int
    upgraded: int
    downgraded: int


def review_tiers(session: Session, *, by: Actor, now: datetime | None = None) -> TierReview:
    """Periodic review: every active member's tier from spend in the window (or growth value), upgrades
    at once and downgrades by the programme's rule."""
    now = now or utcnow()
    settings, _ = load_program(session, by.shop_id)
    rungs = _rungs(session, by.shop_id)
    if settings.tier_basis == "growth":
        values = dict(
            session.execute(
                select(Member.id, Member.growth_value).where(Member.shop_id == by.shop_id, Member.status == "active")
            ).all()
        )
    else:
        since = now - timedelta(days=settings.tier_window_days)
        spend = (
            select(Order.customer_id, func.sum(Order.paid_fen).label("spend"))
            .where(Order.shop_id == by.shop_id, Order.is_paid.is_(True), Order.ordered_at >= since)
            .group_by(Order.customer_id)
            .subquery()
        )
        values = {
            mid: int(v or 0)
            for mid, v in session.execute(
                select(Member.id, spend.c.spend)
                .outerjoin(spend, spend.c.customer_id == Member.customer_id)
                .where(Member.shop_id == by.shop_id, Member.status == "active")
            )
        }
    levels = dict(session.execute(select(Member.id, Member.tier_level).where(Member.shop_id == by.shop_id)).all())
    up = down = 0
    for member_id, value in values.items():
        current = levels.get(member_id, 1)
        new = domain.reviewed_level(current, value, rungs, settings.downgrade)
        if new != current:
            member = _lock(session, by.shop_id, member_id)
            _set_level(session, by, member, new, settings, now)
            up += new > current
            down += new < current
    record(
        session,
        by,
        "member.tier_review",
        "shop",
        by.shop_id,
        after={"members": len(values), "upgraded": up, "downgraded": down},
    )
    return TierReview(len(values), up, down)


def grant_birthday_gifts(session: Session, *, by: Actor, today: date | None = None) -> int:
    """Birthday gift (生日礼): points and/or a coupon to members whose birthday is today (29 Feb → 28 Feb
    in other years), once a year each."""
    settings, _ = load_program(session, by.shop_id)
    zone = _zone(session, by.shop_id)
    now = utcnow()
    today = today or _local_date(now, zone)
    rows = session.execute(
        select(Member.id, Member.customer_id, Customer.birthday)
        .join(Customer, Customer.id == Member.customer_id)
        .where(Member.shop_id == by.shop_id, Member.status == "active", Customer.birthday.is_not(None))
    ).all()
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    given = 0
    for member_id, customer_id, birthday in rows:
        if birthday is None:
            continue
        month, day = birthday.month, birthday.day
        if (month, day) == (2, 29) and not leap:
            day = 28
        if (month, day) != (today.month, today.day):
            continue
        member = _lock(session, by.shop_id, member_id)
        key = f"birthday:{member_id}:{today.year}"
        result = None
        if settings.birthday_gift_points:
            result = _earn(
                session,
                member,
                settings,
                points=settings.birthday_gift_points,
                source="birthday",
                key=key,
                ref=str(today.year),
                reason="生日礼 birthday gift",
                by=by,
                now=now,
            )
        if settings.birthday_gift_coupon_template_id:
            _gift_coupon(session, by, settings.birthday_gift_coupon_template_id, customer_id, "member", key, now)
        if result is None or not result.replayed:
            given += 1
    if given:
        record(session, by, "member.birthday_gifts", "shop", by.shop_id, after={"members": given})
    return given


def _give_coupon(
    session: Session, by: Actor, template_id: int, customer_id: int, channel: str, key: str, now: datetime
) -> Any:
    from siyu.promotions import services as promotions

    return promotions.claim_coupon(
        session, by=by, template_id=template_id, customer_id=customer_id, channel=channel, idempotency_key=key, now=now
    )


def _gift_coupon(
    session: Session, by: Actor, template_id: int, customer_id: int, channel: str, key: str, now: datetime
) -> Any:
    """A gift coupon (join, birthday): when it cannot be given (stopped, out of stock, outside its window) the
    member still joins or gets the points; the reason is kept in the audit log for the operations team."""
    try:
        with session.begin_nested():
            return _give_coupon(session, by, template_id, customer_id, channel, key, now)
    except DomainError as exc:
        record(
            session,
            by,
            "member.gift_coupon_failed",
            "customer",
            customer_id,
            after={"template_id": template_id, "code": exc.code, "reason": exc.zh},
        )
        return None


# ---- points mall --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MallItemSpec:
    name: str
    kind: str  # coupon | gift | lottery
    points_cost: int
    stock: int
    per_member_limit: int = 1
    description: str = ""
    coupon_template_id: int | None = None
    win_rate_pct: int = 0
    min_tier_level: int = 1
    active: bool = True


def _check_item(session: Session, shop_id: int, spec: MallItemSpec) -> None:
    if not spec.name.strip() or len(spec.name.strip()) > 100:
        raise InvalidInput("商品名称需要 1–100 个字", "an item name has 1–100 characters")
    if spec.kind not in ("coupon", "gift", "lottery"):
        raise InvalidInput("类型只能是优惠券、礼品或抽奖机会", "kind is coupon, gift or lottery")
    if spec.points_cost <= 0:
        raise InvalidInput("兑换所需积分必须大于 0", "the points cost must be above 0")
    if spec.stock < 0 or spec.per_member_limit < 0:
        raise InvalidInput("库存和每人限兑不能为负", "stock and per-member limit must not be negative")
    if spec.kind == "coupon":
        if spec.coupon_template_id is None:
            raise InvalidInput("优惠券类商品需要选择优惠券模板", "a coupon item needs a coupon template")
        from siyu.promotions import services as promotions

        promotions.get_template(session, shop_id=shop_id, template_id=spec.coupon_template_id)
    if spec.kind == "lottery" and not 0 < spec.win_rate_pct <= 100:
        raise InvalidInput("抽奖中奖率需在 1%–100% 之间", "a lottery's win rate is 1–100%")


def create_mall_item(session: Session, *, by: Actor, spec: MallItemSpec) -> MallItem:
    """Put an item in the points mall (积分商城)."""
    _check_item(session, by.shop_id, spec)
    item = MallItem(
        shop_id=by.shop_id,
        name=spec.name.strip(),
        kind=spec.kind,
        description=spec.description[:2000],
        points_cost=spec.points_cost,
        stock=spec.stock,
        redeemed_count=0,
        per_member_limit=spec.per_member_limit,
        coupon_template_id=spec.coupon_template_id if spec.kind == "coupon" else None,
        win_rate_pct=spec.win_rate_pct if spec.kind == "lottery" else 0,
        min_tier_level=max(1, spec.min_tier_level),
        active=spec.active,
        created_at=utcnow(),
    )
    session.add(item)
    session.flush()
    record(
        session,
        by,
        "mall.item_create",
        "mall_item",
        item.id,
        after={"name": item.name, "kind": item.kind, "cost": item.points_cost, "stock": item.stock},
    )
    return item


def get_mall_item(session: Session, *, shop_id: int, item_id: int) -> MallItem:
    item = shop_row(session, MallItem, item_id, shop_id)
    if item is None:
        raise NotFound("积分商品", "mall item")
    return item


def list_mall_items(session: Session, *, shop_id: int, active_only: bool = False) -> list[MallItem]:
    query = select(MallItem).where(MallItem.shop_id == shop_id)
    if active_only:
        query = query.where(MallItem.active.is_(True))
    return list(session.scalars(query.order_by(MallItem.points_cost, MallItem.id)))


def update_mall_item(
    session: Session,
    *,
    by: Actor,
    item_id: int,
    stock: int | None = None,
    active: bool | None = None,
    points_cost: int | None = None,
) -> MallItem:
    """Restock, change the price or take an item off the shelf."""
    item = get_mall_item(session, shop_id=by.shop_id, item_id=item_id)
    before = {"stock": item.stock, "active": item.active, "cost": item.points_cost}
    if stock is not None:
        if stock < 0:
            raise InvalidInput("库存不能为负", "stock must not be negative")
        item.stock = stock
    if points_cost is not None:
        if points_cost <= 0:
            raise InvalidInput("兑换所需积分必须大于 0", "the points cost must be above 0")
        item.points_cost = points_cost
    if active is not None:
        item.active = active
    session.flush()
    record(
        session,
        by,
        "mall.item_update",
        "mall_item",
        item.id,
        before=before,
        after={"stock": item.stock, "active": item.active, "cost": item.points_cost},
    )
    return item


def redeem(
    session: Session,
    *,
    by: Actor,
    member_id: int,
    item_id: int,
    idempotency_key: str,
    now: datetime | None = None,
) -> MallRedemption:
    """Exchange points for a mall item: stock is taken atomically, points oldest first, a coupon is issued
    for coupon items, a lottery entry is drawn at once. The same key twice redeems once."""
    now = now or utcnow()
    member = _lock(session, by.shop_id, member_id)
    _active(member)
    key = f"mall:{idempotency_key}"
    done = session.scalar(
        select(MallRedemption).where(MallRedemption.shop_id == by.shop_id, MallRedemption.idempotency_key == key)
    )
    if done is not None:
        if done.member_id != member.id or done.item_id != item_id:
            raise IdempotencyConflict(idempotency_key)
        return done
    item = get_mall_item(session, shop_id=by.shop_id, item_id=item_id)
    if not item.active:
        raise ItemUnavailable(f"「{item.name}」已下架", f"'{item.name}' is off the shelf")
    if member.tier_level < item.min_tier_level:
        raise ItemUnavailable(f"「{item.name}」仅限更高等级会员兑换", f"'{item.name}' is for higher tiers only")
    if item.per_member_limit:
        taken = session.scalar(
            select(func.count())
            .select_from(MallRedemption)
            .where(MallRedemption.item_id == item.id, MallRedemption.member_id == member.id)
        )
        if (taken or 0) >= item.per_member_limit:
            raise LimitReached(
                f"「{item.name}」每人限兑 {item.per_member_limit} 次",
                f"'{item.name}' is limited to {item.per_member_limit} per member",
            )
    _expire_due(session, member, by, now)
    _expire_due(session, member, by, now)  # the balance checked is the one the spend will see
    if member.points_balance < item.points_cost:
        raise InsufficientPoints(item.points_cost, member.points_balance)
    claimed = session.execute(
        update(MallItem)
        .where(MallItem.id == item.id, MallItem.stock > 0)
        .values(stock=MallItem.stock - 1, redeemed_count=MallItem.redeemed_count + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise OutOfStock(item.name)
    session.refresh(item)
    _spend(
        session,
        member,
        points=item.points_cost,
        source="mall",
        key=key,
        ref=str(item.id),
        reason=f"兑换「{item.name}」",
        by=by,
        now=now,
    )
    status = "redeemed"
    coupon_id = None
    if item.kind == "coupon" and item.coupon_template_id is not None:
        coupon = _give_coupon(session, by, item.coupon_template_id, member.customer_id, "mall", key, now)
        coupon_id = coupon.id
    elif item.kind == "lottery":
        status = "won" if secrets.randbelow(100) < item.win_rate_pct else "not_won"
    redemption = MallRedemption(
        shop_id=by.shop_id,
        item_id=item.id,
        member_id=member.id,
        points=item.points_cost,
        status=status,
        coupon_id=coupon_id,
        idempotency_key=key,
        at=now,
    )
    session.add(redemption)
    session.flush()
    record(
        session,
        by,
        "mall.redeem",
        "mall_item",
        item.id,
        after={"member_id": member.id, "points": item.points_cost, "status": status},
    )
    return redemption


# ---- identity matching (会员通) --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class UploadReport:
    upload: MemberHashUpload
    total_hashes: int
    matched_total: int

    @property
    def match_rate(self) -> float:
        return self.matched_total / self.total_hashes if self.total_hashes else 0.0


def parse_hash_lines(lines: Sequence[str]) -> tuple[list[tuple[str, str, str]], list[int]]:
    """Rows of ``hmac[,brand member no.[,brand tier]]``; returns good rows and the numbers of bad lines
    (a header line and blank lines are skipped)."""
    rows: list[tuple[str, str, str]] = []
    bad: list[int] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        parts = [p.strip().strip('"') for p in line.replace("\t", ",").split(",")]
        value = parts[0].lower()
        if number == 1 and not domain.HEX64.match(value) and not value.isdigit():
            continue  # a header
        if not domain.HEX64.match(value):
            bad.append(number)
            continue
        rows.append((value, parts[1][:80] if len(parts) > 1 else "", parts[2][:40] if len(parts) > 2 else ""))
    return rows, bad


def upload_member_hashes(
    session: Session,
    *,
    by: Actor,
    lines: Sequence[str],
    filename: str,
    legal_basis: str,
    now: datetime | None = None,
) -> UploadReport:
    """Connected mode: store the brand's members as keyed hashes, match them to customers at once and
    keep the unmatched for later matches. Needs a legal basis; audited."""
    program = _program_row(session, by.shop_id)
    if program.mode != "connected" or not program.match_secret:
        raise MatchingDisabled()
    if len(legal_basis.strip()) < 4:
        raise LegalBasisRequired()
    now = now or utcnow()
    rows, bad = parse_hash_lines(lines)
    upload = MemberHashUpload(
        shop_id=by.shop_id,
        filename=filename[:255],
        legal_basis=legal_basis.strip()[:300],
        rows=len(rows) + len(bad),
        rejected=len(bad),
        uploaded_by=by.label[:120],
        at=now,
    )
    session.add(upload)
    session.flush()
    before = session.scalar(
        select(func.count()).select_from(BrandMemberHash).where(BrandMemberHash.shop_id == by.shop_id)
    )
    insert_ignoring_conflicts(
        session,
        BrandMemberHash.__table__,
        [
            {"shop_id": by.shop_id, "phone_hmac": h, "brand_ref": ref, "brand_tier": tier, "upload_id": upload.id}
            for h, ref, tier in dict.fromkeys(rows)
        ],
    )
    after = session.scalar(
        select(func.count()).select_from(BrandMemberHash).where(BrandMemberHash.shop_id == by.shop_id)
    )
    upload.new_hashes = int(after or 0) - int(before or 0)
    upload.matched = match_pending(session, by=by, now=now)
    record(
        session,
        by,
        "loyalty.hash_upload",
        "member_hash_upload",
        upload.id,
        after={
            "file": upload.filename,
            "rows": upload.rows,
            "new": upload.new_hashes,
            "matched": upload.matched,
            "rejected": upload.rejected,
            "legal_basis": upload.legal_basis,
        },
    )
    return UploadReport(upload, int(after or 0), matched_count(session, shop_id=by.shop_id))


def matched_count(session: Session, *, shop_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(BrandMemberHash)
            .where(BrandMemberHash.shop_id == shop_id, BrandMemberHash.matched_customer_id.is_not(None))
        )
        or 0
    )


def match_pending(session: Session, *, by: Actor, now: datetime | None = None) -> int:
    """Match the brand's unmatched hashes against customers with a full mobile; matched customers join
    as members with the brand as consent source. Returns how many matched now."""
    program = _program_row(session, by.shop_id)
    if program.mode != "connected" or not program.match_secret:
        return 0
    pending = dict(
        session.execute(
            select(BrandMemberHash.phone_hmac, BrandMemberHash.id).where(
                BrandMemberHash.shop_id == by.shop_id, BrandMemberHash.matched_customer_id.is_(None)
            )
        ).all()
    )
    if not pending:
        return 0
    settings = get_settings()
    vault = PhoneVault(settings.phone_key, settings.phone_hash_salt)
    taken = select(BrandMemberHash.matched_customer_id).where(
        BrandMemberHash.shop_id == by.shop_id, BrandMemberHash.matched_customer_id.is_not(None)
    )
    now = now or utcnow()
    matched = 0
    candidates = session.execute(
        select(Customer.id, Customer.phone_cipher).where(
            Customer.shop_id == by.shop_id,
            Customer.phone_hash.is_not(None),
            Customer.phone_cipher.is_not(None),
            Customer.id.not_in(taken),
        )
    ).all()
    for customer_id, cipher in candidates:
        mobile = domain.normalise_mobile(vault.decrypt(cipher or ""))
        if mobile is None:
            continue
        hash_id = pending.pop(domain.phone_hmac(program.match_secret, mobile), None)
        if hash_id is None:
            continue
        session.execute(
            update(BrandMemberHash)
            .where(BrandMemberHash.id == hash_id)
            .values(matched_customer_id=customer_id, matched_at=now)
        )
        existing = member_of_customer(session, shop_id=by.shop_id, customer_id=customer_id)
        if existing is None or existing.status != "active":
            join_member(
                session,
                by=by,
                customer_id=customer_id,
                now=now,
                consent=Consent(
                    "brand", "品牌会员（会员通打通）brand member matched by keyed hash", f"brand_hash:{hash_id}"
                ),
            )
        matched += 1
        if not pending:
            break
    return matched


# ---- reading --------------------------------------------------------------------------------------------------------
def ledger(session: Session, *, shop_id: int, member_id: int, limit: int = 100, offset: int = 0) -> list[PointsEntry]:
    get_member(session, shop_id=shop_id, member_id=member_id)
    return list(
        session.scalars(
            select(PointsEntry)
            .where(PointsEntry.member_id == member_id)
            .order_by(PointsEntry.at.desc(), PointsEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def ledger_sum(session: Session, *, member_id: int) -> tuple[int, int, int]:
    """(sum of the ledger, sum of open lots, sum of debt changes) — equal to balance, balance and debt."""
    ledger_total = session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.member_id == member_id)
    )
    lots_total = session.scalar(
        select(func.coalesce(func.sum(PointsLot.remaining), 0)).where(PointsLot.member_id == member_id)
    )
    debt_total = session.scalar(
        select(func.coalesce(func.sum(PointsEntry.debt_change), 0)).where(PointsEntry.member_id == member_id)
    )
    return int(ledger_total or 0), int(lots_total or 0), int(debt_total or 0)


def redemptions(session: Session, *, shop_id: int, member_id: int | None = None, limit: int = 100) -> list[Any]:
    query = (
        select(MallRedemption, MallItem.name)
        .join(MallItem, MallItem.id == MallRedemption.item_id)
        .where(MallRedemption.shop_id == shop_id)
    )
    if member_id is not None:
        query = query.where(MallRedemption.member_id == member_id)
    return list(session.execute(query.order_by(MallRedemption.at.desc(), MallRedemption.id.desc()).limit(limit)))


def uploads(session: Session, *, shop_id: int) -> list[MemberHashUpload]:
    return list(
        session.scalars(
            select(MemberHashUpload).where(MemberHashUpload.shop_id == shop_id).order_by(MemberHashUpload.at.desc())
        )
    )


def hash_total(session: Session, *, shop_id: int) -> int:
    return int(
        session.scalar(select(func.count()).select_from(BrandMemberHash).where(BrandMemberHash.shop_id == shop_id)) or 0
    )
