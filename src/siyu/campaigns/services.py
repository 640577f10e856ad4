"""Use cases of SMS campaigns: draft, preview with lints, queue (audience → arms → rendered outbox rows),
pause, resume, cancel.

Queueing is one transaction: the audience is fixed, every customer of it gets an arm (target, hold-out
or excluded with the reason), every target gets one rendered outbox row (UNIQUE per campaign, customer
and channel). Blocking lints — on the template or on any recipient's rendered message — refuse the queue
and keep the draft as it was.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.audit.services import Actor, record
from siyu.campaigns import domain
from siyu.campaigns.errors import BlockedByLints, CampaignState, NoAudience, TemplateSyntaxError
from siyu.campaigns.models import Campaign, CampaignRecipient, LinkClick, PlannedEvent
from siyu.channels.models import ChannelSettings, ContactCount, OutboxMessage
from siyu.channels.services import cap_periods, channel_settings
from siyu.config import get_settings
from siyu.core.errors import InvalidInput, NotFound
from siyu.core.money import format_yuan
from siyu.db import DriverSQL, shop_row, utcnow
from siyu.promotions.models import CouponTemplate
from siyu.segments import audiences
from siyu.segments.models import Audience, AudienceMember
from siyu.shops.services import shop_zone

HOLDOUT_DEFAULT = 5


# ---- short links ---------------------------------------------------------------------------------------
# A recipient's code packs (campaign id, customer id) with 10 zero bits of redundancy, permutes that with a
# keyed Feistel network (round keys from an HMAC of the app's secret key) and writes it in base 62. The
# code is as long as the ids need: 6 characters while the two ids have at most 20 bits together (campaign
# 7 → customers below 131,072), 9 up to 38 bits (campaign < 128, any customer), 11 up to 50 bits (campaign
# < 2^19, any customer), 12 for any two ids below 2^31. A code typed wrong or tampered with decrypts to a
# block whose redundancy bits are not all zero: refused, but for about 1 in 1,000 (the 12-character codes
# keep 4 bits of it, 1 in 16, and the id range check).
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = {ch: n for n, ch in enumerate(_ALPHABET)}
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # 0..3843 → two base-62 digits
_ID_LIMIT = 1 << 31  # campaigns.id and customers.id are 32-bit INTEGER
_CODE_MIN, _CODE_MAX = 6, 12
_TAG_BITS = 10
_M64 = (1 << 64) - 1
_C1, _C2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9


@dataclass(frozen=True, slots=True)
class _Shape:
    """The layout of the codes of one length: a block of ``na × nb`` values (two halves of ``length // 2``
    and the rest base-62 digits) holding ``bits`` bits: the content, then ``tag`` zero bits."""

    length: int
    na: int
    nb: int
    bits: int
    tag: int
    keys: tuple[tuple[int, int], ...]

    @property
    def content(self) -> int:
        return self.bits - self.tag


@lru_cache(maxsize=4)
def _shapes(secret: str) -> tuple[_Shape, ...]:
    shapes = []
    for length in range(_CODE_MIN, _CODE_MAX + 1):
        digest = hmac.new(secret.encode(), f"siyu/short-link/v1/{length}".encode(), hashlib.sha512).digest()
        words = [int.from_bytes(digest[i : i + 8]) for i in range(0, 64, 8)]
        na, nb = 62 ** (length // 2), 62 ** (length - length // 2)
        bits = (na * nb).bit_length() - 1
        # the longest codes give up redundancy so that any two ids below 2^31 fit (5 + 31 + 31 content bits)
        tag = _TAG_BITS if length < _CODE_MAX else bits - 67
        shapes.append(_Shape(length, na, nb, bits, tag, tuple(zip(words[0::2], words[1::2], strict=True))))
    return tuple(shapes)


def _round(value: int, key: int) -> int:
    mixed = ((value ^ key) * _C1) & _M64
    mixed = ((mixed ^ (mixed >> 29)) * _C2) & _M64
    return mixed ^ (mixed >> 32)


def _base62(value: int, width: int) -> str:
    """``value`` (< 62^6) in exactly ``width`` base-62 digits (≤ 6)."""
    high, rest = divmod(value, 14_776_336)  # 62^4
    middle, low = divmod(rest, 3_844)
    return (_PAIRS[high] + _PAIRS[middle] + _PAIRS[low])[6 - width :]


def _shape_for(campaign_id: int, customer_id: int) -> _Shape:
    if not (0 <= campaign_id < _ID_LIMIT and 0 <= customer_id < _ID_LIMIT):
        raise ValueError("short links need ids between 0 and 2^31 - 1")
    need = 5 + campaign_id.bit_length() + customer_id.bit_length()
    return next(shape for shape in _shapes(get_settings().secret_key) if shape.content >= need)


def _encode(shape: _Shape, campaign_id: int, customer_id: int) -> str:
    width = campaign_id.bit_length()
    free = shape.content - 5 - width  # the customer id's bits
    block = ((width << (shape.content - 5)) | (campaign_id << free) | customer_id) << shape.tag
    na, nb = shape.na, shape.nb
    a, b = divmod(block, nb)
    for k1, k2 in shape.keys:
        a = (a + _round(b, k1)) % na
        b = (b + _round(a, k2)) % nb
    half = shape.length // 2
    return _base62(a, half) + _base62(b, shape.length - half)


def short_code(campaign_id: int, customer_id: int) -> str:
    """The recipient's personal short-link code: campaign and customer, keyed (not guessable as a sequence,
    not forgeable without the secret key), 6–12 characters."""
    return _encode(_shape_for(campaign_id, customer_id), campaign_id, customer_id)


_U64 = np.uint64
_ALPHABET_BYTES = np.frombuffer(_ALPHABET.encode(), dtype=np.uint8)
_VECTOR_BITS = 60  # blocks of codes up to 10 characters (62^10 < 2^60) are computed in uint64 arrays


def _mix(values: NDArray[np.uint64], key: int) -> NDArray[np.uint64]:
    """:func:`_round` on an array (uint64 arithmetic wraps like the ``& _M64`` there)."""
    mixed = (values ^ _U64(key)) * _U64(_C1)
    mixed = (mixed ^ (mixed >> _U64(29))) * _U64(_C2)
    return mixed ^ (mixed >> _U64(32))


def short_codes(campaign_id: int, customer_ids: Sequence[int]) -> list[str]:
    """``[short_code(campaign_id, c) for c in customer_ids]``, computed on numpy arrays (~20× faster)."""
    if not customer_ids:
        return []
    ids = np.asarray(customer_ids, dtype=np.int64)
    if int(ids.min()) < 0 or int(ids.max()) >= _ID_LIMIT:
        raise ValueError("short links need ids between 0 and 2^31 - 1")
    shapes = [_shape_for(campaign_id, (1 << width) - 1) for width in range(32)]
    widths = np.frexp(ids.astype(np.float64))[1]  # the bit length of each id (exact below 2^53)
    lengths = np.array([shape.length for shape in shapes], dtype=np.int64)[widths]
    codes: list[str] = [""] * len(ids)
    cw = campaign_id.bit_length()
    for length in np.unique(lengths).tolist():
        shape = _shapes(get_settings().secret_key)[length - _CODE_MIN]
        where = np.flatnonzero(lengths == length)
        if shape.bits > _VECTOR_BITS:  # ids that need 11 or 12 characters: one at a time
            for i in where.tolist():
                codes[i] = _encode(shape, campaign_id, int(ids[i]))
            continue
        free = shape.content - 5 - cw
        head = ((cw << (shape.content - 5)) | (campaign_id << free)) << shape.tag
        block = _U64(head) | (ids[where].astype(np.uint64) << _U64(shape.tag))
        na, nb = _U64(shape.na), _U64(shape.nb)
        a, b = block // nb, block % nb
        for k1, k2 in shape.keys:
            a = (a + _mix(b, k1) % na) % na
            b = (b + _mix(a, k2) % nb) % nb
        half = length // 2
        chars = np.empty((len(where), length), dtype=np.uint8)
        for value, first, width in ((a, 0, half), (b, half, length - half)):
            for column in range(first + width - 1, first - 1, -1):
                value, digit = np.divmod(value, _U64(62))
                chars[:, column] = _ALPHABET_BYTES[digit]
        for i, code in zip(where.tolist(), chars.view(f"S{length}")[:, 0].tolist(), strict=True):
            codes[i] = code.decode()
    return codes


def decode_short_code(code: str) -> tuple[int, int] | None:
    """(campaign id, customer id) of a code made by :func:`short_code`; None for anything else."""
    if not _CODE_MIN <= len(code) <= _CODE_MAX or any(ch not in _DIGITS for ch in code):
        return None
    shape = _shapes(get_settings().secret_key)[len(code) - _CODE_MIN]
    half = shape.length // 2
    a = b = 0
    for ch in code[:half]:
        a = a * 62 + _DIGITS[ch]
    for ch in code[half:]:
        b = b * 62 + _DIGITS[ch]
    for k1, k2 in reversed(shape.keys):
        b = (b - _round(a, k2)) % shape.nb
        a = (a - _round(b, k1)) % shape.na
    block = a * shape.nb + b
    if block >> shape.bits or block & ((1 << shape.tag) - 1):
        return None
    content = block >> shape.tag
    width = content >> (shape.content - 5)
    free = shape.content - 5 - width
    if free < 0:
        return None
    campaign_id, customer_id = content >> free & ((1 << width) - 1), content & ((1 << free) - 1)
    if campaign_id.bit_length() != width or campaign_id >= _ID_LIMIT or customer_id >= _ID_LIMIT:
        return None
    if _shape_for(campaign_id, customer_id) is not shape:  # a longer code than these ids get
        return None
    return campaign_id, customer_id


def in_holdout(campaign_id: int, customer_id: int, pct: int) -> bool:
    """A random but reproducible draw: the same customer is always in the same arm of one campaign."""
    digest = hashlib.blake2b(f"{campaign_id}:{customer_id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest) % 10_000 < pct * 100


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    name: str
    signature: str
    body: str
    purpose: str = "marketing"
    channel: str = "sms"
    audience_id: int | None = None
    snapshot_id: int | None = None
    link_url: str = ""
    coupon_template_id: int | None = None
    holdout_pct: int = HOLDOUT_DEFAULT
    attribution_days: int = 7
    batch_size: int = 30_000
    batch_interval_minutes: int = 0
    event_id: int | None = None


def _check_spec(session: Session, shop_id: int, spec: CampaignSpec) -> None:
    if not spec.name.strip() or len(spec.name) > 100:
        raise InvalidInput("活动名称必填，最多 100 个字", "a campaign needs a name of at most 100 characters")
    if spec.purpose not in domain.PURPOSES:
        raise InvalidInput("用途只能是营销或通知", "purpose must be marketing or notification")
    if not 0 <= spec.holdout_pct <= 50:
        raise InvalidInput("对照组比例应在 0–50% 之间", "the hold-out share must be between 0 and 50%")
    if not 1 <= spec.attribution_days <= 60:
        raise InvalidInput("归因窗口应为 1–60 天", "the attribution window must be 1 to 60 days")
    if not 1 <= spec.batch_size <= 30_000:
        raise InvalidInput("每批最多 30,000 人", "a batch holds at most 30,000 recipients")
    if spec.batch_interval_minutes < 0:
        raise InvalidInput("批次间隔不能为负数", "the batch interval cannot be negative")
    if spec.link_url and not spec.link_url.startswith(("http://", "https://")):
        raise InvalidInput("落地页链接应以 http:// 或 https:// 开头", "the landing link must start with http(s)://")
    if spec.audience_id is not None and shop_row(session, Audience, spec.audience_id, shop_id) is None:
        raise NotFound("人群", "audience")
    if (
        spec.coupon_template_id is not None
        and shop_row(session, CouponTemplate, spec.coupon_template_id, shop_id) is None
    ):
        raise NotFound("优惠券", "coupon template")
    if spec.event_id is not None and shop_row(session, PlannedEvent, spec.event_id, shop_id) is None:
        raise NotFound("营销日历活动", "calendar event")


def get_campaign(session: Session, *, shop_id: int, campaign_id: int, lock: bool = False) -> Campaign:
    campaign = shop_row(session, Campaign, campaign_id, shop_id, lock=lock)
    if campaign is None:
        raise NotFound("营销活动", "campaign")
    return campaign


def list_campaigns(session: Session, *, shop_id: int) -> list[Campaign]:
    return list(session.scalars(select(Campaign).where(Campaign.shop_id == shop_id).order_by(Campaign.id.desc())))


def create_campaign(session: Session, *, by: Actor, spec: CampaignSpec) -> Campaign:
    """A draft campaign; nothing is sent until it is queued."""
    _check_spec(session, by.shop_id, spec)
    campaign = Campaign(shop_id=by.shop_id, created_by=by.label, status="draft", **_fields(spec))
    session.add(campaign)
    session.flush()
    record(session, by, "campaign.create", "campaign", campaign.id, after=_fields(spec))
    return campaign


def update_campaign(session: Session, *, by: Actor, campaign_id: int, spec: CampaignSpec) -> Campaign:
    campaign = get_campaign(session, shop_id=by.shop_id, campaign_id=campaign_id, lock=True)
    if campaign.status != "draft":
        raise CampaignState(campaign.status, "edit")
    _check_spec(session, by.shop_id, spec)
    before = {k: getattr(campaign, k) for k in _fields(spec)}
    for key, value in _fields(spec).items():
        setattr(campaign, key, value)
    campaign.updated_at = utcnow()
    record(session, by, "campaign.update", "campaign", campaign.id, before=before, after=_fields(spec))
    return campaign


def _fields(spec: CampaignSpec) -> dict[str, Any]:
    return {
        "name": spec.name.strip(),
        "signature": spec.signature.strip(),
        "body": spec.body,
        "purpose": spec.purpose,
        "channel": spec.channel,
        "audience_id": spec.audience_id,
        "snapshot_id": spec.snapshot_id,
        "link_url": spec.link_url,
        "coupon_template_id": spec.coupon_template_id,
        "holdout_pct": spec.holdout_pct,
        "attribution_days": spec.attribution_days,
        "batch_size": spec.batch_size,
        "batch_interval_minutes": spec.batch_interval_minutes,
        "event_id": spec.event_id,
    }


# ---- preview -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Preview:
    """What the composer shows while typing."""

    text: str  # the full message with sample values
    length: int
    parts: int
    cost_fen: int  # per message
    phone_preview: str  # what a phone's notification shows (the first characters)
    lints: list[domain.Lint]

    @property
    def blocked(self) -> bool:
        return bool(domain.blocking(self.lints))


PHONE_PREVIEW = 20


def sample_values(link_base: str, coupon_fen: int | None) -> dict[str, str]:
    return {
        "name": "王女士",
        "last_product": "保湿面霜",
        "coupon": _coupon_text(coupon_fen) if coupon_fen else "20元",
        "link": f"{link_base}Ab3xYz",
    }


def _coupon_text(fen: int) -> str:
    text = format_yuan(fen).lstrip("¥")
    return (text[:-3] if text.endswith(".00") else text) + "元"


def preview(
    session: Session,
    *,
    shop_id: int,
    channel: str,
    signature: str,
    body: str,
    purpose: str,
    coupon_fen: int | None = None,
) -> Preview:
    """Characters, parts, cost, the phone's preview and the lints, for the composer."""
    settings = channel_settings(session, shop_id=shop_id, channel=channel)
    rules = domain.PROVIDERS.get(settings.rules, domain.GENERIC)
    words = domain.DEFAULT_FORBIDDEN_WORDS if settings.forbidden_words is None else settings.forbidden_words
    sample = sample_values(link_base(), coupon_fen)
    lints = domain.lint_message(
        signature=signature, body=body, purpose=purpose, rules=rules, forbidden_words=words, sample=sample
    )
    try:
        rendered = domain.Template.parse(body).preview(sample, rules).text
    except TemplateSyntaxError:  # the syntax lint already says what is wrong
        rendered = body
    text = domain.full_text(signature, rendered)
    length = domain.sms_length(text, rules)
    parts = domain.sms_parts(length, rules)
    return Preview(
        text=text,
        length=length,
        parts=parts,
        cost_fen=domain.cost_fen(parts, settings.price_fen_per_part),
        phone_preview=text[:PHONE_PREVIEW],
        lints=lints,
    )


