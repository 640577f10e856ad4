"""Joining a group (SPEC §7): a buyer takes a seat in the first sub-group, in order, that is not full.

One rule, :func:`join_many`, decides a batch of joins inside one transaction; :func:`join_group` is a
batch of one. :class:`JoinDesk` is how a busy process joins: concurrent callers hand their joins to one
of them, which runs everything waiting as one batch and one commit (like a database's group commit)
and hands the answers back. The seat counters are then locked once per batch instead of once per join,
which is what lets a single hot group take thousands of joins a second.

Concurrency (PostgreSQL, READ COMMITTED; SQLite has one writer), in the lock order of
:mod:`siyu.groups.services`:
1. the checks read without a lock;
2. the buyers' membership rows are written (a first join INSERTs a provisional ``left`` row, ``ON
   CONFLICT DO NOTHING``, which waits for a concurrent insert of the same buyer) or locked (a rejoin,
   or a row that appeared meanwhile), always in customer order and re-checked once locked: a kicked
   buyer is refused whoever committed first;
3. only then the group's sub-group rows, all of them, in id order (``FOR NO KEY UPDATE``); the seats are
   handed out in request order to the first sub-group not full, the counters and memberships written
   and the provisional rows of those who found the group full deleted.
Every writer takes membership rows before sub-group rows and both in a fixed order, so no two
transactions wait on each other in a cycle.

The buyer's own joins are recorded as member events (the group data's joins over time); a join made by
staff or an API token is audited as well.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Integer, Table, bindparam, case, delete, func, insert, select, text, true, update
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor, record
from siyu.core.errors import DomainError, NotFound
from siyu.customers.models import Customer, Order
from siyu.db import UTCDateTime, transaction, utcnow
from siyu.groups import domain, milestones
from siyu.groups.errors import GroupFull, JoinRefused
from siyu.groups.models import Group, GroupMember, GroupMemberEvent, GroupMilestone, SubGroup

BATCH_AT_MOST = 200
"""Joins one batch takes (more wait for the next batch)."""


@dataclass(frozen=True, slots=True)
class Seat:
    group_id: int
    sub_group_id: int
    position: int
    member_id: int
    already: bool = False
    """The buyer was already in the group (the join changed nothing)."""
    name: str = ""
    """The sub-group's name."""


@dataclass(frozen=True, slots=True)
class JoinRequest:
    by: Actor
    group_id: int
    customer_id: int
    now: datetime


Outcome = Seat | DomainError


def join_group(session: Session, *, by: Actor, group_id: int, customer_id: int, now: datetime | None = None) -> Seat:
    """Put the buyer into the first sub-group, in order, that is not full, or raise why not.

    Joining twice changes nothing and an existing member keeps their seat; a kicked buyer is refused
    first, then the seed's other refusals and the goal's threshold (:func:`domain.join_refusal`)."""
    outcome = join_many(session, [JoinRequest(by, group_id, customer_id, now or utcnow())])[0]
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def join_refusal(session: Session, *, group: Group, customer_id: int) -> domain.Refusal | None:
    """Why the buyer may not join (None: they may) — what the H5 entry page shows before the button, read
    from the same facts a join decides on."""
    facts = _facts(session, group.shop_id, group.id, [customer_id])
    if facts is None:
        raise NotFound("群", "group")
    if facts.status != "active":
        return domain.CLOSED
    buyer = facts.buyers.get(customer_id)
    if buyer is None:
        raise NotFound("客户", "customer")
    return domain.join_refusal(facts.goal, facts.min_spend_fen, buyer.facts)


def join_many(session: Session, requests: Sequence[JoinRequest]) -> list[Outcome]:
    """Each request's seat or refusal, in request order, written in the session's transaction. Groups are
    taken in id order; within a group, earlier requests get the earlier seats."""
    outcomes: list[Outcome | None] = [None] * len(requests)
    by_group: dict[tuple[int, int], list[int]] = {}
    for n, request in enumerate(requests):
        by_group.setdefault((request.group_id, request.by.shop_id), []).append(n)
    for (group_id, shop_id), indexes in sorted(by_group.items()):
        answers = _join_one_group(session, shop_id, group_id, [requests[n] for n in indexes])
        for n, outcome in zip(indexes, answers, strict=True):
            outcomes[n] = outcome
    session.flush()
    return [outcome for outcome in outcomes if outcome is not None]


