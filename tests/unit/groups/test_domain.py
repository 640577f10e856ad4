"""Pure rules of group chats (SPEC §7, §8): thresholds, placement, red packets, flash sales, windows,
moderation, growth levels and check-in, guess the price, the content calendar (no database)."""

from __future__ import annotations

import dataclasses
import random
import statistics
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.core.errors import InvalidInput
from siyu.groups.domain import (
    ACTIVITIES_AT_ONCE,
    CHECKIN_GROWTH,
    CHECKIN_POINTS,
    DAILY_SLOTS,
    FLASH_SALE_MAX_HOURS,
    FLASH_SALE_MAX_SKUS,
    FLASH_SALE_MIN_HOURS,
    GOALS,
    GROUP_TYPES,
    KICK_AT_MOST,
    MAX_FANS_PER_SHOP,
    MAX_GROUPS_PER_SHOP,
    MAX_SUBGROUPS_PER_SHOP,
    MONTHLY,
    SUBGROUP_CAPACITY,
    SUBGROUPS_PER_GROUP,
    THEMES,
    WEEKDAY_THEMES,
    Buyer,
    FlashItem,
    GrowthLevel,
    ModerationRule,
    check_coupon_window,
    check_flash_sale,
    check_goal,
    check_levels,
    checkin_reward,
    coupon_window_ok,
    guess_is_correct,
    join_refusal,
    level_of,
    moderate,
    next_streak,
    overlapping,
    parse_slot,
    place,
    plan_month,
    split_red_packets,
)

ANYONE = Buyer(follows_shop=False, is_member=False, spend_fen=0, high_risk=False, merchant=False, kicked=False)
T0 = datetime(2026, 6, 1, 20, 0)


def buyer(**changes: Any) -> Buyer:
    return dataclasses.replace(ANYONE, **changes)


# ---- limits ---------------------------------------------------------------------------------------------
def test_limits_are_the_seeds() -> None:
    assert (SUBGROUPS_PER_GROUP, SUBGROUP_CAPACITY, MAX_GROUPS_PER_SHOP) == (10, 1000, 10)
    assert MAX_SUBGROUPS_PER_SHOP == MAX_GROUPS_PER_SHOP * SUBGROUPS_PER_GROUP == 100
    assert MAX_FANS_PER_SHOP == MAX_SUBGROUPS_PER_SHOP * SUBGROUP_CAPACITY == 100_000
    assert (KICK_AT_MOST, ACTIVITIES_AT_ONCE) == (10, 3)
    assert (FLASH_SALE_MIN_HOURS, FLASH_SALE_MAX_HOURS, FLASH_SALE_MAX_SKUS) == (1, 48, 8)


# ---- entry thresholds -----------------------------------------------------------------------------------
def test_the_four_goals_have_labels_in_both_languages() -> None:
    assert set(GOALS) == {"new", "fans", "members", "high_value"}
    assert [GOALS[g].label_zh for g in ("new", "fans", "members", "high_value")] == [
        "拉新",
        "拉粉丝",
        "拉会员",
        "高价值群",
    ]
    assert all(goal.label_en and goal.rule_zh and goal.rule_en for goal in GOALS.values())


@pytest.mark.parametrize(
    ("goal", "min_spend", "code"),
    [("vip", 0, "group_unknown_goal"), ("high_value", 0, "group_min_spend"), ("new", -1, "group_min_spend")],
)
def test_a_goal_must_be_known_and_a_high_value_group_needs_a_minimum_spend(
    goal: str, min_spend: int, code: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_goal(goal, min_spend)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("goal", "min_spend", "who", "code"),
    [
        ("new", 0, ANYONE, None),
        ("new", 0, buyer(kicked=True, high_risk=True, merchant=True), "group_kicked"),
        ("new", 0, buyer(high_risk=True, merchant=True), "group_high_risk"),
        ("new", 0, buyer(merchant=True), "group_merchant_account"),
        ("fans", 0, ANYONE, "group_followers_only"),
        ("fans", 0, buyer(follows_shop=True), None),
        ("members", 0, buyer(follows_shop=True), "group_members_only"),
        ("members", 0, buyer(is_member=True), None),
        ("high_value", 50_000, buyer(spend_fen=49_999, is_member=True), "group_spend_too_low"),
        ("high_value", 50_000, buyer(spend_fen=50_000), None),
        ("high_value", 50_000, buyer(spend_fen=90_000, kicked=True), "group_kicked"),
    ],
)
def test_who_may_join_kicked_then_risk_then_merchant_then_the_goals_threshold(
    goal: str, min_spend: int, who: Buyer, code: str | None
) -> None:
    refusal = join_refusal(goal, min_spend, who)
    assert (refusal.code if refusal else None) == code
    if refusal:
        assert refusal.zh and refusal.en