def link_base() -> str:
    settings = get_settings()
    return f"http://{settings.host}:{settings.port}/s/"


# ---- queueing ------------------------------------------------------------------------------------------
@dataclass
class QueueReport:
    audience: int = 0
    targets: int = 0
    holdout: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    parts: int = 0
    cost_fen: int = 0
    batches: int = 0
    max_length: int = 0


def _audience_ids(session: Session, campaign: Campaign) -> list[int]:
    if campaign.snapshot_id is not None:
        return list(
            session.scalars(
                select(AudienceMember.customer_id)
                .where(AudienceMember.snapshot_id == campaign.snapshot_id, AudienceMember.shop_id == campaign.shop_id)
                .order_by(AudienceMember.customer_id)
            )
        )
    if campaign.audience_id is not None:
        audience = shop_row(session, Audience, campaign.audience_id, campaign.shop_id)
        if audience is None:
            raise NotFound("人群", "audience")
        return audiences.audience_members(session, shop_id=campaign.shop_id, definition=audience.definition)
    raise NoAudience()


def _exclusion(person: tuple[str, bool, str | None] | None, marketing: bool, require_consent: bool) -> str:
    """Why a member of the audience gets no message ("" when they get one): no phone, opted out, no consent."""
    if person is None or not person[1]:
        return "no_phone"
    if marketing and person[2] == "withdrawn":
        return "opted_out"
    if marketing and person[2] != "granted" and require_consent:
        return "no_consent"
    return ""


