"""Members, their orders and member programmes for loyalty tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.audit.services import Actor
from siyu.customers.models import Customer, Order
from siyu.loyalty import services
from siyu.loyalty.domain import ProgramSettings
from siyu.loyalty.models import Member
from tests.factories.customers import make_customer, make_order

T0 = datetime(2025, 3, 3, 4, 0, tzinfo=UTC)
"""A fixed 'now': 12:00 on Monday 3 March 2025 in Shanghai (not a member day unless configured)."""

CONSENT = services.Consent(
    source="console", text="本人已阅读并同意《会员协议》与《隐私政策》", evidence="ip=203.0.113.7 ua=test"
)


def make_program(session: Session, by: Actor, **settings: Any) -> ProgramSettings:
    """Save a programme: the defaults with ``settings`` overridden (e.g. ``join_gift_points=0``)."""
    program = ProgramSettings.model_validate(settings)
    services.save_program(session, by=by, settings=program)
    session.flush()
    return program


def make_member(
    session: Session,
    by: Actor,
    *,
    customer: Customer | None = None,
    at: datetime = T0,
    consent: services.Consent = CONSENT,
    **customer_fields: object,
) -> Member:
    """A customer (made unless given) who joined at ``at`` with a recorded consent."""
    customer = customer or make_customer(session, by.shop_id, **customer_fields)
    member = services.join_member(session, by=by, customer_id=customer.id, consent=consent, now=at)
    session.flush()
    return member


def member_order(session: Session, member: Member, *, paid_fen: int = 9_900, at: datetime = T0, **fields: Any) -> Order:
    """A paid order of the member's customer (placed at ``at``)."""
    customer = session.get_one(Customer, member.customer_id)
    return make_order(session, customer, paid_fen=paid_fen, at=at, **fields)


def assert_ledger_holds(session: Session, member: Member) -> None:
    """The invariant: ledger sum == cached balance == open lots, and the debt is the sum of debt changes."""
    session.flush()
    session.refresh(member)
    balance, debt = member.points_balance, member.points_debt
    assert services.ledger_sum(session, member_id=member.id) == (balance, balance, debt)
    assert balance >= 0 and debt >= 0
