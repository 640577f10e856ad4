"""`siyu import orders FILE --shop CODE` and `siyu db upgrade|check` from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siyu.cli import context
from siyu.cli.main import app
from siyu.config import get_settings
from tests.factories.jd_files import line, rows_of, write_csv

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SQLite database for the CLI (the CLI reads SIYU_DATABASE_URL)."""
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SIYU_DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    context.engine.cache_clear()
    get_settings().data_dir = tmp_path / "data"
    yield path
    context.engine().dispose()
    context.engine.cache_clear()
    get_settings.cache_clear()


def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.output


def test_db_upgrade_then_check_reports_no_drift(cli_db: Path) -> None:
    assert invoke("db", "upgrade")[0] == 0
    code, out = invoke("db", "check")
    assert code == 0 and "no drift" in out


def test_importing_a_file_prints_the_result_and_a_second_import_adds_nothing(cli_db: Path, tmp_path: Path) -> None:
    invoke("db", "upgrade")
    assert (
        invoke("shop", "create", "flagship", "--name", "旗舰店", "--admin", "boss", "--password", "secret-123")[0] == 0
    )
    rows = [*rows_of(6), line(order_no="399999999999999999", status="不存在的状态")]
    path = write_csv(tmp_path / "订单.csv", rows)
    code, out = invoke("import", "orders", str(path), "--shop", "flagship")
    assert code == 0, out
    assert "lines added" in out and "6" in out and "不存在的状态" in out
    code, out = invoke("import", "orders", str(path), "--shop", "flagship")
    assert code == 0 and "already present" in out


def test_a_file_that_is_not_an_export_fails_with_a_reason(cli_db: Path, tmp_path: Path) -> None:
    invoke("db", "upgrade")
    invoke("shop", "create", "s2", "--name", "店", "--admin", "boss2", "--password", "secret-123")
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    code, out = invoke("import", "orders", str(path), "--shop", "s2")
    assert code == 1 and "not a JD order export" in out


def test_an_unknown_shop_is_named_in_the_error(cli_db: Path, tmp_path: Path) -> None:
    invoke("db", "upgrade")
    code, out = invoke("import", "orders", str(write_csv(tmp_path / "o.csv", rows_of(1))), "--shop", "nope")
    assert code == 1 and "nope" in out