def test_a_spend_refusal_says_how_much_was_spent_and_how_much_is_needed() -> None:
    refusal = join_refusal("high_value", 50_000, buyer(spend_fen=12_345))
    assert refusal is not None
    assert "¥123.45" in refusal.zh and "¥500.00" in refusal.zh
    assert refusal.en == "cumulative spend ¥123.45 of the ¥500.00 needed to join"


# ---- sub-group placement --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("counts", "capacity", "index"),
    [
        ([0] * 10, 1000, 0),
        ([1000, 999, 0], 1000, 1),
        ([1000, 1000, 0], 1000, 2),
        ([1000, 1000, 1000], 1000, None),
        ([], 1000, None),
        ([3, 1, 0], 3, 1),
    ],
)
def test_a_join_goes_to_the_first_sub_group_that_is_not_full(
    counts: list[int], capacity: int, index: int | None
) -> None:
    assert place(counts, capacity) == index


@given(st.lists(st.integers(0, 20), max_size=15), st.integers(1, 20))
def test_placement_is_the_first_open_seat_in_order(counts: list[int], capacity: int) -> None:
    counts = [min(c, capacity) for c in counts]
    index = place(counts, capacity)
    if index is None:
        assert all(c >= capacity for c in counts)
    else:
        assert counts[index] < capacity
        assert all(c >= capacity for c in counts[:index])


def test_placement_refuses_a_capacity_below_one() -> None:
    with pytest.raises(ValueError):
        place([0], 0)


# ---- red-packet split -----------------------------------------------------------------------------------
@st.composite
def budgets_and_counts(draw: st.DrawFn) -> tuple[int, int]:
    budget = draw(st.integers(1, 10**7))
    count = draw(st.integers(1, min(budget, 2000)))
    return budget, count


@settings(max_examples=150, deadline=None)
@given(budgets_and_counts(), st.integers(0, 2**32))
def test_red_packets_are_each_at_least_one_fen_and_sum_to_the_budget(case: tuple[int, int], seed: int) -> None:
    budget, count = case
    packets = split_red_packets(budget, count, random.Random(seed))
    assert len(packets) == count
    assert sum(packets) == budget
    assert min(packets) >= 1


def exact_means(budget: int, count: int) -> list[Fraction]:
    """The exact expected packet at each position under the documented distribution (a check of the
    docstring's claim, by enumeration: M = ⌊2R/n⌋ − 1, one more with probability (2R mod n)/n)."""
    states: dict[int, Fraction] = {budget: Fraction(1)}
    means: list[Fraction] = []
    for left in range(count, 1, -1):
        mean = Fraction(0)
        nxt: dict[int, Fraction] = {}
        for remaining, p in states.items():
            whole, rest = divmod(2 * remaining, left)
            for top, q in ((whole - 1, Fraction(left - rest, left)), (whole, Fraction(rest, left))):
                if q == 0:
                    continue
                for amount in range(1, top + 1):
                    share = p * q / top
                    mean += share * amount
                    nxt[remaining - amount] = nxt.get(remaining - amount, Fraction(0)) + share
        means.append(mean)
        states = nxt
    means.append(sum((p * r for r, p in states.items()), Fraction(0)))
    return means


