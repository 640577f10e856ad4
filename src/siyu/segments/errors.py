from __future__ import annotations

from siyu.core.errors import DomainError


class AudienceNameTaken(DomainError):
    code = "audience_name_taken"
    status = 409

    def __init__(self, name: str) -> None:
        super().__init__(f"人群名称「{name}」已存在", f"an audience named '{name}' already exists")


class TagNameTaken(DomainError):
    code = "tag_name_taken"
    status = 409

    def __init__(self, name: str) -> None:
        super().__init__(f"标签「{name}」已存在", f"a tag named '{name}' already exists")


class UnknownSegment(DomainError):
    code = "unknown_segment"
    status = 404

    def __init__(self, segment: str) -> None:
        super().__init__(f"未知的 RFM 分群「{segment}」", f"unknown RFM segment '{segment}'")
