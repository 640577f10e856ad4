"""The demo shop's SMS side: most customers with a phone agreed to marketing SMS (with proof), and one draft
campaign waits in the console, so `make run` shows the composer, the estimate and the consent history."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.campaigns import services
from siyu.channels.models import Consent
from siyu.customers.models import Customer
from siyu.db import DriverSQL, transaction, utcnow

CONSENT_SHARE = 0.8
CONSENT_TEXT = "我同意接收店铺的营销短信，可随时回复T退订"
DEMO_BODY = "{name|亲}，年终大促满300减50，{link} 拒收请回复R"


def seed_demo_campaigns(
    factory: sessionmaker[Session], *, shop_id: int, seed: int = 7, now: datetime | None = None
) -> int:
    """Grant SMS consent to most demo customers who have none yet and add a draft; returns the consents added."""
    now = now or utcnow()
    rng = random.Random(seed)
    by = Actor(shop_id, "system", None, "demo")
    with transaction(factory, write=True) as session:
        known = set(session.scalars(select(Consent.customer_id).where(Consent.shop_id == shop_id)))
        ids = [
            cid
            for cid in session.scalars(
                select(Customer.id)
                .where(Customer.shop_id == shop_id, Customer.phone_cipher.is_not(None))
                .order_by(Customer.id)
            )
            if cid not in known and rng.random() < CONSENT_SHARE
        ]
        sql = DriverSQL(session)
        at = sql.time_value(now)
        sql.insert(
            "consents",
            ("shop_id", "customer_id", "channel", "status", "at", "source"),
            [(shop_id, cid, "sms", "granted", at, "member_join") for cid in ids],
        )
        sql.insert(
            "consent_events",
            ("shop_id", "customer_id", "channel", "action", "at", "source", "text", "evidence", "recorded_by"),
            [(shop_id, cid, "sms", "grant", at, "member_join", CONSENT_TEXT, "demo", "demo") for cid in ids],
        )
        if not services.list_campaigns(session, shop_id=shop_id):
            services.create_campaign(
                session,
                by=by,
                spec=services.CampaignSpec(
                    name="年终大促预热", signature="演示旗舰店", body=DEMO_BODY, link_url="https://shop.example.com/"
                ),
            )
    return len(ids)
