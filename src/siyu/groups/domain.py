"""Pure rules of group chats (社群 / 咚咚群聊, SPEC §7 and §8): limits, entry thresholds, sub-group
placement, the red-packet split, flash-sale checks, activity windows, moderation, growth value and
check-in, guess the price, group types and the content calendar. No database, no I/O.

Sources: the JD group-marketing guide (seed 000: 10 sub-groups of 1,000, at most 10 groups, kick at
most 10, who cannot join, the four goals, flash sale 1–48 h and 8 SKUs above the shop/category floor,
at most 3 activities at once, growth value) and the JD supermarket private-domain plan (seed 001:
group types, the monthly/weekly/daily operating calendar of the welfare group).

Money is integer fen. Datetimes where wall-clock matters (the content calendar) are naive shop-local
times; the services convert to UTC at the edge.
"""

from __future__ import annotations

import calendar
import random
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import NamedTuple

from siyu.core.errors import InvalidInput
from siyu.core.money import format_yuan

# ---- limits (seed 000 §2, §3, §5) ---------------------------------------------------------------------
SUBGROUPS_PER_GROUP = 10
"""Creating a group creates 10 sub-groups (子群)."""
SUBGROUP_CAPACITY = 1000
"""Each sub-group holds 1,000 members by default."""
MAX_GROUPS_PER_SHOP = 10
MAX_SUBGROUPS_PER_SHOP = 100
MAX_FANS_PER_SHOP = 100_000
KICK_AT_MOST = 10
"""Owner and admins kick at most 10 ordinary members per action."""
ACTIVITIES_AT_ONCE = 3
"""At most 3 activities (coupons, red packets, flash sales, games) in one group at the same time."""
FLASH_SALE_MIN_HOURS = 1
FLASH_SALE_MAX_HOURS = 48
FLASH_SALE_MAX_SKUS = 8
RED_PACKETS_AT_MOST = 10_000
RED_PACKET_BUDGET_AT_MOST = 100_000_000
"""¥1,000,000 per round."""


