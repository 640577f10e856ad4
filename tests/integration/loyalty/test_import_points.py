"""Imported orders of members earn their points at once, and only once (SPEC §5: earn by order)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from siyu.loyalty import services
from siyu.loyalty.models import Member
from tests.factories.customers import make_customer
from tests.factories.imports import import_file
from tests.factories.jd_files import line, write_csv
from tests.factories.loyalty import make_member, make_program
from tests.factories.shops import make_shop


def test_an_import_awards_members_points_for_their_new_paid_orders(
    db: Session, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    world = make_shop(db)
    by = world.principal.actor
    make_program(db, by, join_gift_points=0)
    member = make_member(
        db, by, customer=make_customer(db, world.shop.id, account="jd_member"), at=datetime(2024, 6, 1, tzinfo=UTC)
    )
    db.commit()
    rows = [
        line("300000000000000001", account="jd_member", paid="259.90", total="259.90", price="259.90"),
        line("300000000000000002", account="jd_someone_else", paid="99.00", total="99.00", price="99.00"),
    ]
    import_file(sessions, world.shop.id, write_csv(tmp_path / "orders.csv", rows))
    db.expire_all()
    assert db.get_one(Member, member.id).points_balance == 259

    assert services.ledger_sum(db, member_id=member.id) == (259, 259, 0)

    # the same file again adds nothing, and grants nothing twice
    import_file(sessions, world.shop.id, write_csv(tmp_path / "again.csv", rows))
    db.expire_all()
    assert db.get_one(Member, member.id).points_balance == 259
