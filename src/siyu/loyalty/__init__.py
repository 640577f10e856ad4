"""Brand membership (品牌会员): tiers, points ledger, points mall, identity matching."""
