"""Shapes shared by the API, the console and the CLI."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from siyu.promotions.domain import OrderLine, TemplateTerms


class CouponTemplateSpec(BaseModel):
    """A coupon template as a shop writes it; the rules between fields are checked by the domain
    (``siyu.promotions.domain.check_terms``) so that every entry point gets the same zh/en errors."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    kind: str = Field(description="full_reduction (满减) | discount (折扣) | no_threshold (无门槛)")
    threshold_fen: int = 0
    reduction_fen: int = 0
    discount_pct: int | None = Field(default=None, description="percent paid: 85 = 8.5折")
    max_discount_fen: int | None = None
    scope: str = Field(default="shop", description="shop | skus | categories")
    scope_items: list[str] = Field(default_factory=list, max_length=1000)
    claim_start: AwareDatetime
    claim_end: AwareDatetime
    use_start: AwareDatetime | None = None
    use_end: AwareDatetime | None = None
    use_days: int | None = None
    total_stock: int
    per_customer_limit: int = 1
    channel: str = Field(default="any", description="any | member | group | fission")
    fission_friends: int | None = None

    def terms(self) -> TemplateTerms:
        return TemplateTerms(
            kind=self.kind,
            claim_start=self.claim_start,
            claim_end=self.claim_end,
            total_stock=self.total_stock,
            threshold_fen=self.threshold_fen,
            reduction_fen=self.reduction_fen,
            discount_pct=self.discount_pct,
            max_discount_fen=self.max_discount_fen,
            scope=self.scope,
            scope_items=tuple(item.strip() for item in self.scope_items),
            use_start=self.use_start,
            use_end=self.use_end,
            use_days=self.use_days,
            per_customer_limit=self.per_customer_limit,
            channel=self.channel,
            fission_friends=self.fission_friends,
        )


class OrderLineIn(BaseModel):
    """One line of the order a coupon is used on."""

    sku: str = Field(min_length=1, max_length=64)
    category: str = Field(default="", max_length=100)
    amount_fen: int = Field(ge=0)

    def line(self) -> OrderLine:
        return OrderLine(self.sku, self.category, self.amount_fen)


class CouponTemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    threshold_fen: int
    reduction_fen: int
    discount_pct: int | None
    max_discount_fen: int | None
    scope: str
    scope_items: list[str]
    claim_start: datetime
    claim_end: datetime
    use_start: datetime | None
    use_end: datetime | None
    use_days: int | None
    total_stock: int
    claimed_count: int
    per_customer_limit: int
    channel: str
    fission_friends: int | None
    status: str
    created_at: datetime


class CouponOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    template_id: int
    customer_id: int
    seq: int
    code: str
    status: str
    channel: str
    claimed_at: datetime
    valid_from: datetime
    valid_until: datetime
    unlocked_at: datetime | None
    used_at: datetime | None
    order_no: str | None
    discount_fen: int | None


class CouponTemplatePatch(BaseModel):
    """The terms to change; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: str | None = None
    threshold_fen: int | None = None
    reduction_fen: int | None = None
    discount_pct: int | None = None
    max_discount_fen: int | None = None
    scope: str | None = None
    scope_items: list[str] | None = Field(default=None, max_length=1000)
    claim_start: AwareDatetime | None = None
    claim_end: AwareDatetime | None = None
    use_start: AwareDatetime | None = None
    use_end: AwareDatetime | None = None
    use_days: int | None = None
    total_stock: int | None = None
    per_customer_limit: int | None = None
    channel: str | None = None
    fission_friends: int | None = None
    status: str | None = None

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude_unset=True)
