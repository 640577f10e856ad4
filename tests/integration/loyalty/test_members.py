"""Joining the membership (开卡) with consent, joining by phone, and members vs shop members vs fans."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEntry
from siyu.audit.services import Actor
from siyu.config import get_settings
from siyu.core.phones import PhoneVault
from siyu.customers.models import Customer
from siyu.loyalty import queries, services
from siyu.loyalty.errors import AlreadyMember, ConsentRequired, InvalidMobile, NotAMember
from siyu.loyalty.models import PointsEntry
from tests.factories.customers import make_customer, make_order
from tests.factories.loyalty import CONSENT, T0, assert_ledger_holds, make_member, make_program
from tests.factories.shops import make_shop


@pytest.fixture
def by(db: Session) -> Actor:
    return make_shop(db).principal.actor


def vault() -> PhoneVault:
    settings = get_settings()
    return PhoneVault(settings.phone_key, settings.phone_hash_salt)


def gifts(db: Session, member_id: int) -> list[int]:
    return list(
        db.scalars(
            select(PointsEntry.points).where(PointsEntry.member_id == member_id, PointsEntry.source == "join_gift")
        )
    )


def test_joining_needs_the_customers_consent_with_its_text_and_source(db: Session, by: Actor) -> None:
    customer = make_customer(db, by.shop_id)
    for refused in (
        services.Consent("console", "我同意", given=False),
        services.Consent("console", "   "),
        services.Consent("wechat", "我同意"),  # not a known source
    ):
        with pytest.raises(ConsentRequired):
            services.join_member(db, by=by, customer_id=customer.id, consent=refused, now=T0)
    assert services.member_of_customer(db, shop_id=by.shop_id, customer_id=customer.id) is None
    assert not customer.is_member


def test_joining_records_the_consent_and_makes_the_customer_a_member(db: Session, by: Actor) -> None:
    customer = make_customer(db, by.shop_id)
    member = services.join_member(db, by=by, customer_id=customer.id, consent=CONSENT, now=T0)
    assert (member.consent_at, member.joined_at, member.consent_source, member.source) == (T0, T0, "console", "console")
    assert member.consent_text == CONSENT.text and member.consent_evidence == CONSENT.evidence
    assert member.member_no == f"M{by.shop_id:04d}{member.id:08d}"
    assert (member.status, member.tier_level) == ("active", 1)
    assert customer.is_member and customer.member_since == T0
    assert [t.name for t in services.list_tiers(db, shop_id=by.shop_id)] == [
        "普通会员",
        "银卡会员",
        "金卡会员",
        "钻石会员",
    ]
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.shop_id == by.shop_id))
    assert "member.join" in list(actions)
    with pytest.raises(AlreadyMember):
        services.join_member(db, by=by, customer_id=customer.id, consent=CONSENT, now=T0)
    assert_ledger_holds(db, member)


def test_the_join_gift_is_given_once_even_to_a_member_who_leaves_and_rejoins(db: Session, by: Actor) -> None:
    make_program(db, by, join_gift_points=100)
    member = make_member(db, by, at=T0)
    assert gifts(db, member.id) == [100] and member.points_balance == 100
    services.leave_member(db, by=by, member_id=member.id)
    assert not db.get_one(Customer, member.customer_id).is_member
    with pytest.raises(NotAMember):
        services.earn_interaction(db, by=by, member_id=member.id, kind="checkin", now=T0)
    again = services.join_member(
        db, by=by, customer_id=member.customer_id, consent=CONSENT, now=T0 + timedelta(days=40)
    )
    assert again.id == member.id and again.status == "active"
    assert db.get_one(Customer, member.customer_id).is_member
    assert gifts(db, member.id) == [100] and again.points_balance == 100
    assert_ledger_holds(db, again)


def test_no_join_gift_when_the_programme_gives_none(db: Session, by: Actor) -> None:
    make_program(db, by, join_gift_points=0)
    member = make_member(db, by)
    assert gifts(db, member.id) == [] and member.points_balance == 0
    assert_ledger_holds(db, member)


def test_join_by_phone_finds_the_customer_by_jd_account(db: Session, by: Actor) -> None:
    customer = make_customer(db, by.shop_id, account="jd_zhang")
    member = services.join_by_phone(db, by=by, phone="138 0013 8000", consent=CONSENT, account="jd_zhang", now=T0)
    assert member.customer_id == customer.id
    assert vault().decrypt(customer.phone_cipher or "") == "13800138000"
    assert (customer.phone_masked, customer.phone_tail) == ("138****8000", "8000")


def test_join_by_phone_finds_the_customer_by_the_phones_matching_hash(db: Session, by: Actor) -> None:
    mobile = "13912345678"
    customer = make_customer(
        db, by.shop_id, phone_hash=vault().match_hash(mobile), phone_cipher=vault().encrypt(mobile)
    )
    member = services.join_by_phone(db, by=by, phone="+86 139-1234-5678", consent=CONSENT, now=T0)
    assert member.customer_id == customer.id
    assert (
        db.scalar(select(Customer.id).where(Customer.shop_id == by.shop_id).order_by(Customer.id.desc())) == customer.id
    )


def test_join_by_phone_creates_a_customer_with_the_phone_encrypted(db: Session, by: Actor) -> None:
    member = services.join_by_phone(db, by=by, phone="8615012345678", consent=CONSENT, name="李四", now=T0)
    customer = db.get_one(Customer, member.customer_id)
    assert customer.shop_id == by.shop_id and customer.name == "李四" and customer.is_member
    assert customer.source_channel == "member_join"
    assert customer.phone_cipher and "15012345678" not in customer.phone_cipher
    assert vault().decrypt(customer.phone_cipher) == "15012345678"
    assert customer.phone_hash == vault().match_hash("15012345678")
    assert customer.account.startswith("m_")


def test_join_by_phone_refuses_a_bad_number_or_no_consent(db: Session, by: Actor) -> None:
    with pytest.raises(InvalidMobile):
        services.join_by_phone(db, by=by, phone="138****8000", consent=CONSENT)
    with pytest.raises(ConsentRequired):
        services.join_by_phone(db, by=by, phone="13800138000", consent=services.Consent("h5", "", given=True))
    assert db.scalar(select(Customer.id).where(Customer.shop_id == by.shop_id)) is None


def test_members_shop_members_and_fans_are_counted_separately(db: Session, by: Actor) -> None:
    only_member = make_member(db, by, at=T0)
    buyer = make_customer(db, by.shop_id)
    make_order(db, buyer, at=T0 - timedelta(days=10))
    make_order(db, buyer, at=T0 - timedelta(days=5))
    make_customer(db, by.shop_id, follows_shop=True)  # a fan only
    everything = make_member(db, by, at=T0 - timedelta(days=60), follows_shop=True)
    make_order(db, db.get_one(Customer, everything.customer_id), at=T0 - timedelta(days=3))
    cancelled = make_customer(db, by.shop_id)
    make_order(db, cancelled, is_paid=False, at=T0)  # an unpaid order makes no shop member
    left = make_member(db, by, at=T0)
    services.leave_member(db, by=by, member_id=left.id)
    stats = queries.member_analytics(db, shop_id=by.shop_id, now=T0 + timedelta(hours=1))
    assert (stats.members, stats.shop_members, stats.fans) == (2, 2, 2)
    assert stats.new_members_30d == 1  # only_member; the other joined 60 days ago
    assert (stats.member.buyers, stats.non_member.buyers) == (1, 1)
    assert stats.non_member.repeat_buyers == 1 and stats.member.repeat_buyers == 0
    assert only_member.id != everything.id
