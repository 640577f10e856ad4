"""SPEC §12 dashboard figures, identical on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from siyu.analytics.dashboard import build_dashboard
from tests.factories.customers import make_customer, make_order
from tests.factories.shops import make_shop

NOW = datetime(2024, 6, 20, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def test_headline_figures_count_only_paid_orders(db: Session) -> None:
    shop = make_shop(db).shop.id
    ann = make_customer(db, shop, is_member=True, follows_shop=True)
    bob = make_customer(db, shop, follows_shop=True)
    make_customer(db, shop)
    make_order(db, ann, paid_fen=10_000, at=datetime(2024, 6, 18, 2, tzinfo=UTC))
    make_order(db, ann, paid_fen=5_001, at=datetime(2024, 6, 19, 2, tzinfo=UTC))
    make_order(db, bob, paid_fen=99_900, is_paid=False, at=datetime(2024, 6, 19, 3, tzinfo=UTC))
    board = build_dashboard(db, shop_id=shop, days=7, now=NOW)
    assert (board.customers, board.members, board.fans, board.buyers) == (3, 1, 2, 1)
    assert (board.paid_orders, board.gmv_fen, board.aov_fen) == (2, 15_001, 7_500)


def test_the_trend_buckets_by_shop_local_day(db: Session) -> None:
    shop = make_shop(db).shop.id
    c = make_customer(db, shop)
    make_order(db, c, paid_fen=100, at=datetime(2024, 6, 17, 16, 30, tzinfo=UTC))  # 06-18 00:30 in Shanghai
    make_order(db, c, paid_fen=200, at=datetime(2024, 6, 17, 15, 30, tzinfo=UTC))  # 06-17 23:30 in Shanghai
    board = build_dashboard(db, shop_id=shop, days=7, now=NOW)
    by_day = {p.label: (p.orders, p.gmv_fen) for p in board.trend}
    assert len(board.trend) == 7
    assert by_day["2024-06-17"] == (1, 200) and by_day["2024-06-18"] == (1, 100)
    assert (board.period_orders, board.period_gmv_fen) == (2, 300)


def test_the_weekly_trend_starts_weeks_on_monday(db: Session) -> None:
    shop = make_shop(db).shop.id
    c = make_customer(db, shop)
    make_order(db, c, paid_fen=100, at=datetime(2024, 6, 17, 2, tzinfo=UTC))  # Monday
    make_order(db, c, paid_fen=300, at=datetime(2024, 6, 16, 2, tzinfo=UTC))  # Sunday before
    board = build_dashboard(db, shop_id=shop, days=30, grain="week", now=NOW)
    weeks = {p.label: p.gmv_fen for p in board.trend}
    assert weeks["2024-06-17"] == 100 and weeks["2024-06-10"] == 300


def test_orders_by_channel_are_ranked(db: Session) -> None:
    shop = make_shop(db).shop.id
    c = make_customer(db, shop)
    for channel in ("京东APP", "京东APP", "微信小程序"):
        make_order(db, c, channel=channel, at=datetime(2024, 6, 19, 2, tzinfo=UTC))
    board = build_dashboard(db, shop_id=shop, days=7, now=NOW)
    assert [(ch.channel, ch.orders) for ch in board.channels] == [("京东APP", 2), ("微信小程序", 1)]


def test_an_empty_shop_has_a_zero_dashboard(db: Session) -> None:
    board = build_dashboard(db, shop_id=make_shop(db).shop.id, days=30, now=NOW)
    assert (board.customers, board.paid_orders, board.gmv_fen, board.aov_fen, board.channels) == (0, 0, 0, 0, [])
