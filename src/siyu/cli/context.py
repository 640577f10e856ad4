"""What every command needs: settings, an engine and a session factory, built on first use."""

from __future__ import annotations

from functools import lru_cache

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from siyu.config import get_settings
from siyu.core.errors import DomainError
from siyu.db import create_engine, session_factory

console = Console()
err_console = Console(stderr=True)


@lru_cache(maxsize=1)
def engine() -> Engine:
    return create_engine(get_settings().database_url)


def sessions() -> sessionmaker[Session]:
    return session_factory(engine())


def fail(error: DomainError | str, code: int = 1) -> typer.Exit:
    """Print an error in Chinese and English and return the Exit to raise."""
    # escaped: "[code]" and messages would otherwise be read as rich markup and vanish
    if isinstance(error, DomainError):
        err_console.print(f"[red]错误 / error[/red] {escape(f'[{error.code}] {error.zh}')}\n  {escape(error.en)}")
    else:
        err_console.print(f"[red]错误 / error[/red] {escape(str(error))}")
    return typer.Exit(code)


def shop_id_for(session: Session, code: str) -> int:
    from siyu.shops.models import Shop

    shop_id = session.scalar(select(Shop.id).where(Shop.code == code))
    if shop_id is None:
        raise fail(DomainError(f"店铺「{code}」不存在", f"no shop with code '{code}'", code="not_found"))
    return shop_id
