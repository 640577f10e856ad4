"""promotions: coupon templates, coupons, fission shares

Revision ID: 0003_promotions
Revises: 0002_segments
Create Date: 2026-12-02 06:51:25.401857
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import siyu.db

revision = "0003_promotions"
down_revision = "0002_segments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The CHECK on claimed_count and the UNIQUE (template_id, customer_id, seq) back the claim service's
    # stock and per-customer limit (see docs/coupons.md, "Stock and limits").
    op.create_table(
        "coupon_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("threshold_fen", sa.Integer(), nullable=False),
        sa.Column("reduction_fen", sa.Integer(), nullable=False),
        sa.Column("discount_pct", sa.Integer(), nullable=True),
        sa.Column("max_discount_fen", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("scope_items", sa.JSON(), nullable=False),
        sa.Column("claim_start", siyu.db.UTCDateTime(), nullable=False),
        sa.Column("claim_end", siyu.db.UTCDateTime(), nullable=False),
        sa.Column("use_start", siyu.db.UTCDateTime(), nullable=True),
        sa.Column("use_end", siyu.db.UTCDateTime(), nullable=True),
        sa.Column("use_days", sa.Integer(), nullable=True),
        sa.Column("total_stock", sa.Integer(), nullable=False),
        sa.Column("claimed_count", sa.Integer(), nullable=False),
        sa.Column("per_customer_limit", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("fission_friends", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", siyu.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", siyu.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('any', 'member', 'group', 'fission')", name=op.f("ck_coupon_templates_channel")
        ),
        sa.CheckConstraint(
            "kind IN ('full_reduction', 'discount', 'no_threshold')", name=op.f("ck_coupon_templates_kind")
        ),
        sa.CheckConstraint("scope IN ('shop', 'skus', 'categories')", name=op.f("ck_coupon_templates_scope")),
        sa.CheckConstraint("status IN ('active', 'stopped')", name=op.f("ck_coupon_templates_status")),
        sa.CheckConstraint(
            "claimed_count >= 0 AND claimed_count <= total_stock", name=op.f("ck_coupon_templates_stock")
        ),
        sa.CheckConstraint(
            "discount_pct IS NULL OR (discount_pct BETWEEN 1 AND 99)", name=op.f("ck_coupon_templates_discount_pct")
        ),
        sa.CheckConstraint("per_customer_limit >= 1", name=op.f("ck_coupon_templates_limit_positive")),
        sa.CheckConstraint("threshold_fen >= 0 AND reduction_fen >= 0", name=op.f("ck_coupon_templates_amounts")),
        sa.CheckConstraint("total_stock >= 1", name=op.f("ck_coupon_templates_total_stock_positive")),
        sa.CheckConstraint("use_end IS NOT NULL OR use_days IS NOT NULL", name=op.f("ck_coupon_templates_use_window")),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_coupon_templates_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_templates")),
    )
    with op.batch_alter_table("coupon_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupon_templates_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "coupons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", siyu.db.UTCDateTime(), nullable=False),
        sa.Column("valid_from", siyu.db.UTCDateTime(), nullable=False),
        sa.Column("valid_until", siyu.db.UTCDateTime(), nullable=False),
        sa.Column("unlocked_at", siyu.db.UTCDateTime(), nullable=True),
        sa.Column("used_at", siyu.db.UTCDateTime(), nullable=True),
        sa.Column("order_no", sa.String(length=64), nullable=True),
        sa.Column("discount_fen", sa.Integer(), nullable=True),
        sa.Column("updated_at", siyu.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status <> 'used' OR (order_no IS NOT NULL AND used_at IS NOT NULL)", name=op.f("ck_coupons_used_has_order")
        ),
        sa.CheckConstraint("status IN ('locked', 'claimed', 'used', 'expired')", name=op.f("ck_coupons_status")),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_coupons_seq_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_coupons_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_coupons_shop_id_shops"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_coupons_template_id_coupon_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_coupons_code")),
        sa.UniqueConstraint("shop_id", "idempotency_key", name=op.f("uq_coupons_shop_id_idempotency_key")),
        sa.UniqueConstraint("template_id", "customer_id", "seq", name=op.f("uq_coupons_template_id_customer_id_seq")),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index("ix_coupons_shop_customer", ["shop_id", "customer_id"], unique=False)
        batch_op.create_index("ix_coupons_shop_status_valid_until", ["shop_id", "status", "valid_until"], unique=False)
        batch_op.create_index("ix_coupons_template_status", ["template_id", "status"], unique=False)

    op.create_table(
        "coupon_fission_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=False),
        sa.Column("friend_customer_id", sa.Integer(), nullable=False),
        sa.Column("shared_at", siyu.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["coupons.id"], name=op.f("fk_coupon_fission_shares_coupon_id_coupons"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["friend_customer_id"],
            ["customers.id"],
            name=op.f("fk_coupon_fission_shares_friend_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_coupon_fission_shares_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_fission_shares")),
        sa.UniqueConstraint(
            "coupon_id", "friend_customer_id", name=op.f("uq_coupon_fission_shares_coupon_id_friend_customer_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("coupon_fission_shares")
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index("ix_coupons_template_status")
        batch_op.drop_index("ix_coupons_shop_status_valid_until")
        batch_op.drop_index("ix_coupons_shop_customer")

    op.drop_table("coupons")
    with op.batch_alter_table("coupon_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_templates_shop_id"))

    op.drop_table("coupon_templates")
