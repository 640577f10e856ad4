"""The audience builder's condition language (人群圈选, SPEC §2): validated JSON, nested AND/OR/NOT.

A definition is a tree of groups and conditions, for example::

    {"all": [
        {"field": "city", "op": "in", "values": ["上海市", "北京市"]},
        {"any": [{"field": "orders", "op": ">=", "value": 3, "days": 90},
                 {"field": "spent", "op": ">=", "value": 50000}]},
        {"not": {"field": "rfm_segment", "op": "in", "values": ["low_value"]}}
    ]}

Amounts are in fen; "days" is a look-back window ending at the evaluation time.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from siyu.core.errors import InvalidInput
from siyu.segments.domain import LIFECYCLE_STAGES, LOYALTY_STAGES, MONETARY_LEVELS, SEGMENT_ORDER

Comparison = Literal[">=", ">", "<=", "<", "="]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- profile fields -------------------------------------------------------------------------------------
class TextIn(_Strict):
    """gender, city, province or source channel among the given values."""

    field: Literal["gender", "city", "province", "source_channel"]
    op: Literal["in", "not_in"] = "in"
    values: list[str] = Field(min_length=1, max_length=500)


class Flag(_Strict):
    """member, follows shop: yes or no."""

    field: Literal["is_member", "follows_shop"]
    op: Literal["="] = "="
    value: bool


class Age(_Strict):
    """age in whole years from the birthday (customers without a birthday never match)."""

    field: Literal["age"]
    op: Comparison
    value: int = Field(ge=0, le=150)


class BirthdayMonth(_Strict):
    field: Literal["birthday_month"]
    op: Literal["in"] = "in"
    values: list[int] = Field(min_length=1, max_length=12)

    @field_validator("values")
    @classmethod
    def _months(cls, values: list[int]) -> list[int]:
        if any(not 1 <= v <= 12 for v in values):
            raise ValueError("months are 1–12")
        return values


class JoinedWithin(_Strict):
    """became a customer (first seen) or a member within the last N days."""

    field: Literal["customer_since", "member_since"]
    op: Literal["within_days"] = "within_days"
    days: int = Field(ge=1, le=3650)


# ---- behaviour ------------------------------------------------------------------------------------------
class OrderCount(_Strict):
    """paid orders (count) within the last N days, or ever when days is omitted."""

    field: Literal["orders"]
    op: Comparison
    value: int = Field(ge=0)
    days: int | None = Field(default=None, ge=1, le=3650)


class Spent(_Strict):
    """total paid (fen) within the last N days, or ever."""

    field: Literal["spent"]
    op: Comparison
    value: int = Field(ge=0)
    days: int | None = Field(default=None, ge=1, le=3650)


class LastOrder(_Strict):
    """the last paid order is within (or not within) the last N days."""

    field: Literal["last_order"]
    op: Literal["within_days", "not_within_days"]
    days: int = Field(ge=1, le=3650)


class CartWithoutOrder(_Strict):
    """added to cart within the last N days and placed no paid order in those days."""

    field: Literal["cart_without_order"]
    op: Literal["within_days"] = "within_days"
    days: int = Field(ge=1, le=365)


class Bought(_Strict):
    """bought (paid) any of the SKUs, or any product of the categories, within N days or ever."""

    field: Literal["bought_sku", "bought_category"]
    op: Literal["any"] = "any"
    values: list[str] = Field(min_length=1, max_length=500)
    days: int | None = Field(default=None, ge=1, le=3650)


# ---- segments, stages, tags -----------------------------------------------------------------------------
class SegmentIn(_Strict):
    field: Literal["rfm_segment", "lifecycle_stage", "loyalty_stage", "monetary_level"]
    op: Literal["in"] = "in"
    values: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _known(self) -> SegmentIn:
        known = {
            "rfm_segment": SEGMENT_ORDER,
            "lifecycle_stage": tuple(c for c, _, _ in LIFECYCLE_STAGES),
            "loyalty_stage": tuple(c for c, _, _ in LOYALTY_STAGES),
            "monetary_level": tuple(c for c, _, _ in MONETARY_LEVELS),
        }[self.field]
        unknown = [v for v in self.values if v not in known]
        if unknown:
            raise ValueError(f"unknown {self.field} {unknown}; known: {list(known)}")
        return self


class Tagged(_Strict):
    """carries any (or all) of the tags, by tag id."""

    field: Literal["tags"]
    op: Literal["any", "all", "none"] = "any"
    values: list[int] = Field(min_length=1, max_length=200)


Condition = Annotated[
    TextIn
    | Flag
    | Age
    | BirthdayMonth
    | JoinedWithin
    | OrderCount
    | Spent
    | LastOrder
    | CartWithoutOrder
    | Bought
    | SegmentIn
    | Tagged,
    Field(discriminator="field"),
]


class AllOf(_Strict):
    all: list[Node] = Field(min_length=1, max_length=50)


class AnyOf(_Strict):
    any: list[Node] = Field(min_length=1, max_length=50)


class Not(_Strict):
    not_: Node = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Node = Condition | AllOf | AnyOf | Not
AllOf.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()

_NODE: TypeAdapter[Node] = TypeAdapter(Node)
_CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)
FIELDS: tuple[str, ...] = (
    "gender",
    "city",
    "province",
    "source_channel",
    "is_member",
    "follows_shop",
    "age",
    "birthday_month",
    "customer_since",
    "member_since",
    "orders",
    "spent",
    "last_order",
    "cart_without_order",
    "bought_sku",
    "bought_category",
    "rfm_segment",
    "lifecycle_stage",
    "loyalty_stage",
    "monetary_level",
    "tags",
)
MAX_DEPTH = 8


class InvalidAudience(InvalidInput):
    code = "invalid_audience"


def parse_definition(raw: Any) -> Node:
    """Validate an audience definition; raises :class:`InvalidAudience` naming where and why."""
    return _build(raw, "$", 0)


def _build(raw: Any, where: str, depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise InvalidAudience(
            f"条件嵌套超过 {MAX_DEPTH} 层（{where}）", f"nesting deeper than {MAX_DEPTH} at {where}", where=where
        )
    if not isinstance(raw, dict):
        raise InvalidAudience(f"{where} 应是一个对象", f"{where} must be an object", where=where)
    groups = [k for k in ("all", "any", "not") if k in raw]
    if len(groups) > 1 or (groups and len(raw) > 1):
        raise InvalidAudience(
            f"{where} 只能有一个 all / any / not", f"{where} mixes a group with other keys", where=where
        )
    if groups:
        key = groups[0]
        children = raw[key]
        if key == "not":
            return Not(not_=_build(children, f"{where}.not", depth + 1))
        if not isinstance(children, list) or not children:
            raise InvalidAudience(
                f"{where}.{key} 是空的条件组", f"{where}.{key} is an empty group", where=f"{where}.{key}"
            )
        if len(children) > 50:
            raise InvalidAudience(f"{where}.{key} 超过 50 个条件", f"{where}.{key} has more than 50 items", where=where)
        nodes = [_build(child, f"{where}.{key}[{i}]", depth + 1) for i, child in enumerate(children)]
        return AllOf(all=nodes) if key == "all" else AnyOf(any=nodes)
    field = raw.get("field")
    if field not in FIELDS:
        raise InvalidAudience(
            f"{where}：未知字段「{field}」",
            f"{where}: unknown field '{field}' (known: {', '.join(FIELDS)})",
            where=where,
        )
    try:
        return _CONDITION.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        names = [str(p) for p in first.get("loc", ()) if isinstance(p, str) and p != field and "[" not in p]
        at = f"{where}.{names[-1]}" if names else where
        message = first.get("msg", "").removeprefix("Value error, ")
        zh = _zh_reason(first) or message
        raise InvalidAudience(
            f"条件「{field}」不正确（{at}）：{zh}", f"invalid '{field}' condition at {at}: {message}", where=at
        ) from exc


def _zh_reason(error: Any) -> str:
    """pydantic's reason in Chinese for the kinds of mistakes an audience definition meets."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    expected = ctx.get("expected", "")
    reasons = {
        "missing": "缺少必填项",
        "extra_forbidden": "不认识的键",
        "int_parsing": "应为整数",
        "int_type": "应为整数",
        "bool_parsing": "应为 true 或 false",
        "bool_type": "应为 true 或 false",
        "string_type": "应为文本",
        "list_type": "应为列表",
        "literal_error": f"只能是 {expected}",
        "too_short": f"至少需要 {ctx.get('min_length', 1)} 项",
        "too_long": f"最多 {ctx.get('max_length', '')} 项",
        "greater_than_equal": f"不能小于 {ctx.get('ge', '')}",
        "less_than_equal": f"不能大于 {ctx.get('le', '')}",
    }
    if kind == "value_error":
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        if message.startswith("unknown "):
            return "包含未知的取值：" + message.split(";", 1)[0].removeprefix("unknown ")
        if message.startswith("months"):
            return "月份只能是 1–12"
    return reasons.get(kind, "")


def dump_definition(node: Node) -> dict[str, Any]:
    return _NODE.dump_python(node, by_alias=True, exclude_defaults=False, mode="json")