@dataclass(frozen=True, slots=True)
class Estimate:
    """Who a draft would reach if queued now: the figures the send form shows before anything is written."""

    audience: int
    targets: int
    holdout: int
    excluded: dict[str, int]
    capped: int  # targets already at their daily or weekly cap today (they wait or are skipped at send time)
    cost_fen: int  # the sample message's parts × price × those who will receive it

    @property
    def receive(self) -> int:
        return self.targets - self.capped


def estimate_campaign(session: Session, *, shop_id: int, campaign_id: int, now: datetime | None = None) -> Estimate:
    """How many of the audience would actually receive the campaign after opt-outs, caps and the hold-out."""
    now = now or utcnow()
    campaign = get_campaign(session, shop_id=shop_id, campaign_id=campaign_id)
    settings = channel_settings(session, shop_id=shop_id, channel=campaign.channel)
    marketing = campaign.purpose == "marketing"
    ids = _audience_ids(session, campaign)
    sql = DriverSQL(session)
    people = _reachable_of(sql, shop_id, campaign.channel, ids)
    excluded: dict[str, int] = {}
    targets: list[int] = []
    holdout = 0
    for customer_id in ids:
        reason = _exclusion(people.get(customer_id), marketing, settings.require_consent)
        if reason:
            excluded[reason] = excluded.get(reason, 0) + 1
        elif marketing and campaign.holdout_pct and in_holdout(campaign.id, customer_id, campaign.holdout_pct):
            holdout += 1
        else:
            targets.append(customer_id)
    capped = 0
    if marketing and targets:
        zone = shop_zone(session, shop_id)
        day, week = cap_periods(now.astimezone(zone))
        full: set[int] = set()
        for period, cap in ((day, settings.daily_cap), (week, settings.weekly_cap)):
            if cap > 0:
                full.update(
                    session.scalars(
                        select(ContactCount.customer_id).where(
                            ContactCount.shop_id == shop_id,
                            ContactCount.channel == campaign.channel,
                            ContactCount.period == period,
                            ContactCount.sent >= cap,
                        )
                    )
                )
        capped = sum(1 for customer_id in targets if customer_id in full)
    coupon_fen = None
    if campaign.coupon_template_id is not None:
        template = shop_row(session, CouponTemplate, campaign.coupon_template_id, shop_id)
        coupon_fen = template.reduction_fen if template is not None else None
    sample = preview(
        session,
        shop_id=shop_id,
        channel=campaign.channel,
        signature=campaign.signature,
        body=campaign.body,
        purpose=campaign.purpose,
        coupon_fen=coupon_fen,
    )
    return Estimate(
        audience=len(ids),
        targets=len(targets),
        holdout=holdout,
        excluded=excluded,
        capped=capped,
        cost_fen=sample.cost_fen * (len(targets) - capped),
    )


