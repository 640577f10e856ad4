"""Audience evaluation (set-based SQL) equals a straightforward Python evaluation of the same condition
tree, for condition trees Hypothesis makes up (SPEC §2 audience builder)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siyu.db import transaction
from siyu.segments import audiences
from siyu.segments.conditions import parse_definition
from siyu.segments.domain import LIFECYCLE_STAGES, LOYALTY_STAGES, MONETARY_LEVELS, SEGMENT_ORDER
from siyu.segments.engine import engine_for
from tests.conftest import BACKEND
from tests.factories.segments import AS_OF, CHANNELS, CITIES, SKUS, Oracle
from tests.integration.segments.conftest import SegmentWorld

comparisons = st.sampled_from([">=", ">", "<=", "<", "="])
days = st.sampled_from([7, 30, 90, 365])


def leaves(tag_ids: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(
            lambda f, op, v: {"field": f, "op": op, "values": v},
            st.sampled_from(["city"]),
            st.sampled_from(["in", "not_in"]),
            st.lists(st.sampled_from(CITIES), min_size=1, max_size=3),
        ),
        st.builds(
            lambda v: {"field": "gender", "values": v},
            st.lists(st.sampled_from(["", "male", "female"]), min_size=1, max_size=2),
        ),
        st.builds(
            lambda v: {"field": "source_channel", "values": v},
            st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=2),
        ),
        st.builds(lambda f, v: {"field": f, "value": v}, st.sampled_from(["is_member", "follows_shop"]), st.booleans()),
        st.builds(lambda op, v: {"field": "age", "op": op, "value": v}, comparisons, st.integers(15, 65)),
        st.builds(
            lambda v: {"field": "birthday_month", "values": v}, st.lists(st.integers(1, 12), min_size=1, max_size=3)
        ),
        st.builds(
            lambda f, d: {"field": f, "days": d},
            st.sampled_from(["customer_since", "member_since"]),
            st.sampled_from([30, 180, 400]),
        ),
        st.builds(
            lambda op, v, d: {"field": "orders", "op": op, "value": v, "days": d},
            comparisons,
            st.integers(0, 4),
            st.one_of(st.none(), days),
        ),
        st.builds(
            lambda op, v, d: {"field": "spent", "op": op, "value": v, "days": d},
            comparisons,
            st.sampled_from([0, 5000, 12900, 50000, 200000]),
            st.one_of(st.none(), days),
        ),
        st.builds(
            lambda op, d: {"field": "last_order", "op": op, "days": d},
            st.sampled_from(["within_days", "not_within_days"]),
            days,
        ),
        st.builds(lambda d: {"field": "cart_without_order", "days": d}, st.sampled_from([7, 30, 60])),
        st.builds(
            lambda f, v, d: {"field": f, "values": v, "days": d},
            st.just("bought_sku"),
            st.lists(st.sampled_from(sorted(SKUS)), min_size=1, max_size=2),
            st.one_of(st.none(), days),
        ),
        st.builds(
            lambda v, d: {"field": "bought_category", "values": v, "days": d},
            st.lists(st.sampled_from(sorted(set(SKUS.values()))), min_size=1, max_size=2),
            st.one_of(st.none(), days),
        ),
        st.builds(
            lambda v: {"field": "rfm_segment", "values": v},
            st.lists(st.sampled_from(SEGMENT_ORDER), min_size=1, max_size=3),
        ),
        st.builds(
            lambda f, v: {"field": f, "values": v},
            st.just("lifecycle_stage"),
            st.lists(st.sampled_from([c for c, _, _ in LIFECYCLE_STAGES]), min_size=1, max_size=3),
        ),
        st.builds(
            lambda v: {"field": "loyalty_stage", "values": v},
            st.lists(st.sampled_from([c for c, _, _ in LOYALTY_STAGES]), min_size=1, max_size=3),
        ),
        st.builds(
            lambda v: {"field": "monetary_level", "values": v},
            st.lists(st.sampled_from([c for c, _, _ in MONETARY_LEVELS]), min_size=1, max_size=2),
        ),
        st.builds(
            lambda op, v: {"field": "tags", "op": op, "values": v},
            st.sampled_from(["any", "all", "none"]),
            st.lists(st.sampled_from(tag_ids), min_size=1, max_size=2),
        ),
    )


def trees(tag_ids: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        leaves(tag_ids),
        lambda inner: st.one_of(
            st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda x: {"not": x}, inner),
        ),
        max_leaves=6,
    )


@pytest.fixture(scope="module")
def oracle(seg: SegmentWorld) -> Oracle:
    return Oracle(seg.world)


@settings(
    max_examples=120 if BACKEND == "sqlite" else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_audience_sql_equals_python_evaluation(seg: SegmentWorld, oracle: Oracle, data: st.DataObject) -> None:
    definition = data.draw(trees(sorted(seg.world.tags)))
    node = parse_definition(definition)
    with transaction(seg.factory) as session:
        got = audiences.audience_members(session, shop_id=seg.world.shop_id, definition=node, as_of=AS_OF)
        count = audiences.count_audience(session, shop_id=seg.world.shop_id, definition=node, as_of=AS_OF)
    assert got == oracle.members(node), definition
    assert count == len(got)


def test_a_five_condition_audience_with_and_or_not_and_a_window(seg: SegmentWorld, oracle: Oracle) -> None:
    definition = {
        "all": [
            {"field": "city", "op": "in", "values": ["北京市", "上海市", "深圳市"]},
            {
                "any": [
                    {"field": "orders", "op": ">=", "value": 2, "days": 365},
                    {"field": "spent", "op": ">=", "value": 40000},
                ]
            },
            {"not": {"field": "rfm_segment", "values": ["low_value"]}},
            {"field": "follows_shop", "value": False},
        ]
    }
    node = parse_definition(definition)
    with transaction(seg.factory) as session:
        for engine in [engine_for(session)] + ([engine_for(session, "duckdb")] if BACKEND == "postgresql" else []):
            got = audiences.audience_members(
                session, shop_id=seg.world.shop_id, definition=node, as_of=AS_OF, engine=engine
            )
            assert got == oracle.members(node) and got, engine.name
