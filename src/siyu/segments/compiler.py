"""Audience definitions → one set-based SQL query over the ``facts`` relation (see sql.py).

Every leaf becomes a NULL-free boolean (``COALESCE(…, FALSE)``) so that NOT means exactly "not", the
way people read it. Look-back windows on orders become one pre-aggregated CTE per distinct window,
joined once; behaviour on lines, events and tags becomes a semi-join.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from siyu.segments.conditions import (
    Age,
    AllOf,
    AnyOf,
    BirthdayMonth,
    Bought,
    CartWithoutOrder,
    Flag,
    JoinedWithin,
    LastOrder,
    Node,
    Not,
    OrderCount,
    SegmentIn,
    Spent,
    Tagged,
    TextIn,
)
from siyu.segments.sql import PAID, Moment

_OPS = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "=": "="}


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class Compiled:
    def __init__(self, where: str, windows: set[int], params: dict[str, Any]) -> None:
        self.where = where
        self.windows = windows
        self.params = params

    def window_ctes(self) -> str:
        return "".join(
            f""",
ow_{d} AS (
    SELECT o.customer_id, COUNT(*) AS n, SUM(o.paid_fen) AS spent FROM {{orders}} o
    WHERE o.shop_id = :shop_id AND {PAID} AND o.ordered_at >= :cutoff_{d} AND o.ordered_at < :as_of
    GROUP BY o.customer_id
)"""
            for d in sorted(self.windows)
        )

    def joins(self) -> str:
        return "".join(f" LEFT JOIN ow_{d} ON ow_{d}.customer_id = f.customer_id" for d in sorted(self.windows))


class AudienceCompiler:
    def __init__(self, moment: Moment) -> None:
        self.moment = moment
        self.params: dict[str, Any] = {}
        self.windows: set[int] = set()

    def compile(self, node: Node) -> Compiled:
        where = self._node(node)
        for d in self.windows:
            self.params[f"cutoff_{d}"] = self._cutoff(d)
        return Compiled(where, set(self.windows), self.params)

    def _bind(self, value: Any) -> str:
        name = f"p{len(self.params) + 1}"
        self.params[name] = value
        return f":{name}"

    def _list(self, values: list[Any]) -> str:
        return "(" + ", ".join(self._bind(v) for v in values) + ")"

    def _cutoff(self, days: int) -> Any:
        return self.moment.days_ago(days).replace(tzinfo=None)

    def _node(self, node: Node) -> str:
        if isinstance(node, AllOf):
            return "(" + " AND ".join(self._node(n) for n in node.all) + ")"
        if isinstance(node, AnyOf):
            return "(" + " OR ".join(self._node(n) for n in node.any) + ")"
        if isinstance(node, Not):
            return f"(NOT {self._node(node.not_)})"
        return f"COALESCE(({self._leaf(node)}), FALSE)"

    def _leaf(self, c: Node) -> str:
        if isinstance(c, TextIn):
            sql = f"f.{c.field} IN {self._list(c.values)}"
            return sql if c.op == "in" else f"NOT ({sql})"
        if isinstance(c, Flag):
            return f"f.{c.field} = {'TRUE' if c.value else 'FALSE'}"
        if isinstance(c, Age):
            today = self.moment.local_date
            at_least = {">=": c.value, ">": c.value + 1}.get(c.op)
            at_most = {"<=": c.value, "<": c.value - 1}.get(c.op)
            if c.op == "=":
                at_least = at_most = c.value
            parts = ["f.birthday IS NOT NULL"]
            if at_least is not None:
                parts.append(f"f.birthday <= {self._bind(years_before(today, at_least))}")
            if at_most is not None:
                if at_most < 0:
                    return "FALSE"
                parts.append(f"f.birthday > {self._bind(years_before(today, at_most + 1))}")
            return " AND ".join(parts)
        if isinstance(c, BirthdayMonth):
            return f"EXTRACT(MONTH FROM f.birthday) IN ({', '.join(str(int(m)) for m in c.values)})"
        if isinstance(c, JoinedWithin):
            column = "f.created_at" if c.field == "customer_since" else "f.member_since"
            return f"{column} >= {self._bind(self._cutoff(c.days))} AND {column} < :as_of"
        if isinstance(c, OrderCount | Spent):
            column = "n" if isinstance(c, OrderCount) else "spent"
            if c.days is None:
                value = "f.orders_all" if isinstance(c, OrderCount) else "f.spent_all"
            else:
                self.windows.add(c.days)
                value = f"COALESCE(ow_{c.days}.{column}, 0)"
            return f"{value} {_OPS[c.op]} {self._bind(c.value)}"
        if isinstance(c, LastOrder):
            recent = f"f.last_at >= {self._bind(self._cutoff(c.days))}"
            return recent if c.op == "within_days" else f"(f.last_at IS NULL OR NOT ({recent}))"
        if isinstance(c, CartWithoutOrder):
            self.windows.add(c.days)
            return (
                f"f.customer_id IN (SELECT e.customer_id FROM {{customer_events}} e WHERE e.shop_id = :shop_id "
                f'AND e.kind = \'add_to_cart\' AND e."at" >= :cutoff_{c.days} AND e."at" < :as_of) '
                f"AND COALESCE(ow_{c.days}.n, 0) = 0"
            )
        if isinstance(c, Bought):
            since = f" AND o.ordered_at >= {self._bind(self._cutoff(c.days))}" if c.days else ""
            if c.field == "bought_sku":
                match = f"l.sku IN {self._list(c.values)}"
                source = "{order_lines} l"
            else:
                match = f"p.category IN {self._list(c.values)}"
                source = "{order_lines} l JOIN {products} p ON p.shop_id = l.shop_id AND p.sku = l.sku"
            return (
                f"f.customer_id IN (SELECT o.customer_id FROM {{orders}} o JOIN {source} ON l.order_id = o.id "
                f"WHERE o.shop_id = :shop_id AND {PAID} AND o.ordered_at < :as_of{since} AND {match})"
            )
        if isinstance(c, SegmentIn):
            return f"f.{c.field} IN {self._list(c.values)}"
        if isinstance(c, Tagged):
            tags = self._list(c.values)
            carriers = (
                f"SELECT t.customer_id FROM {{customer_tags}} t WHERE t.shop_id = :shop_id AND t.tag_id IN {tags}"
            )
            if c.op == "any":
                return f"f.customer_id IN ({carriers})"
            if c.op == "none":
                return f"f.customer_id NOT IN ({carriers})"
            return (
                f"f.customer_id IN ({carriers} GROUP BY t.customer_id "
                f"HAVING COUNT(DISTINCT t.tag_id) = {len(set(c.values))})"
            )
        raise TypeError(f"unknown condition {c!r}")  # pragma: no cover - the union is closed
