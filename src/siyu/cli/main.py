"""`siyu`: administration, imports, demo data and the server."""

from __future__ import annotations

import typer

from siyu.cli.commands import campaigns, coupons, db, demo, imports, loyalty, segments, serve, shops, worker

app = typer.Typer(
    help="Siyu 私域 — private-domain customer operations for JD.com merchants.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(imports.app, name="import")
app.add_typer(shops.app, name="shop")
app.add_typer(shops.staff_app, name="staff")
app.add_typer(shops.token_app, name="token")
app.add_typer(segments.app, name="segments")
app.add_typer(segments.audience_app, name="audience")
app.add_typer(segments.tags_app, name="tags")
app.add_typer(loyalty.app, name="loyalty")
app.add_typer(coupons.app, name="coupons")
app.add_typer(campaigns.app, name="campaigns")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("worker")(worker.worker)

if __name__ == "__main__":  # pragma: no cover
    app()
