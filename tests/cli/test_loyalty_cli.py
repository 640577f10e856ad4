"""`siyu loyalty …`: the brand hashes its clear list locally, the shop uploads the hashes and sees them match;
joining, granting points with an idempotency key, member analytics as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from siyu.cli import context
from siyu.cli.main import app
from siyu.config import get_settings
from siyu.core.phones import PhoneVault
from siyu.customers.models import Customer
from siyu.db import session_factory, transaction
from siyu.loyalty.domain import phone_hmac
from siyu.loyalty.models import Member
from tests.factories.customers import make_customer, make_order

runner = CliRunner()


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SIYU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    context.engine.cache_clear()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(
        app, ["shop", "create", "flag", "--name", "店", "--admin", "boss", "--password", "secret-123"]
    )
    assert created.exit_code == 0, created.output
    yield "flag"
    context.engine().dispose()
    context.engine.cache_clear()
    get_settings.cache_clear()


def add_customers_with_mobiles(*mobiles: str) -> None:
    settings = get_settings()
    vault = PhoneVault(settings.phone_key, settings.phone_hash_salt)
    with transaction(session_factory(context.engine()), write=True) as session:
        for n, mobile in enumerate(mobiles):
            make_customer(
                session,
                1,
                account=f"jd_cli_{n}",
                phone_cipher=vault.encrypt(mobile),
                phone_hash=vault.match_hash(mobile),
                phone_masked=f"{mobile[:3]}****{mobile[-4:]}",
                phone_tail=mobile[-4:],
            )


def invoke(*args: str) -> str:
    """The command's output with rich's line wrapping undone (runs of whitespace become one space)."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_hashes_written_at_the_brand_are_matched_by_upload_hashes(shop: str, tmp_path: Path) -> None:
    add_customers_with_mobiles("13912340001", "13912340002")
    invoke("loyalty", "matching", "--shop", shop, "--mode", "connected")
    secret = invoke("loyalty", "secret", "--shop", shop, "--rotate").strip()
    assert invoke("loyalty", "secret", "--shop", shop).strip() == secret  # shown again without rotating
    secret_file = tmp_path / "key.txt"
    secret_file.write_text(secret + "\n", encoding="utf-8")
    clear = tmp_path / "brand.csv"
    clear.write_bytes(
        "\n".join(
            [
                "手机号,会员号,等级",
                "+86 139 1234 0001,BR-1,金卡",
                "13912340002\tBR-2\t银卡",
                "12345,BR-3",
                "",
                "13912340009,BR-9",
                "not a phone",
                "13912340001,BR-1-again",
            ]
        ).encode("gbk")
    )
    hashed = tmp_path / "hashes.csv"

    output = invoke("loyalty", "hash-phones", str(clear), str(hashed), "--secret-file", str(secret_file))

    assert "lines without a valid mobile: 4, 7" in output and "重复 / duplicates 1" in output
    written = hashed.read_text(encoding="utf-8").splitlines()
    assert written[0] == "phone_hmac,brand_member_no,brand_tier"
    assert written[1:] == [
        f"{phone_hmac(secret, '13912340001')},BR-1,金卡",
        f"{phone_hmac(secret, '13912340002')},BR-2,银卡",
        f"{phone_hmac(secret, '13912340009')},BR-9,",
    ]
    assert "1391234" not in hashed.read_text(encoding="utf-8")

    report = invoke("loyalty", "upload-hashes", str(hashed), "--shop", shop, "--legal-basis", "品牌会员协议第 5 条")
    assert "66.7%" in report
    assert "members: 2" in invoke("loyalty", "members", "--shop", shop)
    with transaction(session_factory(context.engine())) as session:
        assert session.scalars(select(Member.source)).all() == ["brand", "brand"]


