"""`siyu db upgrade|check`."""

from __future__ import annotations

import typer

from siyu import migrate
from siyu.cli.context import console, engine, err_console

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(engine(), revision)
    console.print(f"[green]数据库已升级 / database upgraded[/green] → {revision}")


@app.command()
def check() -> None:
    """Fail when the models and the migrations disagree (schema drift)."""
    drift = migrate.check(engine())
    if drift:
        err_console.print(f"[red]模型与迁移不一致 / schema drift[/red]\n{drift}")
        raise typer.Exit(1)
    console.print("[green]没有漂移 / no drift[/green]")
