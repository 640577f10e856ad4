"""Shapes shared by the API, the console and the CLI for customers and imports."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class CustomerFilter(BaseModel):
    """List filters; every field optional."""

    q: str = Field(default="", max_length=100, description="account, name, or phone tail / masked phone")
    city: str = Field(default="", max_length=40)
    gender: str = Field(default="", pattern="^(|male|female)$")
    source_channel: str = Field(default="", max_length=40)
    is_member: bool | None = None
    follows_shop: bool | None = None
    has_paid_order: bool | None = None
    snapshot_id: int | None = Field(default=None, description="only members of this audience snapshot")
    tag_id: int | None = Field(default=None, description="only customers carrying this tag")


class CustomerRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account: str
    name: str
    gender: str
    city: str
    phone_masked: str
    source_channel: str
    is_member: bool
    follows_shop: bool
    paid_orders: int = 0
    paid_fen: int = 0
    last_order_at: datetime | None = None


class OrderLineOut(BaseModel):
    sku: str
    product_name: str
    quantity: int
    unit_price_fen: int


class OrderOut(BaseModel):
    id: int
    order_no: str
    status: str
    is_paid: bool
    ordered_at: datetime
    channel: str
    total_fen: int
    paid_fen: int
    lines: list[OrderLineOut] = []


class CustomerDetail(CustomerRow):
    province: str
    birthday: date | None
    created_at: datetime
    member_since: datetime | None
    first_order_at: datetime | None = None
    orders: list[OrderOut] = []


class ImportProblemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row_no: int
    column: str
    value: str
    reason_zh: str
    reason_en: str


class ImportJobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    status: str
    encoding: str
    size_bytes: int
    rows_read: int
    lines_added: int
    lines_already_present: int
    orders_added: int
    customers_added: int
    problem_count: int
    error_code: str
    error_zh: str
    error_en: str
    created_at: datetime
    finished_at: datetime | None
    progress: float = 0.0
