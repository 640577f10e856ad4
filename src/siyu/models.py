"""Every area's tables, imported so that metadata (and Alembic) sees all of them."""

from siyu.audit.models import AuditEntry
from siyu.customers.models import (
    Customer,
    CustomerEvent,
    ImportJob,
    ImportProblem,
    Order,
    OrderLine,
    Product,
)
from siyu.shops.models import ApiToken, Shop, Staff

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Customer",
    "CustomerEvent",
    "ImportJob",
    "ImportProblem",
    "Order",
    "OrderLine",
    "Product",
    "Shop",
    "Staff",
]