QUEUE_CHUNK = 20_000
"""Audience members that :func:`queue_campaign` reads, renders and writes at a time: its memory grows with
this, not with the audience."""

_RECIPIENT_COLUMNS = ("campaign_id", "customer_id", "shop_id", "arm", "reason")
_OUTBOX_COLUMNS = (
    "shop_id",
    "channel",
    "purpose",
    "campaign_id",
    "customer_id",
    "batch_no",
    "text",
    "parts",
    "status",
    "due_at",
    "attempts",
    "provider_ref",
    "last_error",
)


def _audience_chunks(session: Session, sql: DriverSQL, campaign: Campaign, size: int) -> Iterator[list[int]]:
    """The campaign's audience, ``size`` customer ids at a time, ascending. A frozen snapshot is read page by
    page (keyset on its primary key); a live audience is evaluated once (its ids) and cut up."""
    if campaign.snapshot_id is None:
        ids = _audience_ids(session, campaign)
        for start in range(0, len(ids), size):
            yield ids[start : start + size]
        return
    after = -1
    while True:
        page = [
            int(row[0])
            for row in sql.query(
                f"SELECT customer_id FROM audience_members WHERE snapshot_id = {sql.ph} AND shop_id = {sql.ph}"
                f" AND customer_id > {sql.ph} ORDER BY customer_id LIMIT {int(size)}",
                (campaign.snapshot_id, campaign.shop_id, after),
            )
        ]
        if page:
            yield page
        if len(page) < size:
            return
        after = page[-1]