# ---- the facts a join decides on -----------------------------------------------------------------------
def _facts_statement(postgres: bool) -> Any:
    """The group and each buyer's flags, spend (high-value groups only) and membership, in one statement
    and each found by key. On PostgreSQL the buyers come from ``unnest`` of one array (one prepared
    statement whatever the batch size) with LATERAL probes of the customer's key and of (group,
    customer), so the plan stays a few index probes even on a table that grew since it was last
    analysed; on SQLite from an expanded IN. No row: no such group in the shop; a row without a
    customer: that buyer does not exist. The buyers' shop is checked on the rows (:func:`_facts`)."""
    spend = (
        select(func.coalesce(func.sum(Order.paid_fen), 0))
        .where(Order.shop_id == Customer.shop_id, Order.customer_id == Customer.id, Order.is_paid.is_(True))
        .correlate(Customer)
        .scalar_subquery()
    )
    next_milestone = (
        select(func.min(GroupMilestone.members))
        .where(GroupMilestone.group_id == Group.id, GroupMilestone.reached_at.is_(None))
        .correlate(Group)
        .scalar_subquery()
        .label("next_milestone")
    )
    group = (Group.status, Group.goal, Group.min_spend_fen, next_milestone)
    buyer = (
        Customer.id,
        Customer.shop_id,
        Customer.follows_shop,
        Customer.is_member,
        Customer.high_risk,
        Customer.merchant_account,
        case((Group.goal == "high_value", spend), else_=0).label("spent"),
    )
    membership = (
        GroupMember.status.label("member_status"),
        GroupMember.id.label("member_id"),
        GroupMember.sub_group_id,
    )
    seat = (SubGroup.position, SubGroup.name)
    the_group = (Group.id == bindparam("group_id"), Group.shop_id == bindparam("shop_id"))
    if not postgres:
        return (
            select(*group, *buyer, *membership, *seat)
            .select_from(Group)
            .outerjoin(Customer, Customer.id.in_(bindparam("ids", expanding=True)))
            .outerjoin(GroupMember, (GroupMember.group_id == Group.id) & (GroupMember.customer_id == Customer.id))
            .outerjoin(SubGroup, SubGroup.id == GroupMember.sub_group_id)
            .where(*the_group)
        )
    wanted = func.unnest(bindparam("ids", type_=ARRAY(Integer))).table_valued("id").render_derived(name="wanted")
    # LIMIT 1 (one row per key anyway) keeps the planner from flattening the probes into a scan and join
    customer = select(*buyer).where(Customer.id == wanted.c.id).correlate(Group, wanted).limit(1).lateral("customer")
    member = (
        select(*membership, *seat)
        .select_from(GroupMember)
        .outerjoin(SubGroup, SubGroup.id == GroupMember.sub_group_id)
        .where(GroupMember.group_id == Group.id, GroupMember.customer_id == wanted.c.id)
        .correlate(Group, wanted)
        .limit(1)
        .lateral("member")
    )
    return (
        select(*group, *customer.c, *member.c)
        .select_from(Group)
        .join(wanted, true())
        .outerjoin(customer, true())
        .outerjoin(member, true())
        .where(*the_group)
    )


_FACTS = {postgres: _facts_statement(postgres) for postgres in (False, True)}  # built once: the hot path


@dataclass(slots=True)
class _Buyer:
    facts: domain.Buyer
    member_status: str | None
    member_id: int | None
    seat: Seat | None = None


@dataclass(slots=True)
class _Facts:
    status: str
    goal: str
    min_spend_fen: int
    next_milestone: int | None
    """The smallest member number of a milestone not yet reached (SPEC §7), if any."""
    buyers: dict[int, _Buyer]


