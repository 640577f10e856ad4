"""Use cases for shops, staff and API tokens. Each runs inside the caller's transaction."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.services import Actor, record
from siyu.config import get_settings
from siyu.core.errors import InvalidInput, NotFound
from siyu.db import utcnow
from siyu.shops import domain
from siyu.shops.errors import (
    GrantBeyondOwn,
    LoginFailed,
    MainAccountProtected,
    ShopCodeTaken,
    UnknownPermission,
    UsernameTaken,
    WeakPassword,
)
from siyu.shops.models import ApiToken, Shop, Staff

TOKEN_PREFIX = "siyu_"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
_SHOP_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    if get_settings().env == "test":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated actor with its grants, bound to one shop."""

    actor: Actor
    grants: domain.Grants
    staff_id: int | None = None

    @property
    def shop_id(self) -> int:
        return self.actor.shop_id

    def allows(self, permission: str) -> bool:
        return self.grants.allows(permission)


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise WeakPassword()


def _grants(permissions: list[str]) -> list[str]:
    try:
        return domain.normalise(permissions)
    except ValueError as exc:
        raise UnknownPermission(str(exc)) from exc


def create_shop(
    session: Session,
    *,
    code: str,
    name: str,
    main_username: str,
    main_password: str,
    timezone: str = "Asia/Shanghai",
) -> tuple[Shop, Staff]:
    """Create a shop with its main account (主账号)."""
    if not _SHOP_CODE.match(code):
        raise InvalidInput(
            "店铺代码只能包含小写字母、数字、-、_（2–63 位）",
            "shop code: 2–63 of lowercase letters, digits, - and _",
        )
    if session.scalar(select(Shop.id).where(Shop.code == code)) is not None:
        raise ShopCodeTaken(code)
    _check_password(main_password)
    if session.scalar(select(Staff.id).where(Staff.username == main_username)) is not None:
        raise UsernameTaken(main_username)
    shop = Shop(code=code, name=name, timezone=timezone, created_at=utcnow())
    session.add(shop)
    session.flush()
    main = Staff(
        shop_id=shop.id,
        username=main_username,
        display_name=main_username,
        password_hash=_hasher().hash(main_password),
        is_main=True,
        permissions=[],
        is_active=True,
        created_at=utcnow(),
    )
    session.add(main)
    session.flush()
    actor = Actor(shop.id, "system", None, "cli")
    record(session, actor, "shop.create", "shop", shop.id, after={"code": code, "name": name})
    record(session, actor, "staff.create", "staff", main.id, after={"username": main_username, "main": True})
    return shop, main


def principal_for_staff(staff: Staff) -> Principal:
    return Principal(
        Actor(staff.shop_id, "staff", staff.id, staff.username),
        domain.Grants(frozenset(staff.permissions or []), is_main=staff.is_main),
        staff_id=staff.id,
    )


def authenticate(session: Session, *, username: str, password: str) -> Staff:
    """Password login for the console; records the login."""
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None or not staff.is_active:
        _hasher().hash(password)  # same cost whether or not the user exists
        raise LoginFailed()
    try:
        _hasher().verify(staff.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise LoginFailed() from exc
    staff.last_login_at = utcnow()
    record(session, principal_for_staff(staff).actor, "staff.login", "staff", staff.id)
    return staff


def get_staff(session: Session, *, shop_id: int, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None or staff.shop_id != shop_id:
        raise NotFound("员工账号", "staff account")
    return staff


def list_staff(session: Session, *, shop_id: int) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.shop_id == shop_id).order_by(Staff.id)))


def create_sub_account(
    session: Session,
    *,
    by: Principal,
    username: str,
    display_name: str,
    password: str,
    permissions: list[str],
) -> Staff:
    """The main account (or a staff manager) creates a sub-account (子账号) with per-area grants."""
    grants = _grants(permissions)
    if not by.grants.covers(grants):
        raise GrantBeyondOwn()
    _check_password(password)
    username = username.strip()
    if not username:
        raise InvalidInput("用户名不能为空", "username is required")
    if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise UsernameTaken(username)
    staff = Staff(
        shop_id=by.shop_id,
        username=username,
        display_name=display_name.strip() or username,
        password_hash=_hasher().hash(password),
        is_main=False,
        permissions=grants,
        is_active=True,
        created_at=utcnow(),
    )
    session.add(staff)
    session.flush()
    record(session, by.actor, "staff.create", "staff", staff.id, after={"username": username, "permissions": grants})
    return staff


def set_permissions(
    session: Session, *, by: Principal, staff_id: int, permissions: list[str], is_active: bool | None = None
) -> Staff:
    staff = get_staff(session, shop_id=by.shop_id, staff_id=staff_id)
    if staff.is_main:
        raise MainAccountProtected()
    grants = _grants(permissions)
    if not by.grants.covers(grants):
        raise GrantBeyondOwn()
    before = {"permissions": list(staff.permissions), "is_active": staff.is_active}
    staff.permissions = grants
    if is_active is not None:
        staff.is_active = is_active
    record(
        session,
        by.actor,
        "staff.permissions",
        "staff",
        staff.id,
        before=before,
        after={"permissions": grants, "is_active": staff.is_active},
    )
    return staff


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, *, by: Principal, name: str, permissions: list[str]) -> tuple[ApiToken, str]:
    """Create a per-shop API token; the clear token is returned once and only its hash is stored."""
    grants = _grants(permissions)
    if not by.grants.covers(grants):
        raise GrantBeyondOwn()
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        shop_id=by.shop_id,
        created_by_id=by.staff_id,
        name=name.strip() or "api",
        prefix=clear[:12],
        token_hash=_hash_token(clear),
        permissions=grants,
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    record(session, by.actor, "token.create", "api_token", token.id, after={"name": token.name, "permissions": grants})
    return token, clear


def list_api_tokens(session: Session, *, shop_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.shop_id == shop_id).order_by(ApiToken.id)))


def revoke_api_token(session: Session, *, by: Principal, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.shop_id != by.shop_id:
        raise NotFound("API 令牌", "API token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(session, by.actor, "token.revoke", "api_token", token.id)
    return token


def principal_for_token(session: Session, clear: str) -> Principal | None:
    """Resolve a bearer token to its principal, or ``None`` when unknown or revoked."""
    if not clear.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(clear)))
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    # "last used" to the minute is enough; writing on every request would serialise reads on SQLite
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now
    return Principal(
        Actor(token.shop_id, "token", token.id, token.name),
        domain.Grants(frozenset(token.permissions or [])),
    )


def shop_zone(session: Session, shop_id: int) -> ZoneInfo:
    """The shop's time zone, in which its wall-clock rules run (a JD shop: Asia/Shanghai)."""
    shop = session.get(Shop, shop_id)
    return ZoneInfo((shop.timezone if shop is not None else None) or "Asia/Shanghai")
