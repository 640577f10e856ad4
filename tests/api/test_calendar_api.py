"""The campaign calendar through the API: events in shop time with the seed's waves and reach, refusals in
both languages, and the yearly coverage of marketing SMS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import bearer
from tests.factories.campaigns import reachable_customers
from tests.factories.shops import ShopWorld, make_shop, make_token


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db, code="calshop")


@pytest.fixture
def token(db: Session, world: ShopWorld) -> str:
    clear = make_token(db, world)
    db.commit()
    return clear


def test_an_event_is_planned_changed_listed_and_removed(
    client: TestClient, db: Session, world: ShopWorld, token: str
) -> None:
    reachable_customers(db, world.principal.actor, 20)
    db.commit()
    body = {"name": "会员日", "kind": "medium", "starts_at": "2026-12-20T10:00:00"}
    created = client.post("/api/v1/calendar/events", json=body, headers=bearer(token))
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["starts_at"] == "2026-12-20T10:00:00" and (event["reach"], event["share"]) == (6, 0.3)
    assert [w["send_at"] for w in event["waves"]] == [
        "2026-12-17T10:00:00",
        "2026-12-18T10:00:00",
        "2026-12-19T19:00:00",
        "2026-12-20T09:00:00",
    ]
    changed = client.put(
        f"/api/v1/calendar/events/{event['id']}", json={**body, "kind": "big"}, headers=bearer(token)
    ).json()
    assert changed["reach"] == 20
    listed = client.get("/api/v1/calendar/events", params={"year": 2026}, headers=bearer(token)).json()
    assert [e["id"] for e in listed] == [event["id"]]
    assert client.get("/api/v1/calendar/events", params={"year": 2027}, headers=bearer(token)).json() == []
    assert client.delete(f"/api/v1/calendar/events/{event['id']}", headers=bearer(token)).status_code == 204
    assert client.get(f"/api/v1/calendar/events/{event['id']}", headers=bearer(token)).status_code == 404


def test_event_times_with_an_offset_and_bad_kinds_are_refused(client: TestClient, token: str) -> None:
    for wrong in (
        {"name": "x", "kind": "big", "starts_at": "2026-12-12T00:00:00+08:00"},
        {"name": "x", "kind": "huge", "starts_at": "2026-12-12T00:00:00"},
    ):
        refused = client.post("/api/v1/calendar/events", json=wrong, headers=bearer(token))
        assert refused.status_code == 422, refused.text
    ends_first = {"name": "x", "kind": "big", "starts_at": "2026-12-12T00:00:00", "ends_at": "2026-12-11T00:00:00"}
    refused = client.post(
        "/api/v1/calendar/events", json=ends_first, headers={**bearer(token), "Accept-Language": "zh-CN"}
    )
    assert refused.status_code == 422 and "结束时间" in refused.json()["error"]["message"]
    assert client.get("/api/v1/calendar/events", headers=bearer(token)).json() == []


def test_coverage_reports_every_bucket(client: TestClient, db: Session, world: ShopWorld, token: str) -> None:
    reachable_customers(db, world.principal.actor, 3)
    db.commit()
    found = client.get("/api/v1/calendar/coverage", headers=bearer(token)).json()
    assert found["customers"] == 3 and found["below_minimum"] == 3 and found["minimum"] == 5
    assert [b["messages"] for b in found["buckets"]] == ["0", "1", "2", "3", "4", "5", "6+"]
    assert len(found["fewest"]) == 3
