"""Spreadsheet safety for exports: neutralise cells a spreadsheet would run as a formula."""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Prefix text that starts like a formula with an apostrophe (OWASP CSV-injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
