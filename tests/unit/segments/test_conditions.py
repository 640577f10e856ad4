"""Audience definitions are validated JSON with clear errors (unknown field, wrong type, empty group)."""

from __future__ import annotations

from typing import Any

import pytest

from siyu.segments.conditions import InvalidAudience, dump_definition, parse_definition


@pytest.mark.parametrize(
    ("definition", "where"),
    [
        ({"all": []}, "$.all"),
        ({"any": [{"field": "orders", "op": ">>", "value": 1}]}, "$.any[0].op"),
        ({"field": "shoe_size", "op": ">", "value": 40}, "$"),
        ({"field": "spent", "op": ">=", "value": "lots"}, "$.value"),
        ({"not": {"field": "rfm_segment", "values": ["vip"]}}, "$.not"),
        ({"all": [{"field": "city", "values": ["x"], "extra": 1}]}, "$.all[0].extra"),
        ({"all": [{"field": "city", "values": ["x"]}], "any": []}, "$"),
    ],
)
def test_invalid_definitions_say_where_and_why(definition: dict[str, Any], where: str) -> None:
    with pytest.raises(InvalidAudience) as caught:
        parse_definition(definition)
    assert caught.value.details["where"] == where
    assert caught.value.zh and caught.value.en


def test_a_valid_definition_round_trips_through_json() -> None:
    definition = {
        "all": [
            {"field": "city", "op": "in", "values": ["上海市"]},
            {"not": {"field": "orders", "op": ">=", "value": 3, "days": 90}},
        ]
    }
    assert parse_definition(dump_definition(parse_definition(definition))) == parse_definition(definition)


def test_nesting_is_limited() -> None:
    node: dict[str, Any] = {"field": "city", "values": ["x"]}
    for _ in range(10):
        node = {"not": node}
    with pytest.raises(InvalidAudience) as caught:
        parse_definition(node)
    assert "nesting" in caught.value.en


def test_reasons_are_given_in_chinese_too() -> None:
    with pytest.raises(InvalidAudience) as caught:
        parse_definition({"field": "city", "op": "in", "values": []})
    assert caught.value.zh.endswith("至少需要 1 项")
    assert "at least 1 item" in caught.value.en