@pytest.mark.parametrize(("budget", "count"), [(10, 3), (7, 4), (23, 5), (5, 5), (31, 2), (40, 6)])
def test_the_split_expects_the_same_amount_at_every_grab_position_exactly(budget: int, count: int) -> None:
    assert exact_means(budget, count) == [Fraction(budget, count)] * count


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 5000), st.integers(2, 40), st.integers(0, 2**32))
def test_the_first_and_last_grab_average_the_budget_over_the_count(budget: int, count: int, seed: int) -> None:
    count = min(count, budget)
    rng = random.Random(seed)
    draws = [split_red_packets(budget, count, rng) for _ in range(1500)]
    fair = budget / count
    for position in (0, count - 1):
        shares = [packets[position] for packets in draws]
        error = statistics.pstdev(shares) / len(shares) ** 0.5
        assert abs(statistics.fmean(shares) - fair) <= 5 * error + 1e-9


@pytest.mark.parametrize(("budget", "count"), [(100, 0), (100, -1), (9, 10), (20_000, 10_001), (100_000_001, 10)])
def test_a_red_packet_round_needs_one_to_ten_thousand_packets_of_at_least_one_fen(budget: int, count: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        split_red_packets(budget, count, random.Random(1))
    assert caught.value.code in {"group_red_packet_count", "group_red_packet_budget"}


def test_the_largest_round_is_allowed() -> None:
    packets = split_red_packets(100_000_000, 10_000, random.Random(7))
    assert sum(packets) == 100_000_000 and min(packets) >= 1


# ---- flash sale -----------------------------------------------------------------------------------------
def item(
    sku: str = "A", list_price: int = 10_000, price: int = 8_000, stock: int = 10, category: str = ""
) -> FlashItem:
    return FlashItem(sku=sku, list_price_fen=list_price, price_fen=price, stock=stock, category=category)


def sale(items: list[FlashItem], hours: float = 2, shop: int = 70, categories: dict[str, int] | None = None) -> None:
    check_flash_sale(
        T0,
        T0 + timedelta(hours=hours),
        items,
        shop_min_discount_pct=shop,
        category_min_discount_pct=categories or {},
    )


@pytest.mark.parametrize("hours", [1, 2, 24, 48])
def test_a_flash_sale_runs_one_to_forty_eight_hours(hours: int) -> None:
    sale([item()], hours=hours)


@pytest.mark.parametrize("hours", [0, 0.99, 48.01, -1])
def test_a_flash_sale_outside_one_to_forty_eight_hours_is_refused(hours: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        sale([item()], hours=hours)
    assert caught.value.code == "group_flash_sale_duration"


@pytest.mark.parametrize(
    ("items", "code", "sku"),
    [
        ([], "group_flash_sale_items", None),
        ([item(str(i)) for i in range(9)], "group_flash_sale_items", None),
        ([item("A"), item("A")], "group_flash_sale_duplicate_sku", "A"),
        ([item("A", stock=0)], "group_flash_sale_stock", "A"),
        ([item("B", price=0)], "group_flash_sale_price", "B"),
        ([item("C", price=10_001)], "group_flash_sale_price", "C"),
        ([item("D", price=6_999)], "group_flash_sale_below_min_discount", "D"),
    ],
)
def test_flash_sale_items_are_checked_and_each_refusal_names_the_sku(
    items: list[FlashItem], code: str, sku: str | None
) -> None:
    with pytest.raises(InvalidInput) as caught:
        sale(items)
    assert caught.value.code == code
    if sku:
        assert sku in caught.value.zh and sku in caught.value.en


def test_eight_skus_at_list_price_are_allowed() -> None:
    sale([item(str(i), price=10_000) for i in range(8)])


@given(st.integers(1, 10**7), st.integers(1, 100))
def test_a_price_exactly_at_the_floor_passes_and_one_fen_below_fails(list_price: int, pct: int) -> None:
    floor = -(-list_price * pct // 100)  # ceil(list × pct / 100)
    assert floor * 100 >= list_price * pct > (floor - 1) * 100
    sale([item(list_price=list_price, price=floor)], shop=pct)
    if floor > 1:
        with pytest.raises(InvalidInput) as caught:
            sale([item(list_price=list_price, price=floor - 1)], shop=pct)
        assert caught.value.code == "group_flash_sale_below_min_discount"


@pytest.mark.parametrize(
    ("category", "price", "ok"),
    [("beauty", 5_000, True), ("beauty", 4_999, False), ("food", 5_000, False), ("", 7_000, True)],
)
def test_a_categorys_minimum_discount_overrides_the_shops(category: str, price: int, ok: bool) -> None:
    items = [item(price=price, category=category)]
    if ok:
        sale(items, shop=70, categories={"beauty": 50})
    else:
        with pytest.raises(InvalidInput):
            sale(items, shop=70, categories={"beauty": 50})


@pytest.mark.parametrize(("shop", "categories"), [(0, {}), (101, {}), (70, {"x": 0})])
def test_a_minimum_discount_is_one_to_a_hundred_percent(shop: int, categories: dict[str, int]) -> None:
    with pytest.raises(InvalidInput) as caught:
        sale([item()], shop=shop, categories=categories)
    assert caught.value.code == "group_flash_sale_min_discount"


# ---- activity windows -----------------------------------------------------------------------------------
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ((0, 2), (1, 3), True),
        ((0, 2), (2, 4), False),
        ((2, 4), (0, 2), False),
        ((0, 10), (3, 4), True),
        ((0, 1), (5, 6), False),
        ((0, 2), (0, 2), True),
    ],
)
def test_activity_windows_are_half_open(a: tuple[int, int], b: tuple[int, int], overlap: bool) -> None:
    assert overlapping(T0 + a[0] * H, T0 + a[1] * H, T0 + b[0] * H, T0 + b[1] * H) is overlap


@pytest.mark.parametrize(
    ("activity", "claim", "ok"),
    [
        ((1, 5), (0, 10), True),
        ((0, 10), (0, 10), True),
        ((-1, 5), (0, 10), False),
        ((1, 11), (0, 10), False),
        ((1, 1000), (0, None), True),
        ((-1, 2), (0, None), False),
    ],
)
def test_a_coupon_activity_lies_inside_the_coupons_claim_window(
    activity: tuple[int, int], claim: tuple[int, int | None], ok: bool
) -> None:
    args = (
        T0 + activity[0] * H,
        T0 + activity[1] * H,
        T0 + claim[0] * H,
        None if claim[1] is None else T0 + claim[1] * H,
    )
    assert coupon_window_ok(*args) is ok
    if ok:
        check_coupon_window(*args)
    else:
        with pytest.raises(InvalidInput) as caught:
            check_coupon_window(*args)
        assert caught.value.code == "group_coupon_window"


def test_a_coupon_window_refusal_shows_both_windows() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_coupon_window(T0, T0 + 3 * H, T0 + H, None)
    assert "2026-06-01 20:00 – 2026-06-01 23:00" in caught.value.en
    assert "2026-06-01 21:00 – open-ended" in caught.value.en
    assert "2026-06-01 21:00 – 不限" in caught.value.zh


# ---- moderation -----------------------------------------------------------------------------------------
AD = [ModerationRule("ad")]


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("加微信领红包", "加微信"),
        ("加 微 信 领红包", "加 微 信"),
        ("有事加V：abc123", "加V"),
        ("ｖｘ：shop88", "ｖｘ"),
        ("我的vx号是abc", "vx号"),
        ("海外代购 正品", "代购"),
        ("招兼职 日结", "兼职"),
        ("刷-单返现", "刷-单"),
        ("QQ号 12345678", "QQ号 12345678"),
        ("联系 138 0013 8000", "138 0013 8000"),
        ("电话138-0013-8000", "138-0013-8000"),
        ("找我 1234567", "1234567"),
        ("薇信同号", "薇信"),
    ],
)
def test_built_in_ad_patterns_are_caught(text: str, matched: str) -> None:
    verdict = moderate(text, AD)
    assert verdict is not None
    assert verdict.matched == matched
    assert verdict.action == "remove"


