from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.customers import importer
from siyu.customers.models import ImportJob
from siyu.db import transaction


def import_file(sessions: sessionmaker[Session], shop_id: int, path: Path, **kwargs: object) -> ImportJob:
    """Register and run an import of a local file, as the CLI does."""
    stored, size, sha = importer.copy_local_file(path)
    with transaction(sessions, write=True) as session:
        job = importer.create_order_import(
            session,
            actor=Actor(shop_id, "system", None, "test"),
            filename=path.name,
            stored_path=stored,
            size=size,
            sha256=sha,
        )
        job_id = job.id
    return importer.run_order_import(sessions, job_id=job_id, **kwargs)  # type: ignore[arg-type]
