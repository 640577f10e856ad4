"""The worker process: the outbox loop with each shop's adapters, and campaigns marked done when sent."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from siyu.campaigns.services import finish_campaigns
from siyu.channels.adapters import ChannelAdapter, adapter_for_settings
from siyu.channels.services import channel_settings
from siyu.db import transaction
from siyu.groups.plans import publish_due
from siyu.worker import outbox

ADAPTER_TTL = 30.0  # seconds before a changed provider setting is picked up


class Runner:
    """Claims rows, sends them ``concurrency`` at a time (providers are slow; the database is not)."""

    def __init__(self, factory: sessionmaker[Session], *, batch: int = 50, concurrency: int = 8) -> None:
        self.factory = factory
        self.batch = batch
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="send")
        self._adapters: dict[tuple[int, str], tuple[float, ChannelAdapter]] = {}
        self._lock = threading.Lock()
        self.throttled = False  # the last round left due rows for the next rate window
        self._published_at = float("-inf")

    def adapter_for(self, shop_id: int, channel: str) -> ChannelAdapter:
        with self._lock:
            cached = self._adapters.get((shop_id, channel))
            if cached is not None and time.monotonic() - cached[0] < ADAPTER_TTL:
                return cached[1]
        with transaction(self.factory) as session:
            settings = channel_settings(session, shop_id=shop_id, channel=channel)
            adapter = adapter_for_settings(self.factory, settings)
        with self._lock:
            self._adapters[(shop_id, channel)] = (time.monotonic(), adapter)
        return adapter

    def _one(self, item: outbox.Claimed) -> str:
        result = outbox.process(item, self.adapter_for(item.message.shop_id, item.message.channel))
        return outbox.settle(self.factory, item.outbox_id, result, attempts=item.attempts)

    def round(self) -> int:
        """One claim and its sends; returns how many messages it took. ``throttled`` then says whether due
        rows were left because the shared send rate of this second was used up (see :mod:`siyu.worker.outbox`)."""
        batch = outbox.take(self.factory, limit=self.batch)
        self.throttled = batch.throttled
        list(self.pool.map(self._one, batch.items))
        return len(batch.items)

    def finish(self) -> int:
        with transaction(self.factory, write=True) as session:
            return finish_campaigns(session)

    def scheduled(self, *, every: float = 1.0) -> int:
        """Publish the group posts that are due (the content calendar), at most once every ``every`` seconds,
        whether or not the outbox is busy; returns how many were published."""
        now = time.monotonic()
        if now - self._published_at < every:
            return 0
        self._published_at = now
        return publish_due(self.factory)

    def run(self, stop: threading.Event, *, idle_seconds: float = 1.0, once: bool = False) -> int:
        """Work until ``stop`` is set (or, with ``once``, until nothing is due); returns messages taken."""
        total = 0
        while not stop.is_set():
            self.scheduled()
            taken = self.round()
            total += taken
            if taken == 0 and self.throttled:  # rows are due but this second's sends are spent: next window
                stop.wait(outbox.until_next_window(time.time()))
                continue
            if taken == 0:
                self.finish()
                if once:
                    break
                stop.wait(idle_seconds)
        self.pool.shutdown(wait=True)
        return total
