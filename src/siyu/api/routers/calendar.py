"""Placeholder router for the campaign calendar API, being written now."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
