"""The groups invariants under real concurrency (issue #6): threads, each request its own transaction
against a committed database (PostgreSQL with SIYU_TEST_DB=postgresql; the tests that SQLite's single
writer cannot make interesting are marked ``postgres_only``).

- 2,000 joins at once into 10 sub-groups of 100: none ever holds more than 100, they fill in order,
  every accepted joiner holds exactly one seat, the other 1,000 are told the group is full;
- a kick that races rejoins (or a buyer's very first join) always wins: kicked stays kicked, seat counts
  equal the active rows;
- ten activities created at once in one group: exactly three run;
- red-packet grabs at once never pay out more than the budget nor two packets to one member in a round;
- a flash sale at once never sells more than its stock, nor two units to one buyer.

A request is retried only on a serialization failure or deadlock (and ``ConcurrentConflict``); each test
asserts that none happened, so a lock-order regression shows up as a failure, not as a slower test.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.core.errors import ConcurrentConflict, DomainError
from siyu.customers.models import Customer
from siyu.db import create_engine, session_factory, transaction
from siyu.groups import activities, joining, milestones, services
from siyu.groups.activities import ActivitySpec, FlashItemSpec
from siyu.groups.errors import ActivityLimit, AlreadyTaken, GroupFull, JoinRefused, NoPacketLeft, SoldOut
from siyu.groups.joining import JoinDesk
from siyu.groups.models import (
    FlashSaleItem,
    FlashSaleOrder,
    GroupActivity,
    GroupMember,
    GroupPost,
    RedPacket,
    SubGroup,
)
from tests.conftest import BACKEND, PG_URL
from tests.factories.groups import buyer
from tests.factories.shops import make_shop

NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
RETRYABLE = {"40001", "40P01"}  # serialization failure, deadlock detected
THREADS = 24
T = TypeVar("T")


@pytest.fixture
def pooled(fresh_engine: Engine) -> Iterator[Engine]:
    """The fresh database through a pool big enough for every thread (PostgreSQL allows 100 connections
    in all here; SQLite has one writer whatever the pool, BEGIN IMMEDIATE queues them)."""
    if BACKEND != "postgresql":
        engine = create_engine(fresh_engine.url.render_as_string(hide_password=False), pool_size=THREADS + 4)
    else:
        with fresh_engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        engine = create_engine(
            PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=40, max_overflow=0, pool_timeout=60
        )
    yield engine
    engine.dispose()


@dataclass
class Arena:
    factory: sessionmaker[Session]
    owner: Actor
    group_id: int
    customers: list[int]
    retries: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def shop_id(self) -> int:
        return self.owner.shop_id

    def run(self, work: Callable[[Session], T]) -> T:
        """One request in one write transaction; retried only when the database asks for it."""
        while True:
            try:
                with transaction(self.factory, write=True) as session:
                    return work(session)
            except ConcurrentConflict:
                reason = "conflict"
            except DBAPIError as exc:
                reason = getattr(exc.orig, "sqlstate", None) or ""
                if reason not in RETRYABLE:
                    raise
            with self.lock:
                self.retries[reason] += 1

    def join(self, customer_id: int) -> joining.Seat:
        return self.run(
            lambda s: joining.join_group(
                s, by=buyer(self.shop_id, customer_id), group_id=self.group_id, customer_id=customer_id, now=NOW
            )
        )


def arena(engine: Engine, *, customers: int, sub_groups: int = 10, capacity: int = 100) -> Arena:
    factory = session_factory(engine)
    with transaction(factory, write=True) as session:
        owner = make_shop(session).principal.actor
        group = services.create_group(
            session, by=owner, spec=services.GroupSpec("福利群", sub_groups=sub_groups, capacity=capacity)
        )
        session.add_all(
            Customer(shop_id=owner.shop_id, account=f"jd_{n}", name="", city="", phone_masked="", phone_tail="")
            for n in range(customers)
        )
        session.flush()
        ids = list(session.scalars(select(Customer.id).where(Customer.shop_id == owner.shop_id).order_by(Customer.id)))
        return Arena(factory, owner, group.id, ids)


def all_at_once(tasks: list[Callable[[], T]], threads: int = THREADS) -> list[T | BaseException]:
    """Run ``tasks`` on ``threads`` threads that start together (a barrier); every result or exception,
    in task order."""
    threads = min(threads, len(tasks))
    results: list[T | BaseException] = [RuntimeError("not run")] * len(tasks)
    barrier = threading.Barrier(threads)

    def worker(offset: int) -> None:
        barrier.wait()
        for n in range(offset, len(tasks), threads):
            try:
                results[n] = tasks[n]()
            except BaseException as exc:
                results[n] = exc

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def outcome(result: object) -> str:
    """A result's name for counting: ``ok`` or the error code (``!`` + the type for anything unexpected)."""
    if isinstance(result, DomainError):
        return result.code
    if isinstance(result, BaseException):
        return f"!{type(result).__name__}: {result}"
    return "ok"


