"""Errors of the promotions area, each with a stable code and a message in Chinese and English."""

from __future__ import annotations

from siyu.core.errors import DomainError


class InvalidTemplate(DomainError):
    """A coupon template whose terms contradict each other."""

    code = "invalid_coupon_template"
    status = 422


class TemplateNotActive(DomainError):
    code = "coupon_template_stopped"
    status = 409

    def __init__(self) -> None:
        super().__init__("该优惠券已停止发放", "this coupon is no longer issued (template stopped)")


class OutsideClaimWindow(DomainError):
    code = "coupon_claim_window"
    status = 409

    def __init__(self, *, early: bool) -> None:
        if early:
            super().__init__("优惠券尚未开始领取", "the coupon cannot be claimed yet")
        else:
            super().__init__("优惠券领取时间已结束", "the coupon's claim window has ended")


class ChannelNotAllowed(DomainError):
    code = "coupon_channel"
    status = 403

    def __init__(self, restriction: str, channel: str) -> None:
        zh = {
            "member": "仅限会员领取",
            "group": "仅限社群（群聊）内领取",
        }.get(restriction, "当前渠道不能领取该优惠券")
        en = {
            "member": "members only",
            "group": "can be claimed only inside the group chat",
        }.get(restriction, "this coupon cannot be claimed through this channel")
        super().__init__(zh, en, restriction=restriction, channel=channel)


class UnknownChannel(DomainError):
    code = "unknown_channel"
    status = 422

    def __init__(self, channel: str) -> None:
        super().__init__(f"未知的领取渠道「{channel}」", f"unknown claim channel '{channel}'", channel=channel)


class OutOfStock(DomainError):
    code = "coupon_out_of_stock"
    status = 409

    def __init__(self) -> None:
        super().__init__("优惠券已领完", "the coupon is out of stock")


class ClaimLimitReached(DomainError):
    code = "coupon_limit_reached"
    status = 409

    def __init__(self, limit: int) -> None:
        super().__init__(f"每人限领 {limit} 张，已达上限", f"limit of {limit} per customer reached", limit=limit)


class CouponNotUsable(DomainError):
    """The coupon cannot be used (or returned, or shared) in its present state."""

    code = "coupon_not_usable"
    status = 409


class ThresholdNotMet(DomainError):
    code = "coupon_threshold_not_met"
    status = 409

    def __init__(self, threshold_fen: int, eligible_fen: int) -> None:
        super().__init__(
            f"未满足使用门槛：需满 {threshold_fen / 100:.2f} 元（适用商品 {eligible_fen / 100:.2f} 元）",
            f"threshold not met: needs ¥{threshold_fen / 100:.2f} of eligible goods, order has "
            f"¥{eligible_fen / 100:.2f}",
            threshold_fen=threshold_fen,
            eligible_fen=eligible_fen,
        )


class NothingInScope(DomainError):
    code = "coupon_out_of_scope"
    status = 409

    def __init__(self) -> None:
        super().__init__("订单中没有适用该优惠券的商品", "no line of the order is in the coupon's scope")


class IllegalTransition(DomainError):
    code = "coupon_illegal_transition"
    status = 409

    def __init__(self, status: str, event: str) -> None:
        super().__init__(
            f"优惠券状态「{status}」不能执行「{event}」",
            f"a coupon in state '{status}' cannot '{event}'",
            status=status,
            event=event,
        )


class InvalidShare(DomainError):
    code = "coupon_invalid_share"
    status = 422
