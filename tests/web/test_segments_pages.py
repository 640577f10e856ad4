"""Segments pages through the ASGI app: permissions, CSRF, settings validation, live count, tags, filters."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from siyu.db import transaction
from siyu.segments.models import SegmentSettings
from tests.factories.customers import make_customer
from tests.web.web_support import Shop, csrf_of, log_in

SETTINGS = {
    "window_days": "180",
    "score_mode": "cuts",
    "r_cuts_days": "120, 60, 30, 7",
    "f_cuts": "1, 2, 4, 8",
    "m_cuts_fen": "50, 150.5, 400, 1000",
    "split_mode": "custom",
    "score_threshold": "3",
    "r_high_max_days": "60",
    "f_high_min": "2",
    "m_high_min_fen": "300",
    "recency_days": "10, 30, 60, 120, 300",
    "frequency_min": "1, 2, 4, 7, 12",
}


def test_the_segment_pages_open_for_viewers_without_manage_controls(app_client: TestClient, shop: Shop) -> None:
    # given a viewer (segments:view only)
    log_in(app_client, shop.viewer)
    pages = {path: app_client.get(path) for path in ("/segments", "/segments/stages", "/audiences", "/tags")}
    # then every page opens, in Chinese, with the navigation entries, and no manage control shows
    assert {p: r.status_code for p, r in pages.items()} == dict.fromkeys(pages, 200)
    for label in ("人群分析", "人群圈选", "标签"):
        assert label in pages["/segments"].text
    assert 'data-testid="settings-form"' not in pages["/segments"].text
    assert 'data-testid="save-form"' not in pages["/audiences"].text
    assert 'data-testid="combine-form"' not in pages["/audiences"].text
    assert 'data-testid="tag-form"' not in pages["/tags"].text
    assert "安装标准标签" not in pages["/tags"].text
    assert app_client.get("/segments/rfm/champions").status_code == 200

    # and every changing POST is refused with a friendly 403
    token = csrf_of(app_client, "/audiences")
    definition = json.dumps({"field": "orders", "op": ">=", "value": 1})
    for path, data in (
        ("/segments/settings", SETTINGS),
        ("/audiences", {"name": "x", "definition": definition}),
        ("/audiences/1/refresh", {}),
        ("/audiences/1/freeze", {}),
        ("/audiences/1/delete", {}),
        ("/audiences/combine", {"left": "s:1", "right": "s:2", "op": "union", "name": "x"}),
        ("/tags", {"name": "x", "kind": "manual"}),
        ("/tags/standard", {}),
        ("/tags/refresh", {}),
        ("/tags/1/refresh", {}),
        ("/tags/bulk", {"tag_id": "1", "accounts": "a"}),
    ):
        response = app_client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403, path
        assert "没有权限" in response.text
    # counting is reading: the viewer may use the builder's live count
    count = app_client.post("/audiences/count", data={"definition": definition}, headers={"X-CSRF-Token": token})
    assert count.status_code == 200
    assert 'data-testid="live-count"' in count.text


def test_segment_posts_need_the_csrf_token_and_a_login(app_client: TestClient, shop: Shop) -> None:
    anonymous = app_client.get("/segments", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/segments"
    log_in(app_client, shop.main)
    for path in ("/segments/settings", "/audiences/count", "/tags"):
        assert app_client.post(path, data={"name": "x"}).status_code == 403, path


def test_settings_are_saved_and_shown_back(app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/segments")
    saved = app_client.post("/segments/settings", data={**SETTINGS, "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303
    with transaction(sessions) as session:
        row = session.get(SegmentSettings, shop.shop_id)
        assert row is not None
        assert row.rfm["m_cuts_fen"] == [5_000, 15_050, 40_000, 100_000]  # yuan in the form, fen stored
        assert row.rfm["m_high_min_fen"] == 30_000
        assert row.rfm["window_days"] == 180
        assert row.stages == {"recency_days": [10, 30, 60, 120, 300], "frequency_min": [1, 2, 4, 7, 12]}
    page = app_client.get("/segments?saved=1")
    assert "设置已保存" in page.text
    assert 'value="50, 150.5, 400, 1000"' in page.text
    assert "近 180 天" in page.text


def test_invalid_settings_are_explained_in_the_readers_language(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/segments")
    bad = {**SETTINGS, "r_cuts_days": "7, 30, 60, 120", "window_days": "abc", "frequency_min": "1, 2, 3"}
    response = app_client.post("/segments/settings", data={**bad, "csrf_token": token})
    assert response.status_code == 400
    assert "R 分界点：4 个互不相同的整数天，从大到小。" in response.text
    assert "统计周期：1 到 3650 之间的整数天。" in response.text
    assert "忠诚度分界：5 个互不相同的次数" in response.text
    assert 'value="7, 30, 60, 120"' in response.text  # what was typed is kept

    app_client.cookies.set("siyu_lang", "en")
    response = app_client.post("/segments/settings", data={**bad, "csrf_token": token})
    assert "R cut points: 4 different whole numbers of days, largest first." in response.text
    assert "Some settings are not valid" in response.text


def test_the_live_count_shows_definition_errors_inline(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/audiences")

    def count(definition: str) -> str:
        response = app_client.post(
            "/audiences/count", data={"definition": definition}, headers={"X-CSRF-Token": token, "HX-Request": "true"}
        )
        assert response.status_code == 200
        return response.text

    assert "添加条件后显示人数" in count("")
    assert 'data-count="0"' in count(json.dumps({"all": [{"field": "orders", "op": ">=", "value": 1}]}))
    bad = count(json.dumps({"all": [{"field": "city", "op": "in", "values": []}]}))
    assert 'data-testid="count-error"' in bad
    assert "条件「city」不正确" in bad
    assert "不是有效的 JSON" in count("{nope")
    assert "未知字段" in count(json.dumps({"field": "shoe_size"}))


def test_saving_an_invalid_audience_keeps_the_builder(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/audiences")
    definition = json.dumps({"all": [{"field": "age", "op": ">=", "value": 200}]})
    response = app_client.post("/audiences", data={"name": "老人", "definition": definition, "csrf_token": token})
    assert response.status_code == 422
    assert "条件「age」不正确" in response.text
    assert '"value": 200' in response.text  # the definition goes back into the builder
    empty = app_client.post("/audiences", data={"name": "空", "definition": "", "csrf_token": token})
    assert empty.status_code == 422
    assert "请至少添加一个条件" in empty.text


def test_a_manual_tag_is_given_to_pasted_accounts_and_filters_the_customers(
    app_client: TestClient, shop: Shop, db: Session, sessions: sessionmaker[Session]
) -> None:
    # given three customers of the shop
    for account in ("jd_anna", "jd_bo", "jd_chen"):
        make_customer(db, shop.shop_id, account=account)
    db.commit()
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/tags")

    # when a manual tag is created and accounts are pasted (one unknown, one repeated)
    made = app_client.post(
        "/tags", data={"name": "直播间", "kind": "manual", "dimension": "custom", "csrf_token": token}
    )
    assert made.status_code == 200  # followed the redirect
    assert 'data-tag="直播间"' in made.text
    tag_id = int(re.search(r'<tr id="tag-(\d+)" data-tag="直播间"', made.text).group(1))  # type: ignore[union-attr]
    result = app_client.post(
        "/tags/bulk",
        data={"tag_id": str(tag_id), "accounts": "jd_anna\r\njd_bo, jd_nobody\njd_anna\n", "csrf_token": token},
    )
    # then two are tagged and the unknown account is reported
    assert result.status_code == 200
    assert "已为 2 位客户打上「直播间」" in result.text
    assert "共提交 3 个帐号，1 个未找到" in result.text
    assert "jd_nobody" in result.text

    # and the customer list narrows to the tag, with a banner back to the tags
    listed = app_client.get(f"/customers?tag={tag_id}")
    assert "共 2 位客户" in listed.text
    assert "正在查看带有标签「直播间」的客户" in listed.text
    assert "jd_chen" not in listed.text
    # a tag id of nobody's is a 404, not everyone
    assert app_client.get("/customers?tag=999999").status_code == 404


def test_a_rule_tag_needs_a_valid_rule(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/tags")
    base = {"name": "高频", "kind": "rule", "dimension": "frequency", "csrf_token": token}
    missing = app_client.post("/tags", data={**base, "rule": ""})
    assert missing.status_code == 422
    assert "规则标签需要填写规则" in missing.text
    wrong = app_client.post("/tags", data={**base, "rule": '{"field": "orders", "op": "~", "value": 1}'})
    assert wrong.status_code == 422
    assert "条件「orders」不正确" in wrong.text
    prefilled = app_client.get("/tags", params={"rule": '{"field":"orders","op":">=","value":5}'})
    assert "&#34;value&#34;: 5" in prefilled.text
    good = app_client.post("/tags", data={**base, "rule": '{"field": "orders", "op": ">=", "value": 5}'})
    assert good.status_code == 200
    assert 'data-tag="高频"' in good.text
    assert "规则" in good.text


def test_english_labels_on_the_segment_pages(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    app_client.cookies.set("siyu_lang", "en")
    rfm = app_client.get("/segments").text
    assert "Segment analysis" in rfm
    assert "Important value" in rfm
    assert "RFM and stage settings" in rfm
    builder = app_client.get("/audiences").text
    assert '"Add condition"' in builder
    assert "Save as audience" in builder
    assert "Install standard tags" in app_client.get("/tags").text
    stages = app_client.get("/segments/stages").text
    assert "Lifecycle stage" in stages
    assert "After-sale" in stages


def test_an_unknown_segment_is_a_friendly_404(app_client: TestClient, shop: Shop) -> None:
    log_in(app_client, shop.main)
    response = app_client.get("/segments/rfm/nobody")
    assert response.status_code == 404
    assert "未知的 RFM 分群" in response.text
