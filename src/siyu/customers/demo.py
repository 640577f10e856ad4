"""Demo shop generator (SPEC §1): a realistic JD shop at any size, for the demo and for benchmarks.

Two halves, kept apart on purpose:

* **generation** (pure, no I/O): :func:`generate_catalogue`, :func:`shop_calendar` and
  :func:`generate_chunk` turn a seed into numpy columns. The same seed, size and ``now`` give the
  same shop, byte for byte (phone ciphers aside: AES-GCM draws a fresh nonce each time).
* **writing**: :func:`write_demo_data` streams chunks of customers into the database with
  :class:`siyu.db.DriverSQL` executemany, ids assigned up front, one transaction per chunk, so a
  million customers and ~10 million order lines need bounded memory and no ORM objects.

What makes the data look like a real JD shop: Chinese names from weighted surname lists, cities
weighted towards the big ones, ~40% masked phones as JD exports give them, many one-time buyers and
a long tail of heavy buyers (gamma–Poisson order counts, lognormal baskets, a few bulk buyers),
per-customer repurchase cycles, orders pulled into 618 and 双11 (peaks on 6.18 and 11.11, a
midnight rush), smaller 双12 and 年货节, and weekday/hour patterns in shop time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor, record
from siyu.config import get_settings
from siyu.core.errors import DomainError
from siyu.core.phones import PhoneVault
from siyu.db import DriverSQL, transaction
from siyu.segments.engine import bump_data_version

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
ObjArray = NDArray[np.object_]

# The demo shop that `siyu demo` and `make run` create.
DEMO_SHOP_CODE = "demo"
DEMO_SHOP_NAME = "演示旗舰店"
DEMO_PASSWORD = "siyu-demo-2026"
CHUNK_CUSTOMERS = 20_000  # ~100k orders / ~180k lines per transaction: bounded memory, few commits

DAY = 86_400

# ---------------------------------------------------------------------------------------------
# Reference data (weights are relative)
# ---------------------------------------------------------------------------------------------

# Surnames with their approximate share of the population (top of China's surname list).
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.2), ("赵", 2.0),
    ("吴", 2.0), ("周", 1.9), ("徐", 1.6), ("孙", 1.5), ("马", 1.4), ("朱", 1.3), ("胡", 1.3), ("郭", 1.2),
    ("何", 1.2), ("林", 1.1), ("高", 1.1), ("罗", 1.0), ("郑", 1.0), ("梁", 0.9), ("谢", 0.8), ("宋", 0.8),
    ("唐", 0.8), ("许", 0.7), ("韩", 0.7), ("冯", 0.7), ("邓", 0.7), ("曹", 0.6), ("彭", 0.6), ("曾", 0.6),
    ("肖", 0.6), ("田", 0.5), ("董", 0.5), ("袁", 0.5), ("潘", 0.5), ("于", 0.5), ("蒋", 0.5), ("蔡", 0.5),
    ("余", 0.5), ("杜", 0.4), ("叶", 0.4), ("程", 0.4), ("苏", 0.4), ("魏", 0.4), ("吕", 0.4), ("丁", 0.4),
    ("任", 0.4), ("沈", 0.4), ("欧阳", 0.05), ("上官", 0.01),
)  # fmt: skip
FEMALE_NAME_CHARS = tuple("芳娜敏静丽艳娟霞燕玲婷雪慧莹颖琳欣怡佳倩晶洁璐萍红梅琴蕾薇悦诗雨涵梓思可心彤琪馨瑶媛")
MALE_NAME_CHARS = tuple("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳博文哲然轩睿泽晨昊")

# (province, city, weight): JD's buyers cluster in the big cities. Names as the importer splits them.
CITIES: tuple[tuple[str, str, float], ...] = (
    ("北京", "北京市", 9.0), ("上海", "上海市", 9.0), ("广东", "深圳市", 7.5), ("广东", "广州市", 7.0),
    ("浙江", "杭州市", 6.0), ("四川", "成都市", 6.0), ("重庆", "重庆市", 4.5), ("湖北", "武汉市", 4.5),
    ("江苏", "南京市", 4.0), ("江苏", "苏州市", 4.0), ("陕西", "西安市", 3.5), ("天津", "天津市", 3.5),
    ("湖南", "长沙市", 3.0), ("河南", "郑州市", 3.0), ("山东", "青岛市", 2.5), ("山东", "济南市", 2.2),
    ("安徽", "合肥市", 2.2), ("广东", "东莞市", 2.0), ("福建", "厦门市", 2.0), ("福建", "福州市", 1.8),
    ("广东", "佛山市", 1.8), ("浙江", "宁波市", 1.8), ("辽宁", "沈阳市", 1.8), ("辽宁", "大连市", 1.5),
    ("江苏", "无锡市", 1.5), ("云南", "昆明市", 1.5), ("河北", "石家庄市", 1.3), ("黑龙江", "哈尔滨市", 1.2),
    ("浙江", "温州市", 1.2), ("江西", "南昌市", 1.1), ("山西", "太原市", 1.0), ("广西", "南宁市", 1.0),
    ("贵州", "贵阳市", 1.0), ("吉林", "长春市", 1.0), ("海南", "海口市", 0.6), ("甘肃", "兰州市", 0.6),
    ("新疆", "乌鲁木齐市", 0.6), ("内蒙古", "呼和浩特市", 0.5), ("宁夏", "银川市", 0.3), ("青海", "西宁市", 0.3),
    ("西藏", "拉萨市", 0.1),
)  # fmt: skip
UNKNOWN_CITY_SHARE = 0.05

# Mainland mobile prefixes (China Mobile, Unicom, Telecom), roughly by how common they are.
MOBILE_PREFIXES: tuple[tuple[str, float], ...] = (
    ("139", 6), ("138", 6), ("137", 5), ("136", 5), ("135", 5), ("134", 3), ("150", 4), ("151", 4),
    ("152", 3), ("157", 2), ("158", 4), ("159", 4), ("182", 3), ("183", 3), ("187", 4), ("188", 3),
    ("198", 2), ("130", 3), ("131", 3), ("132", 3), ("155", 3), ("156", 3), ("166", 2), ("185", 3),
    ("186", 4), ("176", 2), ("133", 3), ("153", 2), ("173", 2), ("177", 2), ("180", 3), ("181", 3),
    ("189", 4), ("191", 1), ("199", 2),
)  # fmt: skip
MASKED_PHONE_SHARE = 0.40  # JD exports mask ~40% of phones (138****1234): no hash, keep the mask
NO_PHONE_SHARE = 0.03

# Where customers first came from (keys of siyu.customers.models.SOURCE_CHANNELS).
SOURCE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("jd_order", 62.0), ("parcel_card", 12.0), ("official_account", 8.0), ("sms", 6.0), ("app", 5.0),
    ("fission", 4.0), ("partner", 3.0),
)  # fmt: skip
# Share of customers from non-order sources who only followed/registered and never bought.
FAN_ONLY_SHARE = 0.2
MEMBER_SHARE_REPEATERS = 0.32  # of customers who order more than once
MEMBER_SHARE_OTHERS = 0.02
MEMBER_PRICE_TASTE = 0.45  # members lean to dearer SKUs: higher order value [M]

# 订单来源 as JD writes it.
ORDER_CHANNELS: tuple[tuple[str, float], ...] = (
    ("京东APP", 58.0), ("微信小程序", 16.0), ("PC", 10.0), ("M站", 7.0), ("京东到家", 5.0), ("京喜", 4.0),
)  # fmt: skip

# Orders by hour of day in shop time: lunch break and the evening after work are busiest.
HOUR_WEIGHTS = np.array(
    [2.0, 1.0, 0.5, 0.3, 0.2, 0.2, 0.4, 0.9, 1.6, 2.4, 3.0, 3.0,
     2.6, 2.6, 2.9, 3.0, 2.9, 2.6, 2.6, 3.2, 4.0, 4.3, 3.8, 2.8],
)  # fmt: skip
# Monday … Sunday: weekends sell a little more.
WEEKDAY_WEIGHTS = np.array([0.95, 0.95, 0.97, 1.0, 1.05, 1.15, 1.12])
MIDNIGHT_RUSH_SHARE = 0.3  # on 6.18 and 11.11 many orders land in the first hour (零点抢购)

CANCELLED_SHARE = 0.065  # 已取消
DELETED_SHARE = 0.004  # 删除
# 满减 tiers (threshold fen, off fen) applied to some orders, most of them during festivals.
DISCOUNT_TIERS = ((9_900, 1_000), (19_900, 2_000), (29_900, 3_000), (49_900, 5_000), (99_900, 10_000))


@dataclass(frozen=True, slots=True)
class Festival:
    """A shopping festival: customers hold purchases for it (``lead_days``) and buy on its peak."""

    name: str
    start: tuple[int, int]  # (month, day)
    end: tuple[int, int]
    peak: tuple[int, int]
    level: float  # daily weight inside the window
    peak_level: float  # daily weight on the peak day
    lead_days: int
    pull: float  # share of orders within lead_days that move into the festival
    discount_share: float  # share of festival orders that use a 满减 coupon


FESTIVALS: tuple[Festival, ...] = (
    Festival("年货节", (1, 5), (1, 25), (1, 10), 1.4, 2.0, 14, 0.15, 0.5),
    Festival("618", (6, 1), (6, 18), (6, 18), 1.9, 7.0, 30, 0.40, 0.8),
    Festival("双11", (11, 1), (11, 11), (11, 11), 2.3, 9.0, 35, 0.45, 0.8),
    Festival("双12", (12, 8), (12, 12), (12, 12), 1.3, 3.0, 12, 0.20, 0.6),
)
PEAK_DAYS = ((6, 18), (11, 11))
BASE_DISCOUNT_SHARE = 0.2

# The catalogue of a (fictional) multi-category flagship store: base name, category, variants.
_BRAND = "森屿"
_CATALOGUE: tuple[tuple[str, str, tuple[tuple[str, float], ...]], ...] = (
    ("每日坚果混合果仁", "坚果炒货", (("750g/30袋", 129.0), ("375g/15袋", 69.9), ("1.5kg/60袋 家庭装", 239.0))),
    ("夏威夷果 奶油味", "坚果炒货", (("500g", 49.9), ("1kg 罐装", 89.9))),
    ("碧根果 长寿果", "坚果炒货", (("500g", 45.9), ("208g×2袋", 39.9))),
    ("开心果 原色无漂白", "坚果炒货", (("500g", 59.9), ("1kg", 109.0))),
    ("坚果礼盒", "坚果炒货", (("臻选 1.8kg 10袋", 168.0), ("年货 2.2kg 12袋", 218.0))),
    ("猪肉脯 靖江风味", "休闲零食", (("200g", 29.9), ("500g", 59.9))),
    ("芒果干", "休闲零食", (("108g×3袋", 29.9), ("500g", 45.9))),
    ("手撕面包 早餐", "休闲零食", (("1kg 整箱", 29.9),)),
    ("海苔脆 儿童零食", "休闲零食", (("40g×5", 19.9),)),
    ("西湖龙井 明前特级", "茶饮冲调", (("250g 礼盒", 398.0), ("100g 罐装", 168.0))),
    ("冻干咖啡粉 美式黑咖啡", "茶饮冲调", (("2g×30颗", 59.9), ("2g×60颗", 109.0))),
    ("即食燕麦片", "茶饮冲调", (("1kg", 29.9), ("2kg 桶装", 49.9))),
    ("全脂纯牛奶", "茶饮冲调", (("250ml×24盒", 69.9), ("250ml×12盒", 36.9))),
    ("东北五常大米", "粮油调味", (("5kg", 69.9), ("10kg", 129.0))),
    ("压榨一级花生油", "粮油调味", (("5L", 119.0), ("1.8L", 49.9))),
    ("零添加生抽酱油", "粮油调味", (("500ml×2瓶", 25.9),)),
    ("洗衣凝珠 持久留香", "个护清洁", (("52颗", 49.9), ("100颗 家庭装", 89.9))),
    ("原木抽纸", "个护清洁", (("3层120抽×24包", 59.9), ("3层100抽×6包", 16.9))),
    ("氨基酸洗发水", "个护清洁", (("500ml", 69.9), ("500ml×2 套装", 119.0))),
    ("电动牙刷替换刷头", "个护清洁", (("4支装", 79.0),)),
    ("婴儿纸尿裤", "母婴用品", (("NB 84片", 129.0), ("M 64片", 129.0), ("L 54片", 129.0), ("XL 46片", 129.0))),
    ("婴儿湿巾 手口专用", "母婴用品", (("80抽×10包", 59.9),)),
    ("玻尿酸补水面膜", "美妆护肤", (("10片", 99.0), ("30片", 259.0))),
    ("烟酰胺精华液", "美妆护肤", (("30ml", 199.0), ("50ml", 299.0))),
    ("防晒霜 SPF50+", "美妆护肤", (("50ml", 129.0),)),
    ("空气炸锅", "小家电", (("4.5L 可视款", 299.0), ("6L 双层", 459.0))),
    ("声波电动牙刷", "小家电", (("标准款", 199.0), ("旗舰款 带旅行盒", 399.0))),
    ("高速吹风机 负离子", "小家电", (("标准版", 299.0), ("Pro 版", 599.0))),
    ("破壁豆浆机", "小家电", (("1.2L", 399.0),)),
    ("扫地机器人", "小家电", (("S5 扫拖一体", 1599.0), ("X1 自动集尘", 2499.0))),
    ("快充充电宝", "数码配件", (("10000mAh", 99.0), ("20000mAh", 149.0))),
    ("真无线蓝牙耳机 降噪", "数码配件", (("标准版", 299.0), ("Pro", 599.0))),
    ("Type-C 快充数据线", "数码配件", (("1m×2条", 29.9), ("2m", 25.9))),
    ("氮化镓充电器", "数码配件", (("65W", 129.0), ("100W 三口", 229.0))),
)
MAX_LINES_PER_ORDER = 4
_LINE_COUNT_WEIGHTS = np.array([0.50, 0.28, 0.14, 0.08])
_MAX_SKU_STEP = 8  # a basket's further lines are nearby SKUs (same category): co-purchase structure

# Serial numbers become accounts and order numbers through bijective bit mixing (odd multipliers
# and xor-shifts modulo a power of two): they look random yet distinct serials never collide.
_ACCOUNT_BITS = 40
# Order numbers grow with the order serial (as JD's do over time) with random gaps: unique by
# construction, and appended at the end of the (shop, order number) index instead of scattered.
_ORDER_BASE = 28_150_000_000_000_000  # "3" + 17 digits
_ORDER_STRIDE = 997
_MIX_ADD = 0x5851F42D4C957F2D
_MIX_MULT_1 = 0x9E3779B97F4A7C15
_MIX_MULT_2 = 0xBF58476D1CE4E5B9


def _weights(values: tuple[tuple[Any, float], ...] | tuple[tuple[Any, Any, float], ...]) -> FloatArray:
    w = np.array([v[-1] for v in values], dtype=np.float64)
    return w / w.sum()


# ---------------------------------------------------------------------------------------------
# Generation (pure)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The shop's SKUs, ordered by category so that neighbours are bought together."""

    skus: ObjArray
    names: ObjArray
    categories: ObjArray
    price_fen: IntArray
    popularity: FloatArray  # probability of being the first line of an order
    by_price: IntArray  # SKU indexes from cheapest to dearest

    def __len__(self) -> int:
        return len(self.skus)

    def rows(self) -> list[tuple[str, str, str, int]]:
        return list(
            zip(self.skus.tolist(), self.names.tolist(), self.categories.tolist(), self.price_fen.tolist(), strict=True)
        )


