from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from siyu.shops import services
from siyu.shops.models import Shop, Staff

_seq = itertools.count(1)
PASSWORD = "correct-horse-9"


@dataclass
class ShopWorld:
    shop: Shop
    main: Staff
    principal: services.Principal


def make_shop(session: Session, code: str | None = None, name: str = "测试旗舰店") -> ShopWorld:
    n = next(_seq)
    code = code or f"shop{n}"
    shop, main = services.create_shop(
        session, code=code, name=name, main_username=f"{code}-admin", main_password=PASSWORD
    )
    session.flush()
    return ShopWorld(shop, main, services.principal_for_staff(main))


def make_token(session: Session, world: ShopWorld, permissions: list[str] | None = None) -> str:
    from siyu.shops.domain import ALL_PERMISSIONS

    _token, clear = services.create_api_token(
        session,
        by=world.principal,
        name="test",
        permissions=list(ALL_PERMISSIONS) if permissions is None else permissions,
    )
    session.flush()
    return clear


def make_sub_account(session: Session, world: ShopWorld, permissions: list[str], username: str | None = None) -> Staff:
    staff = services.create_sub_account(
        session,
        by=world.principal,
        username=username or f"sub{next(_seq)}",
        display_name="子账号",
        password=PASSWORD,
        permissions=permissions,
    )
    session.flush()
    return staff
