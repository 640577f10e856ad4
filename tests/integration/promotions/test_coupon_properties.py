"""Any sequence of claims, uses, refunds, expiries and shares keeps the state machine legal and the
counts consistent (Hypothesis drives the real services on the configured database)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from siyu.core.errors import DomainError
from siyu.promotions import services
from siyu.promotions.domain import TRANSITIONS
from siyu.promotions.models import Coupon, CouponTemplate
from siyu.promotions.schemas import OrderLineIn
from tests.factories.customers import make_customer
from tests.factories.promotions import T0, make_template
from tests.factories.shops import make_shop

LEGAL_MOVES = {(before.value, after.value) for (before, _event), after in TRANSITIONS.items()}
day = st.integers(0, 70)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("claim"), st.integers(0, 1), st.integers(0, 3), day),
        st.tuples(st.just("use"), st.integers(0, 9), st.sampled_from([5_000, 10_000, 20_000]), day),
        st.tuples(st.just("return"), st.integers(0, 9), st.just(0), day),
        st.tuples(st.just("expire"), st.just(0), st.just(0), day),
        st.tuples(st.just("share"), st.integers(0, 9), st.integers(0, 3), day),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_any_sequence_of_operations_keeps_states_legal_and_counts_consistent(
    engine: Engine, ops: list[tuple[str, int, int, int]]
) -> None:
    connection = engine.connect()
    outer = connection.begin()
    try:
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        run(session, ops)
    finally:
        outer.rollback()
        connection.close()


def run(session: Session, ops: list[tuple[str, int, int, int]]) -> None:
    world = make_shop(session)
    by = world.principal.actor
    templates = [
        make_template(session, by, total_stock=5, per_customer_limit=2, use_end=None, use_days=20),
        make_template(
            session, by, total_stock=4, channel="fission", fission_friends=2, use_end=T0 + timedelta(days=45)
        ),
    ]
    customers = [make_customer(session, by.shop_id) for _ in range(4)]
    coupons: list[Coupon] = []
    states: dict[int, str] = {}
    for op, a, b, offset in ops:
        now = T0 + timedelta(days=offset)
        try:
            if op == "claim" and now <= templates[a].claim_end:
                coupon = services.claim_coupon(
                    session, by=by, template_id=templates[a].id, customer_id=customers[b].id, now=now
                )
                if coupon.id not in states:
                    coupons.append(coupon)
                    assert coupon.status == ("locked" if a == 1 else "claimed")
                    states[coupon.id] = coupon.status
            elif op == "use" and a < len(coupons):
                services.use_coupon(
                    session,
                    by=by,
                    code=coupons[a].code,
                    order_no=f"O{a}",
                    lines=[OrderLineIn(sku="1", amount_fen=b)],
                    now=now,
                )
            elif op == "return" and a < len(coupons):
                services.return_coupon(session, by=by, code=coupons[a].code, now=now)
            elif op == "expire":
                services.expire_coupons(session, by=by, now=now)
            elif op == "share" and a < len(coupons):
                services.record_fission_share(
                    session, by=by, coupon_id=coupons[a].id, friend_customer_id=customers[b].id, now=now
                )
        except DomainError:
            pass
        session.expire_all()
        for coupon in coupons:
            before, after = states[coupon.id], coupon.status
            assert before == after or (before, after) in LEGAL_MOVES, (op, before, after)
            states[coupon.id] = after
            assert (after == "used") == (coupon.order_no is not None)
            assert coupon.valid_from <= coupon.valid_until
        for template in templates:
            rows = session.scalar(select(func.count()).select_from(Coupon).where(Coupon.template_id == template.id))
            count = session.scalar(select(CouponTemplate.claimed_count).where(CouponTemplate.id == template.id))
            assert count == rows <= template.total_stock
            most = session.scalar(
                select(func.count())
                .where(Coupon.template_id == template.id)
                .group_by(Coupon.customer_id)
                .order_by(func.count().desc())
                .limit(1)
            )
            assert (most or 0) <= template.per_customer_limit
