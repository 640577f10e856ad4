"""`siyu shop|staff|token …`: tenants, accounts and API tokens from the command line."""

from __future__ import annotations

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.cli.context import console, fail, sessions, shop_id_for
from siyu.core.errors import DomainError
from siyu.db import transaction
from siyu.shops import services
from siyu.shops.domain import ALL_PERMISSIONS, VIEWER_PERMISSIONS
from siyu.shops.models import Shop, Staff

app = typer.Typer(help="Shops (tenants).", no_args_is_help=True)
staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)


@app.command("create")
def create_shop(
    code: str,
    name: str = typer.Option(...),
    admin: str = typer.Option(..., help="main account"),
    password: str = typer.Option(..., prompt=True, hide_input=True),
) -> None:
    """Create a shop and its main account (主账号)."""
    try:
        with transaction(sessions(), write=True) as session:
            shop, main = services.create_shop(
                session, code=code, name=name, main_username=admin, main_password=password
            )
            console.print(f"[green]已创建店铺 / shop created[/green] {shop.code} (#{shop.id}), 主账号 {main.username}")
    except DomainError as exc:
        raise fail(exc) from exc


@app.command("list")
def list_shops() -> None:
    """List shops."""
    with transaction(sessions()) as session:
        for shop in session.scalars(select(Shop).order_by(Shop.id)):
            console.print(f"#{shop.id}  {shop.code}  {shop.name}  {shop.timezone}")


def main_principal(session: Session, shop_code: str) -> services.Principal:
    shop_id = shop_id_for(session, shop_code)
    main = session.scalar(select(Staff).where(Staff.shop_id == shop_id, Staff.is_main.is_(True)))
    if main is None:
        raise fail("该店铺没有主账号 / the shop has no main account")
    return services.principal_for_staff(main)


@staff_app.command("create")
def create_staff(
    username: str,
    shop: str = typer.Option(...),
    permission: list[str] = typer.Option([], "--permission", "-p", help="e.g. customers:view"),
    viewer: bool = typer.Option(False, help="grant view on every area"),
    password: str = typer.Option(..., prompt=True, hide_input=True),
) -> None:
    """Create a sub-account (子账号)."""
    grants = list(permission) + (list(VIEWER_PERMISSIONS) if viewer else [])
    try:
        with transaction(sessions(), write=True) as session:
            by = main_principal(session, shop)
            staff = services.create_sub_account(
                session, by=by, username=username, display_name=username, password=password, permissions=grants
            )
            console.print(
                f"[green]已创建子账号 / sub-account created[/green] {staff.username}: {', '.join(staff.permissions)}"
            )
    except DomainError as exc:
        raise fail(exc) from exc


@token_app.command("create")
def create_token(
    name: str,
    shop: str = typer.Option(...),
    permission: list[str] = typer.Option([], "--permission", "-p"),
    all_permissions: bool = typer.Option(False, "--all", help="every permission"),
) -> None:
    """Create an API token (printed once)."""
    grants = list(ALL_PERMISSIONS) if all_permissions else list(permission)
    try:
        with transaction(sessions(), write=True) as session:
            by = main_principal(session, shop)
            _token, clear = services.create_api_token(session, by=by, name=name, permissions=grants)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(clear)
