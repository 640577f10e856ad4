"""Settings refuse insecure defaults outside development (SPEC §0, DESIGN "Security")."""

from __future__ import annotations

import base64

import pytest

from siyu.config import InsecureSettingsError, Settings


def test_production_with_the_development_keys_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SIYU_SECRET_KEY", "SIYU_PHONE_KEY", "SIYU_PHONE_HASH_SALT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(InsecureSettingsError) as caught:
        Settings(env="prod")
    assert "SIYU_PHONE_KEY" in str(caught.value) and "拒绝启动" in str(caught.value)


@pytest.mark.parametrize("env", ["test", "prod"])
def test_any_environment_but_dev_refuses_the_development_keys(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SIYU_SECRET_KEY", "SIYU_PHONE_KEY", "SIYU_PHONE_HASH_SALT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(InsecureSettingsError):
        Settings(env=env)  # type: ignore[arg-type]


def test_development_runs_with_the_development_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SIYU_SECRET_KEY", "SIYU_PHONE_KEY", "SIYU_PHONE_HASH_SALT"):
        monkeypatch.delenv(name, raising=False)
    assert Settings(env="dev").phone_key


def test_production_with_real_keys_starts() -> None:
    settings = Settings(
        env="prod", secret_key="s" * 40, phone_key=base64.b64encode(b"x" * 32).decode(), phone_hash_salt="pepper"
    )
    assert settings.env == "prod"
