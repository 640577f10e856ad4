"""`siyu demo`: create the demo shop and fill it with realistic data (see siyu.customers.demo)."""

from __future__ import annotations

import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.cli.context import console, engine, fail, sessions
from siyu.core.errors import DomainError
from siyu.customers.models import Product
from siyu.db import transaction
from siyu.shops import services
from siyu.shops.domain import VIEWER_PERMISSIONS
from siyu.shops.models import Shop, Staff

CONSOLE_URL = "http://127.0.0.1:8000"


def _ensure_shop(session: Session, code: str) -> tuple[int, list[str]]:
    """The shop and its two demo logins; returns (shop id, usernames that use the demo password)."""
    from siyu.customers.demo import DEMO_PASSWORD, DEMO_SHOP_NAME

    main_name, viewer_name = code, f"{code}:viewer"
    shop = session.scalar(select(Shop).where(Shop.code == code))
    if shop is None:
        shop, main = services.create_shop(
            session, code=code, name=DEMO_SHOP_NAME, main_username=main_name, main_password=DEMO_PASSWORD
        )
    else:
        found = session.scalar(select(Staff).where(Staff.shop_id == shop.id, Staff.is_main.is_(True)))
        if found is None:
            raise DomainError("该店铺没有主账号", "the shop has no main account", code="no_main_account")
        main = found
    logins = [main.username] if main.username == main_name else []
    viewer = session.scalar(select(Staff).where(Staff.username == viewer_name))
    if viewer is None:
        viewer = services.create_sub_account(
            session,
            by=services.principal_for_staff(main),
            username=viewer_name,
            display_name="演示只读账号",
            password=DEMO_PASSWORD,
            permissions=list(VIEWER_PERMISSIONS),
        )
    if viewer.shop_id == shop.id:
        logins.append(viewer.username)
    return shop.id, logins


def _print_logins(logins: list[str]) -> None:
    from siyu.customers.demo import DEMO_PASSWORD

    console.print(f"\n控制台 / console: [bold]{CONSOLE_URL}[/bold]")
    for username in logins:
        role = "只读子账号 / read-only sub-account" if username.endswith(":viewer") else "主账号 / main account"
        console.print(f"  {role}: [bold]{username}[/bold] / [bold]{DEMO_PASSWORD}[/bold]")


def _standard_tags(factory: sessionmaker[Session], shop_id: int) -> int:
    """Give the demo shop the ready-made rule tags (one per category too), computed on the new data."""
    from siyu.segments import services as segments

    with transaction(factory, write=True) as session:
        main = session.scalars(select(Staff).where(Staff.shop_id == shop_id, Staff.is_main.is_(True))).one()
        by = services.principal_for_staff(main)
        categories = list(
            session.scalars(
                select(Product.category).where(Product.shop_id == shop_id, Product.category != "").distinct()
            )
        )
        segments.install_standard_tags(session, by=by, categories=sorted(categories))
    with transaction(factory, write=True) as session:
        return len(segments.refresh_rule_tags(session, by=by))


def demo(
    customers: int = typer.Option(2_000, "--customers", min=1, help="how many customers to generate"),
    shop: str = typer.Option("demo", "--shop", help="shop code; created with its logins when missing"),
    seed: int = typer.Option(7, "--seed", help="random seed: the same seed on the same day gives the same shop"),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="do nothing (but print the logins) when the shop already has customers"
    ),
    years: float = typer.Option(2.0, "--years", min=0.1, max=10.0, help="order history up to now, in years"),
) -> None:
    """Create a demo shop 「演示旗舰店」 with realistic customers, orders and behaviour.

    The shop gets a main account (CODE / siyu-demo-2026) and a read-only sub-account
    (CODE:viewer). Run again on a shop that has customers, it ADDS --customers more (new accounts
    and order numbers, never colliding); use --if-empty to keep the data as it is instead.
    Each chunk of 20,000 customers is committed whole, so an interrupted run keeps whole customers.
    """
    started = time.perf_counter()
    if not inspect(engine()).has_table("customers"):
        raise fail(
            DomainError(
                "数据库尚未初始化：请先运行 siyu db upgrade",
                "the database has no tables yet: run `siyu db upgrade` first",
                code="not_migrated",
            )
        )
    # imported here: every other `siyu` command would otherwise pay for loading numpy
    from siyu.customers import demo as generator

    factory = sessions()
    try:
        with transaction(factory) as session:
            shop_id, logins = _ensure_shop(session, shop)
    except DomainError as exc:
        raise fail(exc) from exc

    with transaction(factory) as session:
        existing = generator.count_customers(session, shop_id)
    if if_empty and existing:
        console.print(
            f"店铺「{shop}」已有 {existing:,} 位客户，保留现有数据 / shop '{shop}' has {existing:,} customers: kept"
        )
        _print_logins(logins)
        return

    with Progress(
        TextColumn("[bold]生成演示数据 / generating[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("客户/customers"),
        TextColumn("{task.fields[lines]:>12,} 订单行/lines"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("demo", total=customers, lines=0)

        def show(progress: generator.DemoProgress) -> None:
            bar.update(task, completed=progress.customers_done, lines=progress.lines_written)

        try:
            tally = generator.write_demo_data(
                factory, shop_id=shop_id, customers=customers, seed=seed, years=years, on_progress=show
            )
        except DomainError as exc:
            raise fail(exc) from exc
    tags = _standard_tags(factory, shop_id)
    from siyu.loyalty.demo import seed_demo_membership

    with console.status("会员与积分 / membership and points…"):
        membership = seed_demo_membership(factory, shop_id=shop_id, seed=seed)
    from siyu.campaigns.demo import seed_demo_campaigns

    consents = seed_demo_campaigns(factory, shop_id=shop_id, seed=seed)
    from siyu.groups.demo import seed_demo_groups

    with console.status("社群 / group chats…"):
        grouped = seed_demo_groups(factory, shop_id=shop_id, seed=seed)
    seconds = time.perf_counter() - started
    table = Table(title=f"演示店铺 / demo shop「{shop}」", show_header=False)
    for zh_en, value in (
        ("新增客户 / customers added", tally.customers),
        ("新增订单 / orders added", tally.orders),
        ("新增订单行 / order lines added", tally.lines),
        ("行为事件 / behaviour events", tally.events),
        ("新增商品 / products added", tally.products),
        ("规则标签 / rule tags", tags),
        ("新增会员 / members added", membership.members),
        ("积分订单 / orders with points", membership.orders_awarded),
        ("短信授权 / SMS consents added", consents),
        ("社群 / groups added", grouped.groups),
        ("入群人次 / group joins", grouped.members),
    ):
        table.add_row(zh_en, f"{value:,}")
    table.add_row("用时 / time", f"{seconds:.1f} s")
    console.print(table)
    _print_logins(logins)
