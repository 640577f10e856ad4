"""The buyer's group page (H5) through the ASGI app: the signed entry link, joining in sub-group order,
entry thresholds, the chat and its polling, moderation told to the poster, check-in, the group-only
flash-sale price, red packets, coupons, guessing, and one shop never seeing another's group."""

from __future__ import annotations

import html
import re
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.config import get_settings
from siyu.customers.models import Customer
from siyu.db import transaction, utcnow
from siyu.groups import activities, cards, joining, services
from siyu.groups.activities import ActivitySpec, FlashItemSpec
from siyu.groups.models import Group, GroupActivity
from siyu.shops.models import Shop as ShopRow
from siyu.web.i18n_h5 import H5_CATALOG
from siyu.web.views import h5_groups
from siyu.web.views.h5_groups import entry_is_valid, entry_signature, signed_entry_url
from tests.factories.customers import make_customer
from tests.factories.groups import make_group
from tests.factories.promotions import make_template
from tests.web.web_support import Shop, make_shop

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LAST = re.compile(r'data-last-id="(\d+)"')


def owner(shop: Shop) -> Actor:
    """The shop acting through its API token: the owner of every group."""
    return Actor(shop.shop_id, "token", None, "test")


def shop_row(sessions: sessionmaker[Session], shop: Shop) -> ShopRow:
    with transaction(sessions) as session:
        return session.get_one(ShopRow, shop.shop_id)


def new_group(sessions: sessionmaker[Session], shop: Shop, **fields: object) -> Group:
    with transaction(sessions) as session:
        return make_group(session, owner(shop), **fields)


def page_of(group: Group) -> str:
    return f"/m/webshop/g/{group.code}"


