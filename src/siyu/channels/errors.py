"""Errors of the channels area, each with a stable code and a message in Chinese and English."""

from __future__ import annotations

from siyu.core.errors import DomainError


class UnknownChannel(DomainError):
    code = "unknown_channel"
    status = 422

    def __init__(self, channel: str) -> None:
        super().__init__(
            f"未知渠道「{channel}」：可选 sms、app、wechat",
            f"unknown channel '{channel}': use sms, app or wechat",
            channel=channel,
        )


class ConsentProofMissing(DomainError):
    """MIIT Order 31: consent to commercial messages needs proof (source and the exact text agreed to)."""

    code = "consent_proof_missing"
    status = 422

    def __init__(self) -> None:
        super().__init__(
            "记录同意需要来源（console、api、h5、import、member_join、checkout、reply）和客户同意的原文",
            "recording consent needs a source (console, api, h5, import, member_join, checkout, reply) and the "
            "exact text the customer agreed to",
        )
