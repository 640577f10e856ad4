"""Errors of the groups area, each with a stable code and a message in Chinese and English."""

from __future__ import annotations

from siyu.core.errors import DomainError


class GroupLimit(DomainError):
    """A shop limit (10 groups, 100 sub-groups, 100,000 fans) or a per-action limit would be broken."""

    code = "group_limit"
    status = 422


class JoinRefused(DomainError):
    """The buyer may not join this group; ``code`` says why (kicked, high risk, threshold…)."""

    status = 403


class GroupFull(DomainError):
    code = "group_full"
    status = 409

    def __init__(self) -> None:
        super().__init__("群已满员：所有子群都已满，请稍后再试", "the group is full: every sub-group is full")


class NotAGroupMember(DomainError):
    code = "group_not_member"
    status = 403

    def __init__(self) -> None:
        super().__init__("请先加入该群", "join the group first")


class NotGroupAdmin(DomainError):
    code = "group_not_admin"
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "只有群主或该子群的管理员可以这样做", "only the group owner or an admin of that sub-group may do this"
        )


class ActivityLimit(DomainError):
    code = "group_activity_limit"
    status = 409

    def __init__(self, at_most: int) -> None:
        super().__init__(
            f"同一时间一个群最多进行 {at_most} 个活动，该时段已满",
            f"at most {at_most} activities may run in one group at the same time; that window is full",
            at_most=at_most,
        )


class ActivityNotRunning(DomainError):
    code = "group_activity_not_running"
    status = 409

    def __init__(self) -> None:
        super().__init__("活动未开始、已结束或已取消", "the activity has not started, has ended or was cancelled")


class SoldOut(DomainError):
    code = "group_sold_out"
    status = 409

    def __init__(self) -> None:
        super().__init__("已抢光", "sold out")


class AlreadyTaken(DomainError):
    """Once per member: one unit per flash-sale SKU, one packet per round, one guess, one check-in a day."""

    code = "group_already_taken"
    status = 409


class NoPacketLeft(DomainError):
    code = "group_no_packet_left"
    status = 409

    def __init__(self) -> None:
        super().__init__("本轮红包已被抢完", "every packet of this round has been taken")
