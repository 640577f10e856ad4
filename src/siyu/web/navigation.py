"""The console's navigation: each entry shows only to those allowed to open it."""

from __future__ import annotations

from dataclasses import dataclass

from siyu.web.context import Console


@dataclass(frozen=True, slots=True)
class NavEntry:
    href: str
    label: str  # an i18n key
    icon: str  # a key of the inline icon set in base.html
    permission: str


NAV: tuple[NavEntry, ...] = (
    NavEntry("/", "Dashboard", "chart", "analytics:view"),
    NavEntry("/customers", "Customers", "users", "customers:view"),
    NavEntry("/segments", "Segment analysis", "pie", "segments:view"),
    NavEntry("/audiences", "Audience builder", "filter", "segments:view"),
    NavEntry("/tags", "Tags", "tag", "segments:view"),
    NavEntry("/members", "Members", "card", "loyalty:view"),
    NavEntry("/mall", "Points mall", "gift", "loyalty:view"),
    NavEntry("/coupons", "Coupons", "ticket", "promotions:view"),
    NavEntry("/campaigns", "SMS campaigns", "send", "campaigns:view"),
    NavEntry("/calendar", "Campaign calendar", "calendar", "campaigns:view"),
    NavEntry("/channels", "Channels and consent", "bell", "campaigns:view"),
    NavEntry("/groups", "Group chats", "chat", "groups:view"),
    NavEntry("/imports", "Order imports", "upload", "orders:view"),
    NavEntry("/staff", "Staff & permissions", "shield", "staff:view"),
    NavEntry("/tokens", "API tokens", "key", "staff:view"),
    NavEntry("/audit", "Audit log", "list", "staff:view"),
)


def nav_for(console: Console) -> list[NavEntry]:
    return [entry for entry in NAV if console.allows(entry.permission)]


def home_for(console: Console) -> str | None:
    """The first page this person may open (None when they may open none)."""
    entries = nav_for(console)
    return entries[0].href if entries else None
