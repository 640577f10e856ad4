"""Money in integer fen (分). Parsing never goes through float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_STRIP = str.maketrans("", "", "¥￥, \t元")


def parse_yuan(text: str) -> int:
    """Parse a yuan amount such as ``"1,299.00"`` or ``"¥59.9"`` into fen; raises ValueError."""
    cleaned = text.translate(_STRIP)
    if not cleaned:
        raise ValueError("empty amount")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"more than 2 decimals: {text!r}")
    return int(fen)


def format_yuan(fen: int | None) -> str:
    """¥ with two decimals, grouped: 123456 -> '¥1,234.56'."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"