@pytest.mark.parametrize(
    "text",
    [
        "这款多少钱？",
        "参加vip活动了",
        "new x-ray 面膜",
        "订单号 312345678901 还没发货",
        "2024-01-01 到货",
        "价格 199 元，满 3 件 8 折",
        "微信支付可以吗",
    ],
)
def test_ordinary_messages_are_not_taken_for_ads(text: str) -> None:
    assert moderate(text, AD) is None


LINK = [ModerationRule("link")]
ALLOWED = ("jd.com", "3.cn")


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("看这里 https://taobao.com/x", "https://taobao.com"),
        ("www.pdd.com 更便宜", "www.pdd.com"),
        ("戳 t.cn/Ab12", "t.cn"),
        ("去abc.xyz看看", "abc.xyz"),
        ("ＷＷＷ．ＢＡＩＤＵ．ＣＯＭ", "ＷＷＷ．ＢＡＩＤＵ．ＣＯＭ"),
        ("http://jd.com.evil.cn/", "http://jd.com.evil.cn"),
        ("evil-jd.com", "evil-jd.com"),
        ("发邮件 me@qq.com", "@qq.com"),
        ("http://10.0.0.1/login", "http://10.0.0.1"),
    ],
)
def test_links_to_hosts_not_allowed_are_caught(text: str, matched: str) -> None:
    verdict = moderate(text, LINK, allowed_hosts=ALLOWED)
    assert verdict is not None and verdict.matched == matched


