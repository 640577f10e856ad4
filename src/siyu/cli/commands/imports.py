"""`siyu import orders FILE --shop CODE`: import a JD order export with a progress bar."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from siyu.audit.services import Actor
from siyu.cli.context import console, fail, sessions, shop_id_for
from siyu.core.errors import DomainError
from siyu.customers import importer, queries
from siyu.db import transaction

app = typer.Typer(help="Import data files.", no_args_is_help=True)


@app.command("orders")
def import_orders(
    file: Path = typer.Argument(..., help="JD order export (.csv in GBK/GB18030/UTF-8, or .xlsx)"),
    shop: str = typer.Option(..., "--shop", help="shop code"),
    show_problems: int = typer.Option(20, help="how many problem rows to print"),
) -> None:
    """Import a JD merchant back-office order export. Re-importing the same file adds nothing."""
    factory = sessions()
    try:
        with transaction(factory) as session:
            shop_id = shop_id_for(session, shop)
        job_id = importer.register_local_file(factory, actor=Actor(shop_id, "system", None, "cli"), path=file)
    except DomainError as exc:
        raise fail(exc) from exc

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[rows]:>10,} 行/rows"),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(f"导入 / importing {file.name}", total=file.stat().st_size, rows=0)

        def show(progress: importer.ImportProgress) -> None:
            bar.update(task, completed=progress.bytes_read, rows=progress.rows_read)

        job = importer.run_order_import(factory, job_id=job_id, on_progress=show)
    importer.remove_stored_file(job)
    if job.status != "done":
        raise fail(DomainError(job.error_zh, job.error_en, code=job.error_code))
    table = Table(title=f"导入结果 / import result #{job.id}", show_header=False)
    for zh_en, value in (
        ("读取行数 / rows read", job.rows_read),
        ("新增订单行 / lines added", job.lines_added),
        ("已存在（跳过）/ already present", job.lines_already_present),
        ("新增订单 / orders added", job.orders_added),
        ("新增客户 / customers added", job.customers_added),
        ("问题行 / rows with problems", job.problem_count),
    ):
        table.add_row(zh_en, f"{value:,}")
    console.print(table)
    if job.problem_count:
        with transaction(factory) as session:
            problems = queries.import_problems(session, shop_id=job.shop_id, job_id=job.id, limit=show_problems)
        rows = Table("行 / row", "列 / column", "值 / value", "原因 / reason")
        for p in problems:
            rows.add_row(str(p.row_no), p.column, p.value, f"{p.reason_zh} / {p.reason_en}")
        console.print(rows)
