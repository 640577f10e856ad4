"""Phone numbers: normalise what JD gives, mask for screens, encrypt at rest, keyed hash for matching.

JD exports often carry masked numbers (``138****1234``) or virtual numbers with an extension
(``13800138000-1234``). We keep exactly what was given (encrypted), never invent digits, and only
compute a matching hash for a complete 11-digit mainland mobile number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_VIRTUAL = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})[-_转#,，](\d{1,6})$")
_SEPARATORS = str.maketrans("", "", " \t\u3000()（）")


@dataclass(frozen=True, slots=True)
class PhoneFacts:
    """What we keep about one given phone value."""

    given: str  # exactly as given, stripped of blanks (stored encrypted)
    masked: str  # safe to show
    tail: str  # last 4 digits of the main number, for search ("" if unknown)
    full_mobile: str | None  # the 11-digit number when complete and unmasked


def analyse(raw: str) -> PhoneFacts | None:
    """Classify one phone value; ``None`` for an empty value."""
    given = raw.translate(_SEPARATORS).strip()
    if not given:
        return None
    compact = given.replace("-", "") if "*" not in given and _VIRTUAL.match(given) is None else given
    mobile = _MOBILE.match(compact)
    if mobile:
        number = mobile.group(1)
        return PhoneFacts(given, f"{number[:3]}****{number[-4:]}", number[-4:], number)
    virtual = _VIRTUAL.match(given)
    if virtual:
        number, ext = virtual.groups()
        return PhoneFacts(given, f"{number[:3]}****{number[-4:]}-{ext}", number[-4:], None)
    digits_tail = re.search(r"(\d{4})\D*$", given)
    tail = digits_tail.group(1) if digits_tail else ""
    if "*" in given:
        return PhoneFacts(given, given, tail, None)
    return PhoneFacts(given, mask_text(given), tail, None)


def mask_text(value: str) -> str:
    """Mask any phone-like text: keep the first 3 and last 4 characters."""
    if len(value) <= 7:
        return value[:1] + "*" * max(len(value) - 1, 0)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


class PhoneVault:
    """AES-256-GCM for phones at rest and HMAC-SHA256 (salted) for matching without clear text."""

    def __init__(self, key_b64: str, hash_salt: str) -> None:
        key = base64.b64decode(key_b64)
        if len(key) not in (16, 24, 32):
            raise ValueError("SIYU_PHONE_KEY must be base64 of 16, 24 or 32 bytes")
        self._aead = AESGCM(key)
        self._salt = hash_salt.encode()

    def encrypt(self, clear: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, clear.encode(), b"siyu-phone")
        return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        if not token.startswith("v1:"):
            raise ValueError("unknown phone cipher version")
        blob = base64.urlsafe_b64decode(token[3:])
        return self._aead.decrypt(blob[:12], blob[12:], b"siyu-phone").decode()

    def match_hash(self, mobile: str) -> str:
        return hmac.new(self._salt, mobile.encode(), hashlib.sha256).hexdigest()
