"""Joining by phone never lets a typed JD account take over a customer known with another phone."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from siyu.config import get_settings
from siyu.core.phones import PhoneVault
from siyu.loyalty import services
from siyu.loyalty.errors import AccountPhoneMismatch
from tests.factories.customers import make_customer
from tests.factories.loyalty import CONSENT, T0
from tests.factories.shops import make_shop


def _hash(mobile: str) -> str:
    settings = get_settings()
    return PhoneVault(settings.phone_key, settings.phone_hash_salt).match_hash(mobile)


def test_a_typed_account_known_with_another_phone_is_refused(db: Session) -> None:
    world = make_shop(db)
    owner = make_customer(db, world.shop.id, account="jd_owner", phone_hash=_hash("13900000001"))
    with pytest.raises(AccountPhoneMismatch):
        services.join_by_phone(
            db, by=world.principal.actor, phone="13800000002", account="jd_owner", consent=CONSENT, now=T0
        )
    assert services.member_of_customer(db, shop_id=world.shop.id, customer_id=owner.id) is None


def test_the_account_with_its_own_phone_joins_that_customer(db: Session) -> None:
    world = make_shop(db)
    owner = make_customer(db, world.shop.id, account="jd_owner", phone_hash=_hash("13900000001"))
    member = services.join_by_phone(
        db, by=world.principal.actor, phone="139 0000 0001", account="jd_owner", consent=CONSENT, now=T0
    )
    assert member.customer_id == owner.id
