"""Brand membership: the programme, tiers and matching mode; members and their points; the points mall;
identity matching by keyed hash (会员通); member analytics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile
from fastapi import status as http

from siyu.api.deps import SessionDep, require
from siyu.core.errors import InvalidInput
from siyu.core.paging import PageRequest
from siyu.customers.errors import FileTooLarge
from siyu.customers.tabular import detect_encoding
from siyu.loyalty import domain, queries, services
from siyu.loyalty.domain import ProgramSettings
from siyu.loyalty.errors import ConsentRequired
from siyu.loyalty.models import Member
from siyu.loyalty.schemas import (
    AdjustIn,
    BirthdayGiftsOut,
    ExpiryOut,
    HashUploadOut,
    InteractionIn,
    JoinIn,
    LedgerOut,
    MallItemIn,
    MallItemOut,
    MallItemPatch,
    MatchingIn,
    MatchingOut,
    MatchRunOut,
    MatchSecretOut,
    MemberAnalyticsOut,
    MemberCard,
    MemberOut,
    MemberPage,
    OrderSyncOut,
    PointsEntryOut,
    PointsResultOut,
    RedeemIn,
    RedemptionOut,
    SpendIn,
    TierLadder,
    TierLadderOut,
    TierOut,
    TierReviewOut,
    UploadReportOut,
)
from siyu.shops.services import Principal

router = APIRouter(tags=["loyalty"])
Viewer = Annotated[Principal, Depends(require("loyalty:view"))]
Manager = Annotated[Principal, Depends(require("loyalty:manage"))]
HASH_FILE_LIMIT_MB = 20


# ---- programme, tiers, matching -----------------------------------------------------------------------------
@router.get("/loyalty/program", response_model=ProgramSettings)
def get_program(session: SessionDep, principal: Viewer) -> ProgramSettings:
    """The programme's settings (defaults until changed): earning, expiry, member day, gifts, tier rules."""
    return services.load_program(session, principal.shop_id)[0]


@router.put("/loyalty/program", response_model=ProgramSettings)
def put_program(session: SessionDep, principal: Manager, body: ProgramSettings) -> ProgramSettings:
    """Replace the programme's settings (audited)."""
    row = services.save_program(session, by=principal.actor, settings=body)
    return ProgramSettings.model_validate(row.settings)


def _matching(session: SessionDep, shop_id: int) -> MatchingOut:
    _, row = services.load_program(session, shop_id)
    total = services.hash_total(session, shop_id=shop_id)
    matched = services.matched_count(session, shop_id=shop_id)
    return MatchingOut(
        mode=row.mode if row else "disconnected",
        has_secret=bool(row and row.match_secret),
        total_hashes=total,
        matched_total=matched,
        match_rate=matched / total if total else 0.0,
    )


@router.get("/loyalty/matching", response_model=MatchingOut)
def get_matching(session: SessionDep, principal: Viewer) -> MatchingOut:
    """打通 (connected) or 不打通 (disconnected), and the match rate of the brand's members."""
    return _matching(session, principal.shop_id)


@router.put("/loyalty/matching", response_model=MatchingOut)
def put_matching(session: SessionDep, principal: Manager, body: MatchingIn) -> MatchingOut:
    """Switch the matching mode (a shared key is made on first connection; get it from /matching/secret)."""
    services.set_matching_mode(session, by=principal.actor, mode=body.mode)
    return _matching(session, principal.shop_id)


@router.post("/loyalty/matching/secret", response_model=MatchSecretOut)
def rotate_secret(session: SessionDep, principal: Manager) -> MatchSecretOut:
    """A new shared HMAC key, shown once (audited); hashes made with the old key stop matching."""
    row = services.rotate_match_secret(session, by=principal.actor)
    return MatchSecretOut(mode=row.mode, secret=row.match_secret)


def _ladder(session: SessionDep, shop_id: int) -> TierLadderOut:
    saved = services.list_tiers(session, shop_id=shop_id)
    if saved:
        return TierLadderOut(tiers=[TierOut.model_validate(t) for t in saved])
    defaults = [
        TierOut(level=level, name=name, threshold=threshold, points_multiplier_pct=pct, privileges=list(privileges))
        for level, (name, _en, threshold, pct, privileges) in enumerate(domain.DEFAULT_TIERS, start=1)
    ]
    return TierLadderOut(tiers=defaults, default=True)


@router.get("/loyalty/tiers", response_model=TierLadderOut)
def get_tiers(session: SessionDep, principal: Viewer) -> TierLadderOut:
    """The tier ladder (会员等级): thresholds, points multipliers, privileges, upgrade gifts."""
    return _ladder(session, principal.shop_id)