def seats(a: Arena) -> list[tuple[int, int, int, int]]:
    """(position, capacity, member_count, active rows) of each sub-group, in order, from one snapshot."""
    active = (
        select(GroupMember.sub_group_id, func.count().label("n"))
        .where(GroupMember.group_id == a.group_id, GroupMember.status == "active")
        .group_by(GroupMember.sub_group_id)
        .subquery()
    )
    with transaction(a.factory) as session:
        rows = session.execute(
            select(SubGroup.position, SubGroup.capacity, SubGroup.member_count, func.coalesce(active.c.n, 0))
            .outerjoin(active, active.c.sub_group_id == SubGroup.id)
            .where(SubGroup.group_id == a.group_id)
            .order_by(SubGroup.position)
        ).all()
    return [(int(p), int(c), int(m), int(n)) for p, c, m, n in rows]


def assert_seats_consistent(a: Arena, *, in_order: bool = True) -> list[int]:
    """member_count == active rows <= capacity in every sub-group, and (unless members left or were kicked,
    which frees seats anywhere) they fill in order; the counts."""
    found = seats(a)
    for position, capacity, count, active in found:
        assert count == active, f"sub-group {position}: member_count {count} but {active} active rows"
        assert 0 <= count <= capacity, f"sub-group {position} holds {count} of {capacity}"
    if in_order:
        assert_in_order([(c, cap) for _, cap, c, _ in found])
    return [count for _, _, count, _ in found]


def assert_in_order(counts: list[tuple[int, int]]) -> None:
    """Every sub-group before the last non-empty one is full."""
    last = max((n for n, (count, _) in enumerate(counts) if count), default=-1)
    assert all(count == capacity for count, capacity in counts[: max(last, 0)]), repr(counts)


def members(a: Arena) -> dict[int, tuple[str, int | None]]:
    """customer id → (status, sub-group id) of every membership row of the group."""
    with transaction(a.factory) as session:
        rows = session.execute(
            select(GroupMember.customer_id, GroupMember.status, GroupMember.sub_group_id).where(
                GroupMember.group_id == a.group_id
            )
        ).all()
    return {int(c): (s, g) for c, s, g in rows}


# ---- joins ---------------------------------------------------------------------------------------------
def test_two_thousand_joins_at_once_fill_ten_sub_groups_of_a_hundred_in_order(pooled: Engine) -> None:
    a = arena(pooled, customers=2_000)
    done = threading.Event()
    snapshots: list[list[tuple[int, int]]] = []

    def watch() -> None:
        """While the joins run, what any reader sees: never above capacity, always filled in order."""
        with pooled.connect() as conn:
            while not done.is_set():
                rows = conn.execute(
                    select(SubGroup.member_count, SubGroup.capacity)
                    .where(SubGroup.group_id == a.group_id)
                    .order_by(SubGroup.position)
                ).all()
                conn.rollback()
                snapshots.append([(int(m), int(c)) for m, c in rows])
                done.wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        results = all_at_once([lambda c=c: a.join(c) for c in a.customers])  # type: ignore[misc]
    finally:
        done.set()
        watcher.join()

    tally = Counter(outcome(r) for r in results)
    assert tally == {"ok": 1_000, "group_full": 1_000}, tally
    assert all(isinstance(r, GroupFull) for r in results if not isinstance(r, joining.Seat))
    assert not a.retries, a.retries
    assert assert_seats_consistent(a) == [100] * 10
    assert len(snapshots) > 3
    for snapshot in snapshots:
        assert all(count <= capacity for count, capacity in snapshot), snapshot
        assert_in_order(snapshot)

    accepted = {c: r for c, r in zip(a.customers, results, strict=True) if isinstance(r, joining.Seat)}
    rows = members(a)
    assert set(rows) == set(accepted)  # the refused left no row behind
    assert all(status == "active" for status, _ in rows.values())
    assert all(rows[c][1] == seat.sub_group_id and not seat.already for c, seat in accepted.items())
    per_sub = Counter(seat.position for seat in accepted.values())
    assert per_sub == {n: 100 for n in range(1, 11)}