def enter(client: TestClient, sessions: sessionmaker[Session], shop: Shop, group: Group, pin: str) -> None:
    """Sign in as the JD account ``pin`` through the signed entry link (a fresh buyer session)."""
    client.cookies.clear()
    response = client.get(signed_entry_url(shop_row(sessions, shop), group.code, pin), follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == page_of(group)


def csrf(client: TestClient, path: str) -> str:
    match = _CSRF.search(client.get(path).text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def act(client: TestClient, group: Group, action: str, **data: str) -> Response:
    """POST an action of the group page and follow the redirect back to it."""
    token = csrf(client, "/m/webshop/join")  # the session's token, from a page that always has a form
    return client.post(f"{page_of(group)}/{action}", data={"csrf_token": token, **data})


def flash(page: str) -> str:
    match = re.search(r'data-testid="flash">([^<]*)<', page)
    assert match, "no flash message"
    return html.unescape(match.group(1))


def customer_id(sessions: sessionmaker[Session], shop: Shop, account: str) -> int:
    with transaction(sessions) as session:
        return session.scalars(
            select(Customer.id).where(Customer.shop_id == shop.shop_id, Customer.account == account)
        ).one()


def running(hours: int = 2) -> tuple[object, object]:
    now = utcnow()
    return now - timedelta(minutes=30), now + timedelta(hours=hours)


def flash_sale(sessions: sessionmaker[Session], shop: Shop, group: Group, stock: int = 1) -> int:
    starts, ends = running()
    spec = ActivitySpec(
        kind="flash_sale",
        name="周五秒杀",
        starts_at=starts,  # type: ignore[arg-type]
        ends_at=ends,  # type: ignore[arg-type]
        items=[FlashItemSpec(sku="100001", name="保温杯", list_price_fen=19_900, price_fen=12_900, stock=stock)],
    )
    with transaction(sessions) as session:
        return activities.create_activity(session, by=owner(shop), group_id=group.id, spec=spec).id


# ---- entering ------------------------------------------------------------------------------------------
def test_a_signed_link_signs_the_buyer_in_and_a_bad_or_expired_one_is_refused(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    row = shop_row(sessions, shop)
    now = int(time.time())
    bad = [
        f"{page_of(group)}?pin=jd_li&ts={now}&sig={'0' * 64}",  # forged
        signed_entry_url(row, group.code, "jd_li", now=now - 601),  # expired
        signed_entry_url(row, group.code, "jd_li", now=now + 3600),  # from the future
        signed_entry_url(row, group.code, "jd_li", now=now).replace("pin=jd_li", "pin=jd_wang"),  # another pin
        f"{page_of(group)}?pin=jd_li&ts=abc&sig=xyz",
    ]
    for url in bad:
        refused = app_client.get(url, follow_redirects=False)
        assert refused.status_code == 403, url
        assert "入群链接已过期或无效" in refused.text
    with transaction(sessions) as session:
        assert session.scalar(select(Customer).where(Customer.account.in_(["jd_li", "jd_wang"]))) is None

    # a good one creates the customer, signs them in and drops the signature from the address
    good = app_client.get(signed_entry_url(row, group.code, "jd_li"), follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == page_of(group)
    page = app_client.get(page_of(group)).text
    assert 'data-testid="join"' in page and "你符合入群条件" in page
    with transaction(sessions) as session:
        customer = session.scalars(select(Customer).where(Customer.account == "jd_li")).one()
        assert customer.shop_id == shop.shop_id and customer.source_channel == "group"

    # the helper other code calls agrees with the page
    assert entry_is_valid(shop.shop_id, "jd_li", str(now), entry_signature(shop.shop_id, "jd_li", now), now=now)
    assert not entry_is_valid(shop.shop_id + 1, "jd_li", str(now), entry_signature(shop.shop_id, "jd_li", now))


def test_without_a_buyer_session_the_page_explains_how_to_enter(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    group = new_group(sessions, shop, description="每周五晚 8 点秒杀")
    page = app_client.get(page_of(group))
    assert page.status_code == 200
    assert "福利群" in page.text and "每周五晚 8 点秒杀" in page.text and "任何人可进群" in page.text
    assert "请从京东 App 的消息中心" in page.text
    assert "以京东账号进入（演示）" in page.text and 'data-testid="join"' not in page.text

    # the demo form signs in by JD account (test environment)
    token = _CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    entered = app_client.post(f"{page_of(group)}/enter", data={"csrf_token": token, "account": "jd_demo"})
    assert 'data-testid="join"' in entered.text
    assert customer_id(sessions, shop, "jd_demo")

    # outside dev and test there is no demo form, and posting it finds nothing
    app_client.cookies.clear()
    monkeypatch.setattr(get_settings(), "env", "prod")
    page = app_client.get(page_of(group))
    assert "以京东账号进入（演示）" not in page.text and "请从京东 App 的消息中心" in page.text
    token = _CSRF.search(page.text)
    assert token is None
    assert app_client.post(f"{page_of(group)}/enter", data={"account": "jd_x"}).status_code == 404


def test_a_member_signed_into_the_membership_pages_is_the_same_buyer(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop, goal="members")
    token = csrf(app_client, "/m/webshop/join")
    joined = app_client.post(
        "/m/webshop/join",
        data={"phone": "13812348000", "name": "王小明", "account": "jd_wxm", "consent": "yes", "csrf_token": token},
        follow_redirects=False,
    )
    assert joined.status_code == 303
    page = app_client.get(page_of(group)).text
    assert "开卡会员才可进群" in page and 'data-testid="join"' in page
    done = act(app_client, group, "join")
    assert flash(done.text) == "入群成功！你在「福利群 1群」"


# ---- joining -------------------------------------------------------------------------------------------
def test_joins_land_in_sub_group_one_then_two_and_then_the_group_is_full(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop, sub_groups=2, capacity=1)
    for pin, sub in (("jd_a", "福利群 1群"), ("jd_b", "福利群 2群")):
        enter(app_client, sessions, shop, group, pin)
        page = act(app_client, group, "join").text
        assert flash(page) == f"入群成功！你在「{sub}」"
        assert re.search(rf'data-testid="sub-group">我的子群：<strong>{sub}</strong>', page)
        assert 'data-testid="post-form"' in page

    enter(app_client, sessions, shop, group, "jd_c")
    page = app_client.get(page_of(group)).text
    assert "所有子群都已满员" in page and 'data-testid="join"' not in page
    refused = act(app_client, group, "join").text
    assert flash(refused) == "群已满员：所有子群都已满，请稍后再试"
    with transaction(sessions) as session:
        assert [s.member_count for s in services.sub_groups_of(session, group.id)] == [1, 1]


def test_a_fans_only_group_shows_the_reason_and_no_join_button(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop, goal="fans")
    enter(app_client, sessions, shop, group, "jd_stranger")
    page = app_client.get(page_of(group)).text
    assert "关注店铺才可进群" in page
    assert 'data-testid="refusal">关注店铺后才可进群<' in page
    assert 'data-testid="join"' not in page
    assert flash(act(app_client, group, "join").text) == "关注店铺后才可进群"

    with transaction(sessions) as session:
        make_customer(session, shop.shop_id, account="jd_fan", follows_shop=True)
    enter(app_client, sessions, shop, group, "jd_fan")
    assert 'data-testid="join"' in app_client.get(page_of(group)).text


def test_leaving_frees_the_seat_and_the_buyer_may_join_again(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop, sub_groups=1, capacity=1)
    enter(app_client, sessions, shop, group, "jd_a")
    act(app_client, group, "join")
    left = act(app_client, group, "leave").text
    assert flash(left) == "已退出该群，欢迎随时回来"
    assert "重新入群" in left and 'data-testid="post-form"' not in left
    enter(app_client, sessions, shop, group, "jd_b")
    assert flash(act(app_client, group, "join").text) == "入群成功！你在「福利群 1群」"


# ---- the chat ------------------------------------------------------------------------------------------
def test_a_post_shows_in_the_chat_and_a_poll_returns_only_newer_messages(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    with transaction(sessions) as session:
        other = make_customer(session, shop.shop_id, account="jd_other_zq", name="")
        joining.join_group(session, by=owner(shop), group_id=group.id, customer_id=other.id)
    enter(app_client, sessions, shop, group, "jd_me")
    act(app_client, group, "join")
    page = act(app_client, group, "post", text="大家好，我的电话 13812345678").text
    assert "大家好，我的电话 138****5678" in page and "13812345678" not in page
    assert re.search(r'h5-msg-mine" data-id="\d+"', page)  # own messages on the right
    first = int(_LAST.search(page).group(1))  # type: ignore[union-attr]

    # nothing new: 204 and no body, so the page changes nothing
    quiet = app_client.get(f"{page_of(group)}/messages", params={"after": first})
    assert quiet.status_code == 204 and quiet.content == b""

    with transaction(sessions) as session:
        services.post_message(session, by=owner(shop), group_id=group.id, customer_id=other.id, text="欢迎新朋友")
        services.publish_post(
            session, by=owner(shop), group_id=group.id, kind="message", text="今晚 8 点秒杀", at_all=True
        )
    new = app_client.get(f"{page_of(group)}/messages", params={"after": first})
    assert new.status_code == 200
    assert "欢迎新朋友" in new.text and "今晚 8 点秒杀" in new.text and "大家好" not in new.text
    assert "群成员zq" in new.text and "jd_other_zq" not in new.text  # never another member's account
    assert "店铺客服" in new.text and "官方" in new.text and "@所有人" in new.text
    assert 'hx-swap-oob="true"' in new.text  # the poller moves on to the newest id
    newest = int(_LAST.search(new.text).group(1))  # type: ignore[union-attr]
    assert newest > first
    assert app_client.get(f"{page_of(group)}/messages", params={"after": newest}).status_code == 204

    # a member kicked while reading: polling stops and the page reloads to say why
    with transaction(sessions) as session:
        services.kick_members(session, by=owner(shop), group_id=group.id, customer_ids=[other.id])
    enter(app_client, sessions, shop, group, other.account)
    gone = app_client.get(f"{page_of(group)}/messages", params={"after": newest})
    assert gone.status_code == 286 and gone.headers["hx-refresh"] == "true"
    assert "你已被移出该群" in app_client.get(page_of(group)).text

    # someone never in the group is told to stop polling
    enter(app_client, sessions, shop, group, "jd_outsider")
    outsider = app_client.get(f"{page_of(group)}/messages", params={"after": 0})
    assert outsider.status_code == 286 and "hx-refresh" not in outsider.headers


def test_an_htmx_post_stays_on_the_page_and_asks_for_a_refresh(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    enter(app_client, sessions, shop, group, "jd_me")
    act(app_client, group, "join")
    token = csrf(app_client, page_of(group))
    sent = app_client.post(
        f"{page_of(group)}/post", data={"csrf_token": token, "text": "在吗"}, headers={"HX-Request": "true"}
    )
    assert sent.status_code == 200 and sent.headers["HX-Trigger"] == "chat-refresh"
    assert 'id="chat-status"' in sent.text and "<html" not in sent.text
    empty = app_client.post(
        f"{page_of(group)}/post", data={"csrf_token": token, "text": "  "}, headers={"HX-Request": "true"}
    )
    assert "消息不能为空" in empty.text


def test_an_ad_post_is_removed_and_the_poster_told(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    with transaction(sessions) as session:
        services.add_rule(session, by=owner(shop), kind="ad", action="remove")
        services.add_rule(session, by=owner(shop), kind="keyword", pattern="傻瓜", action="warn")
    enter(app_client, sessions, shop, group, "jd_me")
    act(app_client, group, "join")
    page = act(app_client, group, "post", text="兼职刷单日赚300 加 微 信 abc123").text
    assert flash(page) == "你的消息含有广告，违反群规，已被删除"
    assert "兼职刷单" not in page
    warned = act(app_client, group, "post", text="你这个傻瓜").text
    assert flash(warned) == "你的消息已发出，但含有违禁词，违反群规，请注意（警告）"
    assert "你这个傻瓜" in warned


def test_a_kick_rule_removes_the_poster_from_the_group(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    with transaction(sessions) as session:
        services.add_rule(session, by=owner(shop), kind="link", action="kick")
    enter(app_client, sessions, shop, group, "jd_me")
    act(app_client, group, "join")
    page = act(app_client, group, "post", text="便宜货 http://evil.example.cn/x").text
    assert flash(page) == "你的消息含有外部链接，违反群规，已被删除，你已被移出本群"
    assert 'data-testid="post-form"' not in page and "你已被移出该群，不能再次加入" in page


def test_pinned_essentials_faq_notes_and_rules_are_shown(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    with transaction(sessions) as session:
        for kind, title, text, at_all in (
            ("essential", "双11 攻略", "0 点开抢，叠加群券", True),
            ("faq", "怎么领券？", "点群活动里的领取", False),
            ("note", "每日 20:30", "整点红包雨", False),
            ("rule", "", "禁止发广告和外链", False),
        ):
            services.publish_post(
                session, by=owner(shop), group_id=group.id, kind=kind, title=title, text=text, at_all=at_all
            )
    enter(app_client, sessions, shop, group, "jd_me")
    outside = app_client.get(page_of(group)).text
    assert "禁止发广告和外链" in outside and "怎么领券？" in outside and "0 点开抢" not in outside
    page = act(app_client, group, "join").text
    for text in ("群精华", "常见问题", "每日活动", "群规", "双11 攻略", "怎么领券？", "整点红包雨", "禁止发广告和外链"):
        assert text in page
    assert 'class="h5-pin h5-pin-all"' in page and 'data-testid="notice"' in page


# ---- check-in and activities ---------------------------------------------------------------------------
def test_check_in_twice_the_second_is_refused_in_chinese(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    enter(app_client, sessions, shop, group, "jd_me")
    act(app_client, group, "join")
    page = act(app_client, group, "checkin").text
    assert flash(page) == "签到成功！已连续签到 1 天，成长值 +10"
    assert 'data-streak="1"' in page and 'data-growth="10"' in page
    assert page.count('data-done="yes"') == 1 and page.count('data-done="no"') == 6
    assert "新人" in page and "再得 90 成长值升级为「活跃成员」" in page
    again = act(app_client, group, "checkin").text
    assert flash(again) == "今天已经签到过了"


def test_the_flash_sale_price_is_for_members_only_and_the_last_unit_sells_once(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    activity = flash_sale(sessions, shop, group, stock=1)
    enter(app_client, sessions, shop, group, "jd_a")
    outside = app_client.get(page_of(group)).text
    assert "保温杯" in outside and "入群可见" in outside and "¥129.00" not in outside and "buy-" not in outside

    page = act(app_client, group, "join").text
    assert "¥129.00" in page and "¥199.00" in page and "入群可见" not in page
    item = int(re.search(r'data-testid="buy-(\d+)"', page).group(1))  # type: ignore[union-attr]
    bought = act(app_client, group, f"a/{activity}/buy/{item}").text
    assert flash(bought) == "抢到了！「保温杯」群专享价 ¥129.00"
    assert f'data-testid="buy-{item}">已抢到<' in bought

    enter(app_client, sessions, shop, group, "jd_b")
    act(app_client, group, "join")
    late = act(app_client, group, f"a/{activity}/buy/{item}").text
    assert flash(late) == "已抢光"
    assert f'disabled data-testid="buy-{item}">已抢光<' in late


def test_a_red_packet_is_grabbed_once_per_round(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    starts, ends = running()
    spec = ActivitySpec(
        kind="red_packet",
        name="整点红包雨",
        starts_at=starts,  # type: ignore[arg-type]
        ends_at=ends,  # type: ignore[arg-type]
        budget_fen=100,
        packets=2,
        rounds=2,
    )
    with transaction(sessions) as session:
        activity = activities.create_activity(session, by=owner(shop), group_id=group.id, spec=spec).id
    enter(app_client, sessions, shop, group, "jd_a")
    act(app_client, group, "join")
    got = act(app_client, group, f"a/{activity}/grab").text
    assert flash(got).startswith("恭喜抢到红包 ¥")
    amount = flash(got).removeprefix("恭喜抢到红包 ").removesuffix("！")
    assert f'data-testid="packet-got">抢到 {amount}<' in got
    again = act(app_client, group, f"a/{activity}/grab").text
    assert flash(again) == f"本轮你已抢到 {amount}，每轮限抢 1 个"

    enter(app_client, sessions, shop, group, "jd_b")
    act(app_client, group, "join")
    act(app_client, group, f"a/{activity}/grab")
    enter(app_client, sessions, shop, group, "jd_c")
    page = act(app_client, group, "join").text
    assert 'data-testid="grab">已抢完<' in page
    assert flash(act(app_client, group, f"a/{activity}/grab").text) == "本轮红包已被抢完"

    # the next round opens: the first buyer may grab once more
    with transaction(sessions) as session:
        activities.open_round(session, by=owner(shop), activity_id=activity)
    enter(app_client, sessions, shop, group, "jd_a")
    assert flash(act(app_client, group, f"a/{activity}/grab").text).startswith("恭喜抢到红包 ¥")


def test_a_group_coupon_is_claimed_once_and_a_guess_is_made_once(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    now = utcnow()
    starts, ends = running()
    with transaction(sessions) as session:
        template = make_template(
            session,
            owner(shop),
            name="群专享满100减20",
            claim_start=now - timedelta(days=1),
            claim_end=now + timedelta(days=30),
            use_end=now + timedelta(days=60),
        )
        coupon = activities.create_activity(
            session,
            by=owner(shop),
            group_id=group.id,
            spec=ActivitySpec(
                kind="coupon",
                name="群券",
                starts_at=starts,  # type: ignore[arg-type]
                ends_at=ends,  # type: ignore[arg-type]
                coupon_template_id=template.id,
            ),
        ).id
        guess = activities.create_activity(
            session,
            by=owner(shop),
            group_id=group.id,
            spec=ActivitySpec(
                kind="guess",
                name="猜价格",
                starts_at=starts,  # type: ignore[arg-type]
                ends_at=ends,  # type: ignore[arg-type]
                guess_name="电动牙刷",
                guess_price_fen=29_900,
                guess_tolerance_pct=5,
            ),
        ).id
    enter(app_client, sessions, shop, group, "jd_a")
    page = act(app_client, group, "join").text
    assert "群专享满100减20" in page and "猜猜「电动牙刷」的价格" in page
    claimed = act(app_client, group, f"a/{coupon}/claim").text
    assert flash(claimed) == "领取成功：「群专享满100减20」已放入你的券包"
    assert 'data-testid="claim">已领取<' in claimed
    assert flash(act(app_client, group, f"a/{coupon}/claim").text) == "你已领取过该群优惠券"

    assert flash(act(app_client, group, f"a/{guess}/guess", price="abc").text) == "请填写价格，例如 59.90"
    right = act(app_client, group, f"a/{guess}/guess", price="¥300").text
    assert flash(right) == "猜中了！"
    assert "你猜 ¥300.00，猜中了！" in right
    assert flash(act(app_client, group, f"a/{guess}/guess", price="100").text) == "每人只能猜一次"
    assert "猜价格揭晓" not in right and "¥299.00" not in right  # the answer stays secret while it runs

    # once it ended, the page reveals the right price, how many guessed it and the member's own guess
    with transaction(sessions) as session:
        ended = session.get_one(GroupActivity, guess)
        ended.starts_at, ended.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
    page = app_client.get(page_of(group)).text
    answer = page.split('data-testid="answers"', 1)[1].split("</ul>", 1)[0]
    assert "电动牙刷" in answer and 'data-testid="answer-price">¥299.00<' in answer
    assert "1 人猜中" in answer and "你猜 ¥300.00" in answer and "猜中了" in answer


def test_a_non_member_cannot_act_and_a_forged_post_is_refused(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    activity = flash_sale(sessions, shop, group)
    enter(app_client, sessions, shop, group, "jd_a")
    assert flash(act(app_client, group, "checkin").text) == "请先加入该群"
    assert flash(act(app_client, group, "post", text="你好").text) == "请先加入该群"
    assert flash(act(app_client, group, f"a/{activity}/buy/1").text) == "请先加入该群"
    forged = app_client.post(f"{page_of(group)}/join", data={"csrf_token": "nope"})
    assert forged.status_code == 403 and "页面已过期" in forged.text


# ---- shops never share groups --------------------------------------------------------------------------
def test_another_shops_group_code_is_not_found(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    other = make_shop(sessions, "othershop")
    theirs = new_group(sessions, other, name="别家的群")
    activity = flash_sale(sessions, other, theirs)
    mine = new_group(sessions, shop)
    missing = app_client.get(f"/m/webshop/g/{theirs.code}")
    assert missing.status_code == 404 and "该群不存在" in missing.text and "别家的群" not in missing.text
    assert app_client.get(f"/m/webshop/g/{theirs.code}/qr.svg").status_code == 404
    assert app_client.get(f"/m/webshop/g/{theirs.code}/messages").status_code == 404
    assert app_client.get(f"/m/nosuchshop/g/{mine.code}").status_code == 404
    assert app_client.get(f"/m/othershop/g/{theirs.code}").status_code == 200

    # an activity of another group is not this group's
    enter(app_client, sessions, shop, mine, "jd_a")
    act(app_client, mine, "join")
    assert flash(act(app_client, mine, f"a/{activity}/buy/1").text) == "群活动不存在"


def test_the_qr_code_encodes_the_absolute_entry_link(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    svg = app_client.get(f"{page_of(group)}/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert f"<title>http://testserver/m/webshop/g/{group.code}</title>" in svg.text


def test_the_page_speaks_english_when_asked_and_every_text_has_chinese(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    group = new_group(sessions, shop)
    enter(app_client, sessions, shop, group, "jd_a")
    app_client.cookies.set("siyu_lang", "en")
    page = act(app_client, group, "join").text
    assert flash(page) == "Welcome! You are in 福利群 1群" and "Daily check-in" in page and "anyone may join" in page
    assert all(value.strip() for value in H5_CATALOG.values())
    assert h5_groups.buyer_key(7) == "h5_buyer:7"


def test_the_embeddable_group_module_shows_the_group_and_opens_the_entry_in_the_whole_window(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    """SPEC §7 entry points: the module a merchant pastes into the shop home page or an activity page."""
    group = new_group(sessions, shop, name="宝妈福利群", goal="fans", sub_groups=1, capacity=1)
    module = app_client.get(f"{page_of(group)}/embed")
    assert module.status_code == 200 and module.headers["content-security-policy"] == "frame-ancestors *"
    page = module.text
    assert "宝妈福利群" in page and "入群条件 · 关注店铺才可进群" in page
    assert f'href="{page_of(group)}" target="_top"' in page and "立即入群" in page
    assert f'src="{page_of(group)}/qr.svg"' in page and 'data-testid="member-count">0 人<' in page

    with transaction(sessions) as session:
        customer = make_customer(session, shop.shop_id, follows_shop=True)
        joining.join_group(session, by=owner(shop), group_id=group.id, customer_id=customer.id)
    full = app_client.get(f"{page_of(group)}/embed").text
    assert 'data-testid="group-state">群已满员<' in full and "立即入群" not in full
    with transaction(sessions) as session:
        services.set_group_status(session, by=owner(shop), group_id=group.id, status="closed")
    assert 'data-testid="group-state">该群已关闭<' in app_client.get(f"{page_of(group)}/embed").text
    assert app_client.get("/m/webshop/g/nosuchcode/embed").status_code == 404


def test_a_member_sees_a_card_in_the_chat_and_opens_its_poster(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    """SPEC §7 daily operation cards: the product and its price in the chat; a poster opens as an image
    with the group's QR code; another group's card is not found."""
    group = new_group(sessions, shop)
    other = new_group(sessions, shop, name="另一个群")
    with transaction(sessions) as session:
        spec = cards.CardSpec("poster", "护齿电动牙刷", 19_900, list_price_fen=29_900, text="今晚 8 点开抢")
        card = cards.publish_card(session, by=owner(shop), group_id=group.id, spec=spec)
    enter(app_client, sessions, shop, group, "jd_card")
    page = act(app_client, group, "join").text
    assert 'data-card="poster"' in page and "护齿电动牙刷" in page and 'data-testid="card-price">¥199.00<' in page
    assert "<s>¥299.00</s>" in page and f"{page_of(group)}/cards/{card.id}/poster.svg" in page
    poster = app_client.get(f"{page_of(group)}/cards/{card.id}/poster.svg")
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/svg+xml"
    assert "护齿电动牙刷" in poster.text and "¥199.00" in poster.text and "扫码进群" in poster.text
    assert app_client.get(f"{page_of(other)}/cards/{card.id}/poster.svg").status_code == 404