def generate_catalogue(seed: int) -> Catalogue:
    """~75 SKUs in 9 categories with JD-like 12-digit SKU ids (100012345678) and prices in fen."""
    rng = np.random.default_rng([seed, 1])
    names, categories, prices = [], [], []
    for base, category, variants in _CATALOGUE:
        for variant, yuan in variants:
            names.append(f"{_BRAND} {base} {variant}")
            categories.append(category)
            prices.append(round(yuan * 100))
    n = len(names)
    ids: set[int] = set()
    while len(ids) < n:
        ids.update(rng.integers(10_000_000, 99_999_999, n).tolist())
    skus = [f"1000{i:08d}" for i in sorted(ids)[:n]]
    rng.shuffle(skus)
    # Zipf-like popularity over a shuffled rank: a few best sellers carry the shop.
    rank = rng.permutation(n) + 1
    popularity = 1.0 / rank**0.9
    price = np.array(prices, dtype=np.int64)
    return Catalogue(
        skus=np.array(skus, dtype=object),
        names=np.array(names, dtype=object),
        categories=np.array(categories, dtype=object),
        price_fen=price,
        popularity=popularity / popularity.sum(),
        by_price=np.argsort(price, kind="stable").astype(np.int64),
    )


@dataclass(frozen=True, slots=True)
class ShopCalendar:
    """The generation window in shop days: seasonality weights and festival pull-forward tables."""

    first_day: date  # shop-local date of day 0
    days: int  # day indexes 0 .. days-1; the last one is today
    now_epoch: int  # UTC seconds
    now_second_of_day: int  # shop-local seconds into today
    utc_offset: int  # seconds: shop local = UTC + offset
    day_epoch: IntArray  # shop-local midnight of each day, as if it were UTC (seconds)
    weekday: IntArray  # 0 = Monday
    weight: FloatArray  # relative order volume of each day (weekday x festival)
    pull_target: IntArray  # festival occurrence an order on this day may move into, or -1
    pull_share: FloatArray
    in_festival: BoolArray
    peak_day: BoolArray
    occurrences: tuple[tuple[int, int], ...]  # (first day, last day) of each festival occurrence
    occurrence_discount: FloatArray


