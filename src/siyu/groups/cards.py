"""Daily operation cards (SPEC §7, seed 000 §2.5): new-arrival cards, product recommendation cards and
marketing posters posted into a group by staff. A card is a chat message (so it reaches members like any
staff answer, polled by the buyer's page) plus the product it shows; a poster is also an image — the
product, its price and the group's QR code — that members can save and share (:func:`poster_svg`)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.services import Actor, record
from siyu.core.errors import InvalidInput, NotFound
from siyu.core.money import format_yuan
from siyu.groups.models import GroupCard, GroupPost
from siyu.groups.services import get_group, publish_post

CARD_KINDS = {
    "new_arrival": ("新品上架", "New arrival"),
    "recommend": ("好物推荐", "Recommended"),
    "poster": ("营销海报", "Poster"),
}
NAME_MAX, TEXT_MAX, IMAGE_MAX, SKU_MAX = 60, 200, 300, 40


@dataclass(frozen=True, slots=True)
class CardSpec:
    kind: str
    name: str
    price_fen: int
    list_price_fen: int = 0
    sku: str = ""
    image_url: str = ""
    text: str = ""


def check_card(spec: CardSpec) -> None:
    """The card's own rules: a known kind, a product name, a price of at least 1 fen, a list price (when
    shown) not below it, an image only over http(s)."""
    if spec.kind not in CARD_KINDS:
        raise InvalidInput(f"未知的卡片类型「{spec.kind}」", f"unknown card kind '{spec.kind}'", code="group_card_kind")
    if not spec.name.strip() or len(spec.name.strip()) > NAME_MAX:
        raise InvalidInput(
            f"商品名称不能为空，最多 {NAME_MAX} 个字",
            f"the product name is 1 to {NAME_MAX} characters",
            code="group_card_name",
        )
    if spec.price_fen < 1:
        raise InvalidInput("价格至少 0.01 元", "the price must be at least ¥0.01", code="group_card_price")
    if spec.list_price_fen and spec.list_price_fen < spec.price_fen:
        raise InvalidInput("原价不能低于售价", "the list price cannot be below the price", code="group_card_price")
    image = spec.image_url.strip()
    if image and (not image.startswith(("https://", "http://")) or len(image) > IMAGE_MAX or " " in image):
        raise InvalidInput("图片地址须是 http(s) 链接", "the image must be an http(s) address", code="group_card_image")
    if len(spec.text.strip()) > TEXT_MAX or len(spec.sku.strip()) > SKU_MAX:
        raise InvalidInput(
            f"说明最多 {TEXT_MAX} 个字，SKU 最多 {SKU_MAX} 个字符",
            f"the text holds at most {TEXT_MAX} characters and the SKU {SKU_MAX}",
            code="group_card_text",
        )


def card_message(spec: CardSpec) -> str:
    """The chat text of a card, for members whose page shows only text (and for the staff's message list)."""
    label = CARD_KINDS[spec.kind][0]
    price = format_yuan(spec.price_fen)
    was = f"（原价 {format_yuan(spec.list_price_fen)}）" if spec.list_price_fen > spec.price_fen else ""
    tail = f" {spec.text.strip()}" if spec.text.strip() else ""
    return f"【{label}】{spec.name.strip()} {price}{was}{tail}"


def publish_card(
    session: Session,
    *,
    by: Actor,
    group_id: int,
    spec: CardSpec,
    sub_group_id: int | None = None,
    now: datetime | None = None,
) -> GroupCard:
    """Post a card into the group (or one sub-group): its chat message and the card, together."""
    check_card(spec)
    post = publish_post(
        session, by=by, group_id=group_id, kind="message", text=card_message(spec), sub_group_id=sub_group_id, now=now
    )
    card = GroupCard(
        shop_id=by.shop_id,
        group_id=group_id,
        post_id=post.id,
        kind=spec.kind,
        sku=spec.sku.strip(),
        name=spec.name.strip(),
        price_fen=spec.price_fen,
        list_price_fen=spec.list_price_fen,
        image_url=spec.image_url.strip(),
        text=spec.text.strip(),
        created_by=by.label,
    )
    session.add(card)
    session.flush()
    record(session, by, "group.card", "group", group_id, after={"kind": spec.kind, "name": card.name, "post": post.id})
    return card


def cards_of_posts(session: Session, post_ids: list[int]) -> dict[int, GroupCard]:
    """The cards of these chat messages, by post id."""
    if not post_ids:
        return {}
    return {c.post_id: c for c in session.scalars(select(GroupCard).where(GroupCard.post_id.in_(post_ids)))}


def list_cards(session: Session, *, shop_id: int, group_id: int, limit: int = 50) -> list[GroupCard]:
    get_group(session, shop_id=shop_id, group_id=group_id)
    return list(
        session.scalars(
            select(GroupCard)
            .join(GroupPost, GroupPost.id == GroupCard.post_id)
            .where(GroupCard.group_id == group_id, GroupPost.status == "visible")
            .order_by(GroupCard.id.desc())
            .limit(limit)
        )
    )


def card_of_group(session: Session, *, group_id: int, card_id: int) -> GroupCard:
    card = session.get(GroupCard, card_id)
    if card is None or card.group_id != group_id:
        raise NotFound("卡片", "card")
    return card


# ---- the poster ----------------------------------------------------------------------------------------
POSTER_W, POSTER_H = 750, 1000


def poster_svg(card: GroupCard, *, shop_name: str, group_name: str, entry_url: str) -> str:
    """The poster as an SVG image (750 × 1000): the shop, the product, its price (and list price struck
    through), the card's text and the group's QR code with a call to scan it. Texts are escaped; the
    product image, when there is one, is linked, not fetched."""
    qr = segno.make_qr(entry_url, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=8, border=2, dark="#1f2937", xmldecl=False, svgns=True, nl=False)
    qr_svg = buffer.getvalue().decode()
    size = qr.symbol_size(scale=8, border=2)[0]
    qr_x, qr_y = POSTER_W - 60 - size, POSTER_H - 60 - size
    label = CARD_KINDS.get(card.kind, ("", ""))[0]
    price = format_yuan(card.price_fen)
    was = format_yuan(card.list_price_fen) if card.list_price_fen > card.price_fen else ""
    image = (
        f'<image href="{escape(card.image_url)}" x="60" y="200" width="630" height="420" '
        'preserveAspectRatio="xMidYMid slice"/>'
        if card.image_url
        else '<rect x="60" y="200" width="630" height="420" rx="24" fill="#fff1ee"/>'
        f'<text x="375" y="430" text-anchor="middle" font-size="44" fill="#e1251b">{escape(label)}</text>'
    )
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{POSTER_W}" height="{POSTER_H}" '
        f'viewBox="0 0 {POSTER_W} {POSTER_H}" font-family="Noto Sans CJK SC, PingFang SC, sans-serif">',
        f"<title>{escape(card.name)} {escape(price)}</title>",
        f'<rect width="{POSTER_W}" height="{POSTER_H}" fill="#ffffff"/>',
        f'<rect width="{POSTER_W}" height="170" fill="#e1251b"/>',
        f'<text x="60" y="80" font-size="34" fill="#ffffff" font-weight="700">{escape(shop_name)}</text>',
        f'<text x="60" y="130" font-size="26" fill="#fff4d6">{escape(label)} · {escape(group_name)}</text>',
        image,
        f'<text x="60" y="690" font-size="40" font-weight="700" fill="#111827">{escape(card.name)}</text>',
        f'<text x="60" y="770" font-size="60" font-weight="800" fill="#e1251b">{escape(price)}</text>',
    ]
    if was:
        lines.append(
            f'<text x="60" y="820" font-size="28" fill="#9ca3af" text-decoration="line-through">{escape(was)}</text>'
        )
    if card.text:
        lines.append(f'<text x="60" y="870" font-size="26" fill="#4b5563">{escape(card.text[:28])}</text>')
    lines += [
        f'<g transform="translate({qr_x},{qr_y})">{qr_svg}</g>',
        f'<text x="{qr_x + size // 2}" y="{POSTER_H - 30}" text-anchor="middle" font-size="22" fill="#4b5563">'
        "扫码进群 享群专属价</text>",
        "</svg>",
    ]
    return "".join(lines)
