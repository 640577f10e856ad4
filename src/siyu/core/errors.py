"""Domain errors with a stable code and a message in Chinese and English."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every business error. ``code`` is stable; messages are for people."""

    code = "error"
    status = 400

    def __init__(self, zh: str, en: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        if code:
            self.code = code
        self.details = details

    def message(self, lang: str = "zh") -> str:
        return self.en if lang.startswith("en") else self.zh

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message(lang),
            "message_zh": self.zh,
            "message_en": self.en,
        }
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    code = "not_found"
    status = 404

    def __init__(self, what_zh: str = "记录", what_en: str = "record") -> None:
        super().__init__(f"{what_zh}不存在", f"{what_en} not found")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403

    def __init__(self, permission: str) -> None:
        super().__init__(
            f"没有权限：需要「{permission}」", f"permission denied: needs '{permission}'", permission=permission
        )


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401

    def __init__(self) -> None:
        super().__init__("请先登录或提供有效的 API 令牌", "log in or send a valid API token")


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class ConcurrentConflict(DomainError):
    """A request lost a race at a database uniqueness rule (e.g. the same key sent twice at one moment)."""

    code = "conflict"
    status = 409

    def __init__(self) -> None:
        super().__init__(
            "该请求与同时进行的另一请求冲突，未做任何更改，请稍后重试",
            "this request collided with another one made at the same moment; nothing was changed, try again",
        )