def _query_in(sql: DriverSQL, text: str, params: tuple[Any, ...], keys: list[int]) -> list[tuple[Any, ...]]:
    """Run ``text`` whose ``{in}`` (after an integer column, the statement's last placeholder) selects at
    least the rows of ``keys``. Dense keys (a chunk of a snapshot, mostly) are one ``BETWEEN`` range, whose
    other rows — fewer than the keys — come back too: callers look theirs up by key. Sparse ones are one
    ``= ANY(array)`` on PostgreSQL, ``IN (…)`` lists of 5,000 on SQLite."""
    if not keys:
        return []
    low, high = min(keys), max(keys)
    if high - low < 2 * len(keys):
        return sql.query(text.replace("{in}", f"BETWEEN {sql.ph} AND {sql.ph}"), (*params, low, high))
    if sql.dialect != "sqlite":  # the array as its text form: psycopg would dump a list element by element
        array = "{" + ",".join(map(str, keys)) + "}"
        return sql.query(text.replace("{in}", f"= ANY(CAST({sql.ph} AS integer[]))"), (*params, array))
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(keys), 5_000):
        part = keys[start : start + 5_000]
        rows.extend(sql.query(text.replace("{in}", f"IN ({', '.join([sql.ph] * len(part))})"), (*params, *part)))
    return rows


