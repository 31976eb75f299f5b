"""Assistants and their versions in SQLite.

The `assistants` row holds the current record; `assistant_versions` holds every saved
version (a create, each PATCH, a system assistant at start). Both bodies are JSON.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import msgspec

from threadloom.protocol.clock import now_iso
from threadloom.protocol.filters import Filter
from threadloom.protocol.resources import Assistant, AssistantVersion

from . import where
from .db import Database, to_json

_UPSERT = (
    "INSERT INTO assistants (assistant_id, graph_id, created_at, updated_at, name, body) VALUES (?,?,?,?,?,?) "
    "ON CONFLICT(assistant_id) DO UPDATE SET graph_id = excluded.graph_id, created_at = excluded.created_at, "
    "updated_at = excluded.updated_at, name = excluded.name, body = excluded.body"
)  # an upsert, not INSERT OR REPLACE: a replace deletes the row, and that cascades to the versions
_SORT_KEYS = {
    "assistant_id": "assistant_id",
    "graph_id": "lower(graph_id)",
    "name": "lower(name)",
    "created_at": "created_at",
    "updated_at": "updated_at",
}


def _version_of(a: Assistant) -> AssistantVersion:
    return AssistantVersion(
        assistant_id=a.assistant_id, version=a.version, graph_id=a.graph_id, config=a.config, context=a.context,
        metadata=a.metadata, created_at=a.updated_at, name=a.name, description=a.description,
    )


def _write_current(conn: sqlite3.Connection, a: Assistant) -> None:
    conn.execute(_UPSERT, (a.assistant_id, a.graph_id, a.created_at, a.updated_at, a.name, to_json(a)))


def _write_version(conn: sqlite3.Connection, a: Assistant) -> None:
    conn.execute(
        "INSERT INTO assistant_versions (assistant_id, version, created_at, body) VALUES (?,?,?,?)",
        (a.assistant_id, a.version, a.updated_at, to_json(_version_of(a))),
    )


def _current(conn: sqlite3.Connection, assistant_id: str) -> Assistant | None:
    row = conn.execute("SELECT body FROM assistants WHERE assistant_id = ?", (assistant_id,)).fetchone()
    return msgspec.json.decode(row[0], type=Assistant) if row else None


def _filters(
    graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None, auth: Filter | None
) -> where.Sql:
    conditions = [f"graph_id IN ({','.join('?' * len(graph_ids))})"]
    args: list[Any] = list(graph_ids)
    if graph_id is not None:
        conditions.append("graph_id = ?")
        args.append(graph_id)
    if name:
        conditions.append("instr(lower(name), lower(?)) > 0")
        args.append(name)
    metadata_of = "json_extract(body, '$.metadata')"
    return where.every([
        (" AND ".join(conditions), args), *where.member_lookups("assistant_id", "assistant_members", ("1", []), metadata),
        where.has_keys(metadata_of, metadata), where.auth(metadata_of, auth),
    ])


class SqliteAssistants:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, assistant_id: str) -> Assistant | None:
        return _current(self._db.conn, assistant_id)

    async def create(self, assistant: Assistant) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            if _current(conn, assistant.assistant_id) is not None:
                return False
            _write_current(conn, assistant)
            _write_version(conn, assistant)
            return True

        return await self._db.write(work)

    async def reset(self, assistant: Assistant) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM assistant_versions WHERE assistant_id = ?", (assistant.assistant_id,))
            _write_current(conn, assistant)
            _write_version(conn, assistant)

        await self._db.write(work)

    async def add_version(self, assistant_id: str, change: Callable[[Assistant], Assistant]) -> Assistant | None:
        def work(conn: sqlite3.Connection) -> Assistant | None:
            current = _current(conn, assistant_id)
            if current is None:
                return None
            (highest,) = conn.execute(
                "SELECT coalesce(max(version), 0) FROM assistant_versions WHERE assistant_id = ?", (assistant_id,)
            ).fetchone()
            changed = msgspec.structs.replace(change(current), version=max(highest, current.version) + 1)
            _write_current(conn, changed)
            _write_version(conn, changed)
            return changed

        return await self._db.write(work)

    async def set_latest(self, assistant_id: str, version: int) -> Assistant | None:
        def work(conn: sqlite3.Connection) -> Assistant | None:
            current = _current(conn, assistant_id)
            row = conn.execute(
                "SELECT body FROM assistant_versions WHERE assistant_id = ? AND version = ?", (assistant_id, version)
            ).fetchone()
            if current is None or row is None:
                return None
            saved = msgspec.json.decode(row[0], type=AssistantVersion)
            restored = msgspec.structs.replace(
                current, graph_id=saved.graph_id, config=saved.config, context=saved.context,
                metadata=saved.metadata, name=saved.name, description=saved.description,
                version=saved.version, updated_at=now_iso(),
            )
            _write_current(conn, restored)
            return restored

        return await self._db.write(work)

    async def versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[AssistantVersion]:
        condition, args = where.has_keys("json_extract(body, '$.metadata')", metadata)
        rows = self._db.conn.execute(
            f"SELECT body FROM assistant_versions WHERE assistant_id = ? AND {condition} ORDER BY version DESC LIMIT ? OFFSET ?",
            (assistant_id, *args, limit, offset),
        ).fetchall()
        return [msgspec.json.decode(r[0], type=AssistantVersion) for r in rows]

    async def delete(self, assistant_id: str) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM crons WHERE assistant_id = ?", (assistant_id,))
            # the versions go with it (ON DELETE CASCADE)
            return conn.execute("DELETE FROM assistants WHERE assistant_id = ?", (assistant_id,)).rowcount == 1

        return await self._db.write(work)

    async def search(
        self, *, graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        limit: int, offset: int, sort_by: str, sort_order: str, auth: Filter | None = None,
    ) -> list[Assistant]:
        condition, args = _filters(graph_ids, graph_id, name, metadata, auth)
        order = "DESC" if sort_order == "desc" else "ASC"
        sql = (
            f"SELECT body FROM assistants WHERE {condition} "
            f"ORDER BY {_SORT_KEYS[sort_by]} {order}, assistant_id {order} LIMIT ? OFFSET ?"
        )
        return await self._db.read(
            lambda conn: [msgspec.json.decode(r[0], type=Assistant) for r in conn.execute(sql, (*args, limit, offset))]
        )

    async def count(
        self, *, graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        auth: Filter | None = None,
    ) -> int:
        condition, args = _filters(graph_ids, graph_id, name, metadata, auth)
        sql = f"SELECT count(*) FROM assistants WHERE {condition}"
        count: int = await self._db.read(lambda conn: conn.execute(sql, args).fetchone()[0])
        return count