@pytest.mark.parametrize(
    "text",
    [
        "https://item.jd.com/100012043978.html",
        "jd.com 搜索店铺",
        "活动链接 u.jd.com/abc",
        "短链 3.cn/1x2y",
        "WWW.JD.COM",
        "价格3.99元",
        "e.g. 这个",
        "1.5 kg 装",
    ],
)
def test_allowed_hosts_their_subdomains_and_plain_numbers_are_not_links(text: str) -> None:
    assert moderate(text, LINK, allowed_hosts=ALLOWED) is None


def test_without_allowed_hosts_every_link_is_caught() -> None:
    assert moderate("https://item.jd.com/1.html", LINK) is not None


@pytest.mark.parametrize(
    ("keyword", "text", "hit"),
    [
        ("加微信", "加 微 信", True),
        ("加微信", "加，微。信", True),
        ("加微信", "加💗微💗信", True),
        ("加微信", "加\u200b微信", True),
        ("加微信", "加个微信", False),
        ("Refund", "REFUND please", True),
        ("refund", "ｒｅｆｕｎｄ", True),
        ("退款", "退 款 退 款", True),
        ("差评", "好评", False),
    ],
)
def test_keywords_match_case_and_width_insensitively_ignoring_inserted_separators(
    keyword: str, text: str, hit: bool
) -> None:
    verdict = moderate(text, [ModerationRule("keyword", keyword)])
    assert (verdict is not None) is hit


def test_the_strictest_action_wins_kick_over_remove_over_warn() -> None:
    rules = [
        ModerationRule("keyword", "微信", "warn"),
        ModerationRule("ad", action="remove"),
        ModerationRule("link", action="kick"),
        ModerationRule("keyword", "领红包", "kick"),
    ]
    verdict = moderate("加微信领红包 t.cn/x", rules)
    assert verdict is not None and verdict.action == "kick" and verdict.rule is rules[2]
    verdict = moderate("加微信", rules)
    assert verdict is not None and verdict.action == "remove" and verdict.rule is rules[1]
    verdict = moderate("微信支付", rules)
    assert verdict is not None and verdict.action == "warn"
    assert moderate("你好", rules) is None


