from __future__ import annotations

from siyu.core.errors import DomainError


class LoginFailed(DomainError):
    code = "login_failed"
    status = 401

    def __init__(self) -> None:
        super().__init__("用户名或密码错误", "wrong username or password")


class UsernameTaken(DomainError):
    code = "username_taken"
    status = 409

    def __init__(self, username: str) -> None:
        super().__init__(f"用户名「{username}」已被使用", f"username '{username}' is already taken")


class ShopCodeTaken(DomainError):
    code = "shop_code_taken"
    status = 409

    def __init__(self, code: str) -> None:
        super().__init__(f"店铺代码「{code}」已存在", f"shop code '{code}' already exists")


class UnknownPermission(DomainError):
    code = "unknown_permission"
    status = 422

    def __init__(self, permission: str) -> None:
        super().__init__(f"未知权限：{permission}", f"unknown permission: {permission}")


class GrantBeyondOwn(DomainError):
    code = "grant_beyond_own"
    status = 403

    def __init__(self) -> None:
        super().__init__("不能授予超出自身的权限", "cannot grant permissions you do not hold")


class MainAccountProtected(DomainError):
    code = "main_account_protected"
    status = 409

    def __init__(self) -> None:
        super().__init__("主账号不能被停用或降权", "the main account cannot be disabled or restricted")


class WeakPassword(DomainError):
    code = "weak_password"
    status = 422

    def __init__(self) -> None:
        super().__init__("密码至少 8 位", "password needs at least 8 characters")
