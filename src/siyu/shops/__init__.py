"""Shops (tenants), staff accounts, permissions and API tokens."""
