"""Errors of the loyalty area, each with a stable code and a message in Chinese and English."""

from __future__ import annotations

from siyu.core.errors import DomainError


class NotAMember(DomainError):
    code = "not_a_member"
    status = 409

    def __init__(self) -> None:
        super().__init__("该客户还不是品牌会员，请先开卡", "this customer is not a member yet: join first")


class AlreadyMember(DomainError):
    code = "already_member"
    status = 409

    def __init__(self, member_no: str) -> None:
        super().__init__(f"该客户已是会员（会员号 {member_no}）", f"already a member (member no. {member_no})")


class ConsentRequired(DomainError):
    code = "consent_required"
    status = 422

    def __init__(self) -> None:
        super().__init__(
            "开卡需要客户本人同意会员协议与隐私政策，并记录同意时间和来源",
            "joining needs the customer's own consent to the member terms and privacy policy (time and source)",
        )


class InvalidMobile(DomainError):
    code = "invalid_mobile"
    status = 422

    def __init__(self, value: str) -> None:
        super().__init__(
            f"手机号「{value}」不是有效的 11 位手机号", f"'{value}' is not a valid 11-digit mainland mobile number"
        )


class InsufficientPoints(DomainError):
    code = "insufficient_points"
    status = 409

    def __init__(self, wanted: int, available: int) -> None:
        super().__init__(
            f"积分不足：需要 {wanted:,}，可用 {available:,}",
            f"not enough points: {wanted:,} needed, {available:,} available",
            wanted=wanted,
            available=available,
        )


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    status = 409

    def __init__(self, key: str) -> None:
        super().__init__(
            f"幂等键「{key}」已用于另一笔不同的积分操作",
            f"idempotency key '{key}' was already used for a different request",
        )


class LimitReached(DomainError):
    code = "limit_reached"
    status = 409

    def __init__(self, what_zh: str, what_en: str) -> None:
        super().__init__(f"已达上限：{what_zh}", f"limit reached: {what_en}")


class UnknownInteraction(DomainError):
    code = "unknown_interaction"
    status = 422

    def __init__(self, kind: str) -> None:
        super().__init__(f"未知的互动类型「{kind}」", f"unknown interaction '{kind}'")


class OutOfStock(DomainError):
    code = "out_of_stock"
    status = 409

    def __init__(self, name: str) -> None:
        super().__init__(f"「{name}」已兑完", f"'{name}' is out of stock")


class ItemUnavailable(DomainError):
    code = "item_unavailable"
    status = 409

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh, en)


class MatchingDisabled(DomainError):
    code = "matching_disabled"
    status = 409

    def __init__(self) -> None:
        super().__init__(
            "当前为「不打通」模式：请先在会员设置中切换到「打通」模式并与品牌方共享匹配密钥",
            "the programme is in disconnected mode: switch to connected mode and share the matching key first",
        )


class LegalBasisRequired(DomainError):
    code = "legal_basis_required"
    status = 422

    def __init__(self) -> None:
        super().__init__(
            "上传品牌会员哈希需填写合法依据（个人信息保护法：哈希后的手机号仍属个人信息）",
            "uploading member hashes needs a stated legal basis (PIPL: a hashed phone is still personal data)",
        )


class AccountPhoneMismatch(DomainError):
    code = "account_phone_mismatch"
    status = 409

    def __init__(self) -> None:
        super().__init__(
            "该京东账号已绑定其他手机号，请核对账号或使用绑定的手机号开卡",
            "this JD account is known with another phone number: check the account or join with that phone",
        )


class AccountNotLinkable(DomainError):
    code = "account_not_linkable"
    status = 409

    def __init__(self) -> None:
        super().__init__(
            "该京东账号无法在此与这个手机号绑定，请留空或联系客服",
            "this JD account cannot be linked with this phone here: leave it empty or contact customer service",
        )
