"""The brand's side of identity matching (会员通): turn the brand's clear member list into keyed hashes.

Runs where the brand's list lives (``siyu loyalty hash-phones``, no database): only the HMAC of each
normalised 11-digit mobile leaves the brand, together with the brand's own member number and tier.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass, field

from siyu.loyalty import domain

HEADER = "phone_hmac,brand_member_no,brand_tier"


@dataclass
class HashedList:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # hmac, brand member no., tier
    bad_lines: list[int] = field(default_factory=list)  # 1-based line numbers
    duplicates: int = 0


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or, failing that, GBK/GB18030 — what a brand's export tool writes."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _cell(value: str, limit: int) -> str:
    # commas would break the output line; the shop keeps at most these many characters
    return value.strip().strip('"').replace(",", " ")[:limit]


def hash_brand_list(lines: Iterable[str], secret: str) -> HashedList:
    """Lines ``phone[,brand member no.[,tier]]`` (comma or tab; a header line and blank lines skipped) into
    ``(hmac, brand no., tier)``; lines without a valid mainland mobile are reported by number, not hashed."""
    if not secret.strip():
        raise ValueError("the shared secret is empty")
    out = HashedList()
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        parts = line.replace("\t", ",").split(",")
        mobile = domain.normalise_mobile(parts[0].strip().strip('"'))
        if mobile is None:
            if number == 1 and not any(ch.isdigit() for ch in parts[0]):
                continue  # a header such as 手机号,会员号,等级
            out.bad_lines.append(number)
            continue
        digest = domain.phone_hmac(secret.strip(), mobile)
        if digest in seen:
            out.duplicates += 1
            continue
        seen.add(digest)
        brand_no = _cell(parts[1], 80) if len(parts) > 1 else ""
        tier = _cell(parts[2], 40) if len(parts) > 2 else ""
        out.rows.append((digest, brand_no, tier))
    return out