def test_the_same_buyer_joining_from_many_threads_takes_one_seat(pooled: Engine) -> None:
    a = arena(pooled, customers=1, sub_groups=2, capacity=5)
    results = all_at_once([lambda: a.join(a.customers[0]) for _ in range(16)], threads=16)
    tally = Counter(outcome(r) for r in results)
    # the first commits; the others see it (already) or lost the race at the unique row (told to retry)
    assert tally["ok"] >= 1 and set(tally) <= {"ok", "group_join_conflict"}, tally
    assert sum(1 for r in results if isinstance(r, joining.Seat) and not r.already) == 1
    assert assert_seats_consistent(a) == [1, 0]
    assert not a.retries, a.retries


# ---- kicks ---------------------------------------------------------------------------------------------
def kick(a: Arena, customer_ids: list[int]) -> list[int]:
    return a.run(
        lambda s: services.kick_members(s, by=a.owner, group_id=a.group_id, customer_ids=customer_ids, now=NOW)
    )


def leave(a: Arena, customer_id: int) -> None:
    a.run(
        lambda s: services.leave_group(
            s, by=buyer(a.shop_id, customer_id), group_id=a.group_id, customer_id=customer_id, now=NOW
        )
    )


def assert_kicked_stay_out(a: Arena, kicked: set[int]) -> dict[int, tuple[str, int | None]]:
    rows = members(a)
    for customer_id in kicked:
        assert rows.get(customer_id) == ("kicked", None), (customer_id, rows.get(customer_id))
    assert_seats_consistent(a, in_order=False)
    return rows


@pytest.mark.postgres_only
def test_members_who_left_cannot_rejoin_past_a_kick_that_races_them(pooled: Engine) -> None:
    """Each round: five members who left are kicked (one request for the five) while four threads try to
    rejoin each of them; whatever commits first, all five end kicked and seatless."""
    a = arena(pooled, customers=150, sub_groups=2, capacity=100)
    for customer_id in a.customers:
        a.join(customer_id)
    for customer_id in a.customers[:100]:
        leave(a, customer_id)
    rounds = [a.customers[n : n + 5] for n in range(0, 100, 5)]
    tally: Counter[str] = Counter()
    for batch in rounds:
        tasks: list[Callable[[], object]] = [lambda b=batch: kick(a, b)]  # type: ignore[misc]
        for _ in range(4):
            tasks += [lambda c=c: a.join(c) for c in batch]  # type: ignore[misc]
        results = all_at_once(tasks, threads=5)
        assert results[0] == sorted(batch), results[0]
        tally.update(outcome(r) for r in results[1:])
    # a rejoin either came first (and was then kicked) or was refused as kicked
    assert set(tally) <= {"ok", "group_kicked"}, tally
    assert tally["group_kicked"] > 0
    rows = assert_kicked_stay_out(a, set(a.customers[:100]))
    assert sum(1 for status, _ in rows.values() if status == "active") == 50
    assert not a.retries, a.retries


@pytest.mark.postgres_only
def test_a_kick_racing_active_members_and_rejoins_at_once_leaves_them_all_out(pooled: Engine) -> None:
    """Kicks of ten at a time (some active, some who left, some who never joined) against rejoins and
    first joins of the same buyers from other threads, many rounds."""
    a = arena(pooled, customers=200, sub_groups=2, capacity=100)
    rng = random.Random(6)
    for customer_id in a.customers[:120]:
        a.join(customer_id)
    for customer_id in a.customers[:120:2]:
        leave(a, customer_id)
    targets = a.customers[:160]  # 60 active, 60 who left, 40 who never joined
    rng.shuffle(targets)
    tally: Counter[str] = Counter()
    for n in range(0, len(targets), 10):
        batch = targets[n : n + 10]
        tasks: list[Callable[[], object]] = [lambda b=batch: kick(a, b)]  # type: ignore[misc]
        tasks += [lambda c=c: a.join(c) for c in batch * 2]  # type: ignore[misc]
        rng.shuffle(tasks)
        tally.update(outcome(r) for r in all_at_once(tasks, threads=8))
    assert tally["ok"] >= len(targets) // 10  # every kick answered
    assert set(tally) <= {"ok", "group_kicked", "group_join_conflict"}, tally
    rows = assert_kicked_stay_out(a, set(targets))
    assert sum(1 for status, _ in rows.values() if status == "active") == 0
    assert not a.retries, a.retries


