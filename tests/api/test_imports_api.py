"""Importing a JD order export through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import bearer
from tests.factories.jd_files import HEADERS, line
from tests.factories.shops import make_shop, make_token

HEAD = ",".join(HEADERS) + "\n"


def csv_bytes(*rows: list[str]) -> bytes:
    return (HEAD + "".join(",".join(r) + "\n" for r in rows)).encode("gb18030")


def test_an_upload_is_imported_and_reported(client: TestClient, db: Session) -> None:
    world = make_shop(db)
    token = make_token(db, world)
    db.commit()
    body = csv_bytes(line(order_no="300000000000000001"), line(order_no="300000000000000002", qty="zero"))
    response = client.post(
        "/api/v1/imports/orders", headers=bearer(token), files={"file": ("订单.csv", body, "text/csv")}
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["status"], report["lines_added"], report["problem_count"], report["progress"]) == ("done", 1, 1, 1.0)
    assert report["problems"][0]["row_no"] == 3 and report["problems"][0]["column"] == "订购数量"
    again = client.post("/api/v1/imports/orders", headers=bearer(token), files={"file": ("订单.csv", body, "text/csv")})
    assert (again.json()["lines_added"], again.json()["lines_already_present"]) == (0, 1)
    history = client.get("/api/v1/imports", headers=bearer(token)).json()
    assert [j["lines_added"] for j in history] == [0, 1]
    assert client.get(f"/api/v1/imports/{report['id']}", headers=bearer(token)).json()["lines_added"] == 1


def test_a_file_that_is_not_an_order_export_is_refused_with_the_reason(client: TestClient, db: Session) -> None:
    world = make_shop(db)
    token = make_token(db, world)
    db.commit()
    response = client.post(
        "/api/v1/imports/orders",
        headers={**bearer(token), "Accept-Language": "en"},
        files={"file": ("members.csv", b"name,age\nx,1\n", "text/csv")},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "not_an_order_export" and "missing columns" in error["message"]
    assert error["details"]["import_id"] > 0