@pytest.mark.parametrize(
    ("kind", "pattern", "action", "code"),
    [
        ("spam", "", "remove", "group_rule_kind"),
        ("keyword", "x", "ban", "group_rule_action"),
        ("keyword", " ，。", "remove", "group_rule_pattern"),
    ],
)
def test_a_moderation_rule_is_checked_when_made(kind: str, pattern: str, action: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ModerationRule(kind, pattern, action)
    assert caught.value.code == code


# ---- growth levels and check-in -------------------------------------------------------------------------
LEVELS = [GrowthLevel("铜牌", 0), GrowthLevel("金牌", 500, "专属券"), GrowthLevel("银牌", 100)]


def test_levels_are_sorted_by_the_growth_they_start_at() -> None:
    assert [level.name for level in check_levels(LEVELS)] == ["铜牌", "银牌", "金牌"]


@pytest.mark.parametrize(
    ("levels", "code"),
    [
        ([], "group_levels_count"),
        ([GrowthLevel(f"L{i}", i * 10) for i in range(11)], "group_levels_count"),
        ([GrowthLevel("a", 1), GrowthLevel("b", 10)], "group_levels_first"),
        ([GrowthLevel("a", 0), GrowthLevel("b", 10), GrowthLevel("c", 10)], "group_levels_order"),
        ([GrowthLevel("a", 0), GrowthLevel("a", 10)], "group_levels_name"),
        ([GrowthLevel("a", 0), GrowthLevel(" ", 10)], "group_levels_name"),
        ([GrowthLevel("x" * 31, 0)], "group_levels_name"),
    ],
)
def test_levels_are_one_to_ten_from_zero_strictly_increasing_with_unique_names(
    levels: list[GrowthLevel], code: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_levels(levels)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("growth", "name"), [(0, "铜牌"), (99, "铜牌"), (100, "银牌"), (499, "银牌"), (500, "金牌"), (10**9, "金牌")]
)
def test_a_member_is_at_the_highest_level_reached(growth: int, name: str) -> None:
    assert level_of(growth, LEVELS).name == name


@pytest.mark.parametrize(
    ("streak", "reward"),
    [(1, (CHECKIN_POINTS, CHECKIN_GROWTH)), (6, (5, 10)), (7, (10, 20)), (8, (5, 10)), (14, (10, 20)), (21, (10, 20))],
)
def test_check_in_earns_points_and_growth_doubled_every_seventh_day_of_a_streak(
    streak: int, reward: tuple[int, int]
) -> None:
    assert checkin_reward(streak) == reward


@pytest.mark.parametrize(
    ("last", "today", "streak", "after"),
    [
        (None, date(2026, 3, 1), 0, 1),
        (date(2026, 2, 28), date(2026, 3, 1), 4, 5),  # month boundary
        (date(2024, 2, 29), date(2024, 3, 1), 4, 5),  # leap day
        (date(2024, 2, 28), date(2024, 3, 1), 4, 1),  # missed the leap day
        (date(2025, 12, 31), date(2026, 1, 1), 6, 7),  # year boundary
        (date(2025, 12, 30), date(2026, 1, 1), 6, 1),
        (date(2026, 1, 1), date(2026, 3, 1), 30, 1),
    ],
)
def test_a_streak_continues_from_yesterday_and_restarts_after_a_gap(
    last: date | None, today: date, streak: int, after: int
) -> None:
    assert next_streak(last, today, streak) == after


def test_checking_in_twice_on_one_day_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        next_streak(date(2026, 1, 1), date(2026, 1, 1), 3)
    assert caught.value.code == "group_checked_in"


# ---- guess the price ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("guess", "price", "tolerance", "ok"),
    [
        (9_900, 9_900, 0, True),
        (9_901, 9_900, 0, False),
        (9_405, 9_900, 5, True),  # 9,900 × 5 % = 495
        (9_404, 9_900, 5, False),
        (10_395, 9_900, 5, True),
        (10_396, 9_900, 5, False),
        (330, 999, 67, True),  # 999 × 67 % = 669.33 fen: 669 off is inside, 670 is not
        (329, 999, 67, False),
        (1_669, 999, 67, False),
        (670, 1_000, 33, True),  # exactly 330 fen off
        (669, 1_000, 33, False),
    ],
)
def test_a_guess_is_right_within_the_tolerance_in_exact_integers(
    guess: int, price: int, tolerance: int, ok: bool
) -> None:
    assert guess_is_correct(guess, price, tolerance) is ok


# ---- group types and the content calendar --------------------------------------------------------------
def test_group_types_are_the_seeds_six() -> None:
    assert {key: t.label_zh for key, t in GROUP_TYPES.items()} == {
        "welfare": "福利群",
        "interest": "兴趣群",
        "acquisition": "销售拉新群",
        "retention": "留存转化群",
        "content": "内容分享群",
        "service": "会员服务群",
    }
    assert all(t.label_en and t.purpose_zh and t.purpose_en for t in GROUP_TYPES.values())


