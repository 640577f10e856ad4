"""`siyu segments rfm`, `siyu audience count FILE.json`, `siyu tags standard` from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siyu.cli import context
from siyu.cli.main import app
from siyu.config import get_settings
from siyu.customers.demo import write_demo_data
from siyu.db import session_factory
from siyu.segments.engine import forget_engines

runner = CliRunner()


@pytest.fixture
def demo_shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SIYU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    context.engine.cache_clear()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert (
        runner.invoke(
            app, ["shop", "create", "flag", "--name", "店", "--admin", "boss", "--password", "secret-123"]
        ).exit_code
        == 0
    )
    write_demo_data(session_factory(context.engine()), shop_id=1, customers=150, seed=5)
    yield
    forget_engines()
    context.engine().dispose()
    context.engine.cache_clear()
    get_settings.cache_clear()


def test_rfm_prints_the_eight_segments_and_json_adds_up(demo_shop: None) -> None:
    result = runner.invoke(app, ["segments", "rfm", "--shop", "flag"])
    assert result.exit_code == 0, result.output
    assert "重要价值" in result.output and "一般挽留" in result.output
    report = json.loads(runner.invoke(app, ["segments", "rfm", "--shop", "flag", "--json"]).output)
    assert sum(s["customers"] for s in report["segments"]) == report["buyers"] > 0


def test_audience_count_reads_a_definition_file_and_explains_bad_ones(demo_shop: None, tmp_path: Path) -> None:
    good = tmp_path / "a.json"
    good.write_text(
        json.dumps(
            {"all": [{"field": "orders", "op": ">=", "value": 1}, {"not": {"field": "follows_shop", "value": True}}]}
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["audience", "count", str(good), "--shop", "flag"])
    assert result.exit_code == 0 and int(result.output.strip().replace(",", "")) > 0
    bad = tmp_path / "b.json"
    bad.write_text('{"any": []}', encoding="utf-8")
    result = runner.invoke(app, ["audience", "count", str(bad), "--shop", "flag"])
    assert result.exit_code == 1 and "empty group" in result.output


def test_standard_tags_install_and_compute(demo_shop: None) -> None:
    result = runner.invoke(app, ["tags", "standard", "--shop", "flag"])
    assert result.exit_code == 0 and "高消费力" in result.output