def _reachable_of(
    sql: DriverSQL, shop_id: int, channel: str, ids: list[int]
) -> dict[int, tuple[str, bool, str | None]]:
    """Customer id → (name, has a phone, consent status or None), for these customers (and maybe others of
    their id range, see :func:`_query_in`): two index lookups, no join for the planner to get wrong."""
    people: dict[int, tuple[str, bool, str | None]] = {
        int(cid): (str(name or ""), bool(phone), None)
        for cid, name, phone in _query_in(
            sql,
            f"SELECT id, name, phone_cipher IS NOT NULL FROM customers WHERE shop_id = {sql.ph} AND id {{in}}",
            (shop_id,),
            ids,
        )
    }
    consents = _query_in(
        sql,
        f"SELECT customer_id, status FROM consents WHERE shop_id = {sql.ph} AND channel = {sql.ph}"
        " AND customer_id {in}",
        (shop_id, channel),
        ids,
    )
    for cid, status in consents:
        person = people.get(int(cid))
        if person is not None:
            people[int(cid)] = (person[0], person[1], status)
    return people


def _last_products_of(sql: DriverSQL, shop_id: int, ids: list[int]) -> dict[int, str]:
    """Customer id → the product of their latest paid order line, for these customers."""
    rows = _query_in(
        sql,
        "SELECT customer_id, product_name FROM ("
        " SELECT o.customer_id, l.product_name, ROW_NUMBER() OVER ("
        "  PARTITION BY o.customer_id ORDER BY o.ordered_at DESC, l.id) AS rn"
        " FROM orders o JOIN order_lines l ON l.order_id = o.id"
        f" WHERE o.shop_id = {sql.ph} AND o.is_paid AND o.customer_id {{in}}) AS ranked WHERE rn = 1",
        (shop_id,),
        ids,
    )
    return {int(cid): str(name) for cid, name in rows}