def shop_calendar(now: datetime, years: float, timezone: str = "Asia/Shanghai") -> ShopCalendar:
    """Days from ``years`` ago to ``now`` in the shop's zone, with 618/双11/双12/年货节 built in."""
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    # One offset for the whole window: exact for Asia/Shanghai (no DST), close enough elsewhere.
    offset = int(local_now.utcoffset().total_seconds())  # type: ignore[union-attr]
    today = local_now.date()
    first_day = today - timedelta(days=max(round(365.25 * years), 1))
    days = (today - first_day).days + 1
    day64 = np.datetime64(first_day, "D") + np.arange(days)
    day_number = day64.astype(np.int64)
    month = day64.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (day64 - day64.astype("datetime64[M]")).astype(np.int64) + 1
    weekday = (day_number + 3) % 7  # 1970-01-01 was a Thursday
    month_day = month * 100 + dom
    festival_level = np.ones(days)
    pull_target = np.full(days, -1, dtype=np.int64)
    pull_share = np.zeros(days)
    in_festival = np.zeros(days, dtype=bool)
    occurrences: list[tuple[int, int]] = []
    occurrence_discount: list[float] = []
    for fest in FESTIVALS:
        lo, hi, peak = (m * 100 + d for m, d in (fest.start, fest.end, fest.peak))
        window = (month_day >= lo) & (month_day <= hi)
        festival_level = np.where(window, np.maximum(festival_level, fest.level), festival_level)
        festival_level = np.where(month_day == peak, np.maximum(festival_level, fest.peak_level), festival_level)
        in_festival |= window
        # each year's occurrence: a run of consecutive window days
        idx = np.flatnonzero(window)
        if idx.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(idx) > 1)
        for run in np.split(idx, breaks + 1):
            first, last = int(run[0]), int(run[-1])
            occurrence = len(occurrences)
            occurrences.append((first, last))
            occurrence_discount.append(fest.discount_share)
            lead_from = max(first - fest.lead_days, 0)
            pull_target[lead_from : last + 1] = occurrence
            pull_share[lead_from:first] = fest.pull
            # already inside the window: some still wait for the peak day
            pull_share[first : last + 1] = fest.pull / 2
    peak_day = np.zeros(days, dtype=bool)
    for m, d in PEAK_DAYS:
        peak_day |= month_day == m * 100 + d
    return ShopCalendar(
        first_day=first_day,
        days=days,
        now_epoch=int(now.timestamp()),
        now_second_of_day=local_now.hour * 3600 + local_now.minute * 60 + local_now.second,
        utc_offset=offset,
        day_epoch=day_number * DAY,
        weekday=weekday,
        weight=festival_level * WEEKDAY_WEIGHTS[weekday],
        pull_target=pull_target,
        pull_share=pull_share,
        in_festival=in_festival,
        peak_day=peak_day,
        occurrences=tuple(occurrences),
        occurrence_discount=np.array(occurrence_discount),
    )


