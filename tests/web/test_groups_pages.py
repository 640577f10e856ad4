"""Group chat pages (社群管理) through the ASGI app: the group list against the shop limits, creating a
group, members with search and kicking, messages with rule moderation, essentials and who may change
what."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.groups import joining, services
from siyu.groups.errors import JoinRefused
from siyu.groups.models import Group, GroupMember, GroupMilestone
from siyu.shops.models import Staff
from siyu.shops.services import principal_for_staff
from tests.factories.groups import buyer, joined, make_group
from tests.web.web_support import Shop, csrf_of, log_in, make_shop

FORM = {
    "name": "福利群 A",
    "goal": "new",
    "min_spend": "",
    "group_type": "welfare",
    "description": "每晚 20:00 限时抢购",
    "sub_groups": "10",
    "capacity": "1000",
}


def main_actor(db: Session, shop: Shop) -> Actor:
    staff = db.scalar(select(Staff).where(Staff.username == shop.main))
    assert staff is not None
    return principal_for_staff(staff).actor


def a_group(db: Session, shop: Shop, **fields: object) -> Group:
    return make_group(db, main_actor(db, shop), **fields)


def test_a_group_created_on_the_page_gets_ten_sub_groups(app_client: TestClient, shop: Shop, db: Session) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/groups")
    created = app_client.post("/groups", data={**FORM, "csrf_token": token}, follow_redirects=False)
    assert created.status_code == 303, created.text
    page = app_client.get(created.headers["location"])
    assert page.status_code == 200
    assert "群已创建" in page.text and "福利群 A" in page.text
    assert len(re.findall(r'data-sub-group="\d+"', page.text)) == 10
    assert "福利群 A 10群" in page.text and "0 / 1,000" in page.text
    group = db.scalar(select(Group).where(Group.name == "福利群 A"))
    assert group is not None
    assert f"/m/webshop/g/{group.code}" in page.text and f"/m/webshop/g/{group.code}/qr.svg" in page.text
    listing = app_client.get("/groups")
    assert 'data-stat="groups">1 / 10<' in listing.text and 'data-stat="sub_groups">10 / 100<' in listing.text
    assert "拉新" in listing.text and "福利群" in listing.text


def test_a_high_value_threshold_in_yuan_is_stored_in_exact_fen(app_client: TestClient, shop: Shop, db: Session) -> None:
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/groups")
    form = {**FORM, "goal": "high_value", "min_spend": "0.29", "csrf_token": token}
    assert app_client.post("/groups", data=form, follow_redirects=False).status_code == 303
    group = db.scalar(select(Group).where(Group.name == "福利群 A"))
    assert group is not None and group.min_spend_fen == 29  # float would give 28
    bad = app_client.post("/groups", data={**form, "name": "高价值群", "min_spend": "1.005"})
    assert bad.status_code == 400 and "最多 2 位小数" in bad.text and 'value="高价值群"' in bad.text
    missing = app_client.post("/groups", data={**form, "name": "高价值群", "min_spend": ""})
    assert missing.status_code == 422 and "高价值群需要设置大于 0 的累计消费门槛" in missing.text


def test_the_eleventh_group_is_refused_in_chinese_and_keeps_the_typed_name(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    for n in range(10):
        a_group(db, shop, name=f"群{n}")
    log_in(app_client, shop.main)
    token = csrf_of(app_client, "/groups")
    refused = app_client.post("/groups", data={**FORM, "name": "第十一个群", "csrf_token": token})
    assert refused.status_code == 422
    assert "每个店铺最多 10 个群，已达上限" in refused.text
    assert 'value="第十一个群"' in refused.text and "每晚 20:00 限时抢购" in refused.text
    assert 'data-stat="groups">10 / 10<' in refused.text and 'data-stat="fans">0 / 100,000<' in refused.text


def test_the_member_list_searches_by_name_and_phone_tail_and_shows_phones_masked(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    group = a_group(db, shop)
    joined(db, group, 1, name="张三丰", phone_masked="138****1234", phone_tail="1234")
    joined(db, group, 1, name="李四", phone_masked="139****5678", phone_tail="5678")
    log_in(app_client, shop.main)
    everyone = app_client.get(f"/groups/{group.id}/members")
    assert "共 2 位群成员" in everyone.text and "138****1234" in everyone.text
    by_name = app_client.get(f"/groups/{group.id}/members", params={"q": "张三"})
    assert "张三丰" in by_name.text and "李四" not in by_name.text and "共 1 位群成员" in by_name.text
    by_tail = app_client.get(f"/groups/{group.id}/members", params={"q": "5678"})
    assert "李四" in by_tail.text and "张三丰" not in by_tail.text


def test_members_kicked_from_the_page_are_out_and_can_never_rejoin(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    group = a_group(db, shop)
    first, second, stays = joined(db, group, 3)
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}/members")
    kicked = app_client.post(
        f"/groups/{group.id}/kick", data={"customer_id": [str(first.id), str(second.id)], "csrf_token": token}
    )
    assert kicked.status_code == 200 and "已移出所选成员" in kicked.text
    assert "共 1 位群成员" in kicked.text and f'data-member="{stays.id}"' in kicked.text
    out = app_client.get(f"/groups/{group.id}/members", params={"status": "kicked"})
    assert f'data-member="{first.id}"' in out.text and f'data-member="{second.id}"' in out.text
    for customer in (first, second):
        with pytest.raises(JoinRefused) as refused:
            joining.join_group(db, by=buyer(shop.shop_id, customer.id), group_id=group.id, customer_id=customer.id)
        assert refused.value.code == "group_kicked"


def test_kicking_eleven_at_once_is_refused_and_nobody_is_removed(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    group = a_group(db, shop)
    members = joined(db, group, 11)
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}/members")
    ids = [str(m.id) for m in members]
    refused = app_client.post(f"/groups/{group.id}/kick", data={"customer_id": ids, "csrf_token": token})
    assert refused.status_code == 422 and "一次最多移出 10 人" in refused.text
    assert refused.text.count("checked data-kick=") == 11  # the choice is kept
    statuses = set(db.scalars(select(GroupMember.status).where(GroupMember.group_id == group.id)))
    assert statuses == {"active"}


def test_a_viewer_sees_every_group_page_but_every_change_is_forbidden(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    group = a_group(db, shop)
    (member,) = joined(db, group, 1)
    post = services.publish_post(db, by=main_actor(db, shop), group_id=group.id, kind="message", text="欢迎")
    db.flush()
    log_in(app_client, shop.viewer)
    for tab in ("", "/members", "/posts", "/essentials", "/rules"):
        page = app_client.get(f"/groups/{group.id}{tab}")
        assert page.status_code == 200, tab
        assert 'data-testid="kick"' not in page.text and 'data-testid="rule-form"' not in page.text
    assert app_client.get("/groups").status_code == 200
    token = csrf_of(app_client, f"/groups/{group.id}")
    sub = services.sub_groups_of(db, group.id)[0]
    posts = {
        "/groups": FORM,
        f"/groups/{group.id}/edit": FORM,
        f"/groups/{group.id}/status": {"status": "closed"},
        f"/groups/{group.id}/admins": {"sub_group_id": str(sub.id)},
        f"/groups/{group.id}/kick": {"customer_id": str(member.id)},
        f"/groups/{group.id}/kol": {"kol": f"{member.id}:1"},
        f"/groups/{group.id}/posts": {"text": "你好"},
        f"/groups/{group.id}/posts/{post.id}/remove": {},
        f"/groups/{group.id}/essentials": {"kind": "essential", "text": "通知"},
        f"/groups/{group.id}/rules": {"kind": "ad", "action": "remove"},
        f"/groups/{group.id}/hosts": {"hosts": "jd.com"},
    }
    for url, data in posts.items():
        assert app_client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert db.scalar(select(GroupMember.status).where(GroupMember.customer_id == member.id)) == "active"


def test_a_rule_added_on_the_page_removes_a_matching_post_with_the_reason_shown(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    group = a_group(db, shop)
    (member,) = joined(db, group, 1)
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}/rules")
    added = app_client.post(
        f"/groups/{group.id}/rules",
        data={"kind": "keyword", "pattern": "加微信", "action": "remove", "csrf_token": token},
    )
    assert added.status_code == 200 and "规则已添加" in added.text and "加微信" in added.text
    punctuation = app_client.post(
        f"/groups/{group.id}/rules", data={"kind": "keyword", "pattern": "!!!", "action": "kick", "csrf_token": token}
    )
    assert punctuation.status_code == 422 and "关键词不能为空" in punctuation.text and 'value="!!!"' in punctuation.text
    posted = services.post_message(
        db, by=buyer(shop.shop_id, member.id), group_id=group.id, customer_id=member.id, text="加 微 信 领红包"
    )
    services.post_message(db, by=buyer(shop.shop_id, member.id), group_id=group.id, customer_id=member.id, text="好的")
    db.flush()
    assert posted.post.status == "removed"
    page = app_client.get(f"/groups/{group.id}/posts")
    assert f'data-post="{posted.post.id}" data-post-status="removed"' in page.text
    assert 'data-removed="keyword">已删除 · 违规关键词<' in page.text and "“加 微 信”" in page.text
    removed_only = app_client.get(f"/groups/{group.id}/posts", params={"show": "removed"})
    assert "加 微 信 领红包" in removed_only.text and "好的" not in removed_only.text


def test_a_staff_answer_and_a_staff_removal_show_in_the_messages(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    group = a_group(db, shop)
    (member,) = joined(db, group, 1)
    posted = services.post_message(
        db, by=buyer(shop.shop_id, member.id), group_id=group.id, customer_id=member.id, text="什么时候发货"
    )
    db.flush()
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}/posts")
    empty = app_client.post(f"/groups/{group.id}/posts", data={"text": "  ", "csrf_token": token})
    assert empty.status_code == 422 and "内容不能为空" in empty.text
    answered = app_client.post(f"/groups/{group.id}/posts", data={"text": "今天下午发货", "csrf_token": token})
    assert "消息已发送" in answered.text and "今天下午发货" in answered.text
    removed = app_client.post(
        f"/groups/{group.id}/posts/{posted.post.id}/remove", data={"back": "posts", "csrf_token": token}
    )
    assert 'data-removed="staff">已删除 · 客服删除<' in removed.text


def test_essentials_with_at_all_and_the_other_pinned_kinds_show(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    group = a_group(db, shop)
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}/essentials")
    url = f"/groups/{group.id}/essentials"
    pinned = app_client.post(
        url,
        data={
            "kind": "essential",
            "title": "双11 预告",
            "text": "11 日 0 点开抢",
            "at_all": "yes",
            "csrf_token": token,
        },
    )
    assert "已发布" in pinned.text
    app_client.post(url, data={"kind": "faq", "title": "多久发货？", "text": "48 小时内", "csrf_token": token})
    app_client.post(url, data={"kind": "note", "title": "每天 20:00", "text": "限时抢购", "csrf_token": token})
    page = app_client.post(url, data={"kind": "rule", "text": "禁止发广告", "csrf_token": token})
    found = services.pinned_posts(db, group_id=group.id)
    essential = found["essential"][0]
    assert essential.at_all
    assert f'data-at-all="{essential.id}">@所有人<' in page.text
    for text in ("双11 预告", "多久发货？", "48 小时内", "每天 20:00", "禁止发广告"):
        assert text in page.text
    refused = app_client.post(url, data={"kind": "faq", "title": "问题" * 40, "text": "答", "csrf_token": token})
    assert refused.status_code == 422 and "标题最多 60 个字" in refused.text and "问题问题" in refused.text


def test_sub_group_admins_are_set_by_the_owner_on_the_overview(app_client: TestClient, shop: Shop, db: Session) -> None:
    group = a_group(db, shop)
    viewer = db.scalar(select(Staff).where(Staff.username == shop.viewer))
    assert viewer is not None
    sub = services.sub_groups_of(db, group.id)[0]
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}")
    saved = app_client.post(
        f"/groups/{group.id}/admins",
        data={"sub_group_id": str(sub.id), "staff_id": str(viewer.id), "csrf_token": token},
    )
    assert "子群管理员已保存" in saved.text
    assert services.may_manage(db, principal_for_staff(viewer).actor, sub.id)


def test_an_admin_of_a_sub_group_may_kick_there_from_the_page(app_client: TestClient, shop: Shop, db: Session) -> None:
    group = a_group(db, shop, capacity=1, sub_groups=2)
    first, second = joined(db, group, 2)  # one in each sub-group
    viewer = db.scalar(select(Staff).where(Staff.username == shop.viewer))
    assert viewer is not None
    subs = services.sub_groups_of(db, group.id)
    services.set_admins(db, by=main_actor(db, shop), sub_group_id=subs[0].id, staff_ids=[viewer.id])
    db.flush()
    log_in(app_client, shop.viewer)
    token = csrf_of(app_client, f"/groups/{group.id}/members")
    other = app_client.post(f"/groups/{group.id}/kick", data={"customer_id": str(second.id), "csrf_token": token})
    assert other.status_code == 403 and "只有群主或该子群的管理员可以这样做" in other.text
    own = app_client.post(f"/groups/{group.id}/kick", data={"customer_id": str(first.id), "csrf_token": token})
    assert own.status_code == 200 and "已移出所选成员" in own.text


def test_closing_and_editing_a_group_from_the_overview(app_client: TestClient, shop: Shop, db: Session) -> None:
    group = a_group(db, shop)
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}")
    closed = app_client.post(f"/groups/{group.id}/status", data={"status": "closed", "csrf_token": token})
    assert "群已关闭" in closed.text and 'data-group-status="closed">已关闭<' in closed.text
    edited = app_client.post(f"/groups/{group.id}/edit", data={**FORM, "name": "", "goal": "fans", "csrf_token": token})
    assert edited.status_code == 422 and "群名称必填" in edited.text
    saved = app_client.post(
        f"/groups/{group.id}/edit", data={**FORM, "name": "粉丝群", "goal": "fans", "csrf_token": token}
    )
    assert "修改已保存" in saved.text and "拉粉丝" in saved.text


def test_hosts_saved_on_the_rules_page_let_their_links_through(app_client: TestClient, shop: Shop, db: Session) -> None:
    group = a_group(db, shop)
    (member,) = joined(db, group, 1)
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}/rules")
    app_client.post(f"/groups/{group.id}/rules", data={"kind": "link", "action": "remove", "csrf_token": token})
    saved = app_client.post(f"/groups/{group.id}/hosts", data={"hosts": "jd.com\nexample.com", "csrf_token": token})
    assert "允许的链接域名已保存" in saved.text and "example.com" in saved.text
    db.expire_all()  # the page changed the group in its own session
    by = buyer(shop.shop_id, member.id)
    fine = services.post_message(db, by=by, group_id=group.id, customer_id=member.id, text="看 https://example.com/a")
    bad = services.post_message(db, by=by, group_id=group.id, customer_id=member.id, text="看 https://evil.cn/a")
    assert fine.post.status == "visible" and bad.post.status == "removed"


def test_the_group_pages_speak_english_when_asked(app_client: TestClient, shop: Shop, db: Session) -> None:
    group = a_group(db, shop)
    joined(db, group, 1)
    log_in(app_client, shop.main)
    app_client.get(f"/lang/en?next=/groups/{group.id}")
    listing = app_client.get("/groups")
    assert "New group" in listing.text and "acquire new buyers" in listing.text and "welfare group" in listing.text
    overview = app_client.get(f"/groups/{group.id}")
    assert "Sub-group admins" in overview.text and 'data-group-status="active">Open<' in overview.text
    members = app_client.get(f"/groups/{group.id}/members")
    assert "Remove from group" in members.text and 'data-member-status="active">In the group<' in members.text
    essentials = app_client.get(f"/groups/{group.id}/essentials")
    assert "Daily activity notes" in essentials.text and "FAQ" in essentials.text
    rules = app_client.get(f"/groups/{group.id}/rules")
    assert "Allowed link hosts" in rules.text and "Outside link" in rules.text


def test_another_shops_group_looks_missing(
    app_client: TestClient, shop: Shop, db: Session, sessions: sessionmaker[Session]
) -> None:
    other = make_shop(sessions, "othershop")
    with sessions() as session:
        staff = session.scalar(select(Staff).where(Staff.username == other.main))
        assert staff is not None
        foreign = make_group(session, principal_for_staff(staff).actor, name="别家的群")
        session.commit()
    log_in(app_client, shop.main)
    for tab in ("", "/members", "/posts", "/essentials", "/rules"):
        assert app_client.get(f"/groups/{foreign.id}{tab}").status_code == 404, tab
    token = csrf_of(app_client, "/groups")
    kicked = app_client.post(f"/groups/{foreign.id}/kick", data={"customer_id": "1", "csrf_token": token})
    assert kicked.status_code == 404
    assert "别家的群" not in app_client.get("/groups").text


def test_the_overview_gives_the_snippet_of_the_embeddable_group_module(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    group = a_group(db, shop)
    log_in(app_client, shop.main)
    page = app_client.get(f"/groups/{group.id}").text
    assert "店铺页面群组件" in page and 'data-testid="embed-preview"' in page
    snippet = html.unescape(page.split('data-testid="embed-snippet">', 1)[1].split("</textarea>", 1)[0])
    assert snippet.startswith(f'<iframe src="http://testserver/m/webshop/g/{group.code}/embed"')
    assert 'loading="lazy"' in snippet and snippet.endswith("</iframe>")


def test_milestones_are_added_shown_and_deleted_on_the_overview(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    group = a_group(db, shop)
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}")
    form = {"members": "1", "action": "red_packet", "text": "首位成员，红包雨！", "budget": "2.00", "packets": "2"}
    added = app_client.post(f"/groups/{group.id}/milestones", data={**form, "csrf_token": token})
    assert "里程碑已添加" in added.text and "¥2.00，2 个红包" in added.text and "未达成" in added.text
    bad = app_client.post(f"/groups/{group.id}/milestones", data={**form, "members": "很多", "csrf_token": token})
    assert (
        bad.status_code == 422
        and "人数、红包金额和个数须是数字" in bad.text
        and 'value="首位成员，红包雨！"' in bad.text
    )
    again = app_client.post(
        f"/groups/{group.id}/milestones", data={**form, "members": "3", "text": "三人", "csrf_token": token}
    )
    assert "里程碑已添加" in again.text
    pending = db.scalar(select(GroupMilestone.id).where(GroupMilestone.members == 3))
    deleted = app_client.post(f"/groups/{group.id}/milestones/{pending}/delete", data={"csrf_token": token})
    assert "里程碑已删除" in deleted.text and 'data-milestone="3"' not in deleted.text

    joined(db, group, 1)
    page = app_client.get(f"/groups/{group.id}").text
    assert "已于" in page and "红包雨已开始" in page


def test_a_card_is_posted_from_the_messages_tab_and_a_bad_price_keeps_the_form(
    app_client: TestClient, shop: Shop, db: Session
) -> None:
    group = a_group(db, shop)
    log_in(app_client, shop.main)
    token = csrf_of(app_client, f"/groups/{group.id}/posts")
    form = {"kind": "new_arrival", "name": "冲牙器", "price": "二百", "list_price": "", "image_url": "", "text": ""}
    bad = app_client.post(f"/groups/{group.id}/cards", data={**form, "csrf_token": token})
    assert bad.status_code == 422 and "请填写正确的价格" in bad.text and 'value="冲牙器"' in bad.text
    posted = app_client.post(f"/groups/{group.id}/cards", data={**form, "price": "199", "csrf_token": token})
    assert "卡片已发布" in posted.text and "【新品上架】冲牙器 ¥199.00" in posted.text
    assert 'data-testid="recent-cards"' in posted.text and "新品上架" in posted.text