class _Writer:
    """Writes each chunk's rows while the next chunk is rendered. On PostgreSQL one background thread runs
    the COPYs on the session's connection, so the server's work on them (indexes, foreign keys) overlaps the
    rendering; the caller touches the connection only after :meth:`wait`. SQLite runs in this process: it
    writes at once."""

    def __init__(self, sql: DriverSQL) -> None:
        self.sql = sql
        self._pool = None if sql.dialect == "sqlite" else ThreadPoolExecutor(1, thread_name_prefix="siyu-queue")
        self._pending: Future[None] | None = None

    def write(self, recipients: list[tuple[Any, ...]], messages: list[tuple[Any, ...]]) -> None:
        self.wait()
        if self._pool is None:
            self._write(recipients, messages)
        else:
            self._pending = self._pool.submit(self._write, recipients, messages)

    def _write(self, recipients: list[tuple[Any, ...]], messages: list[tuple[Any, ...]]) -> None:
        self.sql.copy_insert("campaign_recipients", _RECIPIENT_COLUMNS, recipients)
        self.sql.copy_insert(OutboxMessage.__tablename__, _OUTBOX_COLUMNS, messages)

    def wait(self) -> None:
        """Until the rows given so far are written (raising what writing them raised)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown()


def queue_campaign(
    session: Session,
    *,
    by: Actor,
    campaign_id: int,
    send_at: datetime | None = None,
    now: datetime | None = None,
    chunk: int | None = None,
) -> QueueReport:
    """Fix the audience, draw the hold-out, render and lint every message and put them in the outbox.

    The audience goes through in chunks of ``chunk`` (default :data:`QUEUE_CHUNK`) members: each is read,
    rendered, linted and written before the next is rendered (on PostgreSQL written while the next is
    rendered). The writes run in a savepoint: a blocking problem found in any chunk (a variable missing or
    too long, a message too long) is counted to the end of the audience, then the savepoint is rolled back
    and the queueing refused with nothing written.
    """
    now = now or utcnow()
    if chunk is not None and chunk < 1:
        raise ValueError("chunk must be at least 1")
    campaign = get_campaign(session, shop_id=by.shop_id, campaign_id=campaign_id, lock=True)
    if campaign.status != "draft":
        raise CampaignState(campaign.status, "queue")
    settings = channel_settings(session, shop_id=by.shop_id, channel=campaign.channel)
    rules = domain.PROVIDERS.get(settings.rules, domain.GENERIC)
    words = domain.DEFAULT_FORBIDDEN_WORDS if settings.forbidden_words is None else settings.forbidden_words
    coupon_fen = None
    if campaign.coupon_template_id is not None:
        template = shop_row(session, CouponTemplate, campaign.coupon_template_id, by.shop_id)
        coupon_fen = template.reduction_fen if template is not None else None
    static = domain.lint_message(
        signature=campaign.signature,
        body=campaign.body,
        purpose=campaign.purpose,
        rules=rules,
        forbidden_words=words,
        sample=sample_values(link_base(), coupon_fen),
    )
    if domain.blocking(static):
        raise BlockedByLints([lint.code for lint in domain.blocking(static)])
    start = send_at if send_at is not None and send_at > now else now
    savepoint = session.begin_nested()
    try:
        report = _queue_audience(
            session, campaign, settings, rules, _coupon_text(coupon_fen) if coupon_fen else "", start, chunk
        )
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    report.batches = -(-report.targets // campaign.batch_size) if report.targets else 0
    report.cost_fen = domain.cost_fen(report.parts, settings.price_fen_per_part)
    campaign.status = "scheduled" if start > now else "sending"
    campaign.scheduled_at, campaign.started_at = start, now
    campaign.audience_count, campaign.holdout_count = report.audience, report.holdout
    campaign.excluded_count, campaign.queued_count = sum(report.excluded.values()), report.targets
    campaign.parts_total, campaign.price_fen_per_part = report.parts, settings.price_fen_per_part
    campaign.lints = [{"code": lint.code, "level": lint.level, "zh": lint.zh, "en": lint.en} for lint in static]
    campaign.updated_at = now
    record(
        session,
        by,
        "campaign.queue",
        "campaign",
        campaign.id,
        after={
            "targets": report.targets,
            "holdout": report.holdout,
            "excluded": report.excluded,
            "parts": report.parts,
            "send_at": start.isoformat(),
        },
    )
    return report


def _queue_audience(
    session: Session,
    campaign: Campaign,
    settings: ChannelSettings,
    rules: domain.ProviderRules,
    coupon: str,
    start: datetime,
    chunk: int | None,
) -> QueueReport:
    """Arms and rendered messages of the whole audience, chunk by chunk (see :func:`queue_campaign`);
    raises :class:`BlockedByLints` or :class:`NoAudience` after the last chunk."""
    sql = DriverSQL(session)
    template = domain.Template.parse(campaign.body)
    # the campaign's fields as locals: the loop below runs once per member of the audience
    cid, shop_id, channel, purpose = campaign.id, campaign.shop_id, campaign.channel, campaign.purpose
    batch_size, interval, holdout_pct = campaign.batch_size, campaign.batch_interval_minutes, campaign.holdout_pct
    marketing, require_consent = purpose == "marketing", settings.require_consent
    wants_product = "last_product" in template.variables
    base, render, count_utf16 = link_base(), template.render, rules.count_utf16
    signature_text = domain.full_text(campaign.signature, "")
    report = QueueReport()
    excluded = report.excluded
    dues: dict[int, datetime | str] = {}
    parts_of: dict[int, int] = {}
    missing: dict[str, int] = {}
    too_long = 0
    chunks = _audience_chunks(session, sql, campaign, chunk if chunk is not None else QUEUE_CHUNK)

    def read() -> tuple[list[int], dict[int, tuple[str, bool, str | None]], dict[int, str]] | None:
        ids = next(chunks, None)
        if ids is None:
            return None
        products = _last_products_of(sql, shop_id, ids) if wants_product else {}
        return ids, _reachable_of(sql, shop_id, channel, ids), products

    writer = _Writer(sql)
    try:
        current = read()
        while current is not None:
            ids, people, products = current
            report.audience += len(ids)
            recipients: list[tuple[Any, ...]] = []
            messages: list[tuple[Any, ...]] = []
            codes = dict(zip(ids, short_codes(cid, ids), strict=True))
            for customer_id in ids:
                person = people.get(customer_id)
                reason = _exclusion(person, marketing, require_consent)
                if reason:
                    excluded[reason] = excluded.get(reason, 0) + 1
                    recipients.append((cid, customer_id, shop_id, "excluded", reason))
                    continue
                if marketing and holdout_pct and in_holdout(cid, customer_id, holdout_pct):
                    report.holdout += 1
                    recipients.append((cid, customer_id, shop_id, "holdout", ""))
                    continue
                rendered = render(
                    {
                        "name": person[0],  # type: ignore[index]
                        "last_product": products.get(customer_id, ""),
                        "coupon": coupon,
                        "link": base + codes[customer_id],
                    },
                    rules,
                )
                if rendered.missing:
                    for name in rendered.missing:
                        missing[name] = missing.get(name, 0) + 1
                if rendered.too_long:
                    too_long += 1
                text = signature_text + rendered.text
                length = len(text.encode("utf-16-le")) >> 1 if count_utf16 else len(text)  # domain.sms_length
                parts = parts_of.get(length)
                if parts is None:
                    parts = parts_of[length] = domain.sms_parts(length, rules)
                report.parts += parts
                if length > report.max_length:
                    report.max_length = length
                batch_no = report.targets // batch_size + 1
                report.targets += 1
                recipients.append((cid, customer_id, shop_id, "target", ""))
                due = dues.get(batch_no)
                if due is None:
                    due = dues[batch_no] = sql.time_value(start + timedelta(minutes=interval * (batch_no - 1)))
                messages.append(
                    (shop_id, channel, purpose, cid, customer_id, batch_no, text, parts, "queued", due, 0, "", "")
                )
            writer.wait()  # the connection is free again: read the next chunk before writing this one
            current = read()
            if not (missing or too_long or report.max_length > rules.max_length):
                writer.write(recipients, messages)
            # else: refused at the end, only the counts matter from here on
    finally:
        writer.close()
    problems = [f"variable_missing:{name}:{count}" for name, count in sorted(missing.items())]
    if too_long:
        problems.append(f"variable_too_long:{too_long}")
    if report.max_length > rules.max_length:
        problems.append(f"too_long:{report.max_length}")
    if problems:
        raise BlockedByLints(problems)
    if not report.audience:
        raise NoAudience()
    return report


# ---- pause / resume / cancel ---------------------------------------------------------------------------
_MOVES = {
    "pause": ({"sending", "scheduled"}, "paused"),
    "resume": ({"paused"}, "sending"),
    "cancel": ({"draft", "scheduled", "sending", "paused"}, "cancelled"),
}


def change_campaign(session: Session, *, by: Actor, campaign_id: int, action: str) -> Campaign:
    """Pause, resume or cancel. A paused campaign's queued messages wait; cancelled ones are never sent."""
    if action not in _MOVES:
        raise InvalidInput("操作只能是 pause、resume 或 cancel", "action must be pause, resume or cancel")
    campaign = get_campaign(session, shop_id=by.shop_id, campaign_id=campaign_id, lock=True)
    allowed, target = _MOVES[action]
    if campaign.status not in allowed:
        raise CampaignState(campaign.status, action)
    before = campaign.status
    campaign.status, campaign.updated_at = target, utcnow()
    if action == "cancel":
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.campaign_id == campaign.id, OutboxMessage.status == "queued")
            .values(status="cancelled")
        )
        campaign.finished_at = utcnow()
    record(
        session, by, f"campaign.{action}", "campaign", campaign.id, before={"status": before}, after={"status": target}
    )
    return campaign


