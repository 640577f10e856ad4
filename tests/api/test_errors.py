"""A request that loses a race at a uniqueness rule gets a clear 409 in both languages, never a 500."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError


def test_a_lost_race_at_a_unique_key_answers_409_conflict(app: FastAPI) -> None:
    @app.get("/api/v1/_test/race")
    def race() -> None:
        raise IntegrityError("INSERT …", {}, Exception("duplicate key value violates unique constraint"))

    with TestClient(app, raise_server_exceptions=False) as client:
        zh = client.get("/api/v1/_test/race")
        en = client.get("/api/v1/_test/race", headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 409
    assert zh.json()["error"]["code"] == "conflict"
    assert "重试" in zh.json()["error"]["message"]
    assert "try again" in en.json()["error"]["message"]