def test_the_default_week_has_one_theme_a_day() -> None:
    assert [THEMES[key].label_zh for key in WEEKDAY_THEMES] == [
        "游戏互动",
        "产品话题",
        "专属优惠",
        "幸运抽奖",
        "组合优惠",
        "晒单分享",
        "好物推荐",
    ]
    assert DAILY_SLOTS == ("08:30-09:30", "15:00-16:00", "20:30-21:30", "22:00")
    assert MONTHLY == (3, 2)


@pytest.mark.parametrize(
    ("slot", "parsed"),
    [
        ("08:30-09:30", (time(8, 30), time(9, 30))),
        ("22:00", (time(22, 0), None)),
        ("9:05 – 10:00", (time(9, 5), time(10))),
    ],
)
def test_a_slot_is_a_start_and_an_optional_end(slot: str, parsed: tuple[time, time | None]) -> None:
    assert parse_slot(slot) == parsed


@pytest.mark.parametrize("slot", ["", "8点", "25:00", "10:00-09:00", "10:00-10:00"])
def test_a_malformed_slot_is_refused(slot: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_slot(slot)
    assert caught.value.code == "group_plan_slot"


def test_february_of_a_leap_year_gets_a_post_per_slot_per_day_and_the_monthly_activities() -> None:
    posts = plan_month(2028, 2)
    slot_posts = [p for p in posts if p.kind == "slot"]
    assert len(slot_posts) == 29 * 4
    assert slot_posts[-1].publish_at == datetime(2028, 2, 29, 22, 0)
    assert [p.publish_at.day for p in posts if p.kind == "themed_activity"] == [5, 15, 25]
    assert [p.publish_at.day for p in posts if p.kind == "lottery"] == [8, 22]
    assert all(p.publish_at.time() == time(20, 30) and p.slot == "20:30-21:30" for p in posts if p.kind != "slot")
    # 2028-02-01 is a Tuesday: the product topic
    first_day = [p for p in posts if p.publish_at.date() == date(2028, 2, 1)]
    assert [(p.publish_at.time(), p.slot, p.theme) for p in first_day] == [
        (time(8, 30), "08:30-09:30", "product_topic"),
        (time(15, 0), "15:00-16:00", "product_topic"),
        (time(20, 30), "20:30-21:30", "product_topic"),
        (time(22, 0), "22:00", "product_topic"),
    ]
    assert posts == sorted(posts, key=lambda p: p.publish_at)
    assert {p.theme for p in posts if p.publish_at.weekday() == 6} == {"recommendation"}


def test_given_activity_days_replace_the_defaults_and_an_empty_list_means_none() -> None:
    posts = plan_month(2026, 4, themed_days=[30, 1], lottery_days=[])
    extras = [(p.publish_at, p.kind) for p in posts if p.kind != "slot"]
    assert extras == [
        (datetime(2026, 4, 1, 20, 30), "themed_activity"),
        (datetime(2026, 4, 30, 20, 30), "themed_activity"),
    ]
    evening = [p.kind for p in posts if p.publish_at == datetime(2026, 4, 1, 20, 30)]
    assert evening == ["slot", "themed_activity"]


def test_custom_themes_and_slots_are_used_as_given() -> None:
    themes = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    posts = plan_month(2026, 6, weekday_themes=themes, slots=["12:00"], themed_days=[], lottery_days=[1])
    assert len(posts) == 30 + 1
    assert posts[0].theme == "周一"  # 2026-06-01 is a Monday
    assert posts[1] == posts[1].__class__(datetime(2026, 6, 1, 20, 30), "20:30", "周一", "lottery")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"themed_days": [31]}, "group_plan_day"),  # April has 30 days
        ({"lottery_days": [0]}, "group_plan_day"),
        ({"themed_days": [3, 3]}, "group_plan_day"),
        ({"weekday_themes": ["a"] * 6}, "group_plan_themes"),
        ({"slots": ["08:30-09:30", "08:30-09:30"]}, "group_plan_slot"),
    ],
)
def test_plan_days_must_exist_in_the_month(kwargs: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan_month(2026, 4, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == code


def test_a_month_that_does_not_exist_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        plan_month(2026, 13)
    assert caught.value.code == "group_plan_month"