@router.put("/loyalty/tiers", response_model=TierLadderOut)
def put_tiers(session: SessionDep, principal: Manager, body: TierLadder) -> TierLadderOut:
    """Replace the ladder: the first tier from 0, thresholds strictly rising (members above the top are capped)."""
    specs = [
        services.TierSpec(
            name=t.name,
            threshold=t.threshold,
            points_multiplier_pct=t.points_multiplier_pct,
            privileges=tuple(t.privileges),
            upgrade_gift_points=t.upgrade_gift_points,
        )
        for t in body.tiers
    ]
    services.save_tiers(session, by=principal.actor, tiers=specs)
    return _ladder(session, principal.shop_id)


# ---- members -------------------------------------------------------------------------------------------------
@router.get("/members", response_model=MemberPage)
def list_members(
    session: SessionDep,
    principal: Viewer,
    q: str = "",
    tier: int | None = None,
    status: str = "active",
    page: int = 1,
    size: int = 50,
) -> MemberPage:
    """Members, newest first; ``q``: member number, JD account, name or phone tail; ``status``: active, left
    or empty for all."""
    result = queries.list_members(
        session, shop_id=principal.shop_id, page=PageRequest(page, size), q=q[:100], tier=tier, status=status
    )
    return MemberPage(
        items=[MemberOut.model_validate(r) for r in result.items],
        total=result.total,
        page=result.request.page,
        size=result.request.size,
        pages=result.pages,
    )


def _card(session: SessionDep, shop_id: int, member: Member) -> MemberCard:
    row = queries.member_row(session, shop_id=shop_id, member_id=member.id)
    tier = next((t for t in _ladder(session, shop_id).tiers if t.level == member.tier_level), None)
    settings, _ = services.load_program(session, shop_id)
    expiring = services.expiring_soon(session, shop_id=shop_id, member_id=member.id)
    return MemberCard(
        **MemberOut.model_validate(row).model_dump(),
        consent_at=member.consent_at,
        consent_source=member.consent_source,
        points_multiplier_pct=tier.points_multiplier_pct if tier else 100,
        privileges=tier.privileges if tier else [],
        expiring_points=expiring.points,
        expiring_first_at=expiring.first_at,
        expiring_within_days=settings.expiring_notice_days,
        checkin_streak=services.checkin_streak(session, shop_id=shop_id, member_id=member.id),
    )


@router.post("/members", response_model=MemberCard, status_code=http.HTTP_201_CREATED)
def join(session: SessionDep, principal: Manager, body: JoinIn) -> MemberCard:
    """开卡: an existing customer (``customer_id``) or a phone number joins, with the customer's consent."""
    if body.consent is None:
        raise ConsentRequired()
    consent = services.Consent(source=body.consent.source, text=body.consent.text, evidence=body.consent.evidence)
    if body.customer_id is not None:
        member = services.join_member(session, by=principal.actor, customer_id=body.customer_id, consent=consent)
    elif body.phone:
        member = services.join_by_phone(
            session, by=principal.actor, phone=body.phone, consent=consent, name=body.name, account=body.account
        )
    else:
        raise InvalidInput("开卡需要客户 ID 或手机号", "joining needs a customer_id or a phone")
    return _card(session, principal.shop_id, member)


@router.get("/members/{member_id}", response_model=MemberCard)
def get_member(session: SessionDep, principal: Viewer, member_id: int) -> MemberCard:
    """One member's card: tier, points, debt, growth value, points expiring soon, check-in streak."""
    member = services.get_member(session, shop_id=principal.shop_id, member_id=member_id)
    return _card(session, principal.shop_id, member)


@router.delete("/members/{member_id}", response_model=MemberCard)
def leave(session: SessionDep, principal: Manager, member_id: int) -> MemberCard:
    """退会: the member leaves; no more earning, the ledger is kept."""
    member = services.leave_member(session, by=principal.actor, member_id=member_id)
    return _card(session, principal.shop_id, member)


@router.get("/members/{member_id}/points", response_model=LedgerOut)
def ledger(session: SessionDep, principal: Viewer, member_id: int, limit: int = 100, offset: int = 0) -> LedgerOut:
    """The member's points ledger, newest first."""
    limit, offset = max(1, min(limit, 500)), max(0, offset)
    entries = services.ledger(session, shop_id=principal.shop_id, member_id=member_id, limit=limit, offset=offset)
    return LedgerOut(
        member_id=member_id, items=[PointsEntryOut.model_validate(e) for e in entries], limit=limit, offset=offset
    )


