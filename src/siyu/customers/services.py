"""Use cases on customers that need an audit trail (exports of personal data, phone reveal)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.audit.services import record
from siyu.config import get_settings
from siyu.core.phones import PhoneVault
from siyu.customers import queries
from siyu.customers.schemas import CustomerFilter
from siyu.shops.services import Principal


def export_customers(session: Session, *, by: Principal, flt: CustomerFilter, lang: str = "zh") -> bytes:
    """Masked Excel export; the export itself is audited (personal data leaving the system)."""
    body = queries.export_customers_xlsx(session, shop_id=by.shop_id, flt=flt, lang=lang)
    record(
        session,
        by.actor,
        "customers.export",
        "customers",
        None,
        after={"filter": flt.model_dump(exclude_defaults=True), "bytes": len(body)},
    )
    return body


def reveal_phone(session: Session, *, by: Principal, customer_id: int) -> str:
    """Decrypt one customer's phone for a permitted staff member; always audited."""
    customer = queries.get_customer(session, shop_id=by.shop_id, customer_id=customer_id)
    if not customer.phone_cipher:
        return ""
    settings = get_settings()
    clear = PhoneVault(settings.phone_key, settings.phone_hash_salt).decrypt(customer.phone_cipher)
    record(session, by.actor, "customers.reveal_phone", "customer", customer.id)
    return clear
