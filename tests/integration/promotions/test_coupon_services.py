"""Coupon services against a real database (rolled back after each test)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEntry
from siyu.audit.services import Actor
from siyu.core.errors import InvalidInput, NotFound
from siyu.core.paging import PageRequest
from siyu.promotions import queries, services
from siyu.promotions.errors import (
    ChannelNotAllowed,
    ClaimLimitReached,
    CouponNotUsable,
    InvalidShare,
    InvalidTemplate,
    NothingInScope,
    OutOfStock,
    OutsideClaimWindow,
    TemplateNotActive,
    ThresholdNotMet,
)
from siyu.promotions.models import Coupon, CouponTemplate
from siyu.promotions.schemas import OrderLineIn
from tests.factories.customers import make_customer
from tests.factories.promotions import T0, make_template, spec
from tests.factories.shops import ShopWorld, make_shop


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


@pytest.fixture
def by(world: ShopWorld) -> Actor:
    return world.principal.actor


def line(amount: int, sku: str = "100001", category: str = "洗护") -> OrderLineIn:
    return OrderLineIn(sku=sku, category=category, amount_fen=amount)


def audit_actions(db: Session, shop_id: int) -> list[str]:
    return list(db.scalars(select(AuditEntry.action).where(AuditEntry.shop_id == shop_id).order_by(AuditEntry.id)))


# ---- templates ------------------------------------------------------------------------------------------
def test_a_template_is_created_active_with_nothing_claimed_and_audited(db: Session, by: Actor) -> None:
    template = make_template(db, by)
    assert (template.status, template.claimed_count, template.shop_id) == ("active", 0, by.shop_id)
    assert services.list_templates(db, shop_id=by.shop_id) == [template]
    assert audit_actions(db, by.shop_id)[-1] == "coupon_template.create"


def test_contradictory_terms_are_refused_in_both_languages(db: Session, by: Actor) -> None:
    with pytest.raises(InvalidTemplate) as caught:
        services.create_template(db, by=by, spec=spec(reduction_fen=10_000))
    assert "减免金额" in caught.value.zh and "reduction" in caught.value.en
    assert db.scalar(select(func.count()).select_from(CouponTemplate)) == 0


def test_update_changes_terms_until_coupons_are_claimed_then_only_name_stock_and_limits(db: Session, by: Actor) -> None:
    template = make_template(db, by)
    services.update_template(db, by=by, template_id=template.id, changes={"reduction_fen": 3_000})
    assert template.reduction_fen == 3_000
    services.claim_coupon(db, by=by, template_id=template.id, customer_id=make_customer(db, by.shop_id).id, now=T0)
    with pytest.raises(InvalidTemplate):
        services.update_template(db, by=by, template_id=template.id, changes={"reduction_fen": 4_000})
    services.update_template(db, by=by, template_id=template.id, changes={"name": "新名字", "total_stock": 5})
    assert (template.name, template.total_stock) == ("新名字", 5)
    with pytest.raises(InvalidTemplate):
        services.update_template(db, by=by, template_id=template.id, changes={"total_stock": 0})
    with pytest.raises(InvalidInput):
        services.update_template(db, by=by, template_id=template.id, changes={"claimed_count": 0})


def test_update_refuses_new_terms_that_contradict(db: Session, by: Actor) -> None:
    template = make_template(db, by)
    with pytest.raises(InvalidTemplate):
        services.update_template(db, by=by, template_id=template.id, changes={"threshold_fen": 1_000})


def test_stock_cannot_go_below_what_was_claimed(db: Session, by: Actor) -> None:
    template = make_template(db, by, per_customer_limit=3)
    customer = make_customer(db, by.shop_id)
    for _ in range(3):
        services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, now=T0)
    with pytest.raises(InvalidTemplate):
        services.update_template(db, by=by, template_id=template.id, changes={"total_stock": 2})


# ---- claims ---------------------------------------------------------------------------------------------
def test_a_claim_gives_a_usable_coupon_with_an_unguessable_code(db: Session, by: Actor) -> None:
    template = make_template(db, by)
    customer = make_customer(db, by.shop_id)
    coupon = services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, now=T0)
    assert (coupon.status, coupon.seq, coupon.channel, len(coupon.code)) == ("claimed", 1, "shop", 12)
    assert (coupon.valid_from, coupon.valid_until) == (T0, T0 + timedelta(days=60))
    db.refresh(template)
    assert template.claimed_count == 1
    assert audit_actions(db, by.shop_id)[-1] == "coupon.claim"


def test_claim_outside_the_claim_window_is_refused(db: Session, by: Actor) -> None:
    template = make_template(db, by)
    customer = make_customer(db, by.shop_id)
    with pytest.raises(OutsideClaimWindow) as early:
        services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, now=T0 - timedelta(days=2))
    with pytest.raises(OutsideClaimWindow) as late:
        services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, now=T0 + timedelta(days=31))
    assert "尚未开始" in early.value.zh and "ended" in late.value.en
    db.refresh(template)
    assert template.claimed_count == 0


def test_a_stopped_template_issues_nothing_but_claimed_coupons_stay_usable(db: Session, by: Actor) -> None:
    template = make_template(db, by)
    customer = make_customer(db, by.shop_id)
    coupon = services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, now=T0)
    services.stop_template(db, by=by, template_id=template.id)
    with pytest.raises(TemplateNotActive):
        services.claim_coupon(db, by=by, template_id=template.id, customer_id=make_customer(db, by.shop_id).id, now=T0)
    _used, off = services.use_coupon(db, by=by, code=coupon.code, order_no="O1", lines=[line(10_000)], now=T0)
    assert off == 2_000


def test_the_per_customer_limit_holds_and_counts_every_coupon_ever_claimed(db: Session, by: Actor) -> None:
    template = make_template(db, by, per_customer_limit=2)
    customer = make_customer(db, by.shop_id)
    first = services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, now=T0)
    services.use_coupon(db, by=by, code=first.code, order_no="O1", lines=[line(10_000)], now=T0)
    second = services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, now=T0)
    assert second.seq == 2
    with pytest.raises(ClaimLimitReached) as caught:
        services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, now=T0)
    assert "限领 2 张" in caught.value.zh


def test_stock_runs_out_at_exactly_the_total(db: Session, by: Actor) -> None:
    template = make_template(db, by, total_stock=3)
    for _ in range(3):
        services.claim_coupon(db, by=by, template_id=template.id, customer_id=make_customer(db, by.shop_id).id, now=T0)
    with pytest.raises(OutOfStock):
        services.claim_coupon(db, by=by, template_id=template.id, customer_id=make_customer(db, by.shop_id).id, now=T0)
    db.refresh(template)
    assert template.claimed_count == 3 == db.scalar(select(func.count()).select_from(Coupon))


def test_a_refused_claim_taken_inside_a_larger_unit_leaves_the_stock_untouched(db: Session, by: Actor) -> None:
    template = make_template(db, by, total_stock=5)
    customer = make_customer(db, by.shop_id)
    services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, now=T0)
    with pytest.raises(ClaimLimitReached):
        services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, now=T0)
    db.refresh(template)
    assert template.claimed_count == 1


def test_the_database_refuses_more_claims_than_stock_and_a_second_coupon_of_the_same_seq(
    db: Session, by: Actor
) -> None:
    template = make_template(db, by, total_stock=1)
    coupon = services.claim_coupon(
        db, by=by, template_id=template.id, customer_id=make_customer(db, by.shop_id).id, now=T0
    )
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(CouponTemplate.__table__.update().where(CouponTemplate.id == template.id).values(claimed_count=2))
    twin = {
        c: getattr(coupon, c)
        for c in (
            "shop_id",
            "template_id",
            "customer_id",
            "seq",
            "status",
            "channel",
            "claimed_at",
            "valid_from",
            "valid_until",
            "updated_at",
        )
    }
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(Coupon(code="TWINTWINTWIN", **twin))
        db.flush()


def test_a_group_only_coupon_is_refused_outside_the_group(db: Session, by: Actor) -> None:
    template = make_template(db, by, channel="group")
    customer = make_customer(db, by.shop_id, is_member=True)
    with pytest.raises(ChannelNotAllowed):
        services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, channel="shop", now=T0)
    coupon = services.claim_coupon(db, by=by, template_id=template.id, customer_id=customer.id, channel="group", now=T0)
    assert coupon.channel == "group"


def test_a_member_coupon_is_refused_to_non_members(db: Session, by: Actor) -> None:
    template = make_template(db, by, channel="member")
    with pytest.raises(ChannelNotAllowed) as caught:
        services.claim_coupon(db, by=by, template_id=template.id, customer_id=make_customer(db, by.shop_id).id, now=T0)
    assert caught.value.zh == "仅限会员领取"
    member = make_customer(db, by.shop_id, is_member=True)
    assert services.claim_coupon(db, by=by, template_id=template.id, customer_id=member.id, channel="mall", now=T0)


def test_the_same_idempotency_key_twice_returns_the_same_coupon(db: Session, by: Actor) -> None:
    template = make_template(db, by, per_customer_limit=5)
    customer = make_customer(db, by.shop_id)
    first = services.claim_coupon(
        db, by=by, template_id=template.id, customer_id=customer.id, idempotency_key="join-42", now=T0
    )
    again = services.claim_coupon(
        db, by=by, template_id=template.id, customer_id=customer.id, idempotency_key="join-42", now=T0
    )
    assert again.id == first.id
    db.refresh(template)
    assert template.claimed_count == 1
    with pytest.raises(InvalidInput):
        services.claim_coupon(
            db,
            by=by,
            template_id=template.id,
            customer_id=make_customer(db, by.shop_id).id,
            idempotency_key="join-42",
            now=T0,
        )


def test_a_relative_use_window_starts_at_the_claim(db: Session, by: Actor) -> None:
    template = make_template(db, by, use_end=None, use_days=7)
    coupon = services.claim_coupon(
        db, by=by, template_id=template.id, customer_id=make_customer(db, by.shop_id).id, now=T0 + timedelta(days=3)
    )
    assert (coupon.valid_from, coupon.valid_until) == (T0 + timedelta(days=3), T0 + timedelta(days=10))


# ---- use, return, expire --------------------------------------------------------------------------------
def claimed(db: Session, by: Actor, **fields: object) -> Coupon:
    template = make_template(db, by, **fields)
    return services.claim_coupon(
        db, by=by, template_id=template.id, customer_id=make_customer(db, by.shop_id).id, now=T0
    )


def test_using_a_coupon_records_the_order_and_returns_the_discount(db: Session, by: Actor) -> None:
    coupon = claimed(db, by)
    used, off = services.use_coupon(db, by=by, code=coupon.code, order_no="O-1", lines=[line(12_000)], now=T0)
    assert (used.status, used.order_no, used.used_at, used.discount_fen, off) == ("used", "O-1", T0, 2_000, 2_000)
    assert audit_actions(db, by.shop_id)[-1] == "coupon.use"


def test_a_coupon_is_used_once_but_a_retry_for_the_same_order_answers_the_same(db: Session, by: Actor) -> None:
    coupon = claimed(db, by)
    services.use_coupon(db, by=by, code=coupon.code, order_no="O-1", lines=[line(12_000)], now=T0)
    assert services.use_coupon(db, by=by, code=coupon.code, order_no="O-1", lines=[line(12_000)], now=T0)[1] == 2_000
    with pytest.raises(CouponNotUsable) as caught:
        services.use_coupon(db, by=by, code=coupon.code, order_no="O-2", lines=[line(12_000)], now=T0)
    assert caught.value.zh == "优惠券已使用"


def test_use_below_the_threshold_or_outside_the_window_is_refused(db: Session, by: Actor) -> None:
    coupon = claimed(db, by, use_start=T0 + timedelta(days=1))
    with pytest.raises(CouponNotUsable):
        services.use_coupon(db, by=by, code=coupon.code, order_no="O", lines=[line(12_000)], now=T0)
    with pytest.raises(ThresholdNotMet):
        services.use_coupon(db, by=by, code=coupon.code, order_no="O", lines=[line(9_999)], now=T0 + timedelta(days=2))
    with pytest.raises(CouponNotUsable) as late:
        services.use_coupon(
            db, by=by, code=coupon.code, order_no="O", lines=[line(12_000)], now=T0 + timedelta(days=61)
        )
    assert late.value.en == "the coupon has expired"
    assert coupon.status == "claimed"


def test_a_sku_coupon_discounts_only_its_skus(db: Session, by: Actor) -> None:
    coupon = claimed(
        db, by, kind="discount", threshold_fen=0, reduction_fen=0, discount_pct=80, scope="skus", scope_items=["A"]
    )
    with pytest.raises(NothingInScope):
        services.use_coupon(db, by=by, code=coupon.code, order_no="O", lines=[line(5_000, sku="B")], now=T0)
    _c, off = services.use_coupon(
        db, by=by, code=coupon.code, order_no="O", lines=[line(999, sku="A"), line(5_000, sku="B")], now=T0
    )
    assert off == 199  # 20% of 9.99 yuan is 199.8 fen, rounded down


def test_codes_are_read_case_insensitively_and_trimmed(db: Session, by: Actor) -> None:
    coupon = claimed(db, by)
    _c, off = services.use_coupon(
        db, by=by, code=f" {coupon.code.lower()} ", order_no="O", lines=[line(10_000)], now=T0
    )
    assert off == 2_000


def test_a_refund_inside_the_window_makes_the_coupon_usable_again(db: Session, by: Actor) -> None:
    coupon = claimed(db, by)
    services.use_coupon(db, by=by, code=coupon.code, order_no="O-1", lines=[line(12_000)], now=T0)
    returned = services.return_coupon(db, by=by, code=coupon.code, now=T0 + timedelta(days=1))
    assert (returned.status, returned.order_no, returned.used_at, returned.discount_fen) == (
        "claimed",
        None,
        None,
        None,
    )
    assert services.use_coupon(db, by=by, code=coupon.code, order_no="O-2", lines=[line(10_000)], now=T0)[1] == 2_000
    assert audit_actions(db, by.shop_id)[-2] == "coupon.return"


def test_a_refund_after_the_window_expires_the_coupon(db: Session, by: Actor) -> None:
    coupon = claimed(db, by)
    services.use_coupon(db, by=by, code=coupon.code, order_no="O-1", lines=[line(12_000)], now=T0)
    assert services.return_coupon(db, by=by, code=coupon.code, now=T0 + timedelta(days=61)).status == "expired"
    with pytest.raises(CouponNotUsable):
        services.return_coupon(db, by=by, code=coupon.code, now=T0 + timedelta(days=61))


def test_expire_marks_claimed_and_locked_coupons_past_their_end_and_counts_them(db: Session, by: Actor) -> None:
    short = claimed(db, by, use_end=None, use_days=40)
    long = claimed(db, by)
    locked = claimed(db, by, channel="fission", fission_friends=2, use_end=None, use_days=40)
    used = claimed(db, by, use_end=None, use_days=40)
    services.use_coupon(db, by=by, code=used.code, order_no="O", lines=[line(10_000)], now=T0)
    assert services.expire_coupons(db, by=by, now=T0 + timedelta(days=41)) == 2
    db.expire_all()
    assert [c.status for c in (short, long, locked, used)] == ["expired", "claimed", "expired", "used"]
    assert services.expire_coupons(db, by=by, now=T0 + timedelta(days=41)) == 0
    assert audit_actions(db, by.shop_id)[-1] == "coupon.expire"


# ---- fission --------------------------------------------------------------------------------------------
def test_a_fission_coupon_unlocks_when_shared_with_n_distinct_friends(db: Session, by: Actor) -> None:
    coupon = claimed(db, by, channel="fission", fission_friends=2)
    assert coupon.status == "locked"
    with pytest.raises(CouponNotUsable) as caught:
        services.use_coupon(db, by=by, code=coupon.code, order_no="O", lines=[line(10_000)], now=T0)
    assert "还需分享给 2 位好友" in caught.value.zh
    friend, other = make_customer(db, by.shop_id), make_customer(db, by.shop_id)
    services.record_fission_share(db, by=by, coupon_id=coupon.id, friend_customer_id=friend.id, now=T0)
    services.record_fission_share(db, by=by, coupon_id=coupon.id, friend_customer_id=friend.id, now=T0)
    assert coupon.status == "locked"  # the same friend twice counts once
    services.record_fission_share(db, by=by, coupon_id=coupon.id, friend_customer_id=other.id, now=T0)
    assert (coupon.status, coupon.unlocked_at) == ("claimed", T0)
    assert services.use_coupon(db, by=by, code=coupon.code, order_no="O", lines=[line(10_000)], now=T0)[1] == 2_000


def test_the_holder_is_not_their_own_friend_and_friends_come_from_the_same_shop(
    db: Session, by: Actor, world: ShopWorld
) -> None:
    coupon = claimed(db, by, channel="fission", fission_friends=1)
    with pytest.raises(InvalidShare):
        services.record_fission_share(db, by=by, coupon_id=coupon.id, friend_customer_id=coupon.customer_id, now=T0)
    stranger = make_customer(db, make_shop(db).shop.id)
    with pytest.raises(NotFound):
        services.record_fission_share(db, by=by, coupon_id=coupon.id, friend_customer_id=stranger.id, now=T0)
    assert coupon.status == "locked"


def test_an_unlocked_coupon_takes_no_more_shares(db: Session, by: Actor) -> None:
    coupon = claimed(db, by, channel="fission", fission_friends=1)
    services.record_fission_share(db, by=by, coupon_id=coupon.id, friend_customer_id=make_customer(db, by.shop_id).id)
    with pytest.raises(CouponNotUsable):
        services.record_fission_share(
            db, by=by, coupon_id=coupon.id, friend_customer_id=make_customer(db, by.shop_id).id
        )


# ---- tenancy, lists, stats ------------------------------------------------------------------------------
def test_another_shops_templates_coupons_and_customers_are_not_found(db: Session, by: Actor) -> None:
    other = make_shop(db)
    theirs = make_template(db, other.principal.actor)
    their_coupon = services.claim_coupon(
        db, by=other.principal.actor, template_id=theirs.id, customer_id=make_customer(db, other.shop.id).id, now=T0
    )
    mine = make_template(db, by)
    with pytest.raises(NotFound):
        services.get_template(db, shop_id=by.shop_id, template_id=theirs.id)
    with pytest.raises(NotFound):
        services.claim_coupon(db, by=by, template_id=theirs.id, customer_id=make_customer(db, by.shop_id).id, now=T0)
    with pytest.raises(NotFound):
        services.claim_coupon(db, by=by, template_id=mine.id, customer_id=their_coupon.customer_id, now=T0)
    with pytest.raises(NotFound):
        services.use_coupon(db, by=by, code=their_coupon.code, order_no="O", lines=[line(10_000)], now=T0)
    with pytest.raises(NotFound):
        services.return_coupon(db, by=by, code=their_coupon.code)
    with pytest.raises(NotFound):
        services.update_template(db, by=by, template_id=theirs.id, changes={"name": "x"})
    with pytest.raises(NotFound):
        services.stop_template(db, by=by, template_id=theirs.id)
    with pytest.raises(NotFound):
        services.record_fission_share(db, by=by, coupon_id=their_coupon.id, friend_customer_id=1)
    assert services.expire_coupons(db, by=by, now=T0 + timedelta(days=365)) == 0
    db.refresh(their_coupon)
    assert their_coupon.status == "claimed"
    assert services.list_coupons(db, shop_id=by.shop_id, page=PageRequest()).total == 0


def test_list_coupons_filters_by_customer_template_and_status(db: Session, by: Actor) -> None:
    a, b = make_template(db, by, per_customer_limit=2), make_template(db, by)
    alice, bob = make_customer(db, by.shop_id), make_customer(db, by.shop_id)
    c1 = services.claim_coupon(db, by=by, template_id=a.id, customer_id=alice.id, now=T0)
    services.claim_coupon(db, by=by, template_id=a.id, customer_id=alice.id, now=T0)
    services.claim_coupon(db, by=by, template_id=b.id, customer_id=bob.id, now=T0)
    services.use_coupon(db, by=by, code=c1.code, order_no="O", lines=[line(10_000)], now=T0)
    page = services.list_coupons(db, shop_id=by.shop_id, customer_id=alice.id, page=PageRequest(1, 1))
    assert (page.total, len(page.items), page.has_next) == (2, 1, True)
    assert services.list_coupons(db, shop_id=by.shop_id, template_id=b.id, page=PageRequest()).total == 1
    used = services.list_coupons(db, shop_id=by.shop_id, status="used", page=PageRequest()).items
    assert [c.id for c in used] == [c1.id]
    with pytest.raises(InvalidInput):
        services.list_coupons(db, shop_id=by.shop_id, status="lost", page=PageRequest())


def test_stats_count_claimed_used_expired_and_the_rates_per_template_and_shop(db: Session, by: Actor) -> None:
    a = make_template(db, by, total_stock=10, per_customer_limit=4)
    b = make_template(db, by, name="空", total_stock=5)
    customer = make_customer(db, by.shop_id)
    coupons = [services.claim_coupon(db, by=by, template_id=a.id, customer_id=customer.id, now=T0) for _ in range(4)]
    services.use_coupon(db, by=by, code=coupons[0].code, order_no="O1", lines=[line(10_000)], now=T0)
    db.execute(Coupon.__table__.update().where(Coupon.id == coupons[1].id).values(status="expired"))
    other = make_shop(db)
    make_template(db, other.principal.actor)
    stats = queries.coupon_stats(db, shop_id=by.shop_id)
    rows = {row.template_id: row for row in stats.templates}
    assert set(rows) == {a.id, b.id}
    ra = rows[a.id]
    assert (ra.total_stock, ra.claimed, ra.used, ra.expired, ra.locked) == (10, 4, 1, 1, 0)
    assert (ra.claim_rate, ra.use_rate) == (0.4, 0.25)
    assert (rows[b.id].claimed, rows[b.id].claim_rate, rows[b.id].use_rate) == (0, 0.0, 0.0)
    assert (stats.total.total_stock, stats.total.claimed, stats.total.used, stats.total.expired) == (15, 4, 1, 1)
    assert stats.total.claim_rate == pytest.approx(4 / 15)
