# ruff: noqa: E501  (a catalog line is one sentence in two languages)
"""Translations of the campaign calendar, coverage, channel settings and consent pages (merged into i18n).

Keys are the English text, as in ``siyu.web.i18n``; ``ENGLISH`` gives the English of keys that are codes.
"""

from __future__ import annotations

CATALOG: dict[str, str] = {
    "Campaign calendar": "营销日历",
    "Channels & consent": "渠道与授权",
}
ENGLISH: dict[str, str] = {}
