"""Settings: the one place that reads the environment (prefix ``SIYU_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"
DEV_PHONE_KEY = "ZGV2LW9ubHktcGhvbmUta2V5LWNoYW5nZS1tZS0xMjM="  # base64 of 32 bytes, dev only


class InsecureSettingsError(RuntimeError):
    """Raised when a non-development environment runs with the development keys."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIYU_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = "sqlite:///data/siyu.db"
    secret_key: str = DEV_SECRET
    # AES-256-GCM key for phone numbers at rest (base64, 32 bytes) and the salt of their HMAC.
    phone_key: str = DEV_PHONE_KEY
    phone_hash_salt: str = "dev-only-phone-salt"
    data_dir: Path = Path("data")
    max_upload_mb: int = Field(default=512, ge=1)
    default_timezone: str = "Asia/Shanghai"
    # where segment queries run: "auto" = DuckDB on SQLite, PostgreSQL itself on PostgreSQL; "duckdb" also
    # on PostgreSQL (a columnar copy per shop: fast repeated counts for large shops, more memory)
    segment_engine: Literal["auto", "duckdb", "postgresql"] = "auto"
    # how long a worker holds a message it is sending before another worker may look it up and retry it
    worker_lease_seconds: int = Field(default=120, ge=1)
    host: str = "127.0.0.1"
    port: int = 8000

    @model_validator(mode="after")
    def _refuse_dev_keys_outside_dev(self) -> Settings:
        if self.env != "dev":
            weak = [
                name
                for name, value, dev in (
                    ("SIYU_SECRET_KEY", self.secret_key, DEV_SECRET),
                    ("SIYU_PHONE_KEY", self.phone_key, DEV_PHONE_KEY),
                    ("SIYU_PHONE_HASH_SALT", self.phone_hash_salt, "dev-only-phone-salt"),
                )
                if value == dev
            ]
            if weak:
                raise InsecureSettingsError(
                    f"拒绝启动：{self.env} 环境仍在使用开发默认密钥 / refusing to start: SIYU_ENV={self.env} uses "
                    f"the development default for {', '.join(weak)}"
                )
        return self

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
