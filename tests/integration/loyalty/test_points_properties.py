"""Property: whatever sequence of earning, spending, refunds, expiry and adjustments happens to a few
members, the ledger, the lots and the cached balance agree, debt is the sum of its changes, no balance
goes negative and spending always takes the oldest points first."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.services import Actor
from siyu.core.errors import DomainError
from siyu.loyalty import services
from siyu.loyalty.models import Member, PointsEntry, PointsLot
from tests.factories.loyalty import T0, assert_ledger_holds, make_member, make_program, member_order
from tests.factories.shops import make_shop

MEMBERS = 3
member_index = st.integers(0, MEMBERS - 1)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), member_index, st.integers(1, 500)),
        st.tuples(st.just("order"), member_index, st.integers(50, 80_000)),  # fen paid
        st.tuples(st.just("spend"), member_index, st.integers(1, 700)),
        st.tuples(st.just("refund"), member_index, st.integers(0, 9)),  # which of the member's orders
        st.tuples(st.just("adjust"), member_index, st.integers(-400, 400).filter(bool)),
        st.tuples(st.just("advance"), st.just(0), st.integers(1, 20)),  # days
        st.tuples(st.just("expire"), st.just(0), st.just(0)),
    ),
    min_size=1,
    max_size=30,
)

LotKey = tuple[bool, datetime, datetime, int]


def open_lots(db: Session, member: Member) -> dict[int, tuple[LotKey, int]]:
    """Lot id -> (FIFO position key, remaining)."""
    rows = db.execute(
        select(PointsLot.id, PointsLot.expires_at, PointsLot.earned_at, PointsLot.remaining).where(
            PointsLot.member_id == member.id
        )
    )
    never = datetime.max.replace(tzinfo=T0.tzinfo)
    return {i: ((exp is None, exp or never, earned, i), left) for i, exp, earned, left in rows}


def assert_fifo(before: dict[int, tuple[LotKey, int]], after: dict[int, tuple[LotKey, int]], skip: int | None) -> None:
    """A spend never leaves an older lot open while it takes from a newer one."""
    touched = [key for i, (key, left) in after.items() if i != skip and i in before and left < before[i][1]]
    for key in touched:
        older_open = [i for i, (k, left) in after.items() if i != skip and k < key and left > 0]
        assert not older_open, f"lot at {key} was used while older lots {older_open} were still open"


def run(db: Session, by: Actor, members: list[Member], steps: list[tuple[str, int, int]]) -> None:
    now = T0
    orders: dict[int, list[str]] = {m.id: [] for m in members}
    for n, (op, who, amount) in enumerate(steps):
        member = members[who]
        key = f"p{n}"
        before = open_lots(db, member)
        skip = None
        try:
            with db.begin_nested():  # one request, one transaction: a refused request changes nothing
                if op == "earn":
                    services.adjust_points(
                        db, by=by, member_id=member.id, points=amount, reason="prop", idempotency_key=key, now=now
                    )
                elif op == "order":
                    order = member_order(db, member, paid_fen=amount, at=now)
                    result = services.earn_for_order(db, by=by, order_id=order.id, now=now)
                    if result.entry is not None:
                        orders[member.id].append(order.order_no)
                elif op == "spend":
                    spent = services.spend_points(
                        db, by=by, member_id=member.id, points=amount, reason="", idempotency_key=key, now=now
                    )
                    assert spent.entry is not None and spent.entry.points == -amount
                elif op == "refund" and orders[member.id]:
                    order_no = orders[member.id][amount % len(orders[member.id])]
                    earned = db.scalar(select(PointsEntry.id).where(PointsEntry.idempotency_key == f"order:{order_no}"))
                    skip = db.scalar(select(PointsLot.id).where(PointsLot.entry_id == earned))
                    services.reverse_order_points(db, by=by, order_no=order_no, now=now)
                elif op == "adjust":
                    services.adjust_points(
                        db, by=by, member_id=member.id, points=amount, reason="prop", idempotency_key=key, now=now
                    )
                elif op == "advance":
                    now += timedelta(days=amount)
                elif op == "expire":
                    services.expire_points(db, by=by, now=now)
        except DomainError as refused:
            assert refused.code == "insufficient_points", refused
        for m in members:
            db.refresh(m)
            assert_ledger_holds(db, m)
        if op in ("spend", "adjust", "refund"):
            assert_fifo(before, open_lots(db, member), skip)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_any_sequence_keeps_the_ledger_lots_and_balance_in_agreement(
    db: Session, steps: list[tuple[str, int, int]]
) -> None:
    example = db.begin_nested()  # a fresh shop per example, gone afterwards
    try:
        by = make_shop(db).principal.actor
        make_program(db, by, join_gift_points=50, expiry_days=30)
        members = [make_member(db, by, at=T0 - timedelta(days=1)) for _ in range(MEMBERS)]
        run(db, by, members, steps)
        for m in members:
            entries = db.scalars(select(PointsEntry.balance_after).where(PointsEntry.member_id == m.id))
            assert all(b >= 0 for b in entries)
    finally:
        example.rollback()
