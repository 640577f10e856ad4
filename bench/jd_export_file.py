"""A synthetic JD merchant back-office order export (订单导出) in GB18030, for the import benchmark.

Shaped like the real file: Chinese headers, one row per order line (~3 lines per order) with the
order-level amounts repeated on every line, order numbers and SKU ids written with a leading tab
(as JD does so that spreadsheets keep them as text), masked phones, addresses, and ~1% bad rows
(an unreadable time or an unknown status) that the importer must report and skip.
"""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from siyu.customers import demo

HEADER = (
    "订单号", "商品ID", "商品名称", "订购数量", "支付方式", "下单时间", "京东价", "订单金额", "结算金额",
    "应付金额", "余额支付", "订单状态", "订单类型", "下单帐号", "客户姓名", "客户地址", "联系电话", "订单备注",
    "发票类型", "订单来源", "付款确认时间",
)  # fmt: skip
PAYMENTS = np.array(["在线支付", "微信支付", "京东白条", "银行卡"], dtype=object)
STREETS = np.array(
    [
        "朝阳区建国路88号",
        "南山区科技园南区",
        "浦东新区张江路500号",
        "天河区体育西路",
        "西湖区文三路",
        "武侯区人民南路四段",
    ],
    dtype=object,
)
BAD_ROW_SHARE = 0.01
CHUNK_LINES = 100_000
SEED = 2026
NOW = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)


def _yuan(fen: np.ndarray) -> list[str]:
    return [f"{v // 100}.{v % 100:02d}" for v in fen.tolist()]


def write_export(path: Path, lines: int) -> Path:
    """Write the file once (atomically); later runs reuse it."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    catalogue = demo.generate_catalogue(SEED)
    calendar = demo.shop_calendar(NOW, 2.0)
    n_sku = len(catalogue)
    cities = demo.CITIES
    city_p = np.array([c[2] for c in cities]) / sum(c[2] for c in cities)
    region = np.array([c[0] + c[1] for c in cities], dtype=object)
    channels = np.array([c for c, _ in demo.ORDER_CHANNELS], dtype=object)
    channel_p = np.array([w for _, w in demo.ORDER_CHANNELS]) / sum(w for _, w in demo.ORDER_CHANNELS)
    surnames = np.array([s for s, _ in demo.SURNAMES], dtype=object)
    surname_p = np.array([w for _, w in demo.SURNAMES]) / sum(w for _, w in demo.SURNAMES)
    given = np.array(demo.FEMALE_NAME_CHARS + demo.MALE_NAME_CHARS, dtype=object)
    prefixes = np.array([p for p, _ in demo.MOBILE_PREFIXES], dtype=object)
    # a pool of buyers that come back: ~3 orders each
    buyers = max(lines // 9, 1)
    accounts = np.array(demo.demo_accounts(0, buyers), dtype=object)
    names = surnames[rng.choice(len(surnames), buyers, p=surname_p)] + given[rng.integers(len(given), size=buyers)]
    phones = np.array(
        [
            f"{p}****{t:04d}"
            for p, t in zip(
                prefixes[rng.integers(len(prefixes), size=buyers)], rng.integers(0, 10_000, buyers), strict=True
            )
        ],
        dtype=object,
    )
    addresses = region[rng.choice(len(region), buyers, p=city_p)] + STREETS[rng.integers(len(STREETS), size=buyers)]
    partial = path.with_suffix(".partial")
    written = 0
    order_serial = 0
    with open(partial, "w", encoding="gb18030", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        while written < lines:
            want = min(CHUNK_LINES, lines - written)
            per_order = rng.integers(1, 6, size=want // 2 + 5)  # 1..5 lines, 3 on average
            running = np.cumsum(per_order)
            last = int(np.searchsorted(running, want))  # first order that reaches the wanted lines
            per_order = per_order[: last + 1]
            per_order[-1] -= running[last] - want  # trim it: still 1..5 lines
            n_orders = len(per_order)
            line_order = np.repeat(np.arange(n_orders), per_order)
            position = np.arange(len(line_order)) - np.repeat(np.cumsum(per_order) - per_order, per_order)
            first_sku = rng.choice(n_sku, size=n_orders, p=catalogue.popularity)
            sku_ix = (first_sku[line_order] + position * 3) % n_sku  # distinct SKUs within an order
            quantity = 1 + (rng.random(len(line_order)) < 0.25) * rng.integers(1, 4, size=len(line_order))
            price = catalogue.price_fen[sku_ix]
            total = np.bincount(line_order, weights=quantity * price, minlength=n_orders).astype(np.int64)
            paid = total - np.where((total >= 19_900) & (rng.random(n_orders) < 0.3), 2_000, 0)
            day = np.searchsorted(np.cumsum(calendar.weight), rng.random(n_orders) * calendar.weight.sum())
            day = np.minimum(day, calendar.days - 2)
            local = calendar.day_epoch[day] + rng.integers(0, demo.DAY, size=n_orders)
            times = np.char.replace(np.datetime_as_string(local.astype("datetime64[s]"), unit="s"), "T", " ")
            status = np.where(rng.random(n_orders) < 0.065, "已取消", "完成").astype(object)
            buyer = rng.integers(0, buyers, size=n_orders)
            numbers = np.array([f"\t{n}" for n in demo.demo_order_numbers(order_serial, n_orders, rng)], dtype=object)
            order_serial += n_orders
            order_yuan = np.array(_yuan(total), dtype=object)
            paid_yuan = np.array(_yuan(paid), dtype=object)
            line_time = times.astype(object)[line_order]
            line_status = status[line_order]
            bad = rng.random(len(line_order)) < BAD_ROW_SHARE
            half = rng.random(len(line_order)) < 0.5
            line_time[bad & half] = "2025-13-45 25:61:00"
            line_status[bad & ~half] = "拆单审核中"
            channel = channels[rng.choice(len(channels), n_orders, p=channel_p)]
            pay = PAYMENTS[rng.integers(len(PAYMENTS), size=n_orders)]
            rows = zip(
                numbers[line_order].tolist(),
                [f"\t{s}" for s in catalogue.skus[sku_ix].tolist()],
                catalogue.names[sku_ix].tolist(),
                quantity.tolist(),
                pay[line_order].tolist(),
                line_time.tolist(),
                _yuan(price),
                order_yuan[line_order].tolist(),
                order_yuan[line_order].tolist(),
                paid_yuan[line_order].tolist(),
                ["0.00"] * len(line_order),
                line_status.tolist(),
                ["SOP"] * len(line_order),
                accounts[buyer][line_order].tolist(),
                names[buyer][line_order].tolist(),
                addresses[buyer][line_order].tolist(),
                phones[buyer][line_order].tolist(),
                [""] * len(line_order),
                ["电子发票"] * len(line_order),
                channel[line_order].tolist(),
                line_time.tolist(),
                strict=True,
            )
            out.writerows(rows)
            written += len(line_order)
    os.replace(partial, path)
    return path
