"""A local fake SMS provider speaking the protocol of :class:`siyu.channels.adapters.HttpProvider`.

``POST /send`` with JSON ``{to, text, client_ref, channel}`` → 200 ``{"id": …}``; ``GET /messages/{ref}`` →
200 ``{"id": …}`` or 404. Every accepted message is recorded (client_ref → list of receipts, so a second
send of the same ref is visible) *before* the server sleeps and answers: a client that dies or times out
after that moment has really handed the message over, exactly the case the worker's lookup must catch.

Knobs (all may be changed while it runs): ``latency_ms`` (each answer waits a random 0–X ms),
``throttle_ratio`` (answer 429, record nothing), ``fail_ratio`` (answer 500, record nothing) and
``hang_ratio`` (record, then sleep ``hang_seconds`` — past the client's timeout — so the client sees an
unknown outcome). Used by the worker tests and ``bench/sending.py``.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class Receipt:
    id: str
    to: str
    text: str
    channel: str
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    provider: FakeProvider

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.provider.count("connection_errors")  # a killed worker resets its connections: expected


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: httpx reuses its connections

    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        provider = self.server.provider
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/send":
            self._answer(404, {"error": "not found"})
            return
        try:
            data = json.loads(raw)
            ref = str(data["client_ref"])
        except (ValueError, KeyError, TypeError):
            provider.count("bad_request")
            self._answer(400, {"error": "bad request"})
            return
        verdict = provider.draw()
        if verdict == "throttle":
            provider.count("throttled")
            provider.pause()
            self._answer(429, {"error": "slow down"})
            return
        if verdict == "fail":
            provider.count("failed")
            provider.pause()
            self._answer(500, {"error": "provider trouble"})
            return
        receipt = provider.record(ref, data)  # recorded before it answers: the message has left
        if verdict == "hang":
            provider.count("hung")
            time.sleep(provider.hang_seconds)
        else:
            provider.pause()
        try:
            self._answer(200, {"id": receipt.id})
        except OSError:  # the client gave up (timeout) or was killed
            provider.count("answer_lost")

    def do_GET(self) -> None:
        provider = self.server.provider
        prefix = "/messages/"
        if not self.path.startswith(prefix):
            self._answer(404, {"error": "not found"})
            return
        provider.count("lookups")
        found = provider.receipts(self.path[len(prefix) :])
        if found:
            provider.count("lookup_hits")
            self._answer(200, {"id": found[0].id})
        else:
            self._answer(404, {"error": "unknown message"})


class FakeProvider:
    """Run with ``with FakeProvider(latency_ms=20) as fake:``; ``fake.url`` is its base URL."""

    def __init__(
        self,
        *,
        latency_ms: float = 0.0,
        throttle_ratio: float = 0.0,
        fail_ratio: float = 0.0,
        hang_ratio: float = 0.0,
        hang_seconds: float = 3.0,
        seed: int | None = None,
    ) -> None:
        self.latency_ms = latency_ms
        self.throttle_ratio, self.fail_ratio, self.hang_ratio = throttle_ratio, fail_ratio, hang_ratio
        self.hang_seconds = hang_seconds
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._received: dict[str, list[Receipt]] = {}
        self._counters: Counter[str] = Counter()
        self._next_id = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> FakeProvider:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.provider = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ---- behaviour ---------------------------------------------------------------------------------
    def draw(self) -> str:
        with self._lock:
            roll = self._random.random()
        if roll < self.throttle_ratio:
            return "throttle"
        roll -= self.throttle_ratio
        if roll < self.fail_ratio:
            return "fail"
        roll -= self.fail_ratio
        if roll < self.hang_ratio:
            return "hang"
        return "ok"

    def pause(self) -> None:
        if self.latency_ms > 0:
            with self._lock:
                wait = self._random.uniform(0, self.latency_ms) / 1000
            time.sleep(wait)

    def record(self, ref: str, data: dict[str, Any]) -> Receipt:
        with self._lock:
            self._next_id += 1
            receipt = Receipt(
                id=f"fake-{self._next_id}",
                to=str(data.get("to", "")),
                text=str(data.get("text", "")),
                channel=str(data.get("channel", "")),
                at=time.time(),
            )
            self._received.setdefault(ref, []).append(receipt)
            self._counters["accepted"] += 1
        return receipt

    def count(self, name: str) -> None:
        with self._lock:
            self._counters[name] += 1

    # ---- what it saw -------------------------------------------------------------------------------
    def receipts(self, ref: str) -> list[Receipt]:
        with self._lock:
            return list(self._received.get(ref, ()))

    def received(self) -> dict[str, list[Receipt]]:
        """client_ref → every receipt of it (more than one = a duplicate send)."""
        with self._lock:
            return {ref: list(found) for ref, found in self._received.items()}

    def duplicates(self) -> dict[str, int]:
        with self._lock:
            return {ref: len(found) for ref, found in self._received.items() if len(found) > 1}

    @property
    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)

    @property
    def accepted(self) -> int:
        with self._lock:
            return self._counters["accepted"]
