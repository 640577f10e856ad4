"""Imports of JD order exports through the API (multipart upload)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, File, UploadFile
from pydantic import Field
from sqlalchemy.orm import Session

from siyu.api.deps import FactoryDep, SessionDep, require
from siyu.customers import importer, queries
from siyu.customers.errors import ImportFileRejected
from siyu.customers.models import ImportJob
from siyu.customers.schemas import ImportJobOut, ImportProblemOut
from siyu.db import transaction
from siyu.shops.services import Principal

router = APIRouter(prefix="/imports", tags=["imports"])
Importer = Annotated[Principal, Depends(require("orders:manage"))]
Viewer = Annotated[Principal, Depends(require("orders:view"))]


def job_out(job: ImportJob) -> ImportJobOut:
    out = ImportJobOut.model_validate(job)
    live = importer.PROGRESS.get(job.id)
    if job.status == "done":
        out.progress = 1.0
    elif live is not None:
        out.progress = live.fraction
        out.rows_read = max(out.rows_read, live.rows_read)
    return out


class ImportReport(ImportJobOut):
    problems: list[ImportProblemOut] = Field(default_factory=list)


@router.post("/orders", response_model=ImportReport, status_code=201)
def import_orders(
    factory: FactoryDep,
    principal: Importer,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="JD order export: .csv (GBK/UTF-8) or .xlsx")],
    wait: bool = True,
) -> ImportReport:
    """Import an order export. With ``wait=false`` the import runs in the background: poll its status."""
    path, size, sha = importer.save_upload(file.file, file.filename or "orders.csv")
    with transaction(factory, write=True) as session:
        job = importer.create_order_import(
            session,
            actor=principal.actor,
            filename=file.filename or "orders.csv",
            stored_path=path,
            size=size,
            sha256=sha,
        )
        job_id = job.id
    if not wait:
        background.add_task(importer.run_order_import, factory, job_id=job_id)
        with transaction(factory) as session:
            return ImportReport(**job_out(session.get_one(ImportJob, job_id)).model_dump())
    job = importer.run_order_import(factory, job_id=job_id)
    if job.status == "failed":
        # the file as a whole was refused: nothing changed; the failed job stays in the history
        raise ImportFileRejected(job.error_zh, job.error_en, code=job.error_code, import_id=job_id)
    with transaction(factory) as session:
        return _report(session, principal.shop_id, job_id)


def _report(session: Session, shop_id: int, job_id: int) -> ImportReport:
    job = importer.get_import(session, shop_id=shop_id, job_id=job_id)
    problems = [
        ImportProblemOut.model_validate(p) for p in queries.import_problems(session, shop_id=shop_id, job_id=job_id)
    ]
    return ImportReport(**job_out(job).model_dump(), problems=problems)


@router.get("", response_model=list[ImportJobOut])
def list_imports(session: SessionDep, principal: Viewer) -> list[ImportJobOut]:
    """Recent imports of the shop, newest first."""
    return [job_out(j) for j in queries.list_imports(session, shop_id=principal.shop_id)]


@router.get("/{job_id}", response_model=ImportReport)
def get_import(session: SessionDep, principal: Viewer, job_id: int) -> ImportReport:
    """Status, progress and the report of one import (first 1,000 problem rows)."""
    return _report(session, principal.shop_id, job_id)
