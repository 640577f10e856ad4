"""Buyer H5 pages through the ASGI app: join with consent, the member card, check-in, the points mall."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.models import AuditEntry
from siyu.audit.services import Actor
from siyu.customers.models import Customer
from siyu.db import transaction, utcnow
from siyu.loyalty import services as loyalty
from siyu.loyalty.domain import ProgramSettings
from siyu.loyalty.models import MallItem, MallRedemption, Member, PointsEntry
from siyu.web.i18n_h5 import H5_CATALOG, consent_text
from siyu.web.views import h5
from tests.factories.customers import make_customer
from tests.factories.promotions import make_template
from tests.web.web_support import Shop, make_shop

PHONE = "13812348000"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TOKEN = re.compile(
    r'action="/m/webshop/mall/(\d+)/redeem">\s*<input[^>]+>\s*<input type="hidden" name="token" value="([^"]+)"'
)
H5_TEMPLATES = Path(h5.__file__).parent.parent / "templates" / "h5"


def staff(shop: Shop) -> Actor:
    return Actor(shop.shop_id, "system", None, "test")


def csrf(client: TestClient, path: str = "/m/webshop/join") -> str:
    match = _CSRF.search(client.get(path).text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def join(client: TestClient, **fields: str) -> Response:
    data = {"phone": PHONE, "name": "王小明", "account": "", "consent": "yes", "terms_lang": "zh"}
    data.update(fields)
    data.setdefault("csrf_token", csrf(client))
    return client.post("/m/webshop/join", data=data, follow_redirects=False)


def members(sessions: sessionmaker[Session], shop: Shop) -> list[Member]:
    with transaction(sessions) as session:
        return list(session.scalars(select(Member).where(Member.shop_id == shop.shop_id)))


def balance(sessions: sessionmaker[Session], member_id: int) -> int:
    with transaction(sessions) as session:
        return session.get_one(Member, member_id).points_balance


def mall_item(sessions: sessionmaker[Session], shop: Shop, **fields: object) -> int:
    values: dict[str, object] = {"name": "帆布袋", "kind": "gift", "points_cost": 60, "stock": 5, "per_member_limit": 3}
    values.update(fields)
    with transaction(sessions) as session:
        return loyalty.create_mall_item(session, by=staff(shop), spec=loyalty.MallItemSpec(**values)).id  # type: ignore[arg-type]


def tokens(page: str) -> dict[int, str]:
    return {int(item): token for item, token in _TOKEN.findall(page)}


def test_the_join_page_shows_the_shop_its_tiers_the_gift_and_the_terms(app_client: TestClient, shop: Shop) -> None:
    page = app_client.get("/m/webshop/join")
    assert page.status_code == 200
    assert "webshop 旗舰店" in page.text
    # the default ladder with its privileges, before anyone joined
    for name in ("普通会员", "银卡会员", "金卡会员", "钻石会员"):
        assert name in page.text
    assert "累计消费满 ¥500.00" in page.text and "专属客服" in page.text
    assert "立即开卡，送 100 积分" in page.text
    assert html.escape(consent_text("webshop 旗舰店", "zh"), quote=False) in page.text
    assert 'name="viewport"' in page.text and "/static/h5.css" in page.text
    assert "在新设备上再次开卡会提示该手机号已是会员" in page.text


def test_the_join_page_shows_the_shops_own_tiers(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        loyalty.save_tiers(
            session,
            by=staff(shop),
            tiers=[
                loyalty.TierSpec("小红卡", 0, privileges=("包邮",)),
                loyalty.TierSpec("大红卡", 100_000, 150, privileges=("包邮", "新品试用")),
            ],
        )
    page = app_client.get("/m/webshop/join").text
    assert "小红卡" in page and "大红卡" in page and "新品试用" in page and "购物积分 1.5 倍" in page
    assert "钻石会员" not in page


def test_without_consent_nothing_is_created_and_the_values_stay(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    response = join(app_client, consent="", name="<b>王</b>", account="jd_wang")
    assert response.status_code == 422
    assert "请阅读并勾选同意《会员协议》与《隐私政策》后再开卡。" in response.text
    assert f'value="{PHONE}"' in response.text and 'value="jd_wang"' in response.text
    assert "&lt;b&gt;王&lt;/b&gt;" in response.text and "<b>王</b>" not in response.text
    assert members(sessions, shop) == []
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Customer).where(Customer.shop_id == shop.shop_id)) == 0


def test_an_invalid_phone_is_refused(app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]) -> None:
    response = join(app_client, phone="1234")
    assert response.status_code == 422
    assert "请输入有效的 11 位手机号。" in response.text
    assert 'value="1234"' in response.text and 'aria-invalid="true"' in response.text
    assert members(sessions, shop) == []


def test_joining_signs_the_buyer_in_and_records_the_consent_shown(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    response = join(app_client)
    assert response.status_code == 303
    assert response.headers["location"] == "/m/webshop/card"
    [member] = members(sessions, shop)
    assert member.consent_source == "h5" and member.source == "h5"
    assert member.consent_text == consent_text("webshop 旗舰店", "zh")
    assert member.consent_evidence.startswith("ip=testclient ua=")
    with transaction(sessions) as session:
        customer = session.get_one(Customer, member.customer_id)
        assert customer.phone_masked == "138****8000" and customer.name == "王小明"
        assert PHONE not in (customer.phone_cipher or "")
        actors = set(session.scalars(select(AuditEntry.actor).where(AuditEntry.shop_id == shop.shop_id)))
    assert "customer:h5" in actors

    card = app_client.get("/m/webshop/card")
    assert card.status_code == 200
    assert "开卡成功！已获得开卡礼 100 积分" in card.text
    assert 'data-points="100"' in card.text
    assert member.member_no in card.text and "普通会员" in card.text
    assert "138****8000" in card.text and PHONE not in card.text
    assert "近 30 天内没有即将过期的积分" in card.text  # the join gift lasts 365 days
    assert card.headers["cache-control"] == "no-store"


def test_points_about_to_expire_are_shown_with_their_date(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        loyalty.save_program(session, by=staff(shop), settings=ProgramSettings(expiry_days=20, join_gift_points=80))
    join(app_client)
    expires = (utcnow() + timedelta(days=20)).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert f"80 积分将于 {expires} 过期" in app_client.get("/m/webshop/card").text


def test_english_consent_is_stored_in_english(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    app_client.cookies.set("siyu_lang", "en")
    page = app_client.get("/m/webshop/join").text
    assert "Join webshop 旗舰店 membership" in page
    assert join(app_client, terms_lang="en").status_code == 303
    [member] = members(sessions, shop)
    assert member.consent_text == consent_text("webshop 旗舰店", "en")
    assert "Points history" in app_client.get("/m/webshop/card").text


def test_a_second_join_with_the_same_phone_says_already_a_member_without_its_number(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session], engine: object
) -> None:
    assert join(app_client).status_code == 303
    [member] = members(sessions, shop)
    other_device = TestClient(app_client.app, base_url="http://testserver")
    response = join(other_device)
    assert response.status_code == 409
    assert "该手机号已是本店会员" in response.text
    assert member.member_no not in response.text
    assert other_device.get("/m/webshop/card", follow_redirects=False).headers["location"] == "/m/webshop/join"


def test_a_typed_jd_account_of_someone_else_is_not_taken_over(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        make_customer(session, shop.shop_id, account="jd_someone", phone_masked="139****0000")
    response = join(app_client, account="jd_someone")
    assert response.status_code == 409
    assert "该京东账号无法在此与这个手机号绑定" in response.text
    assert members(sessions, shop) == []
    # an account nobody has yet is kept on the new customer
    assert join(app_client, account="jd_new_buyer").status_code == 303
    with transaction(sessions) as session:
        [member] = session.scalars(select(Member).where(Member.shop_id == shop.shop_id)).all()
        assert session.get_one(Customer, member.customer_id).account == "jd_new_buyer"


def test_check_in_twice_a_day_earns_once(app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]) -> None:
    join(app_client)
    [member] = members(sessions, shop)
    token = csrf(app_client, "/m/webshop/card")
    assert "签到 +5" in app_client.get("/m/webshop/card").text
    first = app_client.post("/m/webshop/checkin", data={"csrf_token": token}, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/m/webshop/card"
    card = app_client.get("/m/webshop/card").text
    assert "签到成功，+5 积分" in card and 'data-points="105"' in card
    assert 'data-streak="1"' in card and "今日已签到" in card
    app_client.post("/m/webshop/checkin", data={"csrf_token": token}, follow_redirects=False)
    assert "今天已经签到过了" in app_client.get("/m/webshop/card").text
    assert balance(sessions, member.id) == 105
    with transaction(sessions) as session:
        count = select(func.count()).select_from(PointsEntry)
        assert session.scalar(count.where(PointsEntry.member_id == member.id, PointsEntry.source == "checkin")) == 1


def test_the_same_redeem_token_twice_redeems_once(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    item_id = mall_item(sessions, shop)
    join(app_client)
    [member] = members(sessions, shop)
    page = app_client.get("/m/webshop/card").text
    assert "帆布袋" in page and "60 积分" in page and "剩余 5" in page
    token = tokens(page)[item_id]
    data = {"csrf_token": csrf(app_client, "/m/webshop/card"), "token": token}
    for _ in range(2):  # a double tap sends the same form twice
        response = app_client.post(f"/m/webshop/mall/{item_id}/redeem", data=data, follow_redirects=False)
        assert response.status_code == 303
    assert "兑换成功：「帆布袋」" in app_client.get("/m/webshop/card").text
    assert balance(sessions, member.id) == 40
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(MallRedemption)) == 1
        assert session.get_one(MallItem, item_id).stock == 4
    # a new page view has a new token: a second, deliberate redemption goes through
    second = tokens(app_client.get("/m/webshop/card").text)[item_id]
    assert second != token


def test_short_points_disable_the_button_and_a_forced_post_spends_nothing(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    item_id = mall_item(sessions, shop, name="保温杯", points_cost=1_000)
    join(app_client)
    [member] = members(sessions, shop)
    page = app_client.get("/m/webshop/card").text
    button = re.search(rf'<button[^>]*data-testid="redeem-{item_id}"[^>]*>([^<]*)</button>', page)
    assert button and "disabled" in button.group(0) and button.group(1) == "积分不足"
    data = {"csrf_token": csrf(app_client, "/m/webshop/card"), "token": tokens(page)[item_id]}
    app_client.post(f"/m/webshop/mall/{item_id}/redeem", data=data, follow_redirects=False)
    assert "积分不足：需要 1,000，可用 100" in app_client.get("/m/webshop/card").text
    assert balance(sessions, member.id) == 100
    with transaction(sessions) as session:
        assert session.get_one(MallItem, item_id).stock == 5


def test_a_redeemed_coupon_shows_its_code(app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]) -> None:
    now = utcnow()
    with transaction(sessions) as session:
        template = make_template(
            session,
            staff(shop),
            claim_start=now - timedelta(days=1),
            claim_end=now + timedelta(days=30),
            use_end=now + timedelta(days=60),
        )
        template_id = template.id
    item_id = mall_item(
        sessions, shop, name="满100减20券", kind="coupon", points_cost=50, coupon_template_id=template_id
    )
    join(app_client)
    page = app_client.get("/m/webshop/card").text
    data = {"csrf_token": csrf(app_client, "/m/webshop/card"), "token": tokens(page)[item_id]}
    app_client.post(f"/m/webshop/mall/{item_id}/redeem", data=data, follow_redirects=False)
    card = app_client.get("/m/webshop/card").text
    with transaction(sessions) as session:
        [redemption] = session.scalars(select(MallRedemption)).all()
        from siyu.promotions.models import Coupon

        code = session.get_one(Coupon, redemption.coupon_id).code
    assert f"券码 {code}" in card
    assert f'<code class="h5-code">{code}</code>' in card


def test_the_session_is_per_shop(app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]) -> None:
    make_shop(sessions, "othershop")
    join(app_client)
    assert app_client.get("/m/webshop/card").status_code == 200
    other = app_client.get("/m/othershop/card", follow_redirects=False)
    assert other.status_code == 303 and other.headers["location"] == "/m/othershop/join"
    # actions in the other shop do nothing for this member either
    token = csrf(app_client, "/m/othershop/join")
    checkin = app_client.post("/m/othershop/checkin", data={"csrf_token": token}, follow_redirects=False)
    assert checkin.headers["location"] == "/m/othershop/join"
    [member] = members(sessions, shop)
    assert balance(sessions, member.id) == 100


def test_an_unknown_shop_gets_a_friendly_404(app_client: TestClient, shop: Shop) -> None:
    for path in ("/m/nosuchshop/join", "/m/nosuchshop/card", "/m/nosuchshop/join.svg"):
        response = app_client.get(path)
        assert response.status_code == 404, path
        assert "该店铺的会员页面不存在" in response.text
    assert app_client.post("/m/nosuchshop/join", data={}).status_code == 404


def test_the_qr_code_is_an_svg_of_the_join_link(app_client: TestClient, shop: Shop) -> None:
    response = app_client.get("/m/webshop/join.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in response.text and "<path" in response.text
    assert "http://testserver/m/webshop/join" in response.text  # as the SVG's title


@pytest.mark.parametrize("path", ["/m/webshop/join", "/m/webshop/checkin", "/m/webshop/mall/1/redeem"])
def test_posts_without_the_csrf_token_are_refused(
    app_client: TestClient, shop: Shop, sessions: sessionmaker[Session], path: str
) -> None:
    join(app_client)
    [member] = members(sessions, shop)
    for data in ({"phone": "13912340000", "consent": "yes", "token": "x" * 20}, {"csrf_token": "guess"}):
        response = app_client.post(path, data=data)
        assert response.status_code == 403
        assert "页面已过期或请求来源无效" in response.text
    assert len(members(sessions, shop)) == 1 and balance(sessions, member.id) == 100


def test_an_oversized_form_is_refused(app_client: TestClient, shop: Shop, sessions: sessionmaker[Session]) -> None:
    response = join(app_client, name="王" * 10_000)
    assert response.status_code == 413
    assert members(sessions, shop) == []


def test_every_h5_template_text_has_a_chinese_translation() -> None:
    keys: set[str] = set()
    for path in H5_TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        keys.update(re.findall(r'\btr\(\s*"([^"]+)"', text))
        keys.update(re.findall(r"\btr\(\s*'([^']+)'", text))
    source = Path(h5.__file__).read_text(encoding="utf-8")
    keys.update(re.findall(r'h5_text\(\s*lang(?:_of\(request\))?,\s*"([^"]+)"', source))
    keys.update(("Page not found", "Page expired", "Too much data"))
    assert sorted(k for k in keys if k not in H5_CATALOG) == []
