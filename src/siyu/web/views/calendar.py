"""Placeholder router, replaced by the console pages being written now."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
