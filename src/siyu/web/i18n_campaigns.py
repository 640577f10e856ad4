# ruff: noqa: E501  (a catalog line is one sentence in two languages)
"""Translations of the SMS campaign pages of the console (merged into i18n).

Keys are the English text, as in ``siyu.web.i18n``; ``ENGLISH`` gives the English of keys that are codes.
"""

from __future__ import annotations

CATALOG: dict[str, str] = {
    "SMS campaigns": "短信营销",
}
ENGLISH: dict[str, str] = {}
