"""`siyu coupons …`: list and define coupon templates, claim for a customer, expire, stats."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.cli.commands.shops import main_principal
from siyu.cli.context import console, fail, sessions, shop_id_for
from siyu.core.errors import DomainError
from siyu.core.money import format_yuan, parse_yuan
from siyu.customers.models import Customer
from siyu.db import transaction
from siyu.promotions import queries, services
from siyu.promotions.models import CouponTemplate
from siyu.promotions.schemas import CouponTemplateSpec
from siyu.shops.models import Shop

app = typer.Typer(help="Coupons (优惠券): templates, claims, expiry, stats.", no_args_is_help=True)
KIND_ZH = {"full_reduction": "满减", "discount": "折扣", "no_threshold": "无门槛"}


def _when(text: str | None, zone: ZoneInfo) -> datetime | None:
    """ISO date or time; without an offset it is read in the shop's time zone."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"时间格式不正确 / not an ISO date or time: {text}") from exc
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _fen(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return parse_yuan(text)
    except ValueError as exc:
        raise fail(f"金额不正确 / not an amount in yuan: {text}") from exc


def _zone(session: Session, shop_id: int) -> ZoneInfo:
    return ZoneInfo(session.scalar(select(Shop.timezone).where(Shop.id == shop_id)) or "Asia/Shanghai")


def _offer(t: CouponTemplate) -> str:
    if t.kind == "discount":
        text = f"{t.discount_pct / 10:g}折" if t.discount_pct else "折扣"
        if t.threshold_fen:
            text = f"满{format_yuan(t.threshold_fen)} {text}"
        return text + (f" 最高减{format_yuan(t.max_discount_fen)}" if t.max_discount_fen else "")
    if t.kind == "full_reduction":
        return f"满{format_yuan(t.threshold_fen)}减{format_yuan(t.reduction_fen)}"
    return f"无门槛减{format_yuan(t.reduction_fen)}"


@app.command("templates")
def templates_command(shop: str = typer.Option(..., "--shop")) -> None:
    """The shop's coupon templates with stock and claims."""
    with transaction(sessions()) as session:
        rows = services.list_templates(session, shop_id=shop_id_for(session, shop))
    table = Table("id", "名称 / name", "优惠 / offer", "渠道 / channel", "已领/库存 / claimed/stock", "状态 / status")
    for t in rows:
        table.add_row(str(t.id), t.name, _offer(t), t.channel, f"{t.claimed_count:,}/{t.total_stock:,}", t.status)
    console.print(table)


@app.command("create")
def create_command(
    shop: str = typer.Option(..., "--shop"),
    name: str = typer.Option(..., "--name"),
    kind: str = typer.Option("full_reduction", "--kind", help="full_reduction | discount | no_threshold"),
    threshold: str | None = typer.Option(None, "--threshold", help="yuan, e.g. 100"),
    reduction: str | None = typer.Option(None, "--reduction", help="yuan, e.g. 20"),
    discount_pct: int | None = typer.Option(None, "--discount-pct", help="percent paid: 85 = 8.5折"),
    max_discount: str | None = typer.Option(None, "--max-discount", help="yuan cap of a discount"),
    scope: str = typer.Option("shop", "--scope", help="shop | skus | categories"),
    item: list[str] = typer.Option([], "--item", help="a SKU or category of the scope (repeat)"),
    claim_start: str = typer.Option(..., "--claim-start", help="ISO time; shop time zone when no offset"),
    claim_end: str = typer.Option(..., "--claim-end"),
    use_start: str | None = typer.Option(None, "--use-start"),
    use_end: str | None = typer.Option(None, "--use-end"),
    use_days: int | None = typer.Option(None, "--use-days", help="valid N days after claiming"),
    stock: int = typer.Option(..., "--stock"),
    limit: int = typer.Option(1, "--limit", help="per customer"),
    channel: str = typer.Option("any", "--channel", help="any | member | group | fission"),
    fission_friends: int | None = typer.Option(None, "--fission-friends"),
) -> None:
    """Define a coupon template (amounts in yuan)."""
    try:
        with transaction(sessions(), write=True) as session:
            by = main_principal(session, shop)
            zone = _zone(session, by.shop_id)
            try:
                spec = CouponTemplateSpec(
                    name=name,
                    kind=kind,
                    threshold_fen=_fen(threshold) or 0,
                    reduction_fen=_fen(reduction) or 0,
                    discount_pct=discount_pct,
                    max_discount_fen=_fen(max_discount),
                    scope=scope,
                    scope_items=item,
                    claim_start=_when(claim_start, zone),
                    claim_end=_when(claim_end, zone),
                    use_start=_when(use_start, zone),
                    use_end=_when(use_end, zone),
                    use_days=use_days,
                    total_stock=stock,
                    per_customer_limit=limit,
                    channel=channel,
                    fission_friends=fission_friends,
                )
            except ValidationError as exc:
                raise fail(f"参数不正确 / invalid options: {exc.errors()[0]['msg']}") from exc
            template = services.create_template(session, by=by.actor, spec=spec)
            summary = f"{template.id}: {template.name} · {_offer(template)} · 库存 stock {template.total_stock:,}"
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"已创建 / created {summary}")


