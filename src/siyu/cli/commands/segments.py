"""`siyu segments …`, `siyu audience …`, `siyu tags …`: RFM, stages, audience counts and rule tags."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from siyu.cli.commands.shops import main_principal
from siyu.cli.context import console, fail, sessions, shop_id_for
from siyu.core.errors import DomainError
from siyu.core.money import format_yuan
from siyu.db import transaction
from siyu.segments import audiences, rfm, services

app = typer.Typer(help="RFM analysis and stages.", no_args_is_help=True)
audience_app = typer.Typer(help="Audience builder (人群圈选).", no_args_is_help=True)
tags_app = typer.Typer(help="Tags: rule tags refresh, standard tags.", no_args_is_help=True)


@app.command("rfm")
def rfm_command(shop: str = typer.Option(..., "--shop"), as_json: bool = typer.Option(False, "--json")) -> None:
    """The 8 RFM segments of the shop: customers, shares, spend, average order value."""
    try:
        with transaction(sessions()) as session:
            report = rfm.rfm_report(session, shop_id=shop_id_for(session, shop))
    except DomainError as exc:
        raise fail(exc) from exc
    if as_json:
        console.print_json(json.dumps(asdict(report), default=str, ensure_ascii=False))
        return
    table = Table(
        title=f"RFM（近 {report.window_days} 天 / last {report.window_days} days）· {report.buyers:,} "
        f"位购买客户 / buyers · 引擎 engine {report.engine}"
    )
    for column in (
        "分群 / segment",
        "客户 / customers",
        "占比 / share",
        "消费 / spend",
        "消费占比 / spend share",
        "客单价 / AOV",
    ):
        table.add_column(column, justify="left" if column.startswith("分群") else "right")
    for s in report.segments:
        table.add_row(
            f"{s.zh} / {s.en}",
            f"{s.customers:,}",
            f"{s.customer_share:.1%}",
            format_yuan(s.spend_fen),
            f"{s.spend_share:.1%}",
            format_yuan(s.aov_fen),
        )
    console.print(table)


@app.command("stages")
def stages_command(shop: str = typer.Option(..., "--shop")) -> None:
    """Customers per lifecycle stage, loyalty stage and monetary level."""
    with transaction(sessions()) as session:
        rows = rfm.stage_report(session, shop_id=shop_id_for(session, shop))
    table = Table("维度 / kind", "阶段 / stage", "客户 / customers")
    for row in rows:
        table.add_row(row.kind, f"{row.zh} / {row.en}", f"{row.customers:,}")
    console.print(table)


@audience_app.command("count")
def count_command(
    file: Path = typer.Argument(..., help="audience definition (JSON)"), shop: str = typer.Option(..., "--shop")
) -> None:
    """How many customers match the definition in FILE."""
    try:
        definition = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise fail(f"无法读取 JSON / cannot read JSON from {file}: {exc}") from exc
    try:
        with transaction(sessions()) as session:
            n = audiences.count_audience(session, shop_id=shop_id_for(session, shop), definition=definition)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"{n:,}")


@tags_app.command("refresh")
def refresh_command(shop: str = typer.Option(..., "--shop")) -> None:
    """Recompute every rule tag (run it nightly, e.g. from cron)."""
    with transaction(sessions(), write=True) as session:
        tags = services.refresh_rule_tags(session, by=main_principal(session, shop))
    for tag in tags:
        console.print(f"{tag.name}: {tag.member_count:,}")


@tags_app.command("standard")
def standard_command(shop: str = typer.Option(..., "--shop")) -> None:
    """Install the ready-made rule tags (importance, spending, frequency, fan source, time) and compute them."""
    with transaction(sessions(), write=True) as session:
        created = services.install_standard_tags(session, by=main_principal(session, shop))
    with transaction(sessions(), write=True) as session:
        tags = services.refresh_rule_tags(session, by=main_principal(session, shop))
    console.print(f"新建 / created {len(created)}; " + ", ".join(f"{t.name} {t.member_count:,}" for t in tags))
