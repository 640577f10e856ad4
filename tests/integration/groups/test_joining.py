"""Joins in batches (SPEC §7, siyu.groups.joining): one batch decides every buyer on their own facts, hands
out seats in request order to the first sub-group not full, and leaves no trace of those it refused;
the join desk answers every caller of a process. The same rules as one join at a time
(tests/integration/groups/test_groups.py) — a batch is how a busy H5 page joins."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.models import AuditEntry
from siyu.core.errors import DomainError, NotFound
from siyu.groups import joining, services
from siyu.groups.errors import GroupFull, JoinRefused
from siyu.groups.joining import JoinDesk, JoinRequest, Seat
from siyu.groups.models import GroupMember, GroupMemberEvent
from tests.factories.customers import make_order
from tests.factories.groups import buyer, buyers, joined, make_group
from tests.factories.shops import ShopWorld, make_shop

NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


def requests(shop_id: int, group_id: int, customer_ids: list[int]) -> list[JoinRequest]:
    return [JoinRequest(buyer(shop_id, c), group_id, c, NOW) for c in customer_ids]


def codes(outcomes: list[joining.Outcome]) -> list[object]:
    return [o.position if isinstance(o, Seat) else o.code for o in outcomes]


def test_a_batch_fills_sub_groups_in_request_order(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor, sub_groups=3, capacity=2)
    ids = [c.id for c in buyers(db, world.shop.id, 7)]
    order = [ids[4], ids[0], ids[6], ids[2], ids[1], ids[5], ids[3]]
    outcomes = joining.join_many(db, requests(world.shop.id, group.id, order))
    assert codes(outcomes) == [1, 1, 2, 2, 3, 3, "group_full"]
    assert [s.member_count for s in services.sub_groups_of(db, group.id)] == [2, 2, 2]
    assert isinstance(outcomes[0], Seat) and outcomes[0].name == "福利群 1群"
    joins = db.scalar(
        select(func.count()).where(GroupMemberEvent.group_id == group.id, GroupMemberEvent.kind == "join")
    )
    assert joins == 6


def test_a_batch_decides_each_buyer_on_their_own_facts(db: Session, world: ShopWorld) -> None:
    """Refusals, existing members, kicked buyers, unknown and other shops' customers, and the same buyer
    twice — all in one batch, each with their own answer."""
    group = make_group(db, world.principal.actor, goal="fans", sub_groups=2, capacity=10)
    fan, other_fan = buyers(db, world.shop.id, 2, follows_shop=True)
    (not_a_fan,) = buyers(db, world.shop.id, 1, follows_shop=False)
    (risky,) = buyers(db, world.shop.id, 1, follows_shop=True, high_risk=True)
    (member,) = joined(db, group, 1, follows_shop=True)
    (kicked,) = buyers(db, world.shop.id, 1, follows_shop=True)
    services.kick_members(db, by=world.principal.actor, group_id=group.id, customer_ids=[kicked.id])
    elsewhere = make_shop(db, code="elsewhere")
    (stranger,) = buyers(db, elsewhere.shop.id, 1, follows_shop=True)
    order = [fan.id, not_a_fan.id, risky.id, member.id, kicked.id, stranger.id, 999_999, fan.id, other_fan.id]
    outcomes = joining.join_many(db, requests(world.shop.id, group.id, order))
    assert codes(outcomes) == [
        1,
        "group_followers_only",
        "group_high_risk",
        1,
        "group_kicked",
        "not_found",
        "not_found",
        1,
        1,
    ]
    first, again, already = outcomes[0], outcomes[7], outcomes[3]
    assert isinstance(first, Seat) and not first.already
    assert isinstance(again, Seat) and again.already and again.member_id == first.member_id
    assert isinstance(already, Seat) and already.already
    assert [s.member_count for s in services.sub_groups_of(db, group.id)] == [3, 0]
    assert not db.scalar(select(func.count()).where(GroupMember.customer_id == stranger.id))


def test_a_high_value_batch_checks_each_buyers_own_spend(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor, goal="high_value", min_spend_fen=50_000)
    poor, rich = buyers(db, world.shop.id, 2)
    make_order(db, poor, paid_fen=49_999)
    make_order(db, rich, paid_fen=50_000)
    outcomes = joining.join_many(db, requests(world.shop.id, group.id, [poor.id, rich.id]))
    assert codes(outcomes) == ["group_spend_too_low", 1]
    assert "499.99" in outcomes[0].zh if isinstance(outcomes[0], DomainError) else False


def test_buyers_refused_as_full_leave_no_membership_row(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor, sub_groups=1, capacity=2)
    ids = [c.id for c in buyers(db, world.shop.id, 5)]
    outcomes = joining.join_many(db, requests(world.shop.id, group.id, ids))
    assert codes(outcomes) == [1, 1, "group_full", "group_full", "group_full"]
    rows = dict(
        db.execute(select(GroupMember.customer_id, GroupMember.status).where(GroupMember.group_id == group.id)).all()
    )
    assert rows == {ids[0]: "active", ids[1]: "active"}
    assert isinstance(outcomes[2], GroupFull) and "已满员" in outcomes[2].zh


def test_a_rejoin_in_a_batch_takes_the_first_open_seat_on_the_same_row(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor, sub_groups=2, capacity=2)
    first, *_ = joined(db, group, 3)
    services.leave_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=first.id)
    row_before = db.scalar(select(GroupMember.id).where(GroupMember.customer_id == first.id))
    (newcomer,) = buyers(db, world.shop.id, 1)
    outcomes = joining.join_many(db, requests(world.shop.id, group.id, [first.id, newcomer.id]))
    assert codes(outcomes) == [1, 2]
    assert isinstance(outcomes[0], Seat) and outcomes[0].member_id == row_before
    assert [s.member_count for s in services.sub_groups_of(db, group.id)] == [2, 2]


def test_a_closed_or_unknown_group_refuses_the_whole_batch(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor)
    ids = [c.id for c in buyers(db, world.shop.id, 2)]
    services.set_group_status(db, by=world.principal.actor, group_id=group.id, status="closed")
    assert codes(joining.join_many(db, requests(world.shop.id, group.id, ids))) == ["group_closed"] * 2
    other = make_shop(db, code="other")
    outcomes = joining.join_many(db, requests(other.shop.id, group.id, ids))
    assert all(isinstance(o, NotFound) for o in outcomes)


def test_a_buyers_own_join_is_a_member_event_and_a_staff_join_is_audited(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor)
    mine, theirs = buyers(db, world.shop.id, 2)
    joining.join_group(db, by=buyer(world.shop.id, mine.id), group_id=group.id, customer_id=mine.id)
    joining.join_group(db, by=world.principal.actor, group_id=group.id, customer_id=theirs.id)
    audited = db.scalars(select(AuditEntry.after).where(AuditEntry.action == "group.join")).all()
    assert audited == [{"customer_id": theirs.id}]
    events = db.scalars(select(GroupMemberEvent.customer_id).where(GroupMemberEvent.group_id == group.id)).all()
    assert sorted(events) == sorted([mine.id, theirs.id])


def test_groups_in_one_batch_are_each_decided_on_their_own(db: Session, world: ShopWorld) -> None:
    small = make_group(db, world.principal.actor, name="小群", sub_groups=1, capacity=1)
    big = make_group(db, world.principal.actor, name="大群")
    a, b = buyers(db, world.shop.id, 2)
    batch = [
        JoinRequest(buyer(world.shop.id, a.id), small.id, a.id, NOW),
        JoinRequest(buyer(world.shop.id, a.id), big.id, a.id, NOW),
        JoinRequest(buyer(world.shop.id, b.id), small.id, b.id, NOW),
    ]
    assert codes(joining.join_many(db, batch)) == [1, 1, "group_full"]


# ---- the desk ------------------------------------------------------------------------------------------
def test_the_desk_answers_every_caller_and_batches_them(sessions: sessionmaker[Session], db: Session) -> None:
    """Sixteen threads through one desk: every join answered, seats in order; the desk ran fewer batches
    than joins. (One connection here; the real concurrency is in test_concurrency.py.)"""
    world = make_shop(db)
    group = make_group(db, world.principal.actor, sub_groups=2, capacity=30)
    ids = [c.id for c in buyers(db, world.shop.id, 64)]
    lock = threading.Lock()
    desk = JoinDesk(_serialised(sessions, lock))
    answers: dict[int, object] = {}

    def client(share: list[int]) -> None:
        for cid in share:
            try:
                answers[cid] = desk.join(by=buyer(world.shop.id, cid), group_id=group.id, customer_id=cid, now=NOW)
            except DomainError as exc:
                answers[cid] = exc.code

    threads = [threading.Thread(target=client, args=(ids[n::16],)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally = Counter("seat" if isinstance(a, Seat) else a for a in answers.values())
    assert tally == {"seat": 60, "group_full": 4}
    assert [s.member_count for s in services.sub_groups_of(db, group.id)] == [30, 30]
    assert desk.joins == 64 and desk.batches <= 64


def test_a_failing_batch_is_retried_join_by_join(sessions: sessionmaker[Session], db: Session) -> None:
    """A join that breaks its batch (here a time without a zone, which the database layer refuses) fails
    alone; the others of the batch are seated."""
    world = make_shop(db)
    group = make_group(db, world.principal.actor)
    good, bad = buyers(db, world.shop.id, 2)
    desk = JoinDesk(_serialised(sessions, threading.Lock()))
    batch = [
        joining._Ticket(JoinRequest(buyer(world.shop.id, good.id), group.id, good.id, NOW)),
        joining._Ticket(JoinRequest(buyer(world.shop.id, bad.id), group.id, bad.id, datetime(2026, 12, 3))),
    ]
    desk._run(batch)
    assert isinstance(batch[0].outcome, Seat) and batch[0].outcome.position == 1
    assert isinstance(batch[1].outcome, Exception) and not isinstance(batch[1].outcome, DomainError)
    assert db.scalar(select(GroupMember.status).where(GroupMember.customer_id == good.id)) == "active"
    assert not db.scalar(select(func.count()).where(GroupMember.customer_id == bad.id))


def test_the_desk_raises_a_refusal_to_its_caller(sessions: sessionmaker[Session], db: Session) -> None:
    world = make_shop(db)
    group = make_group(db, world.principal.actor, goal="members")
    (outsider,) = buyers(db, world.shop.id, 1, is_member=False)
    desk = JoinDesk(_serialised(sessions, threading.Lock()))
    with pytest.raises(JoinRefused) as refused:
        desk.join(by=buyer(world.shop.id, outsider.id), group_id=group.id, customer_id=outsider.id)
    assert refused.value.code == "group_members_only"


def _serialised(sessions: sessionmaker[Session], lock: threading.Lock) -> sessionmaker[Session]:
    """The test's one-connection session factory, one user at a time (the desk runs one batch at a time
    anyway; retries of a failed batch come from the same thread)."""

    class Locked(Session):
        def __enter__(self) -> Session:
            lock.acquire()
            return super().__enter__()

        def __exit__(self, *exc: object) -> None:
            try:
                super().__exit__(*exc)  # type: ignore[arg-type]
            finally:
                lock.release()

    return sessionmaker(class_=Locked, **{**sessions.kw})