def _ymd_hm(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


# ---- entry thresholds (seed 000 §6.1, Q&A "为什么部分买家进不了群") -----------------------------------------
@dataclass(frozen=True, slots=True)
class Goal:
    label_zh: str
    label_en: str
    rule_zh: str
    rule_en: str


GOALS: dict[str, Goal] = {
    "new": Goal("拉新", "acquire new buyers", "任何人可进群", "anyone may join"),
    "fans": Goal("拉粉丝", "grow followers", "关注店铺才可进群", "shop followers only"),
    "members": Goal("拉会员", "grow members", "开卡会员才可进群", "card members only"),
    "high_value": Goal(
        "高价值群", "high-value buyers", "累计消费满指定金额才可进群", "cumulative spend ≥ a set amount"
    ),
}


@dataclass(frozen=True, slots=True)
class Buyer:
    """What the join rules need to know about a buyer."""

    follows_shop: bool
    is_member: bool
    spend_fen: int
    """Cumulative spend in the shop."""
    high_risk: bool
    merchant: bool
    """The account is another merchant's (非本店商家的其他商家账号)."""
    kicked: bool
    """The buyer was kicked from this group: they can never rejoin it."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a buyer may not join a group: a stable code and a message in Chinese and English."""

    code: str
    zh: str
    en: str


def check_goal(goal: str, min_spend_fen: int) -> None:
    """A group's goal is one of :data:`GOALS`; a high-value group needs a positive minimum spend; the
    minimum spend is never negative (other goals ignore it)."""
    if goal not in GOALS:
        raise InvalidInput(
            f"未知的群目标「{goal}」", f"unknown group goal '{goal}'", code="group_unknown_goal", goal=goal
        )
    if min_spend_fen < 0:
        raise InvalidInput("累计消费门槛不能为负数", "the minimum spend cannot be negative", code="group_min_spend")
    if goal == "high_value" and min_spend_fen <= 0:
        raise InvalidInput(
            "高价值群需要设置大于 0 的累计消费门槛",
            "a high-value group needs a minimum cumulative spend above zero",
            code="group_min_spend",
        )


CLOSED = Refusal("group_closed", "该群已关闭，暂不接受加入", "the group is closed to new members")
KICKED = Refusal("group_kicked", "你已被移出该群，不能再次加入", "you were removed from this group and cannot rejoin")


def join_refusal(goal: str, min_spend_fen: int, buyer: Buyer) -> Refusal | None:
    """Why ``buyer`` may not join a group with this goal, or None if they may. The seed's three kinds of
    buyer who can never join come first (kicked from this group, high risk, another merchant's account),
    then the goal's threshold: followers (拉粉丝), card members (拉会员), cumulative spend (高价值群)."""
    check_goal(goal, min_spend_fen)
    if buyer.kicked:
        return KICKED
    if buyer.high_risk:
        return Refusal("group_high_risk", "账号存在风险，暂不能加入该群", "this account is flagged as high risk")
    if buyer.merchant:
        return Refusal("group_merchant_account", "商家账号不能加入其他店铺的群", "merchant accounts cannot join")
    if goal == "fans" and not buyer.follows_shop:
        return Refusal("group_followers_only", "关注店铺后才可进群", "follow the shop to join this group")
    if goal == "members" and not buyer.is_member:
        return Refusal("group_members_only", "开通店铺会员后才可进群", "become a shop member to join this group")
    if goal == "high_value" and buyer.spend_fen < min_spend_fen:
        have, need = format_yuan(buyer.spend_fen), format_yuan(min_spend_fen)
        return Refusal(
            "group_spend_too_low",
            f"累计消费 {have}，满 {need} 才可进群",
            f"cumulative spend {have} of the {need} needed to join",
        )
    return None


# ---- sub-group placement (seed 000 §2.3) ---------------------------------------------------------------
def place(counts: Sequence[int], capacity: int | Sequence[int]) -> int | None:
    """The index of the first sub-group, in order, that is not full (``count < capacity``; one capacity
    for all or one per sub-group); None when all are full. The joins hand out seats under the sub-group
    rows' locks, so concurrent joins never overfill."""
    capacities = [capacity] * len(counts) if isinstance(capacity, int) else list(capacity)
    if len(capacities) != len(counts):
        raise ValueError("one capacity per sub-group")
    for index, (count, cap) in enumerate(zip(counts, capacities, strict=True)):
        if cap < 1:
            raise ValueError("a sub-group holds at least one member")
        if count < 0:
            raise ValueError("a member count cannot be negative")
        if count < cap:
            return index
    return None


# ---- red-packet rain (SPEC §8) --------------------------------------------------------------------------
def split_red_packets(budget_fen: int, count: int, rng: random.Random) -> list[int]:
    """Split ``budget_fen`` into ``count`` packets by the "double average" method, exactly fair in integers.

    With R fen and n packets left (n ≥ 2), the next packet is uniform on [1, M] where M is 2R/n − 1 when
    n divides 2R; otherwise M is ⌊2R/n⌋ − 1 or one more, the larger with probability (2R mod n)/n, so
    the packet's expected value is exactly R/n. The last packet takes the rest.

    Why it holds: R ≥ n always (it does at the start, and M ≤ R − n + 1 because 2R/n − 1 ≤ R − n + 1
    whenever R ≥ n and n ≥ 2), so every packet is ≥ 1 fen and the sum is the budget. Each packet's
    conditional mean is the remaining average, so by induction every grab position expects budget/count.
    Refused: fewer than 1 packet, more than :data:`RED_PACKETS_AT_MOST`, a budget below one fen a packet
    or above :data:`RED_PACKET_BUDGET_AT_MOST`.
    """
    if count < 1 or count > RED_PACKETS_AT_MOST:
        raise InvalidInput(
            f"红包个数须在 1 到 {RED_PACKETS_AT_MOST:,} 之间",
            f"the number of red packets must be 1 to {RED_PACKETS_AT_MOST:,}",
            code="group_red_packet_count",
        )
    if budget_fen < count:
        raise InvalidInput(
            f"红包总额至少为每个红包 0.01 元（{count} 个需 {format_yuan(count)}）",
            f"the budget must give each packet at least ¥0.01 ({count} packets need {format_yuan(count)})",
            code="group_red_packet_budget",
        )
    if budget_fen > RED_PACKET_BUDGET_AT_MOST:
        raise InvalidInput(
            f"每轮红包总额不能超过 {format_yuan(RED_PACKET_BUDGET_AT_MOST)}",
            f"a round's budget cannot exceed {format_yuan(RED_PACKET_BUDGET_AT_MOST)}",
            code="group_red_packet_budget",
        )
    packets: list[int] = []
    remaining = budget_fen
    for left in range(count, 1, -1):
        whole, rest = divmod(2 * remaining, left)
        top = whole - 1 + (1 if rng.randrange(left) < rest else 0)
        amount = rng.randint(1, top)
        packets.append(amount)
        remaining -= amount
    packets.append(remaining)
    return packets


# ---- flash sale (seed 000 §5.1) -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FlashItem:
    sku: str
    list_price_fen: int
    price_fen: int
    stock: int
    category: str = ""


def price_floor_fen(list_price_fen: int, min_discount_pct: int) -> int:
    """The lowest price allowed at a minimum discount of ``min_discount_pct`` percent of list price,
    rounded up to the fen (70 % of ¥0.99 is 69.3 fen, so 70 fen)."""
    return -(-list_price_fen * min_discount_pct // 100)


def _check_pct(pct: int, where_zh: str, where_en: str) -> None:
    if not 1 <= pct <= 100:
        raise InvalidInput(
            f"{where_zh}最低折扣须在 1% 到 100% 之间",
            f"the minimum discount of {where_en} must be 1% to 100%",
            code="group_flash_sale_min_discount",
        )


def check_flash_sale(
    starts_at: datetime,
    ends_at: datetime,
    items: Sequence[FlashItem],
    *,
    shop_min_discount_pct: int,
    category_min_discount_pct: Mapping[str, int],
) -> None:
    """A flash sale (限时抢购) runs 1 to 48 hours inclusive with 1 to 8 distinct SKUs, each with stock ≥ 1
    and 0 < price ≤ list price, and no price below the minimum discount the merchant set: the
    category's setting for an item of that category, else the shop's. A minimum discount of 70 means the
    price is at least 70 % of list price (see :func:`price_floor_fen`). Each refusal names the SKU."""
    _check_pct(shop_min_discount_pct, "店铺", "the shop")
    for category, pct in category_min_discount_pct.items():
        _check_pct(pct, f"品类「{category}」", f"category '{category}'")
    if (starts_at.tzinfo is None) != (ends_at.tzinfo is None):
        raise InvalidInput(
            "开始和结束时间须同为店铺当地时间",
            "start and end must both be shop-local times",
            code="group_activity_time",
        )
    length = ends_at - starts_at
    if not timedelta(hours=FLASH_SALE_MIN_HOURS) <= length <= timedelta(hours=FLASH_SALE_MAX_HOURS):
        raise InvalidInput(
            f"限时抢购时长须为 {FLASH_SALE_MIN_HOURS}–{FLASH_SALE_MAX_HOURS} 小时"
            f"（{_ymd_hm(starts_at)} 至 {_ymd_hm(ends_at)}）",
            f"a flash sale lasts {FLASH_SALE_MIN_HOURS} to {FLASH_SALE_MAX_HOURS} hours"
            f" ({_ymd_hm(starts_at)} to {_ymd_hm(ends_at)})",
            code="group_flash_sale_duration",
        )
    if not 1 <= len(items) <= FLASH_SALE_MAX_SKUS:
        raise InvalidInput(
            f"限时抢购须有 1–{FLASH_SALE_MAX_SKUS} 个商品（当前 {len(items)} 个）",
            f"a flash sale has 1 to {FLASH_SALE_MAX_SKUS} SKUs (got {len(items)})",
            code="group_flash_sale_items",
        )
    seen: set[str] = set()
    for item in items:
        sku = item.sku.strip()
        if not sku:
            raise InvalidInput("商品 SKU 不能为空", "a SKU is required", code="group_flash_sale_sku")
        if sku in seen:
            raise InvalidInput(
                f"商品 {sku} 重复", f"SKU {sku} is listed twice", code="group_flash_sale_duplicate_sku", sku=sku
            )
        seen.add(sku)
        if item.stock < 1:
            raise InvalidInput(
                f"商品 {sku} 的库存至少为 1",
                f"SKU {sku} needs a stock of at least 1",
                code="group_flash_sale_stock",
                sku=sku,
            )
        if item.list_price_fen <= 0 or not 0 < item.price_fen <= item.list_price_fen:
            raise InvalidInput(
                f"商品 {sku} 的抢购价须大于 0 且不高于原价 {format_yuan(item.list_price_fen)}",
                f"SKU {sku}: the price must be above zero and at most the list price"
                f" {format_yuan(item.list_price_fen)}",
                code="group_flash_sale_price",
                sku=sku,
            )
        pct = category_min_discount_pct.get(item.category, shop_min_discount_pct)
        floor = price_floor_fen(item.list_price_fen, pct)
        if item.price_fen < floor:
            raise InvalidInput(
                f"商品 {sku} 的抢购价 {format_yuan(item.price_fen)} 低于最低折扣 {pct}%"
                f"（原价 {format_yuan(item.list_price_fen)}，最低 {format_yuan(floor)}）",
                f"SKU {sku}: the price {format_yuan(item.price_fen)} is below the minimum discount of {pct}%"
                f" (list price {format_yuan(item.list_price_fen)}, at least {format_yuan(floor)})",
                code="group_flash_sale_below_min_discount",
                sku=sku,
                floor_fen=floor,
            )


# ---- activity windows (seed 000 §5.2, SPEC §8) -----------------------------------------------------------
def overlapping(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether two half-open windows [start, end) share a moment (one ending as the other starts does not)."""
    return a_start < b_end and b_start < a_end


def coupon_window_ok(
    activity_start: datetime, activity_end: datetime, claim_start: datetime, claim_end: datetime | None
) -> bool:
    """A group-coupon activity lies inside the coupon's claim window: it starts no earlier than the claim
    start and ends no later than the claim end (None: the claim window never ends)."""
    return activity_start >= claim_start and (claim_end is None or activity_end <= claim_end)


def check_coupon_window(
    activity_start: datetime, activity_end: datetime, claim_start: datetime, claim_end: datetime | None
) -> None:
    """Refuse a group-coupon activity outside the coupon's claim window, naming both windows."""
    if coupon_window_ok(activity_start, activity_end, claim_start, claim_end):
        return
    claim_to = _ymd_hm(claim_end) if claim_end is not None else "不限"
    claim_to_en = _ymd_hm(claim_end) if claim_end is not None else "open-ended"
    activity = f"{_ymd_hm(activity_start)} – {_ymd_hm(activity_end)}"
    raise InvalidInput(
        f"活动时间 {activity} 须在优惠券领取时间 {_ymd_hm(claim_start)} – {claim_to} 之内",
        f"the activity {activity} must lie within the coupon's claim window {_ymd_hm(claim_start)} – {claim_to_en}",
        code="group_coupon_window",
    )


# ---- moderation (seed 000 §3.3, §6.2.6) ------------------------------------------------------------------
MODERATION_KINDS = ("keyword", "link", "ad")
ACTIONS = ("warn", "remove", "kick")
"""From the mildest to the strictest."""


@dataclass(frozen=True, slots=True)
class ModerationRule:
    """A group rule: a keyword (``pattern``), any link to a host not allowed, or the built-in ad patterns
    (``pattern`` unused for ``link`` and ``ad``); ``action`` is what happens to a post that breaks it."""

    kind: str  # "keyword" | "link" | "ad"
    pattern: str = ""
    action: str = "remove"  # "remove" | "warn" | "kick"

    def __post_init__(self) -> None:
        if self.kind not in MODERATION_KINDS:
            raise InvalidInput(
                f"未知的群规类型「{self.kind}」", f"unknown rule kind '{self.kind}'", code="group_rule_kind"
            )
        if self.action not in ACTIONS:
            raise InvalidInput(
                f"未知的处理方式「{self.action}」", f"unknown rule action '{self.action}'", code="group_rule_action"
            )
        if self.kind == "keyword" and not _compact(self.pattern)[0]:
            raise InvalidInput("关键词不能为空", "a keyword rule needs a keyword", code="group_rule_pattern")


@dataclass(frozen=True, slots=True)
class Verdict:
    """The rule a post broke, what to do, and the part of the post (as written) that broke it."""

    rule: ModerationRule
    action: str
    matched: str


def _view(text: str, drop: Callable[[str], bool]) -> tuple[str, list[int]]:
    """``text`` normalised character by character (NFKC: full-width → half-width; case-folded) without
    the characters ``drop`` rejects, and for each kept character its index in ``text``."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for norm in unicodedata.normalize("NFKC", ch).casefold():
            if not drop(norm):
                chars.append(norm)
                index.append(i)
    return "".join(chars), index


def _is_separator(ch: str) -> bool:
    """Spaces, punctuation, symbols and invisible characters (what gets inserted between the characters
    of a word to dodge a keyword filter: 加 微 信, 加-微-信, 加💗微信)."""
    return unicodedata.category(ch)[0] in "ZPSC"


def _is_space(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in "ZC"


def _compact(text: str) -> tuple[str, list[int]]:
    return _view(text, _is_separator)


def _keep_all(ch: str) -> bool:
    return False


def _span(text: str, index: list[int], start: int, end: int) -> str:
    return text[index[start] : index[end - 1] + 1]


# Checked on the text without separators (evasions like "加 V" or "代-购" still match).
_AD_COMPACT = re.compile(
    r"加(?:微信|微|威|薇|徽|vx|wx|v(?!ip))"
    r"|(?:微信|薇信|威信|徽信|v信|wx|vx)号"
    r"|薇信|徽信|v信"
    r"|代购|兼职|刷单|日结|招代理"
    r"|加(?:qq|扣扣)|(?:qq|扣扣)(?:号)?\d{5,}"
)
# Checked on the text with spaces kept: Latin abbreviations must stand alone ("new x" is not "wx").
_AD_WORDS = re.compile(r"(?<![a-z])(?:v\s?x|w\s?x|vx号)(?![a-z])")
# Checked on the text without spaces: a phone (138-0013-8000) or a 7–11 digit run like a QQ number.
# Longer runs are left alone: JD order numbers are 12 digits or more.
_AD_NUMBERS = re.compile(r"(?<!\d)(?:1[3-9]\d-\d{4}-\d{4}|\d{7,11})(?!\d)")

_TLDS = (
    "com|cn|net|org|cc|co|io|me|tv|hk|tw|info|biz|top|xyz|vip|ltd|shop|club|site|online|store|tech|"
    "link|app|wang|ink|fun|icu|work|pro|asia|mobi|name|live|red|kim|cloud|love|group|xin|ren"
)
_HOST = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LINK = re.compile(
    rf"(?:https?://|www\.)(?P<host>(?:{_HOST}\.)*{_HOST})"  # a scheme or www.: any host
    rf"|(?<![a-z0-9.@-])(?P<bare>(?:{_HOST}\.)+(?:{_TLDS}))(?![a-z0-9-]|\.[a-z0-9])"  # bare x.com, t.cn
    rf"|@(?P<mail>(?:{_HOST}\.)+(?:{_TLDS}))(?![a-z0-9-]|\.[a-z0-9])"  # e-mail addresses
)


def _host_allowed(host: str, allowed: Sequence[str]) -> bool:
    host = host.rstrip(".")
    host = host.removeprefix("www.")
    for entry in allowed:
        base = entry.strip().casefold().lstrip(".").removeprefix("www.")
        if base and (host == base or host.endswith("." + base)):
            return True
    return False


def _keyword_match(text: str, pattern: str) -> str | None:
    haystack, index = _compact(text)
    needle = _compact(pattern)[0]
    at = haystack.find(needle)
    return None if at < 0 else _span(text, index, at, at + len(needle))


def _link_match(text: str, allowed_hosts: Sequence[str]) -> str | None:
    light, index = _view(text, _keep_all)
    for found in _LINK.finditer(light):
        host = found.group("host") or found.group("bare") or found.group("mail") or ""
        if not _host_allowed(host, allowed_hosts):
            return _span(text, index, found.start(), found.end())
    return None


def _ad_match(text: str) -> str | None:
    compact, c_index = _compact(text)
    found = _AD_COMPACT.search(compact)
    if found:
        return _span(text, c_index, found.start(), found.end())
    light, l_index = _view(text, _keep_all)
    found = _AD_WORDS.search(light)
    if found:
        return _span(text, l_index, found.start(), found.end())
    spaceless, s_index = _view(text, _is_space)
    found = _AD_NUMBERS.search(spaceless)
    if found:
        return _span(text, s_index, found.start(), found.end())
    return None


def moderate(text: str, rules: Sequence[ModerationRule], *, allowed_hosts: Sequence[str] = ()) -> Verdict | None:
    """The group rule a post breaks, or None. Text is normalised first (NFKC, so full-width letters and
    digits count as half-width; case-insensitive).

    - keyword: the keyword occurs in the post, ignoring spaces, punctuation and symbols between its
      characters ("加 微 信" and "加-微-信" match 加微信);
    - link: any URL (http(s)://…, www.…), bare domain (x.com, t.cn, 3.cn…) or e-mail address whose
      host is not ``allowed_hosts`` or a sub-domain of one (allowing jd.com allows item.jd.com);
    - ad: built-in patterns: 加微信 / 加V / vx / wx and look-alikes (薇信, 徽信), 代购, 兼职, 刷单, 日结,
      QQ with a number, a mobile number, or a run of 7–11 digits (a QQ or phone number; 12+ digits are
      taken for a JD order number).

    When several rules match, the strictest action wins (kick > remove > warn); among equals, the first
    rule in order. ``matched`` is the offending part of the post as written.
    """
    best: Verdict | None = None
    for rule in rules:
        if rule.kind == "keyword":
            matched = _keyword_match(text, rule.pattern)
        elif rule.kind == "link":
            matched = _link_match(text, allowed_hosts)
        else:
            matched = _ad_match(text)
        if matched is None:
            continue
        if best is None or ACTIONS.index(rule.action) > ACTIONS.index(best.action):
            best = Verdict(rule, rule.action, matched)
    return best


# ---- growth value and check-in (seed 000 Q&A "什么是成长值", §5.5) -------------------------------------------
LEVELS_AT_MOST = 10
LEVEL_NAME_AT_MOST = 30
LEVEL_BENEFITS_AT_MOST = 300


@dataclass(frozen=True, slots=True)
class GrowthLevel:
    name: str
    min_growth: int
    benefits: str = ""


def check_levels(levels: Sequence[GrowthLevel]) -> list[GrowthLevel]:
    """A shop's growth levels sorted by the growth they start at: 1 to 10 levels, the first at 0, each
    starting strictly above the one before, names non-empty (≤ 30 characters) and unique."""
    if not 1 <= len(levels) <= LEVELS_AT_MOST:
        raise InvalidInput(
            f"成长值等级须为 1–{LEVELS_AT_MOST} 个",
            f"define 1 to {LEVELS_AT_MOST} growth levels",
            code="group_levels_count",
        )
    ordered = sorted(levels, key=lambda level: level.min_growth)
    names: set[str] = set()
    for level in ordered:
        name = level.name.strip()
        if not name or len(name) > LEVEL_NAME_AT_MOST:
            raise InvalidInput(
                f"等级名称须为 1–{LEVEL_NAME_AT_MOST} 个字",
                f"a level name has 1 to {LEVEL_NAME_AT_MOST} characters",
                code="group_levels_name",
            )
        if name in names:
            raise InvalidInput(
                f"等级名称「{name}」重复", f"the level name '{name}' is used twice", code="group_levels_name"
            )
        names.add(name)
        if len(level.benefits) > LEVEL_BENEFITS_AT_MOST:
            raise InvalidInput(
                f"等级权益说明最多 {LEVEL_BENEFITS_AT_MOST} 个字",
                f"level benefits are at most {LEVEL_BENEFITS_AT_MOST} characters",
                code="group_levels_benefits",
            )
    if ordered[0].min_growth != 0:
        raise InvalidInput(
            "第一个等级须从成长值 0 开始", "the first level starts at growth 0", code="group_levels_first"
        )
    for lower, upper in pairwise(ordered):
        if upper.min_growth <= lower.min_growth:
            raise InvalidInput(
                f"等级「{lower.name}」和「{upper.name}」的起始成长值相同",
                f"levels '{lower.name}' and '{upper.name}' start at the same growth",
                code="group_levels_order",
            )
    return ordered


def level_of(growth: int, levels: Sequence[GrowthLevel]) -> GrowthLevel:
    """The highest level whose minimum growth ``growth`` has reached (levels checked by :func:`check_levels`)."""
    if growth < 0:
        raise ValueError("growth value cannot be negative")
    current = None
    for level in check_levels(levels):
        if level.min_growth > growth:
            break
        current = level
    assert current is not None  # the first level starts at 0
    return current


CHECKIN_POINTS = 5
CHECKIN_GROWTH = 10
STREAK_BONUS_EVERY = 7
"""Every 7th day of a streak (day 7, 14, 21 …) the check-in reward is doubled."""


def checkin_reward(streak: int) -> tuple[int, int]:
    """(points, growth) for the check-in that makes a streak of ``streak`` days: 5 points and 10 growth,
    doubled on every 7th consecutive day (day 7, 14, …) to reward keeping the habit."""
    if streak < 1:
        raise ValueError("a streak is at least one day")
    factor = 2 if streak % STREAK_BONUS_EVERY == 0 else 1
    return CHECKIN_POINTS * factor, CHECKIN_GROWTH * factor


def next_streak(last_day: date | None, today: date, streak: int) -> int:
    """The streak after checking in ``today`` (shop-local day): the last check-in yesterday continues it,
    any earlier day (or none) starts again at 1; a check-in today already is refused."""
    if last_day == today:
        raise InvalidInput("今天已经签到过了", "you have already checked in today", code="group_checked_in")
    if last_day is not None and last_day > today:
        raise InvalidInput("上次签到日期晚于今天", "the last check-in is dated after today", code="group_checkin_date")
    if last_day is not None and last_day == today - timedelta(days=1):
        return max(streak, 0) + 1
    return 1


# ---- guess the price (seed 000 §5.4) ---------------------------------------------------------------------
def guess_is_correct(guess_fen: int, price_fen: int, tolerance_pct: int) -> bool:
    """A guess is right when it is within ``tolerance_pct`` percent of the price:
    |guess − price| ≤ price × tolerance / 100, in exact integers (0 means the exact price)."""
    if price_fen <= 0:
        raise ValueError("the price must be positive")
    if not 0 <= tolerance_pct <= 100:
        raise ValueError("the tolerance is 0 to 100 percent")
    return abs(guess_fen - price_fen) * 100 <= price_fen * tolerance_pct


# ---- group types and the content calendar (SPEC §7, seed 001 "社群规划") ----------------------------------
@dataclass(frozen=True, slots=True)
class GroupType:
    label_zh: str
    label_en: str
    purpose_zh: str
    purpose_en: str


GROUP_TYPES: dict[str, GroupType] = {
    "welfare": GroupType(
        "福利群",
        "welfare group",
        "留存促活：爆款与福利折扣，提高粘性",
        "retention: best-sellers and deals keep buyers coming back",
    ),
    "interest": GroupType(
        "兴趣群",
        "interest group",
        "按兴趣分层（牙齿护理、剃毛、护肤、养生）：人设打造与用户教育",
        "a shared interest (tooth care, shaving, skincare, wellness): persona and buyer education",
    ),
    "acquisition": GroupType(
        "销售拉新群",
        "sales-acquisition group",
        "销售获客：引流拉新，促成首单",
        "acquisition: bring in new buyers and a first order",
    ),
    "retention": GroupType(
        "留存转化群",
        "retention-conversion group",
        "留存转化：老客复购与关联销售",
        "conversion: repeat and related purchases",
    ),
    "content": GroupType(
        "内容分享群",
        "content-sharing group",
        "内容分享：知识、技巧、评测种草",
        "content: knowledge, tips and reviews that make buyers want the product",
    ),
    "service": GroupType(
        "会员服务群", "member-service group", "会员服务：会员权益与专属服务", "members: benefits and dedicated service"
    ),
}


@dataclass(frozen=True, slots=True)
class Theme:
    label_zh: str
    label_en: str


THEMES: dict[str, Theme] = {
    "game": Theme("游戏互动", "game"),
    "product_topic": Theme("产品话题", "product topic"),
    "exclusive_deal": Theme("专属优惠", "exclusive deal"),
    "lucky_draw": Theme("幸运抽奖", "lucky draw"),
    "bundle_discount": Theme("组合优惠", "bundle discount"),
    "share_review": Theme("晒单分享", "share a review"),
    "recommendation": Theme("好物推荐", "product picks"),
}

WEEKDAY_THEMES: tuple[str, ...] = (
    "game",
    "product_topic",
    "exclusive_deal",
    "lucky_draw",
    "bundle_discount",
    "share_review",
    "recommendation",
)
"""Monday to Sunday, keys of :data:`THEMES`. The seed's welfare-group week names Monday to Saturday
(游戏主题, 产品话题, 社群专享, 幸运大抽奖, 凑单满减, 晒单有礼) and asks for product picks three times a
week (每周好物推荐三次): Sunday is the picks day. A shop may use its own themes (free text)."""

DAILY_SLOTS: tuple[str, ...] = ("08:30-09:30", "15:00-16:00", "20:30-21:30", "22:00")
"""The seed's daily slots, when buyers open WeChat: the morning commute, the afternoon break, before
sleep, and a 22:00 product post."""

SLOT_NOTES: dict[str, Theme] = {
    "08:30-09:30": Theme("早安问候、产品话题、小技巧（坐地铁时间）", "good morning, product topic, tips (commute)"),
    "15:00-16:00": Theme("生活话题、产品推荐（休憩时间）", "life topics, product picks (afternoon break)"),
    "20:30-21:30": Theme("活动与互动（睡前玩手机）", "activities and games (before sleep)"),
    "22:00": Theme("推品、建立人设（图文）、晚安分享", "product post, persona (image and text), good night"),
}


class MonthlyPlan(NamedTuple):
    themed_activities: int
    lotteries: int


MONTHLY = MonthlyPlan(themed_activities=3, lotteries=2)
"""Every month: 3 themed activities and 2 lotteries (seed 001, 福利群每月运营内容)."""

ACTIVITY_TIME = time(20, 30)
"""Themed activities and lotteries are posted at 20:30, the evening slot."""

_SLOT = re.compile(r"^(\d{1,2}):(\d{2})(?:\s*[-–~]\s*(\d{1,2}):(\d{2}))?$")


def parse_slot(slot: str) -> tuple[time, time | None]:
    """A daily slot "HH:MM-HH:MM" or "HH:MM" as (start, end or None)."""
    found = _SLOT.match(slot.strip())
    start = end = None
    try:
        if found:
            start = time(int(found[1]), int(found[2]))
            end = time(int(found[3]), int(found[4])) if found[3] else None
    except ValueError:
        start = None
    if start is None or (end is not None and end <= start):
        raise InvalidInput(
            f"时段「{slot}」格式不对，应为 08:30-09:30 或 22:00",
            f"the slot '{slot}' should look like 08:30-09:30 or 22:00",
            code="group_plan_slot",
        )
    return start, end


@dataclass(frozen=True, slots=True)
class PlannedPost:
    """A post of the content calendar; ``publish_at`` is a naive shop-local datetime."""

    publish_at: datetime
    slot: str
    theme: str
    kind: str  # "slot" | "themed_activity" | "lottery"


def spread_days(times: int, days_in_month: int) -> list[int]:
    """``times`` days spread evenly over a month: the middle day of each of ``times`` equal parts."""
    return [(2 * i + 1) * days_in_month // (2 * times) + 1 for i in range(times)]


def _check_days(days: Sequence[int], days_in_month: int, what_zh: str, what_en: str) -> list[int]:
    for day in days:
        if not 1 <= day <= days_in_month:
            raise InvalidInput(
                f"{what_zh}日期 {day} 不在本月（1–{days_in_month} 日）",
                f"{what_en} day {day} is not in the month (1–{days_in_month})",
                code="group_plan_day",
            )
    if len(set(days)) != len(days):
        raise InvalidInput(f"{what_zh}日期重复", f"a {what_en} day is listed twice", code="group_plan_day")
    return sorted(days)


def plan_month(
    year: int,
    month: int,
    *,
    weekday_themes: Sequence[str] = WEEKDAY_THEMES,
    slots: Sequence[str] = DAILY_SLOTS,
    themed_days: Sequence[int] | None = None,
    lottery_days: Sequence[int] | None = None,
) -> list[PlannedPost]:
    """The month's content calendar (seed 001): every day, one post per slot at the slot's start with the
    day's weekday theme (kind "slot"); on themed-activity and lottery days an extra post at 20:30 (kind
    "themed_activity" / "lottery", slot "20:30-21:30" or whichever slot starts at 20:30). Days not given
    (None) default to :data:`MONTHLY` spread evenly over the month (:func:`spread_days`); an empty list
    means none. Sorted by time, slot posts before activity posts at the same minute."""
    if not 1 <= month <= 12 or not 1 <= year <= 9999:
        raise InvalidInput(f"月份 {year}-{month} 不存在", f"no such month {year}-{month}", code="group_plan_month")
    if len(weekday_themes) != 7 or any(not theme.strip() for theme in weekday_themes):
        raise InvalidInput(
            "须为周一到周日各设一个主题", "give one theme for each day, Monday to Sunday", code="group_plan_themes"
        )
    days_in_month = calendar.monthrange(year, month)[1]
    parsed = [(slot, *parse_slot(slot)) for slot in slots]
    if len({slot for slot, _, _ in parsed}) != len(parsed):
        raise InvalidInput("时段重复", "a slot is listed twice", code="group_plan_slot")
    if themed_days is None:
        themed_days = spread_days(MONTHLY.themed_activities, days_in_month)
    if lottery_days is None:
        lottery_days = spread_days(MONTHLY.lotteries, days_in_month)
    extras = {
        "themed_activity": _check_days(themed_days, days_in_month, "主题活动", "themed activity"),
        "lottery": _check_days(lottery_days, days_in_month, "抽奖", "lottery"),
    }
    activity_slot = next((slot for slot, start, _ in parsed if start == ACTIVITY_TIME), ACTIVITY_TIME.strftime("%H:%M"))
    posts: list[PlannedPost] = []
    for day in range(1, days_in_month + 1):
        on = date(year, month, day)
        theme = weekday_themes[on.weekday()]
        for slot, start, _ in parsed:
            posts.append(PlannedPost(datetime.combine(on, start), slot, theme, "slot"))
        for kind, days in extras.items():
            if day in days:
                posts.append(PlannedPost(datetime.combine(on, ACTIVITY_TIME), activity_slot, theme, kind))
    rank = {"slot": 0, "themed_activity": 1, "lottery": 2}
    posts.sort(key=lambda post: (post.publish_at, rank[post.kind]))
    return posts