def _facts(session: Session, shop_id: int, group_id: int, ids: list[int]) -> _Facts | None:
    """The group (None: not in this shop) and the buyers found in the shop, by customer id."""
    postgres = session.get_bind().dialect.name == "postgresql"
    rows = session.execute(_FACTS[postgres], {"group_id": group_id, "shop_id": shop_id, "ids": ids}).all()
    if not rows:
        return None
    first = rows[0]
    found = _Facts(first.status, first.goal, int(first.min_spend_fen or 0), first.next_milestone, {})
    for row in rows:
        if row.id is None or row.shop_id != shop_id:
            continue  # no such customer, or another shop's: not found here
        facts = domain.Buyer(
            follows_shop=bool(row.follows_shop),
            is_member=bool(row.is_member),
            spend_fen=int(row.spent or 0),
            high_risk=bool(row.high_risk),
            merchant=bool(row.merchant_account),
            kicked=row.member_status == "kicked",
        )
        seat = None
        if row.member_status == "active" and row.sub_group_id is not None:
            seat = Seat(group_id, int(row.sub_group_id), int(row.position), int(row.member_id), True, row.name)
        found.buyers[int(row.id)] = _Buyer(facts, row.member_status, row.member_id, seat)
    return found


# ---- one group's batch ---------------------------------------------------------------------------------
@dataclass(slots=True)
class _Candidate:
    """A buyer who may take a seat: their membership row (provisional for a first join) is locked."""

    customer_id: int
    member_id: int
    first_join: bool


def _join_one_group(session: Session, shop_id: int, group_id: int, requests: list[JoinRequest]) -> list[Outcome]:
    facts = _facts(session, shop_id, group_id, sorted({r.customer_id for r in requests}))
    if facts is None:
        return [NotFound("群", "group") for _ in requests]
    if facts.status != "active":
        closed = JoinRefused(domain.CLOSED.zh, domain.CLOSED.en, code=domain.CLOSED.code)
        return [closed for _ in requests]
    goal, min_spend, buyers = facts.goal, facts.min_spend_fen, facts.buyers
    outcomes: dict[int, Outcome] = {}  # customer id → outcome decided before any lock
    wanted: list[int] = []  # customer ids who may take a seat, in request order
    for request in requests:
        cid = request.customer_id
        if cid in outcomes or cid in wanted:
            continue
        buyer = buyers.get(cid)
        if buyer is None:
            outcomes[cid] = NotFound("客户", "customer")
        elif buyer.seat is not None:
            outcomes[cid] = buyer.seat  # an existing member keeps their seat
        elif (refusal := domain.join_refusal(goal, int(min_spend or 0), buyer.facts)) is not None:
            outcomes[cid] = JoinRefused(refusal.zh, refusal.en, code=refusal.code)
        else:
            wanted.append(cid)
    if wanted:
        first = {r.customer_id: r for r in reversed(requests)}  # each buyer's first request
        candidates = _lock_memberships(session, shop_id, group_id, wanted, buyers, first, outcomes)
        outcomes.update(_seat(session, shop_id, group_id, candidates, first, facts.next_milestone))
    answers: list[Outcome] = []
    answered: set[int] = set()
    for request in requests:
        outcome = outcomes[request.customer_id]
        if isinstance(outcome, Seat) and request.customer_id in answered:
            outcome = replace(outcome, already=True)  # the same buyer twice in one batch
        answered.add(request.customer_id)
        answers.append(outcome)
    return answers


def _lock_memberships(
    session: Session,
    shop_id: int,
    group_id: int,
    wanted: list[int],
    buyers: dict[int, _Buyer],
    first: dict[int, JoinRequest],
    outcomes: dict[int, Outcome],
) -> list[_Candidate]:
    """Write or lock the membership row of each buyer in ``wanted``, in customer order, and re-check it
    once it is locked; the candidates for a seat in request order (the others' outcomes go to
    ``outcomes``)."""
    new = sorted(cid for cid in wanted if buyers[cid].member_status is None)
    locked: dict[int, _Candidate] = {}
    if new:
        inserted = _insert_provisional(session, shop_id, group_id, [(cid, first[cid].now) for cid in new])
        for member_id, cid in inserted:
            locked[int(cid)] = _Candidate(int(cid), int(member_id), first_join=True)
    existing = sorted(cid for cid in wanted if cid not in locked)  # rejoins, and rows that appeared meanwhile
    if existing:
        current = session.execute(
            select(GroupMember.customer_id, GroupMember.id, GroupMember.status, GroupMember.sub_group_id)
            .where(GroupMember.group_id == group_id, GroupMember.customer_id.in_(existing))
            .order_by(GroupMember.customer_id)
            .with_for_update()
        ).all()
        seen = {int(r[0]): r for r in current}
        for cid in existing:
            row = seen.get(cid)
            if row is None:  # removed between the insert and the lock: cannot happen, rows are never deleted
                outcomes[cid] = JoinRefused(
                    "同一时间有另一个加入或移出操作，请重试",
                    "another join or removal of you happened at the same moment; try again",
                    code="group_join_conflict",
                )
            elif row[2] == "kicked":
                outcomes[cid] = JoinRefused(domain.KICKED.zh, domain.KICKED.en, code=domain.KICKED.code)
            elif row[2] == "active" and row[3] is not None:
                sub = session.execute(select(SubGroup.position, SubGroup.name).where(SubGroup.id == row[3])).one()
                outcomes[cid] = Seat(group_id, int(row[3]), int(sub[0]), int(row[1]), already=True, name=sub[1])
            else:
                locked[cid] = _Candidate(cid, int(row[1]), first_join=False)
    return [locked[cid] for cid in wanted if cid in locked]


