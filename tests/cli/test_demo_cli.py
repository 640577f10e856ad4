"""`siyu demo` creates the demo shop with its logins; `--if-empty` keeps what is there, quickly."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from siyu.campaigns.models import Campaign
from siyu.channels.models import Consent, ConsentEvent
from siyu.cli import context
from siyu.cli.main import app
from siyu.config import get_settings
from siyu.customers.models import Customer, Order, OrderLine
from siyu.db import transaction
from siyu.groups.models import Group, GroupActivity, SubGroup
from siyu.shops.models import Shop, Staff

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SIYU_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("SIYU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    context.engine.cache_clear()
    yield path
    context.engine().dispose()
    get_settings.cache_clear()
    context.engine.cache_clear()


def _counts() -> tuple[int, int, int]:
    with transaction(context.sessions()) as session:
        return (
            session.scalar(select(func.count()).select_from(Customer)) or 0,
            session.scalar(select(func.count()).select_from(Order)) or 0,
            session.scalar(select(func.count()).select_from(OrderLine)) or 0,
        )


def test_demo_creates_the_shop_and_prints_the_logins_then_if_empty_keeps_the_data(cli_db: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0

    created = runner.invoke(app, ["demo", "--customers", "200", "--seed", "3"])

    assert created.exit_code == 0, created.output
    for text in ("http://127.0.0.1:8000", "demo / siyu-demo-2026", "demo:viewer / siyu-demo-2026", "主账号"):
        assert text in created.output
    customers, orders, lines = _counts()
    assert customers == 200 and orders > 200 and lines >= orders
    with transaction(context.sessions()) as session:
        shop = session.scalars(select(Shop).where(Shop.code == "demo")).one()
        assert shop.name == "演示旗舰店"
        staff = {s.username: s for s in session.scalars(select(Staff).where(Staff.shop_id == shop.id))}
        assert staff["demo"].is_main
        assert not staff["demo:viewer"].is_main and "customers:view" in staff["demo:viewer"].permissions
        # most demo customers with a phone agreed to marketing SMS, with proof, and a draft campaign waits
        consents = session.scalar(select(func.count()).select_from(Consent).where(Consent.shop_id == shop.id))
        proofs = session.scalar(select(func.count()).select_from(ConsentEvent).where(ConsentEvent.shop_id == shop.id))
        assert consents and consents == proofs and consents > 100
        assert [c.status for c in session.scalars(select(Campaign).where(Campaign.shop_id == shop.id))] == ["draft"]
        # two demo groups with members, a flash sale and red-packet rain running, this month's calendar
        groups = session.scalars(select(Group).where(Group.shop_id == shop.id).order_by(Group.id)).all()
        assert [g.goal for g in groups] == ["new", "members"]
        assert session.scalar(select(func.sum(SubGroup.member_count)).where(SubGroup.group_id == groups[0].id)) > 20
        assert {a.kind for a in session.scalars(select(GroupActivity))} == {"flash_sale", "red_packet"}

    started = time.perf_counter()
    again = runner.invoke(app, ["demo", "--if-empty"])
    elapsed = time.perf_counter() - started

    assert again.exit_code == 0, again.output
    assert "demo:viewer / siyu-demo-2026" in again.output
    assert _counts() == (customers, orders, lines)
    assert elapsed < 1.0


def test_demo_without_if_empty_adds_more_customers(cli_db: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["demo", "--customers", "100"]).exit_code == 0

    more = runner.invoke(app, ["demo", "--customers", "50"])

    assert more.exit_code == 0, more.output
    assert _counts()[0] == 150


def test_demo_on_an_unmigrated_database_says_what_to_run(cli_db: Path) -> None:
    result = runner.invoke(app, ["demo", "--customers", "10"])

    assert result.exit_code == 1
    assert "siyu db upgrade" in result.output