@dataclass(frozen=True, slots=True)
class DemoChunk:
    """Columns of one chunk of customers with everything they did. Indexes are chunk-relative."""

    # customers
    account: list[str]
    name: list[str]
    gender: list[str]
    birthday: list[date | None]
    province: list[str]
    city: list[str]
    phone_given: list[str]  # as JD would give it: full or masked; "" when none
    phone_is_full: BoolArray
    source_channel: list[str]
    follows_shop: BoolArray
    is_member: BoolArray
    member_since: IntArray  # UTC epoch seconds, -1 when not a member
    created_at: IntArray  # UTC epoch seconds
    # orders (grouped by customer)
    order_customer: IntArray
    order_no: list[str]
    order_status: list[str]
    order_is_paid: BoolArray
    ordered_at: IntArray  # UTC epoch seconds
    order_channel: list[str]
    total_fen: IntArray
    paid_fen: IntArray
    # order lines (grouped by order)
    line_order: IntArray
    line_sku: list[str]
    line_product_name: list[str]
    line_quantity: IntArray
    line_unit_price_fen: IntArray
    # behaviour events
    event_customer: IntArray
    event_kind: list[str]
    event_at: IntArray  # UTC epoch seconds
    event_ref: list[str]

    @property
    def customers(self) -> int:
        return len(self.account)


