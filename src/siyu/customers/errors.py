from __future__ import annotations

from siyu.core.errors import DomainError


class ImportFileRejected(DomainError):
    """The file as a whole cannot be imported; nothing was changed."""

    code = "import_file_rejected"
    status = 422


class NotAnOrderExportFile(ImportFileRejected):
    code = "not_an_order_export"


class UnreadableFile(ImportFileRejected):
    code = "unreadable_file"


class FileTooLarge(ImportFileRejected):
    code = "file_too_large"
    status = 413

    def __init__(self, limit_mb: int) -> None:
        super().__init__(f"文件超过 {limit_mb} MB 上限", f"file is larger than the {limit_mb} MB limit")


class ImportAlreadyRunning(DomainError):
    code = "import_running"
    status = 409

    def __init__(self) -> None:
        super().__init__("该导入任务已在进行中", "this import is already running")
