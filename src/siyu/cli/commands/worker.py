"""`siyu worker`: send what the outbox holds (any number of them on PostgreSQL, one on SQLite)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from siyu.cli.context import console, sessions
from siyu.worker.runner import Runner


def worker(
    batch: int = typer.Option(50, min=1, max=1000, help="消息每次领取条数 / rows claimed per round"),
    concurrency: int = typer.Option(8, min=1, max=64, help="同时发送数 / sends in flight"),
    idle: float = typer.Option(1.0, min=0.05, help="空闲时等待秒数 / seconds to wait when nothing is due"),
    once: bool = typer.Option(False, "--once", help="发完到期消息即退出 / exit when nothing is due"),
) -> None:
    """Send due messages from the outbox until stopped (Ctrl-C or SIGTERM finish the round in flight)."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner = Runner(sessions(), batch=batch, concurrency=concurrency)
    console.print("worker: 开始发送 / sending (Ctrl-C to stop)")
    sent = runner.run(stop, idle_seconds=idle, once=once)
    console.print(f"worker: 已处理 {sent} 条 / took {sent} messages")
