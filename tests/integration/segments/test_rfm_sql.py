"""The set-based RFM equals the reference rules and an independent pandas computation, on every engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from siyu.db import transaction
from siyu.segments import rfm
from siyu.segments.domain import SEGMENTS, RfmSettings
from siyu.segments.engine import DuckDBEngine, PostgresEngine, SegmentEngine, engine_for
from tests.conftest import BACKEND
from tests.factories.customers import make_customer, make_order
from tests.factories.segments import AS_OF, Oracle
from tests.factories.shops import make_shop
from tests.integration.segments.conftest import SegmentWorld


def engines(session: Session) -> list[SegmentEngine]:
    found = [engine_for(session)]
    if BACKEND == "postgresql":  # the embedded engine reading PostgreSQL, beside PostgreSQL itself
        found.append(engine_for(session, mode="duckdb"))
    return found


def all_rows(session: Session, shop_id: int, engine: SegmentEngine) -> dict[int, tuple[int, ...]]:
    _total, rows = rfm.rfm_customers(session, shop_id=shop_id, as_of=AS_OF, limit=10_000, engine=engine)
    return {
        r["customer_id"]: (
            r["recency_days"],
            r["frequency"],
            r["monetary_fen"],
            r["r_score"],
            r["f_score"],
            r["m_score"],
            r["segment"],
        )
        for r in rows
    }


def test_rfm_values_scores_and_segments_equal_the_reference_rules(seg: SegmentWorld) -> None:
    expected = {
        s.customer_id: (s.recency_days, s.frequency, s.monetary_fen, s.r_score, s.f_score, s.m_score, s.segment)
        for s in Oracle(seg.world).scored
    }
    assert len(expected) > 30
    with transaction(seg.factory) as session:
        for engine in engines(session):
            assert all_rows(session, seg.world.shop_id, engine) == expected, engine.name


def test_rfm_equals_an_independent_pandas_computation(seg: SegmentWorld) -> None:
    orders = pd.DataFrame(
        [(o.customer_id, o.ordered_at, o.is_paid, o.paid_fen) for o in seg.world.orders],
        columns=["customer_id", "ordered_at", "is_paid", "paid_fen"],
    )
    window = orders[
        (orders.is_paid)
        & (orders.paid_fen > 0)
        & (orders.ordered_at >= AS_OF - timedelta(days=365))
        & (orders.ordered_at < AS_OF)
    ]
    local_day = window.ordered_at.dt.tz_convert("Asia/Shanghai").dt.date
    g = (
        window.assign(day=local_day)
        .groupby("customer_id")
        .agg(last=("day", "max"), f=("paid_fen", "size"), m=("paid_fen", "sum"))
    )
    today = AS_OF.astimezone(pd.Timestamp(AS_OF).tz_convert("Asia/Shanghai").tzinfo).date()
    g["r"] = g["last"].map(lambda d: (today - d).days)
    n = len(g)
    for col, ascending in (("r", False), ("f", True), ("m", True)):
        rank = g[col].rank(method="min", ascending=ascending)
        g[col + "_score"] = 1 + (5 * (rank - 1) // n).astype(int)
    r_high, f_high, m_high = g.r * n < g.r.sum(), g.f * n > g.f.sum(), g.m * n > g.m.sum()
    g["segment"] = [SEGMENTS[(bool(a), bool(b), bool(c))].code for a, b, c in zip(r_high, f_high, m_high, strict=True)]
    expected = {
        int(cid): (
            int(row.r),
            int(row.f),
            int(row.m),
            int(row.r_score),
            int(row.f_score),
            int(row.m_score),
            row.segment,
        )
        for cid, row in g.iterrows()
    }
    with transaction(seg.factory) as session:
        assert all_rows(session, seg.world.shop_id, engine_for(session)) == expected


def test_segment_counts_sum_to_the_buyers_and_shares_to_one(seg: SegmentWorld) -> None:
    with transaction(seg.factory) as session:
        report = rfm.rfm_report(session, shop_id=seg.world.shop_id, as_of=AS_OF)
    assert len(report.segments) == 8
    assert sum(s.customers for s in report.segments) == report.buyers == len(Oracle(seg.world).scored)
    assert sum(s.spend_fen for s in report.segments) == report.spend_fen
    assert abs(sum(s.customer_share for s in report.segments) - 1) < 1e-9
    assert sum(c.customers for c in report.matrix) == report.buyers
    for s in report.segments:
        assert s.aov_fen == (s.spend_fen // s.orders if s.orders else 0)


def test_stage_counts_cover_every_customer(seg: SegmentWorld) -> None:
    with transaction(seg.factory) as session:
        stages = rfm.stage_report(session, shop_id=seg.world.shop_id, as_of=AS_OF)
    total = len(seg.world.customers)
    for kind in ("lifecycle", "loyalty"):
        assert sum(s.customers for s in stages if s.kind == kind) == total, kind
    oracle = Oracle(seg.world)
    prospects = sum(1 for orders in oracle.paid.values() if not orders)
    assert next(s.customers for s in stages if s.kind == "loyalty" and s.code == "prospect") == prospects


@pytest.fixture
def tiny(seg: SegmentWorld) -> tuple[int, dict[str, int]]:
    """A second shop in the same database with hand-made edge cases."""
    with transaction(seg.factory, write=True) as session:
        shop = make_shop(session).shop.id
        one = make_customer(session, shop, account="one_order")
        make_order(session, one, paid_fen=5_000, at=AS_OF - timedelta(days=3))
        cancelled = make_customer(session, shop, account="cancelled_only")
        make_order(session, cancelled, paid_fen=9_000, is_paid=False, at=AS_OF - timedelta(days=3))
        refunded = make_customer(session, shop, account="refunded")
        make_order(session, refunded, paid_fen=0, at=AS_OF - timedelta(days=3))
        edge = make_customer(session, shop, account="window_edge")
        make_order(session, edge, paid_fen=1_000, at=AS_OF - timedelta(days=365))
        outside = make_customer(session, shop, account="just_outside")
        make_order(session, outside, paid_fen=1_000, at=AS_OF - timedelta(days=365, seconds=1))
        future = make_customer(session, shop, account="after_as_of")
        make_order(session, future, paid_fen=1_000, at=AS_OF)
        ids = {
            "one": one.id,
            "cancelled": cancelled.id,
            "refunded": refunded.id,
            "edge": edge.id,
            "outside": outside.id,
            "future": future.id,
        }
    return shop, ids


def test_cancelled_zero_spend_and_out_of_window_orders_are_not_purchases(
    seg: SegmentWorld, tiny: tuple[int, dict[str, int]]
) -> None:
    shop, ids = tiny
    with transaction(seg.factory) as session:
        rows = all_rows(session, shop, engine_for(session))
    assert set(rows) == {ids["one"], ids["edge"]}
    assert rows[ids["one"]][:3] == (3, 1, 5_000)
    assert rows[ids["edge"]][:3] == (365, 1, 1_000)


def test_settings_change_the_split(seg: SegmentWorld, tiny: tuple[int, dict[str, int]]) -> None:
    shop, _ids = tiny
    custom = RfmSettings(split_mode="custom", r_high_max_days=10, f_high_min=1, m_high_min_fen=2_000)
    with transaction(seg.factory) as session:
        report = rfm.rfm_report(session, shop_id=shop, as_of=AS_OF, settings=custom)
    by_code = {s.code: s.customers for s in report.segments}
    assert by_code["champions"] == 1 and by_code["at_risk"] == 1  # 3 days/¥50 vs 365 days/¥10


def test_postgresql_and_the_embedded_engine_agree(seg: SegmentWorld) -> None:
    if BACKEND != "postgresql":
        pytest.skip("runs in the PostgreSQL half of the suite")
    with transaction(seg.factory) as session:
        duck = engine_for(session, mode="duckdb")
        assert isinstance(duck, DuckDBEngine)
        assert all_rows(session, seg.world.shop_id, duck) == all_rows(session, seg.world.shop_id, PostgresEngine())


def test_the_as_of_instant_defaults_to_now(seg: SegmentWorld) -> None:
    with transaction(seg.factory) as session:
        report = rfm.rfm_report(session, shop_id=seg.world.shop_id)
    assert abs((report.as_of - datetime.now(UTC)).total_seconds()) < 60