# On PostgreSQL each write of a batch is one prepared statement whatever the batch size (arrays
# unnested), in the order the rows must be locked; SQLite (one writer) takes the same writes as Core
# statements.
_PG_PROVISIONAL = text(
    """
    INSERT INTO chat_group_members
        (shop_id, group_id, customer_id, sub_group_id, status, is_kol, warnings, joined_at, left_at, kicked_by)
    SELECT :shop_id, :group_id, wanted.customer_id, NULL, 'left', false, 0, wanted.at, NULL, ''
    FROM unnest(CAST(:customer_ids AS INTEGER[]), CAST(:ats AS TIMESTAMP[])) WITH ORDINALITY
         AS wanted(customer_id, at, n)
    ORDER BY wanted.n
    ON CONFLICT (group_id, customer_id) DO NOTHING
    RETURNING id, customer_id
    """
)

_PG_SEATS = text(
    """
    WITH placed AS (
        SELECT * FROM unnest(CAST(:member_ids AS INTEGER[]), CAST(:customer_ids AS INTEGER[]),
                             CAST(:sub_ids AS INTEGER[]), CAST(:ats AS TIMESTAMP[]))
                      AS p(member_id, customer_id, sub_id, at)
    ), members AS (
        UPDATE chat_group_members AS m
        SET status = 'active', sub_group_id = placed.sub_id, joined_at = placed.at, left_at = NULL
        FROM placed WHERE m.id = placed.member_id
    ), counts AS (
        UPDATE chat_sub_groups AS s SET member_count = s.member_count + c.seats
        FROM (SELECT sub_id, count(*) AS seats FROM placed GROUP BY sub_id) AS c
        WHERE s.id = c.sub_id
    )
    INSERT INTO chat_group_member_events (shop_id, group_id, sub_group_id, customer_id, kind, at)
    SELECT :shop_id, :group_id, placed.sub_id, placed.customer_id, 'join', placed.at FROM placed
    """
)


_STORED_TIME = UTCDateTime()


def _naive_utc(at: datetime) -> datetime:
    """What :class:`UTCDateTime` stores (and its refusal of a time without a zone), for the arrays the
    PostgreSQL statements bind directly."""
    stored = _STORED_TIME.process_bind_param(at, None)
    assert stored is not None
    return stored


def _insert_provisional(
    session: Session, shop_id: int, group_id: int, rows: list[tuple[int, datetime]]
) -> list[tuple[int, int]]:
    """INSERT a provisional ``left`` row for each (customer, time) unless the buyer has one (UNIQUE
    group+customer); (id, customer id) of those inserted. On PostgreSQL a concurrent insert of the same
    buyer is waited for, not raised."""
    if session.get_bind().dialect.name == "postgresql":
        params = {
            "shop_id": shop_id,
            "group_id": group_id,
            "customer_ids": [cid for cid, _ in rows],
            "ats": [_naive_utc(at) for _, at in rows],
        }
        return [(int(i), int(c)) for i, c in session.execute(_PG_PROVISIONAL, params)]
    from sqlalchemy.dialects import sqlite

    table = _table(GroupMember)
    values = [
        {
            "shop_id": shop_id,
            "group_id": group_id,
            "customer_id": cid,
            "sub_group_id": None,
            "status": "left",
            "is_kol": False,
            "warnings": 0,
            "joined_at": at,
            "left_at": None,
            "kicked_by": "",
        }
        for cid, at in rows
    ]
    statement = (
        sqlite.insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["group_id", "customer_id"])
        .returning(table.c.id, table.c.customer_id)
    )
    return [(int(i), int(c)) for i, c in session.execute(statement)]


