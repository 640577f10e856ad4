"""Consent, opt-out replies and their proof (SPEC §3, MIIT Order 31) against a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEntry
from siyu.channels import services
from siyu.channels.errors import ConsentProofMissing, UnknownChannel
from siyu.channels.models import ConsentEvent, InboundReply
from siyu.config import get_settings
from siyu.core.errors import NotFound
from siyu.core.phones import PhoneVault
from tests.factories.customers import make_customer
from tests.factories.shops import ShopWorld, make_shop

PROOF = services.ConsentProof(source="h5", text="我同意接收店铺营销短信，拒收请回复R", evidence="ip=10.0.0.1")


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


def _with_phone(db: Session, world: ShopWorld, mobile: str) -> int:
    key = get_settings()
    vault = PhoneVault(key.phone_key, key.phone_hash_salt)
    customer = make_customer(
        db,
        world.shop.id,
        phone_cipher=vault.encrypt(mobile),
        phone_masked=f"{mobile[:3]}****{mobile[-4:]}",
        phone_tail=mobile[-4:],
        phone_hash=vault.match_hash(mobile),
    )
    return customer.id


def test_channel_settings_start_with_the_spec_defaults(db: Session, world: ShopWorld) -> None:
    settings = services.channel_settings(db, shop_id=world.shop.id, channel="sms")
    assert (settings.provider, settings.quiet_start, settings.quiet_end) == ("sink", "20:00", "08:00")
    assert (settings.daily_cap, settings.weekly_cap, settings.require_consent) == (1, 3, True)
    assert services.channel_settings(db, shop_id=world.shop.id, channel="sms").id == settings.id


def test_unknown_channel_is_refused(db: Session, world: ShopWorld) -> None:
    with pytest.raises(UnknownChannel):
        services.channel_settings(db, shop_id=world.shop.id, channel="fax")


def test_marketing_needs_recorded_consent(db: Session, world: ShopWorld) -> None:
    customer_id = make_customer(db, world.shop.id).id
    assert not services.may_market(db, shop_id=world.shop.id, customer_id=customer_id, channel="sms")
    services.grant_consent(db, by=world.principal.actor, customer_id=customer_id, channel="sms", proof=PROOF)
    assert services.may_market(db, shop_id=world.shop.id, customer_id=customer_id, channel="sms")
    assert not services.may_market(db, shop_id=world.shop.id, customer_id=customer_id, channel="wechat")


def test_consent_without_source_or_text_is_refused(db: Session, world: ShopWorld) -> None:
    customer_id = make_customer(db, world.shop.id).id
    for proof in (services.ConsentProof(source="h5", text="  "), services.ConsentProof(source="rumour", text="ok")):
        with pytest.raises(ConsentProofMissing):
            services.grant_consent(db, by=world.principal.actor, customer_id=customer_id, channel="sms", proof=proof)


def test_consent_for_another_shops_customer_looks_missing(db: Session, world: ShopWorld) -> None:
    other = make_shop(db)
    foreign = make_customer(db, other.shop.id).id
    with pytest.raises(NotFound):
        services.grant_consent(db, by=world.principal.actor, customer_id=foreign, channel="sms", proof=PROOF)


@pytest.mark.parametrize("reply", ["T", "td", "Ｒ", "退订", "请退订谢谢", " r "])
def test_opt_out_reply_withdraws_consent_at_once(db: Session, world: ShopWorld, reply: str) -> None:
    customer_id = _with_phone(db, world, "13812345678")
    services.grant_consent(db, by=world.principal.actor, customer_id=customer_id, channel="sms", proof=PROOF)
    answer = services.receive_reply(db, by=world.principal.actor, channel="sms", phone="+86 138 1234 5678", text=reply)
    assert (answer.opt_out, answer.customer_id, answer.phone_masked) == (True, customer_id, "138****5678")
    assert not services.may_market(db, shop_id=world.shop.id, customer_id=customer_id, channel="sms")


def test_other_replies_keep_consent(db: Session, world: ShopWorld) -> None:
    customer_id = _with_phone(db, world, "13912345678")
    services.grant_consent(db, by=world.principal.actor, customer_id=customer_id, channel="sms", proof=PROOF)
    answer = services.receive_reply(db, by=world.principal.actor, channel="sms", phone="13912345678", text="好的 TRUE")
    assert answer.opt_out is False
    assert services.may_market(db, shop_id=world.shop.id, customer_id=customer_id, channel="sms")


def test_shop_words_also_opt_out(db: Session, world: ShopWorld) -> None:
    customer_id = _with_phone(db, world, "13712345678")
    services.channel_settings(db, shop_id=world.shop.id, channel="sms").optout_words = ["别发了"]
    services.grant_consent(db, by=world.principal.actor, customer_id=customer_id, channel="sms", proof=PROOF)
    assert services.receive_reply(
        db, by=world.principal.actor, channel="sms", phone="13712345678", text="别发了"
    ).opt_out


def test_opted_out_customer_is_never_marketed_even_without_consent_policy(db: Session, world: ShopWorld) -> None:
    customer_id = _with_phone(db, world, "13612345678")
    services.channel_settings(db, shop_id=world.shop.id, channel="sms").require_consent = False
    assert services.may_market(db, shop_id=world.shop.id, customer_id=customer_id, channel="sms")
    services.receive_reply(db, by=world.principal.actor, channel="sms", phone="13612345678", text="TD")
    assert not services.may_market(db, shop_id=world.shop.id, customer_id=customer_id, channel="sms")


def test_resubscribing_needs_an_explicit_new_consent_and_keeps_the_history(db: Session, world: ShopWorld) -> None:
    customer_id = _with_phone(db, world, "13512345678")
    by = world.principal.actor
    services.grant_consent(db, by=by, customer_id=customer_id, channel="sms", proof=PROOF)
    services.receive_reply(db, by=by, channel="sms", phone="13512345678", text="R")
    services.grant_consent(
        db,
        by=by,
        customer_id=customer_id,
        channel="sms",
        proof=services.ConsentProof(source="console", text="客户来电要求恢复短信", evidence="call #88"),
    )
    assert services.may_market(db, shop_id=world.shop.id, customer_id=customer_id, channel="sms")
    events = db.scalars(
        select(ConsentEvent).where(ConsentEvent.customer_id == customer_id).order_by(ConsentEvent.id)
    ).all()
    assert [(e.action, e.source) for e in events] == [("grant", "h5"), ("withdraw", "reply"), ("grant", "console")]
    assert events[1].text == "R" and events[1].evidence.startswith("inbound_reply:")
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(customer_id))).all()
    assert actions.count("consent.withdraw") == 1 and actions.count("consent.grant") == 2


def test_reply_from_an_unknown_number_is_kept_without_a_customer(db: Session, world: ShopWorld) -> None:
    answer = services.receive_reply(db, by=world.principal.actor, channel="sms", phone="13000000000", text="T")
    assert (answer.customer_id, answer.opt_out) == (None, True)
    assert db.scalar(select(InboundReply.id).where(InboundReply.id == answer.id)) == answer.id
