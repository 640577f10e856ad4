"""Permissions: per-area grants that the main account (主账号) gives to sub-accounts (子账号)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# area -> (zh, en). Each area has "view" and "manage" (manage implies view).
AREAS: dict[str, tuple[str, str]] = {
    "customers": ("客户管理", "Customers"),
    "orders": ("订单与导入", "Orders & imports"),
    "segments": ("人群与标签", "Segments & tags"),
    "campaigns": ("短信营销", "SMS campaigns"),
    "loyalty": ("会员与积分", "Membership & points"),
    "promotions": ("优惠券与促销", "Coupons & promotions"),
    "groups": ("社群管理", "Group chats"),
    "analytics": ("数据分析", "Analytics"),
    "staff": ("员工与权限", "Staff & permissions"),
}
LEVELS = ("view", "manage")
# Extra, sensitive grants beyond view/manage.
SPECIAL: dict[str, tuple[str, str]] = {
    "customers:phone": ("查看完整手机号（留审计记录）", "Reveal full phone numbers (audited)"),
}

ALL_PERMISSIONS: tuple[str, ...] = tuple([f"{area}:{level}" for area in AREAS for level in LEVELS] + list(SPECIAL))
VIEWER_PERMISSIONS: tuple[str, ...] = tuple(f"{area}:view" for area in AREAS)


def normalise(grants: Iterable[str]) -> list[str]:
    """Validate grants and return them sorted and unique; raises ValueError on an unknown one."""
    result = set()
    for grant in grants:
        grant = grant.strip()
        if not grant:
            continue
        if grant not in ALL_PERMISSIONS:
            raise ValueError(grant)
        result.add(grant)
    return sorted(result)


@dataclass(frozen=True, slots=True)
class Grants:
    """What one actor may do. The main account may do everything."""

    permissions: frozenset[str]
    is_main: bool = False

    def allows(self, permission: str) -> bool:
        if self.is_main:
            return True
        if permission in self.permissions:
            return True
        area, _, level = permission.partition(":")
        return level == "view" and f"{area}:manage" in self.permissions

    def covers(self, other: Iterable[str]) -> bool:
        """Whether every grant in ``other`` is within this actor's own grants (no escalation)."""
        return all(self.allows(p) for p in other)