def _mix(serial: NDArray[np.uint64], bits: int) -> list[int]:
    mask = np.uint64((1 << bits) - 1)
    x = (serial + np.uint64(_MIX_ADD & ((1 << bits) - 1))) & mask
    x = (x * np.uint64(_MIX_MULT_1)) & mask
    x ^= x >> np.uint64(bits // 2 - 3)
    x = (x * np.uint64(_MIX_MULT_2)) & mask
    x ^= x >> np.uint64(bits // 2 + 1)
    mixed: list[int] = x.tolist()
    return mixed


def demo_accounts(first_serial: int, count: int) -> list[str]:
    """JD-pin-like accounts (jd_ + 10 hex digits), distinct for distinct serial numbers."""
    serial = np.arange(first_serial, first_serial + count, dtype=np.uint64)
    return [f"jd_{v:010x}" for v in _mix(serial, _ACCOUNT_BITS)]


def demo_order_numbers(first_serial: int, count: int, rng: np.random.Generator) -> list[str]:
    """18-digit JD-like order numbers ("3" + 17 digits), increasing and distinct with the serial."""
    serial = np.arange(first_serial, first_serial + count, dtype=np.int64)
    value = _ORDER_BASE + serial * _ORDER_STRIDE + rng.integers(0, _ORDER_STRIDE, size=count)
    return [f"3{v:017d}" for v in value.tolist()]


def _pick(rng: np.random.Generator, table: tuple[tuple[Any, ...], ...], size: int) -> IntArray:
    return rng.choice(len(table), size=size, p=_weights(table))


def _group_starts(counts: IntArray) -> IntArray:
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def _within_group(counts: IntArray) -> IntArray:
    """Position of each element inside its group (0, 1, …) for groups laid out one after another."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(_group_starts(counts), counts)


def _cumsum_within_group(values: FloatArray | IntArray, counts: IntArray) -> Any:
    """Running total of ``values`` restarting at each group (groups laid out one after another)."""
    running = np.cumsum(values)
    if running.size == 0:
        return running
    nonempty = counts > 0
    before = running[_group_starts(counts)[nonempty]] - values[_group_starts(counts)[nonempty]]
    return running - np.repeat(before, counts[nonempty])


def _sample_days(rng: np.random.Generator, weight: FloatArray, size: int) -> IntArray:
    cumulative = np.cumsum(weight)
    return np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right").astype(np.int64)


def generate_chunk(
    *,
    seed: int,
    first_customer_serial: int,
    count: int,
    first_order_serial: int,
    calendar: ShopCalendar,
    catalogue: Catalogue,
) -> DemoChunk:
    """Generate ``count`` customers with their orders, lines and events (vectorised, seeded).

    The chunk's random stream depends only on ``seed`` and ``first_customer_serial``: the same
    sizes give the same shop whatever the machine.
    """
    rng = np.random.default_rng([seed, 2, first_customer_serial])
    cal = calendar
    n = count
    window_days = cal.days - 1 + cal.now_second_of_day / DAY  # from day 0 midnight to now

    # --- who they are --------------------------------------------------------------------------
    gender_code = rng.choice(3, size=n, p=[0.52, 0.40, 0.08])  # female, male, unknown
    gender = np.array(["female", "male", ""], dtype=object)[gender_code].tolist()
    surnames = np.array([s for s, _ in SURNAMES], dtype=object)[_pick(rng, SURNAMES, n)]
    female = np.array(FEMALE_NAME_CHARS, dtype=object)
    male = np.array(MALE_NAME_CHARS, dtype=object)
    femaleish = (gender_code == 0) | ((gender_code == 2) & (rng.random(n) < 0.5))
    first = np.where(femaleish, female[rng.integers(len(female), size=n)], male[rng.integers(len(male), size=n)])
    second = np.where(femaleish, female[rng.integers(len(female), size=n)], male[rng.integers(len(male), size=n)])
    two_chars = rng.random(n) < 0.72
    given = np.where(two_chars, first + second, first)
    name = (surnames + given).tolist()

    has_birthday = rng.random(n) < 0.42
    age_days = (np.clip(rng.normal(33, 9, n), 18, 68) * 365.25).astype(np.int64)
    birth64 = np.datetime64(cal.first_day + timedelta(days=cal.days - 1), "D") - age_days
    birthday: list[date | None] = [
        b if has else None for b, has in zip(birth64.tolist(), has_birthday.tolist(), strict=True)
    ]
    city_ix = _pick(rng, CITIES, n)
    unknown_city = rng.random(n) < UNKNOWN_CITY_SHARE
    province = np.where(unknown_city, "", np.array([c[0] for c in CITIES], dtype=object)[city_ix]).tolist()
    city = np.where(unknown_city, "", np.array([c[1] for c in CITIES], dtype=object)[city_ix]).tolist()

    prefixes = np.array([p for p, _ in MOBILE_PREFIXES], dtype=object)[_pick(rng, MOBILE_PREFIXES, n)].tolist()
    subscriber = rng.integers(0, 100_000_000, size=n).tolist()
    phone_roll = rng.random(n)
    phone_kind = np.where(
        phone_roll < NO_PHONE_SHARE, 0, np.where(phone_roll < NO_PHONE_SHARE + MASKED_PHONE_SHARE, 1, 2)
    )
    phone_given = [
        "" if kind == 0 else (f"{p}****{s % 10_000:04d}" if kind == 1 else f"{p}{s:08d}")
        for p, s, kind in zip(prefixes, subscriber, phone_kind.tolist(), strict=True)
    ]
    source_ix = _pick(rng, SOURCE_WEIGHTS, n)
    source_channel = np.array([s for s, _ in SOURCE_WEIGHTS], dtype=object)[source_ix].tolist()
    follows_shop = rng.random(n) < 0.35
    member_roll = rng.random(n)  # who joins the membership is decided once their buying is known

    # --- how often and how much they buy -------------------------------------------------------
    # Gamma-Poisson order counts: ~40% buy once, a long tail buys dozens of times.
    extra_orders = rng.poisson(rng.gamma(0.35, 6.0 * max(window_days / 365.25, 0.05), size=n))
    n_orders = np.minimum(1 + extra_orders, 150).astype(np.int64)
    fan_only = (source_ix != 0) & (rng.random(n) < FAN_ONLY_SHARE)
    n_orders[fan_only] = 0
    # about 1 in 5 join the membership, mostly those who come back [M]: members repurchase more often
    is_member = member_roll < np.where(n_orders > 1, MEMBER_SHARE_REPEATERS, MEMBER_SHARE_OTHERS)
    cycle = np.clip(rng.lognormal(np.log(35.0), 0.6, size=n), 5.0, 240.0)  # days between orders
    span_room = window_days * 0.95
    repeaters = n_orders > 1
    cycle[repeaters] = np.minimum(cycle[repeaters], span_room / (n_orders[repeaters] - 1))
    span = np.where(repeaters, (n_orders - 1) * cycle, 0.0)
    # one-time buyers arrive with the season (many are won at 618/双11); repeaters start anywhere
    one_time_start = _sample_days(rng, cal.weight, n) + rng.random(n)
    start = np.where(repeaters, rng.random(n) * np.maximum(window_days - span, 0.0), one_time_start)
    price_tier = rng.normal(0.0, 1.0, size=n) + is_member * MEMBER_PRICE_TASTE  # taste for dearer SKUs
    bulk_buyer = rng.random(n) < 0.03  # a few buy for office/family in bulk: Pareto-sized baskets
    bulk_factor = np.where(bulk_buyer, np.minimum(1.0 + rng.pareto(1.5, size=n) * 2.0, 12.0), 1.0)
    favourite_channel = _pick(rng, ORDER_CHANNELS, n)

    # --- orders ---------------------------------------------------------------------------------
    order_customer = np.repeat(np.arange(n, dtype=np.int64), n_orders)
    position = _within_group(n_orders)
    gaps = rng.gamma(4.0, cycle[order_customer] / 4.0)  # repurchase cycle with some spread
    gaps[position == 0] = 0.0
    elapsed = _cumsum_within_group(gaps, n_orders)
    t = start[order_customer] + elapsed
    keep = t < window_days  # a cycle that runs past today simply has not happened yet
    order_customer, t, position = order_customer[keep], t[keep], position[keep]
    n_placed = len(order_customer)
    day = np.minimum(t.astype(np.int64), cal.days - 1)
    # weekday pattern: nudge by a day towards busier weekdays
    shift = rng.integers(-1, 2, size=n_placed)
    nudged = np.clip(day + shift, 0, cal.days - 1)
    take = rng.random(n_placed) < 0.5 * WEEKDAY_WEIGHTS[cal.weekday[nudged]] / WEEKDAY_WEIGHTS.max()
    day = np.where(take, nudged, day)
    # festivals: orders due shortly before one are held for it, mostly landing on the peak day
    target = cal.pull_target[day]
    pulled = (target >= 0) & (rng.random(n_placed) < cal.pull_share[day])
    for occurrence, (lo, hi) in enumerate(cal.occurrences):
        chosen = np.flatnonzero(pulled & (target == occurrence))
        hi = min(hi, cal.days - 1)
        if chosen.size == 0 or lo > hi:
            continue
        day[chosen] = lo + _sample_days(rng, cal.weight[lo : hi + 1], chosen.size)
    hour = rng.choice(24, size=n_placed, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    hour = np.where(cal.peak_day[day] & (rng.random(n_placed) < MIDNIGHT_RUSH_SHARE), 0, hour)
    second_of_day = hour * 3600 + rng.integers(0, 3600, size=n_placed)
    today = day == cal.days - 1
    second_of_day = np.where(today, second_of_day * cal.now_second_of_day // DAY, second_of_day)
    ordered_at = cal.day_epoch[day] + second_of_day - cal.utc_offset

    # --- lines: a first SKU by popularity or the customer's price taste, then nearby SKUs ------
    n_sku = len(catalogue)
    by_popularity = rng.choice(n_sku, size=n_placed, p=catalogue.popularity)
    taste = 1.0 / (1.0 + np.exp(-1.7 * (price_tier[order_customer] + 0.8 * rng.normal(size=n_placed))))
    by_taste = catalogue.by_price[np.minimum((taste * n_sku).astype(np.int64), n_sku - 1)]
    first_sku = np.where(rng.random(n_placed) < 0.55, by_popularity, by_taste)
    n_lines = rng.choice(MAX_LINES_PER_ORDER, size=n_placed, p=_LINE_COUNT_WEIGHTS) + 1
    line_order = np.repeat(np.arange(n_placed, dtype=np.int64), n_lines)
    line_position = _within_group(n_lines)
    steps = np.where(
        line_position == 0, 0, 1 + np.minimum(rng.geometric(0.5, size=len(line_order)) - 1, _MAX_SKU_STEP - 1)
    )
    step_sum = _cumsum_within_group(steps, n_lines)
    # strictly increasing offsets below the catalogue size: no SKU twice in an order
    line_sku_ix = (first_sku[line_order] + step_sum) % n_sku
    unit_price = catalogue.price_fen[line_sku_ix]
    cheap = unit_price < 4_000
    quantity = 1 + (rng.random(len(line_order)) < 0.2) * rng.integers(1, 3, size=len(line_order))
    quantity = quantity + cheap * rng.poisson(0.5, size=len(line_order))
    # bulk buyers stock up on everyday goods, not on robot vacuums
    bulk = np.where(unit_price < 20_000, bulk_factor[order_customer[line_order]], 1.0)
    quantity = np.clip(np.rint(quantity * bulk), 1, 99).astype(np.int64)
    line_amount = quantity * unit_price
    total_fen = np.bincount(line_order, weights=line_amount, minlength=n_placed).round().astype(np.int64)

    # 满减: the best tier the basket reaches, on some orders (most of them in festivals)
    thresholds = np.array([t for t, _ in DISCOUNT_TIERS], dtype=np.int64)
    offs = np.array([o for _, o in DISCOUNT_TIERS], dtype=np.int64)
    tier = np.searchsorted(thresholds, total_fen, side="right") - 1
    festival_of_day = np.where(cal.in_festival[day], cal.pull_target[day], -1)
    discount_share = np.where(
        festival_of_day >= 0,
        cal.occurrence_discount[np.maximum(festival_of_day, 0)] if len(cal.occurrences) else BASE_DISCOUNT_SHARE,
        BASE_DISCOUNT_SHARE,
    )
    discounted = (tier >= 0) & (rng.random(n_placed) < discount_share)
    paid_fen = total_fen - np.where(discounted, offs[np.maximum(tier, 0)], 0)

    # --- status: recent orders are still on their way; some are cancelled --------------------
    age = cal.now_epoch - ordered_at
    roll = rng.random(n_placed)
    status = np.full(n_placed, "完成", dtype=object)
    status[(age < 7 * DAY) & (roll < 0.7)] = "等待确认收货"
    status[(age < DAY) & (roll < 0.6)] = "等待出库"
    cancel_roll = rng.random(n_placed)
    status[cancel_roll < CANCELLED_SHARE] = "已取消"
    status[cancel_roll > 1.0 - DELETED_SHARE] = "删除"
    is_paid = (cancel_roll >= CANCELLED_SHARE) & (cancel_roll <= 1.0 - DELETED_SHARE)

    channel_ix = np.where(
        rng.random(n_placed) < 0.7, favourite_channel[order_customer], _pick(rng, ORDER_CHANNELS, n_placed)
    )
    order_channel = np.array([c for c, _ in ORDER_CHANNELS], dtype=object)[channel_ix].tolist()

    # --- when they became customers ------------------------------------------------------------
    placed_counts = np.bincount(order_customer, minlength=n).astype(np.int64)
    window_start = int(cal.day_epoch[0]) - cal.utc_offset
    first_seen = window_start + (rng.random(n) * window_days * DAY).astype(np.int64)  # fans only
    buyers = placed_counts > 0
    if n_placed:
        first_order = np.minimum.reduceat(ordered_at, _group_starts(placed_counts)[buyers])
        first_seen[buyers] = first_order - rng.integers(0, 3 * 3600, size=int(buyers.sum()))
    created_at = np.minimum(first_seen, cal.now_epoch)
    member_since = np.where(is_member, created_at + (rng.random(n) * (cal.now_epoch - created_at)).astype(np.int64), -1)

    # --- a modest stream of behaviour: follows, recent views and add-to-carts -----------------
    recent_from = np.maximum(created_at, cal.now_epoch - 60 * DAY)
    view_counts = rng.poisson(0.8, size=n)
    cart_counts = rng.poisson(0.4, size=n)
    follow_customers = np.flatnonzero(follows_shop)
    view_customers = np.repeat(np.arange(n, dtype=np.int64), view_counts)
    cart_customers = np.repeat(np.arange(n, dtype=np.int64), cart_counts)
    event_customer = np.concatenate([follow_customers, view_customers, cart_customers])
    kinds = np.array(["follow_shop", "view", "add_to_cart"], dtype=object)
    event_kind_ix = np.repeat(np.arange(3), [len(follow_customers), len(view_customers), len(cart_customers)])
    lo = np.where(event_kind_ix == 0, created_at[event_customer], recent_from[event_customer])
    event_at = lo + (rng.random(len(event_customer)) * (cal.now_epoch - lo)).astype(np.int64)
    event_sku = rng.choice(n_sku, size=len(event_customer), p=catalogue.popularity)
    event_ref = np.where(event_kind_ix == 0, "", catalogue.skus[event_sku]).tolist()

    # Orders in time order within the chunk (ids and order numbers then grow with time, as in a
    # real shop), lines grouped by order: the database's indexes see nearly sequential inserts.
    by_time = np.argsort(ordered_at, kind="stable")
    rank = np.empty_like(by_time)
    rank[by_time] = np.arange(n_placed, dtype=by_time.dtype)
    order_customer, ordered_at = order_customer[by_time], ordered_at[by_time]
    status, is_paid, total_fen, paid_fen = status[by_time], is_paid[by_time], total_fen[by_time], paid_fen[by_time]
    order_channel = [order_channel[i] for i in by_time.tolist()]
    line_by_order = np.argsort(rank[line_order], kind="stable")
    line_order = rank[line_order][line_by_order]
    line_sku_ix, quantity, unit_price = line_sku_ix[line_by_order], quantity[line_by_order], unit_price[line_by_order]

    return DemoChunk(
        account=demo_accounts(first_customer_serial, n),
        name=name,
        gender=gender,
        birthday=birthday,
        province=province,
        city=city,
        phone_given=phone_given,
        phone_is_full=phone_kind == 2,
        source_channel=source_channel,
        follows_shop=follows_shop,
        is_member=is_member,
        member_since=member_since,
        created_at=created_at,
        order_customer=order_customer,
        order_no=demo_order_numbers(first_order_serial, n_placed, rng),
        order_status=status.tolist(),
        order_is_paid=is_paid,
        ordered_at=ordered_at,
        order_channel=order_channel,
        total_fen=total_fen,
        paid_fen=paid_fen,
        line_order=line_order,
        line_sku=catalogue.skus[line_sku_ix].tolist(),
        line_product_name=catalogue.names[line_sku_ix].tolist(),
        line_quantity=quantity,
        line_unit_price_fen=unit_price,
        event_customer=event_customer,
        event_kind=kinds[event_kind_ix].tolist(),
        event_at=event_at,
        event_ref=event_ref,
    )


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

DEMO_CUSTOMER_COLUMNS = (
    "id", "shop_id", "account", "name", "gender", "birthday", "province", "city", "phone_cipher",
    "phone_masked", "phone_tail", "phone_hash", "source_channel", "follows_shop", "is_member",
    "member_since", "created_at",
)  # fmt: skip
DEMO_ORDER_COLUMNS = (
    "id", "shop_id", "order_no", "customer_id", "status", "is_paid", "ordered_at", "channel", "total_fen", "paid_fen",
)  # fmt: skip
DEMO_LINE_COLUMNS = ("id", "shop_id", "order_id", "sku", "product_name", "quantity", "unit_price_fen")
DEMO_EVENT_COLUMNS = ("id", "shop_id", "customer_id", "kind", "at", "ref")
_BULK_TABLES = ("customers", "orders", "order_lines", "customer_events")


@dataclass
class DemoTally:
    """What a generation wrote."""

    customers: int = 0
    orders: int = 0
    lines: int = 0
    events: int = 0
    products: int = 0


@dataclass(frozen=True, slots=True)
class DemoProgress:
    customers_done: int
    customers_total: int
    lines_written: int


class DemoAccountsTaken(DomainError):
    def __init__(self, example: str) -> None:
        super().__init__(
            f"演示数据的账号或订单号与店铺现有数据冲突（例如 {example}），请换一个 --seed 或新店铺",
            f"demo accounts or order numbers collide with the shop's data (e.g. {example}); use another shop",
            code="demo_collision",
        )


def _db_times(epoch_seconds: IntArray, dialect: str) -> list[Any]:
    """Driver values of UTC times, as :class:`siyu.db.UTCDateTime` and the importer store them (naive UTC).

    On SQLite we hand over the exact text :meth:`siyu.db.DriverSQL.time_value` writes
    (``2024-06-18 00:01:23.000000``): the same stored value, without a Python call per value.
    """
    stamps = epoch_seconds.astype("datetime64[s]")
    if dialect == "sqlite":
        text = np.char.replace(np.datetime_as_string(stamps, unit="us"), "T", " ")
        strings: list[str] = text.tolist()
        return strings
    times: list[datetime] = stamps.tolist()
    return times


def _customer_rows(
    chunk: DemoChunk, shop_id: int, first_id: int, vault: PhoneVault, dialect: str
) -> list[tuple[Any, ...]]:
    # Stored as the importer stores a phone: cipher of what was given, mask/tail for screens and
    # search, and a matching hash only for a complete mobile number.
    cipher: list[str | None] = []
    masked: list[str] = []
    tail: list[str] = []
    match_hash: list[str | None] = []
    for given, full in zip(chunk.phone_given, chunk.phone_is_full.tolist(), strict=True):
        if not given:
            cipher.append(None)
            masked.append("")
            tail.append("")
            match_hash.append(None)
            continue
        cipher.append(vault.encrypt(given))
        masked.append(f"{given[:3]}****{given[-4:]}" if full else given)
        tail.append(given[-4:])
        match_hash.append(vault.match_hash(given) if full else None)
    member_since: list[datetime | None] = [
        None if s < 0 else d
        for s, d in zip(chunk.member_since.tolist(), _db_times(np.maximum(chunk.member_since, 0), dialect), strict=True)
    ]
    n = chunk.customers
    return list(
        zip(
            range(first_id, first_id + n),
            itertools.repeat(shop_id, n),
            chunk.account,
            chunk.name,
            chunk.gender,
            chunk.birthday,
            chunk.province,
            chunk.city,
            cipher,
            masked,
            tail,
            match_hash,
            chunk.source_channel,
            chunk.follows_shop.tolist(),
            chunk.is_member.tolist(),
            member_since,
            _db_times(chunk.created_at, dialect),
            strict=True,
        )
    )


def _order_rows(
    chunk: DemoChunk, shop_id: int, first_id: int, first_customer_id: int, dialect: str
) -> list[tuple[Any, ...]]:
    n = len(chunk.order_no)
    return list(
        zip(
            range(first_id, first_id + n),
            itertools.repeat(shop_id, n),
            chunk.order_no,
            (chunk.order_customer + first_customer_id).tolist(),
            chunk.order_status,
            chunk.order_is_paid.tolist(),
            _db_times(chunk.ordered_at, dialect),
            chunk.order_channel,
            chunk.total_fen.tolist(),
            chunk.paid_fen.tolist(),
            strict=True,
        )
    )


def _line_rows(chunk: DemoChunk, shop_id: int, first_id: int, first_order_id: int) -> list[tuple[Any, ...]]:
    n = len(chunk.line_sku)
    return list(
        zip(
            range(first_id, first_id + n),
            itertools.repeat(shop_id, n),
            (chunk.line_order + first_order_id).tolist(),
            chunk.line_sku,
            chunk.line_product_name,
            chunk.line_quantity.tolist(),
            chunk.line_unit_price_fen.tolist(),
            strict=True,
        )
    )


def _event_rows(
    chunk: DemoChunk, shop_id: int, first_id: int, first_customer_id: int, dialect: str
) -> list[tuple[Any, ...]]:
    n = len(chunk.event_kind)
    return list(
        zip(
            range(first_id, first_id + n),
            itertools.repeat(shop_id, n),
            (chunk.event_customer + first_customer_id).tolist(),
            chunk.event_kind,
            _db_times(chunk.event_at, dialect),
            chunk.event_ref,
            strict=True,
        )
    )


def _next_ids(sql: DriverSQL) -> dict[str, int]:
    if sql.dialect == "postgresql":
        # EXCLUSIVE still lets readers in but keeps other writers out until we commit, so the ids we
        # take after MAX(id) stay ours; the sequences are moved past them before the commit.
        sql.connection.exec_driver_sql(f"LOCK TABLE {', '.join(_BULK_TABLES)} IN EXCLUSIVE MODE")
    return {table: int(sql.query(f"SELECT COALESCE(MAX(id), 0) FROM {table}")[0][0]) + 1 for table in _BULK_TABLES}


def _advance_sequences(sql: DriverSQL) -> None:
    if sql.dialect != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY continues from MAX(rowid) by itself
    for table in _BULK_TABLES:
        sql.query(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        )


def _check_no_collision(sql: DriverSQL, shop_id: int, chunk: DemoChunk) -> None:
    ph = sql.ph
    taken = sql.select_in(f"SELECT account FROM customers WHERE shop_id = {ph} AND account", (shop_id,), chunk.account)
    taken += sql.select_in(f"SELECT order_no FROM orders WHERE shop_id = {ph} AND order_no", (shop_id,), chunk.order_no)
    if taken:
        raise DemoAccountsTaken(str(taken[0][0]))


def count_customers(session: Session, shop_id: int) -> int:
    sql = DriverSQL(session)
    return int(sql.query(f"SELECT COUNT(*) FROM customers WHERE shop_id = {sql.ph}", (shop_id,))[0][0])


def write_demo_data(
    factory: sessionmaker[Session],
    *,
    shop_id: int,
    customers: int,
    seed: int = 7,
    years: float = 2.0,
    now: datetime | None = None,
    chunk_customers: int = CHUNK_CUSTOMERS,
    on_progress: Callable[[DemoProgress], None] | None = None,
) -> DemoTally:
    """Add ``customers`` demo customers (with orders, lines and events) to a shop.

    One transaction per chunk: an interrupted run keeps whole chunks (customers with all their
    orders), never half a customer. On a shop that already has customers the new ones continue the
    serial numbers, so accounts and order numbers never collide with earlier demo data.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    settings = get_settings()
    vault = PhoneVault(settings.phone_key, settings.phone_hash_salt)
    catalogue = generate_catalogue(seed)
    tally = DemoTally()
    with transaction(factory, write=True) as session:
        sql = DriverSQL(session)
        ph = sql.ph
        (timezone,) = sql.query(f"SELECT timezone FROM shops WHERE id = {ph}", (shop_id,))[0]
        first_customer_serial = count_customers(session, shop_id)
        first_order_serial = int(sql.query(f"SELECT COUNT(*) FROM orders WHERE shop_id = {ph}", (shop_id,))[0][0])
        known = {r[0] for r in sql.query(f"SELECT sku FROM products WHERE shop_id = {ph}", (shop_id,))}
        new_products = [(shop_id, *row) for row in catalogue.rows() if row[0] not in known]
        sql.insert_ignore("products", ("shop_id", "sku", "name", "category", "price_fen"), new_products)
        tally.products = len(new_products)
    appending = first_customer_serial > 0 or first_order_serial > 0
    calendar = shop_calendar(now, years, timezone or "Asia/Shanghai")
    order_serial = first_order_serial
    for offset in range(0, customers, chunk_customers):
        size = min(chunk_customers, customers - offset)
        chunk = generate_chunk(
            seed=seed,
            first_customer_serial=first_customer_serial + offset,
            count=size,
            first_order_serial=order_serial,
            calendar=calendar,
            catalogue=catalogue,
        )
        with transaction(factory, write=True) as session:
            sql = DriverSQL(session)
            ids = _next_ids(sql)
            if appending:
                _check_no_collision(sql, shop_id, chunk)
            sql.insert(
                "customers", DEMO_CUSTOMER_COLUMNS, _customer_rows(chunk, shop_id, ids["customers"], vault, sql.dialect)
            )
            sql.insert(
                "orders", DEMO_ORDER_COLUMNS, _order_rows(chunk, shop_id, ids["orders"], ids["customers"], sql.dialect)
            )
            sql.insert("order_lines", DEMO_LINE_COLUMNS, _line_rows(chunk, shop_id, ids["order_lines"], ids["orders"]))
            sql.insert(
                "customer_events",
                DEMO_EVENT_COLUMNS,
                _event_rows(chunk, shop_id, ids["customer_events"], ids["customers"], sql.dialect),
            )
            _advance_sequences(sql)
            bump_data_version(session, shop_id)
        order_serial += len(chunk.order_no)
        tally.customers += size
        tally.orders += len(chunk.order_no)
        tally.lines += len(chunk.line_sku)
        tally.events += len(chunk.event_kind)
        if on_progress is not None:
            on_progress(DemoProgress(tally.customers, customers, tally.lines))
    with transaction(factory, write=True) as session:
        record(
            session,
            Actor(shop_id, "system", None, "demo"),
            "demo.generate",
            "shop",
            shop_id,
            after={
                "customers": tally.customers,
                "orders": tally.orders,
                "lines": tally.lines,
                "events": tally.events,
                "products": tally.products,
                "seed": seed,
                "years": years,
            },
        )
    return tally