def finish_campaigns(session: Session, *, now: datetime | None = None) -> int:
    """Mark sending campaigns done once none of their messages waits or is in flight; returns how many."""
    now = now or utcnow()
    busy = select(OutboxMessage.campaign_id).where(OutboxMessage.status.in_(("queued", "sending")))
    done = session.execute(
        update(Campaign)
        .where(
            Campaign.status.in_(("sending", "scheduled")), Campaign.started_at.is_not(None), Campaign.id.not_in(busy)
        )
        .values(status="done", finished_at=now)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


# ---- short-link clicks ---------------------------------------------------------------------------------
def follow_short_link(session: Session, *, code: str, user_agent: str = "", now: datetime | None = None) -> str:
    """Where a recipient's personal short link leads; a click by a target recipient is counted (a forwarded
    or guessed code of someone outside the target arm leads there too, uncounted)."""
    decoded = decode_short_code(code)
    campaign = session.get(Campaign, decoded[0]) if decoded else None
    if decoded is None or campaign is None or not campaign.link_url:
        raise NotFound("链接", "link")
    recipient = session.get(CampaignRecipient, (campaign.id, decoded[1]))
    if recipient is not None and recipient.arm == "target":
        session.add(
            LinkClick(
                shop_id=campaign.shop_id,
                campaign_id=campaign.id,
                customer_id=decoded[1],
                user_agent=user_agent[:300],
                at=now or utcnow(),
            )
        )
    return campaign.link_url
