"""The storage a server runs on, chosen by URL: the one place a backend is named."""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.serde.base import SerializerProtocol

from threadloom.protocol.ownership import Cluster
from threadloom.protocol.storage import Storage
from threadloom.server.encryption.handlers import Handlers

from .encrypted import EncryptedStorage
from .encrypted.opening import open_encrypted
from .sqlite import SqliteStorage


async def open_storage(
    url: str | None, *, store_index: dict[str, Any] | None = None, store_ttl: dict[str, Any] | None = None,
    encryption: Handlers | None = None,
) -> Storage:
    """`url`: a `postgresql://` URL (PostgreSQL), an SQLite file path, or None for a
    throw-away SQLite database. `store_index`, `store_ttl`: LangGraph's store
    configuration (`index.py`). `encryption`: the project's handlers, to encrypt what is
    stored (`encrypted/`). Raises the backend's error naming the database when it cannot
    be opened."""

    async def backend(serde: SerializerProtocol | None) -> Storage:
        if url is not None and url.startswith(("postgresql://", "postgres://")):
            from .postgres import PostgresStorage  # psycopg is imported only for a Postgres URL

            return await PostgresStorage.open(url, store_index=store_index, store_ttl=store_ttl, serde=serde)
        return await SqliteStorage.open(url, store_index=store_index, store_ttl=store_ttl, serde=serde)

    if encryption is None:
        return await backend(None)
    return await open_encrypted(backend, encryption)


def cluster_for(storage: Storage) -> Cluster | None:
    """The thread ownership shared with the other processes on the same database, or None
    where one process owns the database (SQLite: a second one is refused)."""
    if isinstance(storage, EncryptedStorage):
        storage = storage.backend
    if isinstance(storage, SqliteStorage):
        return None
    from .postgres import PostgresStorage

    return storage.cluster() if isinstance(storage, PostgresStorage) else None
