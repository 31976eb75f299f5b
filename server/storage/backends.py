"""The storage a server runs on, chosen by URL: the one place a backend is named."""

from __future__ import annotations

from typing import Any

from threadloom.protocol.storage import Storage

from .sqlite import SqliteStorage


async def open_storage(
    url: str | None, *, store_index: dict[str, Any] | None = None, store_ttl: dict[str, Any] | None = None
) -> Storage:
    """`url`: an SQLite file path; None for a throw-away database.
    `store_index`, `store_ttl`: LangGraph's store configuration (`index.py`). Raises the
    backend's error naming the database when it cannot be opened."""
    return await SqliteStorage.open(url, store_index=store_index, store_ttl=store_ttl)
