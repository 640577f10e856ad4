"""Group chats through the API: create a group, put buyers in, kick, post, run an activity, read the data;
refusals carry a stable code and both languages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import bearer
from tests.factories.groups import buyers
from tests.factories.shops import ShopWorld, make_shop, make_token


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db, code="grpshop")


@pytest.fixture
def token(db: Session, world: ShopWorld) -> str:
    clear = make_token(db, world)
    db.commit()
    return clear


def test_a_group_is_created_filled_in_order_and_a_kicked_buyer_stays_out(
    client: TestClient, db: Session, world: ShopWorld, token: str
) -> None:
    people = [c.id for c in buyers(db, world.shop.id, 3)]
    db.commit()
    created = client.post(
        "/api/v1/groups", json={"name": "福利群", "sub_groups": 2, "capacity": 2}, headers=bearer(token)
    )
    assert created.status_code == 201, created.text
    group = created.json()
    assert [s["capacity"] for s in group["sub_groups"]] == [2, 2]
    seats = [
        client.post(f"/api/v1/groups/{group['id']}/join", json={"customer_id": c}, headers=bearer(token)).json()[
            "position"
        ]
        for c in people
    ]
    assert seats == [1, 1, 2]
    kicked = client.post(
        f"/api/v1/groups/{group['id']}/kick", json={"customer_ids": [people[0]]}, headers=bearer(token)
    )
    assert kicked.json() == {"kicked": [people[0]]}
    again = client.post(
        f"/api/v1/groups/{group['id']}/join",
        json={"customer_id": people[0]},
        headers={**bearer(token), "Accept-Language": "en"},
    )
    assert again.status_code == 403 and again.json()["error"]["code"] == "group_kicked"
    assert "cannot rejoin" in again.json()["error"]["message"]
    members = client.get(f"/api/v1/groups/{group['id']}/members", headers=bearer(token)).json()
    assert members["total"] == 2
    listed = client.get("/api/v1/groups", headers=bearer(token)).json()
    assert listed["totals"] == {"groups": 1, "sub_groups": 2, "members": 2}


def test_posts_activities_and_data_through_the_api(
    client: TestClient, db: Session, world: ShopWorld, token: str
) -> None:
    group = client.post("/api/v1/groups", json={"name": "会员群"}, headers=bearer(token)).json()
    essential = client.post(
        f"/api/v1/groups/{group['id']}/posts",
        json={"kind": "essential", "title": "本周福利", "text": "周五 20:00 秒杀", "at_all": True},
        headers=bearer(token),
    )
    assert essential.status_code == 201 and essential.json()["at_all"] is True
    body = {
        "kind": "red_packet",
        "name": "红包雨",
        "starts_at": "2026-12-12T20:00:00+08:00",
        "ends_at": "2026-12-12T21:00:00+08:00",
        "budget_fen": 10_000,
        "packets": 20,
    }
    rain = client.post(f"/api/v1/groups/{group['id']}/activities", json=body, headers=bearer(token))
    assert rain.status_code == 201, rain.text
    assert rain.json()["budgeted_fen"] == 10_000 and rain.json()["rounds"] == 1
    for n in range(2):
        client.post(
            f"/api/v1/groups/{group['id']}/activities", json={**body, "name": f"第{n}场"}, headers=bearer(token)
        )
    fourth = client.post(
        f"/api/v1/groups/{group['id']}/activities", json={**body, "name": "第四场"}, headers=bearer(token)
    )
    assert fourth.status_code == 409 and fourth.json()["error"]["code"] == "group_activity_limit"
    data = client.get(f"/api/v1/groups/{group['id']}/data", headers=bearer(token)).json()
    assert data["members"] == 0 and len(data["activities"]) == 3
    pinned = client.get(f"/api/v1/groups/{group['id']}/posts", headers=bearer(token)).json()["pinned"]
    assert [p["title"] for p in pinned["essential"]] == ["本周福利"]


def test_a_bad_flash_sale_is_refused_naming_the_sku(client: TestClient, token: str) -> None:
    group = client.post("/api/v1/groups", json={"name": "抢购群"}, headers=bearer(token)).json()
    client.put("/api/v1/group-price-floors", json={"min_discount_pct": 70}, headers=bearer(token))
    body = {
        "kind": "flash_sale",
        "name": "限时抢购",
        "starts_at": "2026-12-12T20:00:00+08:00",
        "ends_at": "2026-12-12T22:00:00+08:00",
        "items": [{"sku": "A9", "list_price_fen": 10_000, "price_fen": 6_000, "stock": 5}],
    }
    refused = client.post(f"/api/v1/groups/{group['id']}/activities", json=body, headers=bearer(token))
    assert refused.status_code == 422 and "A9" in refused.json()["error"]["message"]
    assert client.get(f"/api/v1/groups/{group['id']}/activities", headers=bearer(token)).json() == []


def test_a_milestone_set_through_the_api_fires_when_the_group_reaches_it(
    client: TestClient, db: Session, world: ShopWorld, token: str
) -> None:
    people = [c.id for c in buyers(db, world.shop.id, 2)]
    db.commit()
    group = client.post(
        "/api/v1/groups", json={"name": "满员有礼群", "sub_groups": 1, "capacity": 5}, headers=bearer(token)
    )
    gid = group.json()["id"]
    body = {"members": 2, "text": "满 2 人发红包", "action": "red_packet", "budget_fen": 200, "packets": 2}
    added = client.post(f"/api/v1/groups/{gid}/milestones", json=body, headers=bearer(token))
    assert added.status_code == 201, added.text
    too_many = client.post(
        f"/api/v1/groups/{gid}/milestones", json={"members": 6, "text": "六人"}, headers=bearer(token)
    )
    assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "group_milestone_members"
    for person in people:
        client.post(f"/api/v1/groups/{gid}/join", json={"customer_id": person}, headers=bearer(token))
    (milestone,) = client.get(f"/api/v1/groups/{gid}/milestones", headers=bearer(token)).json()
    assert milestone["reached_at"] and milestone["activity_id"] and "红包雨已开始" in milestone["outcome"]
    kept = client.delete(f"/api/v1/group-milestones/{milestone['id']}", headers=bearer(token))
    assert kept.status_code == 422 and kept.json()["error"]["code"] == "group_milestone_reached"


def test_a_poster_card_is_posted_and_listed_through_the_api(client: TestClient, token: str) -> None:
    group = client.post("/api/v1/groups", json={"name": "海报群"}, headers=bearer(token)).json()
    body = {"kind": "poster", "name": "电动牙刷", "price_fen": 19_900, "list_price_fen": 29_900}
    posted = client.post(f"/api/v1/groups/{group['id']}/cards", json=body, headers=bearer(token))
    assert posted.status_code == 201, posted.text
    card = posted.json()
    assert card["poster"] == f"/m/grpshop/g/{group['code']}/cards/{card['id']}/poster.svg"
    assert client.get(card["poster"]).status_code == 200
    listed = client.get(f"/api/v1/groups/{group['id']}/cards", headers=bearer(token)).json()
    assert [c["id"] for c in listed] == [card["id"]]
    refused = client.post(
        f"/api/v1/groups/{group['id']}/cards", json={**body, "list_price_fen": 100}, headers=bearer(token)
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "group_card_price"
