"""Groups, buyers and members of groups for the groups tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.audit.services import Actor
from siyu.customers.models import Customer
from siyu.groups import joining, services
from siyu.groups.models import Group
from tests.factories.customers import make_customer


def buyer(shop_id: int, customer_id: int | None = None) -> Actor:
    """A buyer acting from the H5 page."""
    return Actor(shop_id, "customer", customer_id, "h5")


def make_group(session: Session, by: Actor, **fields: object) -> Group:
    values: dict[str, object] = {"name": "福利群"}
    values.update(fields)
    group = services.create_group(session, by=by, spec=services.GroupSpec(**values))  # type: ignore[arg-type]
    session.flush()
    return group


def buyers(session: Session, shop_id: int, count: int, **fields: object) -> list[Customer]:
    made = [make_customer(session, shop_id, **fields) for _ in range(count)]
    session.flush()
    return made


def joined(session: Session, group: Group, count: int, **fields: object) -> list[Customer]:
    """``count`` new buyers who joined ``group``."""
    made = buyers(session, group.shop_id, count, **fields)
    for customer in made:
        joining.join_group(session, by=buyer(group.shop_id, customer.id), group_id=group.id, customer_id=customer.id)
    session.flush()
    return made
