"""Customers with phones and consent, a frozen audience of them, and campaign specs for campaign tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.audit.services import Actor
from siyu.campaigns.services import CampaignSpec
from siyu.channels import services as channels
from siyu.config import get_settings
from siyu.core.phones import PhoneVault
from siyu.segments.models import AudienceMember, AudienceSnapshot
from tests.factories.customers import make_customer

SPEC_BODY = "亲爱的{name|顾客}，618大促今晚0点开始，全场2折起，戳 {link} 拒收请回复R"
PROOF = channels.ConsentProof(source="h5", text="我同意接收店铺营销短信")


def reachable_customers(
    session: Session, by: Actor, count: int, *, consent: bool = True, phone: bool = True, name: str = ""
) -> list[int]:
    key = get_settings()
    vault = PhoneVault(key.phone_key, key.phone_hash_salt)
    ids: list[int] = []
    for _ in range(count):
        customer = make_customer(session, by.shop_id, name=name)
        if phone:
            mobile = f"139{customer.id:08d}"
            customer.phone_cipher = vault.encrypt(mobile)
            customer.phone_masked = f"{mobile[:3]}****{mobile[-4:]}"
            customer.phone_hash = vault.match_hash(mobile)
        if consent:
            channels.grant_consent(session, by=by, customer_id=customer.id, channel="sms", proof=PROOF)
        ids.append(customer.id)
    session.flush()
    return ids


def frozen_audience(session: Session, by: Actor, customer_ids: list[int]) -> int:
    snapshot = AudienceSnapshot(shop_id=by.shop_id, name="test", origin={}, member_count=len(customer_ids))
    session.add(snapshot)
    session.flush()
    session.add_all(AudienceMember(snapshot_id=snapshot.id, customer_id=c, shop_id=by.shop_id) for c in customer_ids)
    session.flush()
    return snapshot.id


def spec(snapshot_id: int | None, **changes: object) -> CampaignSpec:
    values: dict[str, object] = {
        "name": "618 预热",
        "signature": "测试旗舰店",
        "body": SPEC_BODY,
        "snapshot_id": snapshot_id,
        "link_url": "https://shop.example.com/618",
    }
    values.update(changes)
    return CampaignSpec(**values)  # type: ignore[arg-type]