def _points_out(response: Response, result: services.PointsResult) -> PointsResultOut:
    # a replay changed nothing: 200 with the first answer; a new entry: 201
    response.status_code = http.HTTP_200_OK if result.replayed or result.entry is None else http.HTTP_201_CREATED
    return PointsResultOut(
        member_id=result.member.id,
        points=result.points,
        balance=result.member.points_balance,
        debt=result.member.points_debt,
        growth_value=result.member.growth_value,
        replayed=result.replayed,
        entry=PointsEntryOut.model_validate(result.entry) if result.entry is not None else None,
    )


@router.post("/members/{member_id}/points", response_model=PointsResultOut, status_code=http.HTTP_201_CREATED)
def adjust(session: SessionDep, principal: Manager, response: Response, member_id: int, body: AdjustIn) -> Any:
    """Grant (positive) or deduct (negative) points by hand, with a reason; the same key twice grants once."""
    result = services.adjust_points(
        session,
        by=principal.actor,
        member_id=member_id,
        points=body.points,
        reason=body.reason,
        idempotency_key=body.idempotency_key,
    )
    return _points_out(response, result)


@router.post("/members/{member_id}/points/spend", response_model=PointsResultOut, status_code=http.HTTP_201_CREATED)
def spend(session: SessionDep, principal: Manager, response: Response, member_id: int, body: SpendIn) -> Any:
    """Spend points oldest first (e.g. a deduction at checkout); refused when the balance is short."""
    result = services.spend_points(
        session,
        by=principal.actor,
        member_id=member_id,
        points=body.points,
        reason=body.reason,
        idempotency_key=body.idempotency_key,
        ref=body.ref,
    )
    return _points_out(response, result)


@router.post("/members/{member_id}/interactions", response_model=PointsResultOut, status_code=http.HTTP_201_CREATED)
def interaction(
    session: SessionDep, principal: Manager, response: Response, member_id: int, body: InteractionIn
) -> Any:
    """Points for an interaction (check-in, follow, cart, vote, quiz, game, invite, guess the price), within
    the programme's daily and lifetime limits."""
    result = services.earn_interaction(
        session,
        by=principal.actor,
        member_id=member_id,
        kind=body.kind,
        ref=body.ref,
        idempotency_key=body.idempotency_key,
    )
    return _points_out(response, result)


@router.post("/orders/{order_no}/points/refund", response_model=PointsResultOut, status_code=http.HTTP_201_CREATED)
def refund_order_points(session: SessionDep, principal: Manager, response: Response, order_no: str) -> Any:
    """A refunded order gives back the points it earned (what was spent becomes a debt); once per order."""
    result = services.reverse_order_points(session, by=principal.actor, order_no=order_no)
    return _points_out(response, result)


# ---- batch jobs ----------------------------------------------------------------------------------------------
@router.post("/loyalty/sync-orders", response_model=OrderSyncOut)
def sync_orders(session: SessionDep, principal: Manager) -> OrderSyncOut:
    """Award points for members' new paid orders and take back points of refunded ones (repeatable)."""
    done = services.sync_order_points(session, by=principal.actor)
    return OrderSyncOut(awarded=done.awarded, points=done.points, reversed=done.reversed)


@router.post("/loyalty/expire", response_model=ExpiryOut)
def expire(session: SessionDep, principal: Manager) -> ExpiryOut:
    """Expire every lot whose time has come (the nightly job, run now)."""
    return ExpiryOut(points_expired=services.expire_points(session, by=principal.actor))


@router.post("/loyalty/review-tiers", response_model=TierReviewOut)
def review_tiers(session: SessionDep, principal: Manager) -> TierReviewOut:
    """Review every member's tier now: upgrades at once, downgrades by the programme's rule."""
    review = services.review_tiers(session, by=principal.actor)
    return TierReviewOut(members=review.members, upgraded=review.upgraded, downgraded=review.downgraded)


@router.post("/loyalty/birthday-gifts", response_model=BirthdayGiftsOut)
def birthday_gifts(session: SessionDep, principal: Manager) -> BirthdayGiftsOut:
    """Give today's birthday gifts (once a year per member)."""
    return BirthdayGiftsOut(members=services.grant_birthday_gifts(session, by=principal.actor))


# ---- points mall ---------------------------------------------------------------------------------------------
@router.get("/mall/items", response_model=list[MallItemOut])
def list_items(session: SessionDep, principal: Viewer, active_only: bool = False) -> list[Any]:
    """Points mall (积分商城) items, cheapest first."""
    return services.list_mall_items(session, shop_id=principal.shop_id, active_only=active_only)


@router.post("/mall/items", response_model=MallItemOut, status_code=http.HTTP_201_CREATED)
def create_item(session: SessionDep, principal: Manager, body: MallItemIn) -> Any:
    """Put a coupon, a gift or a lottery entry in the points mall."""
    spec = services.MallItemSpec(**body.model_dump())
    return services.create_mall_item(session, by=principal.actor, spec=spec)


