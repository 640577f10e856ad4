"""Daily operation cards, the pure parts (SPEC §7): what a card must hold, its chat text, and the poster
image — the product, its price and the group's QR code."""

from __future__ import annotations

import xml.dom.minidom

import pytest

from siyu.core.errors import InvalidInput
from siyu.groups.cards import CardSpec, card_message, check_card, poster_svg
from siyu.groups.models import GroupCard


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (CardSpec("coupon", "牙刷", 100), "group_card_kind"),
        (CardSpec("poster", "  ", 100), "group_card_name"),
        (CardSpec("poster", "牙" * 61, 100), "group_card_name"),
        (CardSpec("poster", "牙刷", 0), "group_card_price"),
        (CardSpec("poster", "牙刷", 200, list_price_fen=100), "group_card_price"),
        (CardSpec("poster", "牙刷", 100, image_url="javascript:alert(1)"), "group_card_image"),
        (CardSpec("poster", "牙刷", 100, image_url="https://a.b/c d.jpg"), "group_card_image"),
        (CardSpec("poster", "牙刷", 100, text="字" * 201), "group_card_text"),
    ],
)
def test_a_card_needs_a_kind_a_product_and_a_sound_price(spec: CardSpec, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_card(spec)
    assert refused.value.code == code and refused.value.zh and refused.value.en


def test_a_cards_chat_text_names_the_kind_product_and_prices() -> None:
    spec = CardSpec("new_arrival", "护齿电动牙刷", 19_900, list_price_fen=29_900, text="今晚 8 点开抢")
    check_card(spec)
    assert card_message(spec) == "【新品上架】护齿电动牙刷 ¥199.00（原价 ¥299.00） 今晚 8 点开抢"
    assert card_message(CardSpec("recommend", "牙线", 990)) == "【好物推荐】牙线 ¥9.90"


def test_a_poster_shows_the_product_its_price_and_the_group_qr_code_escaped() -> None:
    card = GroupCard(
        kind="poster", name="牙刷 <Pro> & 替换头", price_fen=19_900, list_price_fen=29_900, image_url="", text=""
    )
    svg = poster_svg(card, shop_name="示例店", group_name="福利群", entry_url="http://h/m/demo/g/abc")
    xml.dom.minidom.parseString(svg)  # a well-formed image: every text escaped
    assert "牙刷 &lt;Pro&gt; &amp; 替换头" in svg and "¥199.00" in svg and "¥299.00" in svg
    assert "扫码进群" in svg and svg.count("<svg") == 2  # the poster and the QR code inside it
    with_image = GroupCard(
        kind="poster", name="牙刷", price_fen=100, list_price_fen=0, image_url="https://i/p.jpg", text=""
    )
    assert '<image href="https://i/p.jpg"' in poster_svg(
        with_image, shop_name="店", group_name="群", entry_url="http://h"
    )