def test_a_kick_racing_a_buyers_first_join_keeps_them_out(pooled: Engine) -> None:
    """A buyer who never joined is kicked while they join for the first time: never active in the end."""
    a = arena(pooled, customers=60, sub_groups=2, capacity=100)
    tally: Counter[str] = Counter()
    for customer_id in a.customers:
        tasks: list[Callable[[], object]] = [
            lambda c=customer_id: kick(a, [c]),  # type: ignore[misc]
            lambda c=customer_id: a.join(c),  # type: ignore[misc]
        ]
        results = all_at_once(tasks, threads=2)
        assert results[0] == [customer_id], results[0]
        tally[outcome(results[1])] += 1
    assert set(tally) <= {"ok", "group_kicked", "group_join_conflict"}, tally
    rows = assert_kicked_stay_out(a, set(a.customers))
    assert len(rows) == 60
    assert assert_seats_consistent(a) == [0, 0]
    assert not a.retries, a.retries


# ---- the join desk (batches) ----------------------------------------------------------------------------
@pytest.mark.postgres_only
@pytest.mark.parametrize("lanes", [1, 2])
def test_two_desks_and_single_joins_at_once_fill_in_order_without_overfill(pooled: Engine, lanes: int) -> None:
    """2,000 buyers into 10 × 100 at once: two join desks (as two server processes would have), twelve
    threads each, and a few threads joining one transaction at a time, all racing for the same seats."""
    a = arena(pooled, customers=2_000)
    desks = [JoinDesk(a.factory, lanes=lanes), JoinDesk(a.factory, lanes=lanes)]

    def via(n: int, customer_id: int) -> object:
        if n % 10 == 9:
            return a.join(customer_id)  # one transaction of its own
        desk = desks[n % 2]
        return desk.join(by=buyer(a.shop_id, customer_id), group_id=a.group_id, customer_id=customer_id, now=NOW)

    tasks = [lambda n=n, c=c: via(n, c) for n, c in enumerate(a.customers)]  # type: ignore[misc]
    results = all_at_once(tasks, threads=THREADS + 4)
    tally = Counter(outcome(r) for r in results)
    assert tally == {"ok": 1_000, "group_full": 1_000}, tally
    assert sum(d.batches for d in desks) < sum(d.joins for d in desks)  # batches really formed
    assert not any(d.retried for d in desks) and not a.retries
    assert assert_seats_consistent(a) == [100] * 10
    accepted = {c: r for c, r in zip(a.customers, results, strict=True) if isinstance(r, joining.Seat)}
    rows = members(a)
    assert set(rows) == set(accepted)
    assert all(rows[c] == ("active", seat.sub_group_id) for c, seat in accepted.items())


