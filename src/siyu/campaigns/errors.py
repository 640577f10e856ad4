"""Errors of the campaigns area, each with a stable code and a message in Chinese and English."""

from __future__ import annotations

from typing import ClassVar

from siyu.campaigns.models import STATUS_ZH
from siyu.core.errors import DomainError


class TemplateSyntaxError(DomainError):
    """An SMS body whose ``{variable}`` placeholders cannot be read."""

    code = "sms_template_syntax"
    status = 422


class BlockedByLints(DomainError):
    """Blocking lints (on the template or on some recipient's message) stop the send."""

    code = "campaign_blocked_by_lints"
    status = 422

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "存在阻止发送的问题，请先修改：" + "、".join(problems),
            "blocking problems stop the send; fix them first: " + ", ".join(problems),
            problems=problems,
        )


class CampaignState(DomainError):
    code = "campaign_state"
    status = 409

    _ACTIONS: ClassVar[dict[str, str]] = {
        "edit": "修改",
        "queue": "发送",
        "pause": "暂停",
        "resume": "继续",
        "cancel": "取消",
    }

    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            f"活动{STATUS_ZH.get(status, status)}，不能{self._ACTIONS.get(action, action)}",
            f"a {status} campaign cannot {action}",
            status=status,
            action=action,
        )


class NoAudience(DomainError):
    code = "campaign_no_audience"
    status = 422

    def __init__(self) -> None:
        super().__init__("请先选择一个有客户的人群", "pick an audience (or snapshot) with customers first")