@router.patch("/mall/items/{item_id}", response_model=MallItemOut)
def update_item(session: SessionDep, principal: Manager, item_id: int, body: MallItemPatch) -> Any:
    """Restock, reprice or take an item off the shelf."""
    return services.update_mall_item(
        session, by=principal.actor, item_id=item_id, stock=body.stock, active=body.active, points_cost=body.points_cost
    )


def _redemption_out(redemption: Any, item_name: str) -> RedemptionOut:
    out = RedemptionOut.model_validate(redemption)
    out.item_name = item_name
    return out


@router.post("/mall/items/{item_id}/redeem", response_model=RedemptionOut, status_code=http.HTTP_201_CREATED)
def redeem(session: SessionDep, principal: Manager, item_id: int, body: RedeemIn) -> RedemptionOut:
    """Exchange a member's points for the item (stock taken atomically; the same key twice redeems once)."""
    done = services.redeem(
        session, by=principal.actor, member_id=body.member_id, item_id=item_id, idempotency_key=body.idempotency_key
    )
    item = services.get_mall_item(session, shop_id=principal.shop_id, item_id=done.item_id)
    return _redemption_out(done, item.name)


@router.get("/mall/redemptions", response_model=list[RedemptionOut])
def list_redemptions(
    session: SessionDep, principal: Viewer, member_id: int | None = None, limit: int = 100
) -> list[RedemptionOut]:
    """Recent redemptions, of one member when ``member_id`` is given."""
    rows = services.redemptions(session, shop_id=principal.shop_id, member_id=member_id, limit=max(1, min(limit, 500)))
    return [_redemption_out(redemption, name) for redemption, name in rows]


# ---- identity matching (会员通) ------------------------------------------------------------------------------------
@router.post("/loyalty/member-hashes", response_model=UploadReportOut, status_code=http.HTTP_201_CREATED)
def upload_hashes(
    session: SessionDep,
    principal: Manager,
    file: Annotated[UploadFile, File(description="text lines hmac[,brand member no.[,tier]], UTF-8 or GBK")],
    legal_basis: Annotated[str, Form(max_length=300, description="PIPL legal basis of the transfer")] = "",
) -> UploadReportOut:
    """Upload the brand's members as HMAC-SHA256 of their mobiles (connected mode; ≤ 20 MB; audited) and
    match them now."""
    limit = HASH_FILE_LIMIT_MB * 1024 * 1024
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(HASH_FILE_LIMIT_MB)
    text = data.decode(detect_encoding(data, complete=True))
    report = services.upload_member_hashes(
        session,
        by=principal.actor,
        lines=text.splitlines(),
        filename=file.filename or "member-hashes.csv",
        legal_basis=legal_basis,
    )
    upload = report.upload
    return UploadReportOut(
        upload_id=upload.id,
        filename=upload.filename,
        rows=upload.rows,
        new=upload.new_hashes,
        matched_now=upload.matched,
        rejected=upload.rejected,
        total_hashes=report.total_hashes,
        matched_total=report.matched_total,
        match_rate=report.match_rate,
    )


@router.get("/loyalty/member-hashes/uploads", response_model=list[HashUploadOut])
def list_uploads(session: SessionDep, principal: Viewer) -> list[Any]:
    """The brand's hash uploads, newest first (file, legal basis, counts, who)."""
    return services.uploads(session, shop_id=principal.shop_id)


@router.post("/loyalty/member-hashes/match", response_model=MatchRunOut)
def rematch(session: SessionDep, principal: Manager) -> MatchRunOut:
    """Match the still unmatched hashes against customers now (e.g. after an import brought new phones)."""
    matched_now = services.match_pending(session, by=principal.actor)
    state = _matching(session, principal.shop_id)
    return MatchRunOut(
        matched_now=matched_now,
        total_hashes=state.total_hashes,
        matched_total=state.matched_total,
        match_rate=state.match_rate,
    )


# ---- analytics -----------------------------------------------------------------------------------------------
@router.get("/loyalty/analytics", response_model=MemberAnalyticsOut)
def analytics(session: SessionDep, principal: Viewer, window_days: int = 365, months: int = 12) -> MemberAnalyticsOut:
    """Members vs non-members: repurchase rate and AOV (with the ratio and uplift), tiers, months of points."""
    report = queries.member_analytics(
        session, shop_id=principal.shop_id, window_days=max(1, min(window_days, 3_650)), months=max(1, min(months, 36))
    )
    return MemberAnalyticsOut.model_validate(report)
