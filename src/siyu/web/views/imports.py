"""Order imports: upload with a progress bar, live progress of the background import, the report."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from siyu.core.errors import DomainError, InvalidInput
from siyu.customers import importer, queries
from siyu.customers.importer import MAX_STORED_PROBLEMS
from siyu.customers.models import ImportJob
from siyu.db import transaction
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.templating import render

router = APIRouter()
log = logging.getLogger(__name__)
ALLOWED_SUFFIXES = (".csv", ".xlsx", ".txt")


def _run_in_background(factory: sessionmaker[Session], job_id: int) -> None:
    def run() -> None:
        try:
            importer.run_order_import(factory, job_id=job_id)
        except Exception:  # the job is already marked failed; keep the server alive
            log.exception("order import %s failed", job_id)

    threading.Thread(target=run, name=f"import-{job_id}", daemon=True).start()


@router.get("/imports")
def import_list(request: Request, console: ConsoleDep) -> Response:
    """Upload form (for those who may import) and the recent imports."""
    console.require("orders:view")
    with transaction(factory_of(request)) as session:
        jobs = queries.list_imports(session, shop_id=console.shop.id)
    return render(request, "imports/index.html", console=console, jobs=jobs)


def _wants_json(request: Request) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest"


@router.post("/imports")
def upload(request: Request, console: PostDep, file: Annotated[UploadFile, File()]) -> Response:
    """Store the uploaded export, register the import and start it in a background thread."""
    console.require("orders:manage")
    factory = factory_of(request)
    filename = (file.filename or "").strip()
    try:
        if not filename or not filename.lower().endswith(ALLOWED_SUFFIXES):
            raise InvalidInput("请上传京东订单导出文件（.csv 或 .xlsx）", "upload a JD order export (.csv or .xlsx)")
        path, size, sha = importer.save_upload(file.file, filename)
        with transaction(factory, write=True) as session:
            job = importer.create_order_import(
                session, actor=console.principal.actor, filename=filename, stored_path=path, size=size, sha256=sha
            )
            job_id = job.id
    except DomainError as exc:
        if _wants_json(request):
            return JSONResponse({"error": exc.message(console.lang)}, status_code=exc.status)
        raise
    _run_in_background(factory, job_id)
    url = f"/imports/{job_id}"
    if _wants_json(request):
        return JSONResponse({"id": job_id, "url": url}, status_code=201)
    return RedirectResponse(url, status_code=303)


def _job_view(request: Request, console: Console, job_id: int) -> dict[str, Any]:
    with transaction(factory_of(request)) as session:
        job = importer.get_import(session, shop_id=console.shop.id, job_id=job_id)
        problems = (
            queries.import_problems(session, shop_id=console.shop.id, job_id=job_id) if job.status == "done" else []
        )
    live = importer.PROGRESS.get(job_id)
    # "running" in the database with nothing on the board: the process that ran it is gone.
    interrupted = job.status == "running" and (live is None or live.stage in ("done", "failed"))
    if interrupted and live is not None:
        # the thread finished between our two reads: read the final row again
        with transaction(factory_of(request)) as session:
            job = importer.get_import(session, shop_id=console.shop.id, job_id=job_id)
            problems = queries.import_problems(session, shop_id=console.shop.id, job_id=job_id)
        interrupted = job.status == "running"
    return {
        "job": job,
        "live": live,
        "problems": problems,
        "interrupted": interrupted,
        "finished": job.status in ("done", "failed") or interrupted,
        "max_problems": MAX_STORED_PROBLEMS,
        "fraction": job_fraction(job, live),
    }


@router.get("/imports/{job_id}")
def import_page(request: Request, console: ConsoleDep, job_id: int) -> Response:
    """One import: live progress while it runs, then its report."""
    console.require("orders:view")
    return render(request, "imports/detail.html", console=console, **_job_view(request, console, job_id))


@router.get("/imports/{job_id}/progress")
def import_progress(request: Request, console: ConsoleDep, job_id: int) -> Response:
    """The progress fragment that the import page polls (it stops polling once the import ends)."""
    console.require("orders:view")
    return render(request, "imports/_status.html", console=console, **_job_view(request, console, job_id))


def job_fraction(job: ImportJob, live: importer.ImportProgress | None) -> float:
    if job.status == "done":
        return 1.0
    return live.fraction if live is not None else 0.0
