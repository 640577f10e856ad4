from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from siyu import migrate
from siyu.db import session_factory, transaction
from siyu.segments.engine import forget_engines
from tests.conftest import Database
from tests.factories.segments import World, populate
from tests.factories.shops import make_shop


@dataclass
class SegmentWorld:
    engine: Engine
    factory: sessionmaker[Session]
    world: World


@pytest.fixture(scope="module")
def seg(database: Database) -> Iterator[SegmentWorld]:
    """A committed, varied shop (the segment engine reads committed data, as in production)."""
    engine = database.new_engine()
    migrate.upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory, write=True) as session:
        shop_id = make_shop(session).shop.id
        world = populate(session, shop_id, seed=11, customers=90)
    yield SegmentWorld(engine, factory, world)
    forget_engines()
    database.drop(engine)
