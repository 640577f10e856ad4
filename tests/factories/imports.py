from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.customers import importer
from siyu.customers.models import ImportJob


def import_file(sessions: sessionmaker[Session], shop_id: int, path: Path, **kwargs: Any) -> ImportJob:
    """Register and run an import of a local file, as the CLI does."""
    job_id = importer.register_local_file(sessions, actor=Actor(shop_id, "system", None, "test"), path=path)
    return importer.run_order_import(sessions, job_id=job_id, **kwargs)
