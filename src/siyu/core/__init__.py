"""Shared kernel: errors, money, masking, phone protection, paging."""
