"""Test data builders, one module per area."""
