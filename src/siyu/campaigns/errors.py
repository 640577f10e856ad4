"""Errors of the campaigns area, each with a stable code and a message in Chinese and English."""

from __future__ import annotations

from siyu.core.errors import DomainError


class TemplateSyntaxError(DomainError):
    """An SMS body whose ``{variable}`` placeholders cannot be read."""

    code = "sms_template_syntax"
    status = 422
