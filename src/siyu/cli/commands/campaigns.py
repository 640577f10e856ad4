"""`siyu campaigns …`: list campaigns, queue one, pause / resume / cancel, and its results."""

from __future__ import annotations

import typer
from rich.table import Table

from siyu.campaigns import queries, services
from siyu.campaigns.models import STATUS_ZH
from siyu.cli.commands.shops import main_principal
from siyu.cli.context import console, fail, sessions
from siyu.core.errors import DomainError
from siyu.core.money import format_yuan
from siyu.db import transaction

app = typer.Typer(help="SMS campaigns (短信营销): list, queue, pause/resume/cancel, results.", no_args_is_help=True)


@app.command("list")
def list_campaigns(shop: str = typer.Option(..., help="店铺代码 / shop code")) -> None:
    """The shop's campaigns, newest first."""
    with transaction(sessions()) as session:
        principal = main_principal(session, shop)
        rows = services.list_campaigns(session, shop_id=principal.shop_id)
    table = Table("id", "名称 / name", "状态 / status", "人群 / audience", "发送 / queued", "对照 / hold-out")
    for row in rows:
        table.add_row(
            str(row.id),
            row.name,
            STATUS_ZH.get(row.status, row.status),
            str(row.audience_count),
            str(row.queued_count),
            str(row.holdout_count),
        )
    console.print(table)


@app.command("queue")
def queue(campaign_id: int, shop: str = typer.Option(..., help="店铺代码 / shop code")) -> None:
    """Queue a draft now: arms, hold-out, rendered and linted messages into the outbox."""
    try:
        with transaction(sessions(), write=True) as session:
            principal = main_principal(session, shop)
            report = services.queue_campaign(session, by=principal.actor, campaign_id=campaign_id)
    except DomainError as error:
        raise fail(error) from error
    console.print(
        f"已排队 {report.targets} 条，对照组 {report.holdout} 人，排除 {sum(report.excluded.values())} 人 / queued "
        f"{report.targets}, hold-out {report.holdout}, excluded {report.excluded}; {report.batches} batches, "
        f"cost {format_yuan(report.cost_fen)}"
    )


@app.command("change")
def change(
    campaign_id: int,
    action: str = typer.Argument(..., help="pause | resume | cancel"),
    shop: str = typer.Option(..., help="店铺代码 / shop code"),
) -> None:
    """Pause (messages wait), resume, or cancel (queued messages are never sent)."""
    try:
        with transaction(sessions(), write=True) as session:
            principal = main_principal(session, shop)
            row = services.change_campaign(session, by=principal.actor, campaign_id=campaign_id, action=action)
    except DomainError as error:
        raise fail(error) from error
    console.print(f"{row.name}: {STATUS_ZH.get(row.status, row.status)} / {row.status}")


@app.command("results")
def results(campaign_id: int, shop: str = typer.Option(..., help="店铺代码 / shop code")) -> None:
    """Sent, delivered, clicks, opt-outs, orders, GMV, cost, ROI and the increment over the hold-out."""
    try:
        with transaction(sessions()) as session:
            principal = main_principal(session, shop)
            campaign = services.get_campaign(session, shop_id=principal.shop_id, campaign_id=campaign_id)
            found = queries.campaign_results(session, campaign=campaign)
    except DomainError as error:
        raise fail(error) from error
    table = Table("指标 / figure", "值 / value")
    for label, value in (
        ("发送 / sent", found.sent),
        ("送达 / delivered", found.delivered),
        ("失败 / failed", found.failed),
        ("点击 / clicked", found.clicked),
        ("退订 / opted out", found.opted_out),
        ("下单 / ordered", found.ordered),
        ("成交额 / GMV", format_yuan(found.gmv_fen)),
        ("成本 / cost", format_yuan(found.cost_fen)),
        ("ROI", "—" if found.roi is None else f"1:{found.roi}"),
        ("转化率 / conversion", f"{found.conversion:.1%}"),
    ):
        table.add_row(label, str(value))
    inc = found.incremental
    if inc is not None:
        table.add_row("增量成交额 / incremental GMV", format_yuan(inc.incremental_gmv_fen))
        if inc.incremental_gmv_low_fen is not None and inc.incremental_gmv_high_fen is not None:
            table.add_row(
                "95% 区间 / interval",
                f"{format_yuan(inc.incremental_gmv_low_fen)} – {format_yuan(inc.incremental_gmv_high_fen)}",
            )
        table.add_row("增量转化 / conversion lift", f"{inc.conversion_lift:+.1%}")
    table.add_row(
        "参考 / seed benchmark", f"ROI 1:{found.benchmark.roi}, conversion > {found.benchmark.conversion:.0%}"
    )
    console.print(table)