@pytest.mark.postgres_only
def test_kicks_racing_a_desks_batches_keep_the_kicked_out(pooled: Engine) -> None:
    """Members who left rejoin through a desk (and newcomers join) while the owner kicks them five at a
    time: every kicked buyer ends kicked and seatless, the seats agree with the rows."""
    a = arena(pooled, customers=150, sub_groups=2, capacity=100)
    for customer_id in a.customers[:100]:
        a.join(customer_id)
    for customer_id in a.customers[:100]:
        leave(a, customer_id)
    desk = JoinDesk(a.factory)

    def rejoin(customer_id: int) -> object:
        return desk.join(by=buyer(a.shop_id, customer_id), group_id=a.group_id, customer_id=customer_id, now=NOW)

    tasks: list[Callable[[], object]] = []
    for n in range(0, 100, 5):
        tasks.append(lambda b=a.customers[n : n + 5]: kick(a, b))  # type: ignore[misc]
        tasks += [lambda c=c: rejoin(c) for c in a.customers[n : n + 5] + a.customers[100 + n // 2 : 101 + n // 2]]  # type: ignore[misc]
    results = all_at_once(tasks, threads=12)
    tally = Counter(outcome(r) for r in results if not isinstance(r, list))
    assert set(tally) <= {"ok", "group_kicked"}, tally
    rows = assert_kicked_stay_out(a, set(a.customers[:100]))
    assert sum(1 for status, _ in rows.values() if status == "active") == 20
    assert not desk.retried and not a.retries, (desk.retried, a.retries)


@pytest.mark.postgres_only
def test_a_milestone_reached_by_concurrent_joins_fires_exactly_once(pooled: Engine) -> None:
    """300 buyers join at once through two desks and single transactions; the milestone at 150 members
    posts its announcement and starts its rain once."""
    a = arena(pooled, customers=300, sub_groups=3, capacity=100)
    spec = milestones.MilestoneSpec(150, "群满 150 人，红包雨来了", action="red_packet", budget_fen=15_000, packets=30)
    a.run(lambda s: milestones.add_milestone(s, by=a.owner, group_id=a.group_id, spec=spec))
    desks = [JoinDesk(a.factory), JoinDesk(a.factory)]

    def via(n: int, customer_id: int) -> object:
        if n % 5 == 4:
            return a.join(customer_id)
        return desks[n % 2].join(by=buyer(a.shop_id, customer_id), group_id=a.group_id, customer_id=customer_id)

    results = all_at_once([lambda n=n, c=c: via(n, c) for n, c in enumerate(a.customers)])  # type: ignore[misc]
    assert Counter(outcome(r) for r in results) == {"ok": 300}
    with transaction(a.factory) as session:
        posts = session.scalars(select(GroupPost.title).where(GroupPost.group_id == a.group_id)).all()
        rains = session.scalars(select(GroupActivity.budget_fen).where(GroupActivity.group_id == a.group_id)).all()
    assert posts == ["群人数达到 150 人"] and rains == [15_000]
    assert not any(d.retried for d in desks) and not a.retries


# ---- the three-activity limit --------------------------------------------------------------------------
def test_ten_overlapping_activities_created_at_once_three_are_accepted(pooled: Engine) -> None:
    a = arena(pooled, customers=0)

    def create(n: int) -> int:
        start = NOW + timedelta(minutes=n)  # all overlapping at NOW + 10 min
        spec = ActivitySpec(
            "guess", f"猜价格{n}", start, start + timedelta(hours=2), guess_name="面霜", guess_price_fen=19_900
        )
        return a.run(lambda s: activities.create_activity(s, by=a.owner, group_id=a.group_id, spec=spec).id)

    results = all_at_once([lambda n=n: create(n) for n in range(10)], threads=10)  # type: ignore[misc]
    tally = Counter(outcome(r) for r in results)
    assert tally == {"ok": 3, ActivityLimit.code: 7}, tally
    with transaction(a.factory) as session:
        made = activities.list_activities(session, shop_id=a.shop_id, group_id=a.group_id)
    assert sorted(x.id for x in made) == sorted(r for r in results if isinstance(r, int))
    assert not a.retries, a.retries


# ---- red packets ---------------------------------------------------------------------------------------
def with_members(engine: Engine, count: int) -> Arena:
    """An arena whose ``count`` buyers all joined (one sub-group of 1,000)."""
    a = arena(engine, customers=count, sub_groups=1, capacity=1_000)
    with transaction(a.factory, write=True) as session:
        for customer_id in a.customers:
            joining.join_group(
                session, by=buyer(a.shop_id, customer_id), group_id=a.group_id, customer_id=customer_id, now=NOW
            )
    return a


def red_rain(a: Arena, budget: int, packets: int, rounds: int = 1) -> int:
    spec = ActivitySpec(
        "red_packet",
        "红包雨",
        NOW - timedelta(hours=1),
        NOW + timedelta(hours=2),
        budget_fen=budget,
        packets=packets,
        rounds=rounds,
    )
    return a.run(lambda s: activities.create_activity(s, by=a.owner, group_id=a.group_id, spec=spec).id)


def grab(a: Arena, rain: int, customer_id: int) -> activities.Grab:
    return a.run(
        lambda s: activities.grab_red_packet(
            s, by=buyer(a.shop_id, customer_id), activity_id=rain, customer_id=customer_id, now=NOW
        )
    )


def packets_of(a: Arena, rain: int) -> list[tuple[int, int, int | None]]:
    """(round, amount, customer) of every packet of the rain."""
    with transaction(a.factory) as session:
        rows = session.execute(
            select(RedPacket.round, RedPacket.amount_fen, RedPacket.customer_id).where(RedPacket.activity_id == rain)
        ).all()
    return [(int(r), int(m), c) for r, m, c in rows]


def check_rain(a: Arena, rain: int, budget: int, packets: int, grabbers: list[int], results: list[Any]) -> None:
    """Whatever the interleaving: at most the packets and the budget, one packet per member and round,
    each answer the member's own packet."""
    rows = packets_of(a, rain)
    rounds = {r for r, _, _ in rows}
    for number in rounds:
        in_round = [(m, c) for r, m, c in rows if r == number]
        assert len(in_round) == packets and sum(m for m, _ in in_round) == budget  # the split
        taken = [c for _, c in in_round if c is not None]
        assert len(taken) == len(set(taken)), "a member holds two packets of one round"
    taken_rows = [(m, c) for _, m, c in rows if c is not None]
    with transaction(a.factory) as session:
        assert activities.red_packet_totals(session, rain) == (
            len(taken_rows),
            sum(m for m, _ in taken_rows),
            budget * len(rounds),
        )
    held = {c: m for m, c in taken_rows}
    distinct = set(grabbers)
    expected_taken = min(packets, len(distinct))
    assert len(taken_rows) == expected_taken, (len(taken_rows), expected_taken)
    paid = sum(m for m, _ in taken_rows)
    assert paid <= budget
    if len(distinct) >= packets:
        assert paid == budget
    for customer_id, result in zip(grabbers, results, strict=True):
        if isinstance(result, activities.Grab):
            assert held.get(customer_id) == result.amount_fen, (customer_id, result)
        else:
            assert isinstance(result, NoPacketLeft), result
            assert customer_id not in held or grabbers.count(customer_id) > 1


@pytest.mark.parametrize(("budget", "packets"), [(10_000, 30), (777, 80)])
def test_fifty_grabbers_at_once_never_exceed_the_budget(pooled: Engine, budget: int, packets: int) -> None:
    a = with_members(pooled, 50)
    rain = red_rain(a, budget, packets)
    grabbers = a.customers + a.customers[:10]  # ten of them grab twice
    random.Random(packets).shuffle(grabbers)
    results = all_at_once([lambda c=c: grab(a, rain, c) for c in grabbers])  # type: ignore[misc]
    tally = Counter(outcome(r) for r in results)
    assert set(tally) <= {"ok", NoPacketLeft.code}, tally
    check_rain(a, rain, budget, packets, grabbers, results)
    fresh = sum(1 for r in results if isinstance(r, activities.Grab) and not r.already)
    assert fresh == min(packets, 50)
    if packets >= 50:  # a packet for everyone: the second grab answers the first packet again
        assert tally == {"ok": 60}
    assert not a.retries, a.retries


@pytest.mark.postgres_only
def test_one_member_grabbing_from_twenty_threads_gets_one_packet(pooled: Engine) -> None:
    a = with_members(pooled, 1)
    rain = red_rain(a, 1_000, 10)
    results = all_at_once([lambda: grab(a, rain, a.customers[0]) for _ in range(20)], threads=20)
    assert all(isinstance(r, activities.Grab) for r in results), Counter(outcome(r) for r in results)
    assert len({r.amount_fen for r in results if isinstance(r, activities.Grab)}) == 1
    assert sum(1 for r in results if isinstance(r, activities.Grab) and not r.already) == 1
    assert [c for _, _, c in packets_of(a, rain) if c is not None] == a.customers
    assert not a.retries, a.retries


@pytest.fixture
def rain_arena(pooled: Engine) -> Arena:
    return with_members(pooled, 40)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(packets=st.integers(1, 60), extra=st.integers(0, 500), grabbers=st.integers(1, 40), seed=st.integers(0, 99))
def test_any_budget_and_count_concurrent_grabs_pay_at_most_the_budget(
    rain_arena: Arena, packets: int, extra: int, grabbers: int, seed: int
) -> None:
    a = rain_arena
    budget = packets + extra  # every packet at least 1 fen
    rain = red_rain(a, budget, packets)
    rng = random.Random(seed)
    who = rng.sample(a.customers, grabbers)
    who += [rng.choice(who) for _ in range(grabbers // 4)]
    try:
        results = all_at_once([lambda c=c: grab(a, rain, c) for c in who], threads=12)  # type: ignore[misc]
        check_rain(a, rain, budget, packets, who, results)
        assert not a.retries, a.retries
    finally:  # the group runs at most three activities at once
        a.run(lambda s: activities.cancel_activity(s, by=a.owner, activity_id=rain))


# ---- flash sale ----------------------------------------------------------------------------------------
def flash_sale(a: Arena, stock: int) -> tuple[int, int]:
    spec = ActivitySpec(
        "flash_sale",
        "限时抢购",
        NOW - timedelta(hours=1),
        NOW + timedelta(hours=2),
        items=(FlashItemSpec("100001", "面霜", 19_900, 12_900, stock),),
    )

    def make(s: Session) -> tuple[int, int]:
        sale = activities.create_activity(s, by=a.owner, group_id=a.group_id, spec=spec)
        return sale.id, activities.flash_items(s, sale.id)[0].id

    return a.run(make)


def buy(a: Arena, sale: int, item: int, customer_id: int) -> int:
    return a.run(
        lambda s: (
            activities.buy_flash_item(
                s, by=buyer(a.shop_id, customer_id), activity_id=sale, item_id=item, customer_id=customer_id, now=NOW
            ).id
        )
    )


def sold(a: Arena, item: int) -> tuple[int, int, list[int]]:
    """(sold, stock, the buyers of each order) of a flash-sale item."""
    with transaction(a.factory) as session:
        row = session.get_one(FlashSaleItem, item)
        orders = list(session.scalars(select(FlashSaleOrder.customer_id).where(FlashSaleOrder.item_id == item)))
        return row.sold, row.stock, orders


def test_a_hundred_buyers_at_once_buy_exactly_the_stock(pooled: Engine) -> None:
    a = with_members(pooled, 100)
    sale, item = flash_sale(a, stock=10)
    attempts = a.customers + a.customers[:20]  # twenty of them try twice
    random.Random(3).shuffle(attempts)
    results = all_at_once([lambda c=c: buy(a, sale, item, c) for c in attempts])  # type: ignore[misc]
    tally = Counter(outcome(r) for r in results)
    assert tally["ok"] == 10 and set(tally) <= {"ok", SoldOut.code, "group_already_bought"}, tally
    count, stock, buyers_ = sold(a, item)
    assert (count, stock, len(buyers_)) == (10, 10, 10)
    assert len(set(buyers_)) == 10
    assert not a.retries, a.retries


@pytest.mark.postgres_only
def test_the_same_buyer_from_twenty_threads_gets_one_unit(pooled: Engine) -> None:
    a = with_members(pooled, 1)
    sale, item = flash_sale(a, stock=10)
    results = all_at_once([lambda: buy(a, sale, item, a.customers[0]) for _ in range(20)], threads=20)
    tally = Counter(outcome(r) for r in results)
    assert tally == {"ok": 1, "group_already_bought": 19}, tally
    assert all(isinstance(r, AlreadyTaken) for r in results if not isinstance(r, int))
    assert sold(a, item) == (1, 10, a.customers)
    assert not a.retries, a.retries


def test_joins_refused_for_the_kicked_are_refused_clearly(pooled: Engine) -> None:
    """The plain sequence the races above interleave, on either engine."""
    a = arena(pooled, customers=2, sub_groups=1, capacity=1)
    a.join(a.customers[0])
    with pytest.raises(GroupFull):
        a.join(a.customers[1])
    kick(a, [a.customers[0]])
    with pytest.raises(JoinRefused) as refused:
        a.join(a.customers[0])
    assert refused.value.code == "group_kicked"
    assert a.join(a.customers[1]).position == 1
    assert assert_seats_consistent(a) == [1]
