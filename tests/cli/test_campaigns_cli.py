"""`siyu campaigns list|queue|change|results` and `siyu worker --once` from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from siyu.campaigns import services
from siyu.channels import services as channels
from siyu.channels.models import SinkMessage
from siyu.cli import context
from siyu.cli.commands.shops import main_principal
from siyu.cli.main import app
from siyu.config import get_settings
from siyu.db import session_factory, transaction
from tests.factories.campaigns import frozen_audience, reachable_customers, spec

runner = CliRunner()


@pytest.fixture
def campaign_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("SIYU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    context.engine.cache_clear()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(
        app, ["shop", "create", "sms", "--name", "店", "--admin", "boss", "--password", "secret-123"]
    )
    assert created.exit_code == 0, created.output
    with transaction(session_factory(context.engine()), write=True) as session:
        by = main_principal(session, "sms").actor
        settings = channels.channel_settings(session, shop_id=by.shop_id, channel="sms")
        settings.quiet_start = settings.quiet_end = "00:00"  # the test may run at night
        ids = reachable_customers(session, by, 5)
        campaign = services.create_campaign(session, by=by, spec=spec(frozen_audience(session, by, ids), holdout_pct=0))
        session.flush()
        new_id = campaign.id
    yield new_id
    context.engine().dispose()
    context.engine.cache_clear()
    get_settings.cache_clear()


def test_queue_send_and_report_from_the_command_line(campaign_id: int) -> None:
    queued = runner.invoke(app, ["campaigns", "queue", str(campaign_id), "--shop", "sms"])
    assert queued.exit_code == 0, queued.output
    assert "queued 5" in queued.output
    again = runner.invoke(app, ["campaigns", "queue", str(campaign_id), "--shop", "sms"])
    assert again.exit_code == 1 and "campaign_state" in again.output
    sent = runner.invoke(app, ["worker", "--once", "--idle", "0.05"])
    assert sent.exit_code == 0, sent.output
    with transaction(session_factory(context.engine())) as session:
        assert session.scalar(select(func.count()).select_from(SinkMessage)) == 5
    listed = runner.invoke(app, ["campaigns", "list", "--shop", "sms"])
    assert "已完成" in listed.output
    report = runner.invoke(app, ["campaigns", "results", str(campaign_id), "--shop", "sms"])
    assert report.exit_code == 0 and "1:25" in report.output


def test_unknown_action_is_refused_in_both_languages(campaign_id: int) -> None:
    refused = runner.invoke(app, ["campaigns", "change", str(campaign_id), "stop", "--shop", "sms"])
    assert refused.exit_code == 1
    assert "pause" in refused.output and "操作" in refused.output