@app.command("claim")
def claim_command(
    template_id: int = typer.Argument(...),
    shop: str = typer.Option(..., "--shop"),
    customer: str = typer.Option(..., "--customer", help="the customer's JD account"),
    channel: str = typer.Option("console", "--channel"),
    key: str | None = typer.Option(None, "--key", help="idempotency key: the same key never claims twice"),
) -> None:
    """Give a customer one coupon of a template; prints the coupon code."""
    try:
        with transaction(sessions(), write=True) as session:
            by = main_principal(session, shop)
            customer_id = session.scalar(
                select(Customer.id).where(Customer.shop_id == by.shop_id, Customer.account == customer)
            )
            if customer_id is None:
                raise fail(DomainError(f"客户「{customer}」不存在", f"no customer '{customer}'", code="not_found"))
            coupon = services.claim_coupon(
                session,
                by=by.actor,
                template_id=template_id,
                customer_id=customer_id,
                channel=channel,
                idempotency_key=key,
            )
            line = f"{coupon.code} · {coupon.status} · 有效期至 valid until {coupon.valid_until:%Y-%m-%d %H:%M} UTC"
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(line)


@app.command("expire")
def expire_command(shop: str = typer.Option(..., "--shop")) -> None:
    """Expire coupons past their end (run it nightly, e.g. from cron)."""
    with transaction(sessions(), write=True) as session:
        count = services.expire_coupons(session, by=main_principal(session, shop).actor)
    console.print(f"已过期 / expired {count:,}")


@app.command("stats")
def stats_command(shop: str = typer.Option(..., "--shop")) -> None:
    """Claimed, used and expired per template, with claim and use rates."""
    with transaction(sessions()) as session:
        report = queries.coupon_stats(session, shop_id=shop_id_for(session, shop))
    table = Table(
        "id",
        "名称 / name",
        "库存 / stock",
        "已领 / claimed",
        "已用 / used",
        "过期 / expired",
        "领取率 / claim rate",
        "核销率 / use rate",
    )
    for t in report.templates:
        table.add_row(
            str(t.template_id),
            t.name,
            f"{t.total_stock:,}",
            f"{t.claimed:,}",
            f"{t.used:,}",
            f"{t.expired:,}",
            f"{t.claim_rate:.1%}",
            f"{t.use_rate:.1%}",
        )
    s = report.total
    table.add_row(
        "",
        "合计 / total",
        f"{s.total_stock:,}",
        f"{s.claimed:,}",
        f"{s.used:,}",
        f"{s.expired:,}",
        f"{s.claim_rate:.1%}",
        f"{s.use_rate:.1%}",
    )
    console.print(table)