def test_bad_input_to_the_matching_commands_is_explained(shop: str, tmp_path: Path) -> None:
    empty_key = tmp_path / "empty.txt"
    empty_key.write_text("\n", encoding="utf-8")
    clear = tmp_path / "brand.csv"
    clear.write_text("13912340001\n", encoding="utf-8")
    result = runner.invoke(
        app, ["loyalty", "hash-phones", str(clear), str(tmp_path / "out.csv"), "--secret-file", str(empty_key)]
    )
    assert result.exit_code == 1 and "secret file is empty" in " ".join(result.output.split())
    missing = runner.invoke(
        app, ["loyalty", "hash-phones", str(tmp_path / "nope.csv"), "out.csv", "--secret-file", str(empty_key)]
    )
    assert missing.exit_code == 1 and "cannot read" in " ".join(missing.output.split())
    hidden = runner.invoke(app, ["loyalty", "secret", "--shop", shop])
    assert hidden.exit_code == 1 and "matching_disabled" in " ".join(hidden.output.split())
    refused = runner.invoke(app, ["loyalty", "upload-hashes", str(clear), "--shop", shop, "--legal-basis", "x"])
    assert refused.exit_code == 1 and "disconnected mode" in " ".join(refused.output.split())
    bad_mode = runner.invoke(app, ["loyalty", "matching", "--shop", shop, "--mode", "sideways"])
    assert bad_mode.exit_code == 1 and "connected or disconnected" in " ".join(bad_mode.output.split())


def test_join_then_grant_twice_with_the_same_key_grants_once(shop: str) -> None:
    joined = invoke("loyalty", "join", "--shop", shop, "--phone", "13812345678", "--consent-text", "已同意会员协议")
    assert "已开卡" in joined
    with transaction(session_factory(context.engine())) as session:
        member_no = session.scalars(select(Member.member_no)).one()
    args = ("loyalty", "grant", "--shop", shop, "--member", member_no, "--points", "50", "--reason", "补偿")
    args += ("--key", "k1")
    assert "余额 / balance 150" in invoke(*args)
    again = invoke(*args)
    assert "already done" in again and "balance 150" in again
    no_consent = runner.invoke(
        app, ["loyalty", "join", "--shop", shop, "--phone", "13812345679", "--consent-text", " "]
    )
    assert no_consent.exit_code == 1 and "consent_required" in " ".join(no_consent.output.split())
    unknown = runner.invoke(
        app, ["loyalty", "grant", "--shop", shop, "--member", "M9999", "--points", "5", "--reason", "x"]
    )
    assert unknown.exit_code == 1 and "member not found" in " ".join(unknown.output.split())
    assert "13812345678" not in invoke("loyalty", "members", "--shop", shop)


def test_analytics_json_and_the_batch_commands(shop: str) -> None:
    invoke("loyalty", "join", "--shop", shop, "--phone", "13812345678", "--consent-text", "已同意会员协议")
    recent = datetime.now(UTC) - timedelta(days=3)
    with transaction(session_factory(context.engine()), write=True) as session:
        member_customer = session.scalars(select(Member.customer_id)).one()
        other = make_customer(session, 1)
        make_order(session, other, paid_fen=10_000, at=recent)
        make_order(session, other, paid_fen=10_000, at=recent)
        mine = session.get_one(Customer, member_customer)
        make_order(session, mine, paid_fen=15_000, at=datetime.now(UTC))
    assert "orders awarded 1 (150" in invoke("loyalty", "sync-orders", "--shop", shop)
    report = json.loads(invoke("loyalty", "analytics", "--shop", shop, "--json"))
    assert (report["members"], report["member"]["aov_fen"], report["non_member"]["aov_fen"]) == (1, 15_000, 10_000)
    assert report["aov_uplift"] == pytest.approx(0.5)
    assert report["repurchase_ratio"] == 0.0
    table = invoke("loyalty", "analytics", "--shop", shop)
    assert "复购倍数" in table and "+50%" in table
    assert "points expired: 0" in invoke("loyalty", "expire", "--shop", shop)
    assert "members 1" in invoke("loyalty", "review-tiers", "--shop", shop)
    assert "birthday gifts: 0" in invoke("loyalty", "birthday-gifts", "--shop", shop)
    assert "普通会员" in invoke("loyalty", "tiers", "--shop", shop)
    assert '"join_gift_points": 100' in invoke("loyalty", "program", "--shop", shop)
