"""Promotions: coupon templates, claims, use at order, fission coupons (SPEC §6)."""
