"""`siyu demo`: generate a realistic demo shop (see siyu.customers.demo)."""

from __future__ import annotations

import typer


def demo(customers: int = typer.Option(2_000, "--customers", min=1)) -> None:
    """Generate a demo shop."""
    raise typer.Exit(2)
