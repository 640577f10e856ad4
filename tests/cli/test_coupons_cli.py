"""`siyu coupons create|templates|claim|expire|stats` from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siyu.cli import context
from siyu.cli.main import app
from siyu.config import get_settings
from siyu.db import session_factory, transaction
from tests.factories.customers import make_customer

runner = CliRunner()


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SIYU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    context.engine.cache_clear()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(
        app, ["shop", "create", "flag", "--name", "店", "--admin", "boss", "--password", "secret-123"]
    )
    assert created.exit_code == 0, created.output
    with transaction(session_factory(context.engine()), write=True) as session:
        make_customer(session, 1, account="jd_alice")
    yield
    context.engine().dispose()
    context.engine.cache_clear()
    get_settings.cache_clear()


CREATE = [
    "coupons",
    "create",
    "--shop",
    "flag",
    "--name",
    "满100减20",
    "--threshold",
    "100",
    "--reduction",
    "20",
    "--claim-start",
    "2020-01-01",
    "--claim-end",
    "2099-01-01",
    "--use-days",
    "30",
    "--stock",
    "2",
]


def test_a_template_is_created_listed_claimed_and_counted(shop: None) -> None:
    created = runner.invoke(app, CREATE)
    assert created.exit_code == 0, created.output
    assert "满¥100.00减¥20.00" in created.output
    listed = runner.invoke(app, ["coupons", "templates", "--shop", "flag"])
    assert "0/2" in listed.output
    claimed = runner.invoke(app, ["coupons", "claim", "1", "--shop", "flag", "--customer", "jd_alice", "--key", "k"])
    assert claimed.exit_code == 0, claimed.output
    assert "claimed" in claimed.output
    again = runner.invoke(app, ["coupons", "claim", "1", "--shop", "flag", "--customer", "jd_alice", "--key", "k"])
    assert again.output.split()[0] == claimed.output.split()[0]
    stats = runner.invoke(app, ["coupons", "stats", "--shop", "flag"])
    assert "50.0%" in stats.output and "合计" in stats.output
    assert "expired 0" in runner.invoke(app, ["coupons", "expire", "--shop", "flag"]).output


def test_errors_are_printed_in_chinese_and_english(shop: None) -> None:
    bad = runner.invoke(app, [*CREATE[:-2], "--stock", "0"])
    assert bad.exit_code == 1
    assert "库存至少 1 张" in bad.output and "total stock must be" in bad.output
    runner.invoke(app, CREATE)
    runner.invoke(app, ["coupons", "claim", "1", "--shop", "flag", "--customer", "jd_alice"])
    limit = runner.invoke(app, ["coupons", "claim", "1", "--shop", "flag", "--customer", "jd_alice"])
    assert limit.exit_code == 1
    assert "每人限领 1 张" in limit.output and "limit of 1 per customer" in limit.output
    nobody = runner.invoke(app, ["coupons", "claim", "1", "--shop", "flag", "--customer", "nobody"])
    assert nobody.exit_code == 1 and "no customer 'nobody'" in nobody.output
