"""The storage backends every contract case runs against (`test_storage_contract.py`).

Each entry opens a fresh, empty `Storage` for one test and closes it after. A backend
that needs a server it cannot reach skips (`pytest.skip`) with a line saying how to
enable it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from pgtest import shared

from threadloom.protocol.storage import Storage
from threadloom.server.storage.backends import open_storage

Backend = Callable[[Path], AbstractAsyncContextManager[Storage]]


@asynccontextmanager
async def sqlite(folder: Path) -> AsyncIterator[Storage]:
    storage = await open_storage(str(folder / "threadloom.sqlite"))
    try:
        yield storage
    finally:
        await storage.close()


@asynccontextmanager
async def postgres(folder: Path) -> AsyncIterator[Storage]:
    """A fresh database of the session's PostgreSQL (`pgtest`: skipped without one, except
    under CI)."""
    pg = shared()
    url = pg.new_database()
    storage = await open_storage(url)
    try:
        yield storage
    finally:
        await storage.close()
        pg.drop(url)


BACKENDS: dict[str, Backend] = {"sqlite": sqlite, "postgres": postgres}
