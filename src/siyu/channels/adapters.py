"""Channel adapters: one interface for every way a message leaves Siyu.

``send`` hands one message to the provider and says what happened; ``lookup`` asks the provider whether
it already has a message with this client reference. Providers do not deduplicate (Aliyun SendSms is
not idempotent), so after a timeout or a crash the worker calls ``lookup`` before it sends again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from time import monotonic, sleep
from typing import Protocol

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.channels.models import ChannelSettings, SinkMessage
from siyu.db import insert_ignoring_conflicts, transaction, utcnow


@dataclass(frozen=True, slots=True)
class Outgoing:
    shop_id: int
    channel: str
    client_ref: str  # our key for the message (the outbox id): the provider echoes it
    to: str  # clear phone / account id, decrypted just before sending
    to_masked: str
    text: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """``sent``: the provider has it; ``retry``: a temporary failure (429, 5xx, timeout); ``failed``: permanent."""

    result: str  # "sent" | "retry" | "failed" | "unknown"
    provider_ref: str = ""
    error: str = ""


class ChannelAdapter(Protocol):
    def send(self, message: Outgoing) -> Outcome: ...

    def lookup(self, shop_id: int, client_ref: str) -> Outcome | None: ...


class LocalSink:
    """The default provider: records what would be sent so the console can show it; needs no account.

    A record per client reference (UNIQUE), so sending the same outbox row again records nothing new.
    """

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def send(self, message: Outgoing) -> Outcome:
        with transaction(self.factory, write=True) as session:
            insert_ignoring_conflicts(
                session,
                SinkMessage.__table__,
                [
                    {
                        "shop_id": message.shop_id,
                        "channel": message.channel,
                        "client_ref": message.client_ref,
                        "to_masked": message.to_masked,
                        "text": message.text,
                        "at": utcnow(),
                    }
                ],
            )
            sink_id = session.scalar(
                select(SinkMessage.id).where(
                    SinkMessage.shop_id == message.shop_id, SinkMessage.client_ref == message.client_ref
                )
            )
        return Outcome("sent", provider_ref=f"sink-{sink_id}")

    def lookup(self, shop_id: int, client_ref: str) -> Outcome | None:
        with transaction(self.factory) as session:
            sink_id = session.scalar(
                select(SinkMessage.id).where(SinkMessage.shop_id == shop_id, SinkMessage.client_ref == client_ref)
            )
        return None if sink_id is None else Outcome("sent", provider_ref=f"sink-{sink_id}")


class HttpProvider:
    """A generic HTTP SMS provider: ``POST {url}/send`` and ``GET {url}/messages/{client_ref}``.

    The request body is JSON ``{"to", "text", "client_ref", "channel"}``; with a ``secret`` it is signed
    (``X-Siyu-Signature: hex HMAC-SHA256(secret, body)``), with a ``key`` the ``Authorization: Bearer``
    header carries it. 2xx = sent, 429 and 5xx = retry later, other 4xx = permanent failure, a timeout
    or a broken connection = unknown (the worker looks the message up before it sends again).
    ``rate_per_second`` throttles this process's sends.
    """

    def __init__(self, url: str, *, key: str = "", secret: str = "", timeout: float = 10.0, rate_per_second: int = 0):
        self.url = url.rstrip("/")
        self.key, self.secret, self.timeout = key, secret, timeout
        self._client = httpx.Client(timeout=timeout)
        self._interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def _headers(self, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        if self.secret:
            headers["X-Siyu-Signature"] = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return headers

    def _throttle(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            sleep(wait)

    def send(self, message: Outgoing) -> Outcome:
        self._throttle()
        body = json.dumps(
            {"to": message.to, "text": message.text, "client_ref": message.client_ref, "channel": message.channel},
            ensure_ascii=False,
        ).encode()
        try:
            answer = self._client.post(f"{self.url}/send", content=body, headers=self._headers(body))
        except (httpx.TimeoutException, httpx.TransportError) as broken:
            return Outcome("unknown", error=f"{type(broken).__name__}")
        if answer.is_success:
            try:
                ref = str(answer.json().get("id", ""))
            except ValueError:
                ref = ""
            return Outcome("sent", provider_ref=ref)
        problem = f"HTTP {answer.status_code}: {answer.text[:200]}"
        if answer.status_code == 429 or answer.status_code >= 500:
            return Outcome("retry", error=problem)
        return Outcome("failed", error=problem)

    def lookup(self, shop_id: int, client_ref: str) -> Outcome | None:
        try:
            answer = self._client.get(f"{self.url}/messages/{client_ref}", headers=self._headers(b""))
        except (httpx.TimeoutException, httpx.TransportError):
            return Outcome("unknown", error="lookup failed")
        if answer.status_code == 404:
            return None
        if answer.is_success:
            return Outcome("sent", provider_ref=str(answer.json().get("id", "")))
        return Outcome("unknown", error=f"lookup HTTP {answer.status_code}")


def adapter_for_settings(factory: sessionmaker[Session], settings: ChannelSettings) -> ChannelAdapter:
    """The adapter a channel's settings name; the local sink unless an HTTP provider is configured."""
    if settings.provider == "http" and settings.config.get("url"):
        return HttpProvider(
            str(settings.config["url"]),
            key=str(settings.config.get("key", "")),
            secret=str(settings.config.get("secret", "")),
            timeout=float(settings.config.get("timeout", 10)),
            rate_per_second=int(settings.config.get("worker_rate", 0) or 0),
        )
    return LocalSink(factory)