def _write_seats(session: Session, shop_id: int, group_id: int, placed: list[tuple[int, int, int, datetime]]) -> None:
    """Seat each (membership id, customer id, sub-group id, time): the membership active in its
    sub-group, the sub-groups' counters, the join events."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            _PG_SEATS,
            {
                "shop_id": shop_id,
                "group_id": group_id,
                "member_ids": [p[0] for p in placed],
                "customer_ids": [p[1] for p in placed],
                "sub_ids": [p[2] for p in placed],
                "ats": [_naive_utc(p[3]) for p in placed],
            },
        )
        return
    members, sub_groups = _table(GroupMember), _table(SubGroup)
    session.execute(
        update(members)
        .where(members.c.id == bindparam("member_id"))
        .values(status="active", sub_group_id=bindparam("seat"), joined_at=bindparam("at"), left_at=None),
        [{"member_id": m, "seat": sub, "at": at} for m, _, sub, at in placed],
    )
    seats = Counter(sub for _, _, sub, _ in placed)
    session.execute(
        update(sub_groups)
        .where(sub_groups.c.id == bindparam("sub_id"))
        .values(member_count=sub_groups.c.member_count + bindparam("seats")),
        [{"sub_id": sub, "seats": n} for sub, n in sorted(seats.items())],
    )
    session.execute(
        insert(GroupMemberEvent),
        [
            {"shop_id": shop_id, "group_id": group_id, "sub_group_id": sub, "customer_id": c, "kind": "join", "at": at}
            for _, c, sub, at in placed
        ],
    )


def _table(model: Any) -> Table:
    return model.__table__


@dataclass(slots=True)
class _SubGroup:
    id: int
    position: int
    name: str
    capacity: int
    count: int
    taken: int = 0
    members: list[int] = field(default_factory=list)


def _seat(
    session: Session,
    shop_id: int,
    group_id: int,
    candidates: list[_Candidate],
    first: dict[int, JoinRequest],
    next_milestone: int | None,
) -> dict[int, Outcome]:
    """Lock the group's sub-groups and give each candidate, in order, a seat in the first one not full;
    those left over hear that the group is full. A milestone the group reaches with these seats fires
    here, under the same locks (:mod:`siyu.groups.milestones`)."""
    if not candidates:
        return {}
    locked = session.execute(
        select(SubGroup.id, SubGroup.position, SubGroup.name, SubGroup.capacity, SubGroup.member_count)
        .where(SubGroup.group_id == group_id)
        .order_by(SubGroup.id)  # the order a kick frees seats in
        # NO KEY UPDATE, as the counter UPDATE itself takes: it does not conflict with the key-share lock
        # a kick's or a leave's member event (a foreign key to the sub-group) holds
        .with_for_update(key_share=True)
    )
    subs = sorted((_SubGroup(int(i), int(p), n, int(c), int(m)) for i, p, n, c, m in locked), key=lambda s: s.position)
    outcomes: dict[int, Outcome] = {}
    seated: list[tuple[_Candidate, _SubGroup]] = []
    unseated: list[_Candidate] = []
    for candidate in candidates:
        index = domain.place([s.count + s.taken for s in subs], [s.capacity for s in subs])
        if index is None:
            unseated.append(candidate)
            outcomes[candidate.customer_id] = GroupFull()
            continue
        sub = subs[index]
        sub.taken += 1
        seated.append((candidate, sub))
        outcomes[candidate.customer_id] = Seat(group_id, sub.id, sub.position, candidate.member_id, name=sub.name)
    if seated:
        _write_seats(
            session,
            shop_id,
            group_id,
            [(c.member_id, c.customer_id, s.id, first[c.customer_id].now) for c, s in seated],
        )
        members = sum(s.count + s.taken for s in subs)
        if next_milestone is not None and members >= next_milestone:
            at = max(first[c.customer_id].now for c, _ in seated)
            milestones.fire_reached(session, shop_id=shop_id, group_id=group_id, members=members, now=at)
        for candidate, _sub in seated:
            by = first[candidate.customer_id].by
            if by.kind != "customer":
                record(session, by, "group.join", "group", group_id, after={"customer_id": candidate.customer_id})
    provisional = [c.member_id for c in unseated if c.first_join]
    if provisional:  # nobody else ever saw these rows: the buyer is simply not in the group
        session.execute(
            delete(GroupMember).where(GroupMember.id.in_(provisional)).execution_options(synchronize_session=False)
        )
    return outcomes


# ---- the desk: concurrent joins of one process in batches ----------------------------------------------
@dataclass(eq=False, slots=True)
class _Ticket:
    request: JoinRequest
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    outcome: Outcome | BaseException | None = None


class JoinDesk:
    """Takes the joins of every thread of a process and runs them in batches, one transaction each.

    A caller who finds a free lane (``lanes``, 2 by default) leads: it takes everything waiting (at
    most :data:`BATCH_AT_MOST`), runs it as one batch and one commit, hands each caller its answer and
    passes its lane to the next caller still waiting. While batches run, new callers queue for the next
    one, so the busier the desk, the larger the batches; with two lanes one batch's Python work overlaps
    the other's wait on the database (they meet only at the sub-group rows' locks). If a batch fails for
    any reason other than a refusal, each of its joins is retried alone, so one bad join cannot fail the
    others."""

    def __init__(self, factory: sessionmaker[Session], batch_at_most: int = BATCH_AT_MOST, lanes: int = 1) -> None:
        self.factory = factory
        self.batch_at_most = batch_at_most
        self.lanes = lanes
        self._lock = threading.Lock()
        self._waiting: list[_Ticket] = []
        self._leaders = 0  # lanes taken: batches running, or handed to a caller not yet leading
        self.batches = 0
        self.joins = 0
        self.retried = 0  # batches that failed and were retried join by join

    def join(self, *, by: Actor, group_id: int, customer_id: int, now: datetime | None = None) -> Seat:
        ticket = _Ticket(JoinRequest(by, group_id, customer_id, now or utcnow()))
        with self._lock:
            self._waiting.append(ticket)
            if self._leaders < self.lanes:
                self._leaders += 1
                ticket.lead = True
        while True:
            with self._lock:
                leading, ticket.lead = ticket.lead, False
            if leading:
                self._lead()
            if ticket.outcome is not None:
                break
            ticket.wake.wait()  # answered, or handed a lane
            ticket.wake.clear()
        outcome = ticket.outcome
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _lead(self) -> None:
        with self._lock:
            batch = self._waiting[: self.batch_at_most]
            del self._waiting[: len(batch)]
            if not batch:
                self._leaders -= 1
                return
        try:
            self._run(batch)
        finally:
            with self._lock:
                self.batches += 1
                self.joins += len(batch)
                following = next((t for t in self._waiting if not t.lead), None)
                if following is None:
                    self._leaders -= 1
                else:
                    following.lead = True
            for ticket in batch:
                if ticket.outcome is None:  # only if _run itself broke down
                    ticket.outcome = RuntimeError("join batch failed")
                ticket.wake.set()
            if following is not None:
                following.wake.set()

    def _run(self, batch: list[_Ticket]) -> None:
        try:
            with transaction(self.factory, write=True) as session:
                outcomes: list[Outcome | BaseException] = list(join_many(session, [t.request for t in batch]))
        except Exception as exc:
            if len(batch) == 1:
                batch[0].outcome = exc
                return
            with self._lock:
                self.retried += 1
            outcomes = [self._alone(t.request) for t in batch]
        for ticket, outcome in zip(batch, outcomes, strict=True):
            ticket.outcome = outcome

    def _alone(self, request: JoinRequest) -> Outcome | BaseException:
        try:
            with transaction(self.factory, write=True) as session:
                return join_many(session, [request])[0]
        except Exception as exc:
            return exc


_desks: dict[int, JoinDesk] = {}
_desks_lock = threading.Lock()


def desk(factory: sessionmaker[Session]) -> JoinDesk:
    """The process's join desk for this session factory (one per database)."""
    with _desks_lock:
        found = _desks.get(id(factory))
        if found is None or found.factory is not factory:
            found = _desks[id(factory)] = JoinDesk(factory)
        return found
