"""Assistants and their versions in PostgreSQL (as `..assistants` in SQLite): the current
record in `assistants`, every saved version in `assistant_versions`; bodies as JSON, the
metadata also as JSONB for the filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import psycopg

from threadloom.protocol.clock import now_iso
from threadloom.protocol.filters import Filter
from threadloom.protocol.resources import Assistant, AssistantVersion

from .db import Database, to_json
from .filters import auth_sql, equals

Conn = psycopg.AsyncConnection[Any]

_UPSERT = (
    "INSERT INTO assistants (assistant_id, graph_id, created_at, updated_at, name, metadata, body) "
    "VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s::json) "
    "ON CONFLICT (assistant_id) DO UPDATE SET graph_id = excluded.graph_id, created_at = excluded.created_at, "
    "updated_at = excluded.updated_at, name = excluded.name, metadata = excluded.metadata, body = excluded.body"
)
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


async def _write_current(conn: Conn, a: Assistant) -> None:
    await conn.execute(_UPSERT, (a.assistant_id, a.graph_id, a.created_at, a.updated_at, a.name, to_json(a.metadata), to_json(a)))


async def _write_version(conn: Conn, a: Assistant) -> None:
    await conn.execute(
        "INSERT INTO assistant_versions (assistant_id, version, created_at, metadata, body) "
        "VALUES (%s, %s, %s, %s::jsonb, %s::json)",
        (a.assistant_id, a.version, a.updated_at, to_json(a.metadata), to_json(_version_of(a))),
    )


async def _current(conn: Conn, assistant_id: str, *, lock: bool = False) -> Assistant | None:
    cur = await conn.execute(
        "SELECT body::text FROM assistants WHERE assistant_id = %s" + (" FOR UPDATE" if lock else ""), (assistant_id,)
    )
    row = await cur.fetchone()
    return msgspec.json.decode(row[0], type=Assistant) if row else None


def _metadata_has(metadata: dict[str, Any] | None) -> tuple[list[str], list[Any]]:
    """Conditions for "the metadata holds each of these key/values"."""
    where: list[str] = []
    args: list[Any] = []
    for key, value in (metadata or {}).items():
        sql, more = equals("metadata", key, value)
        where.append(sql)
        args.extend(more)
    return where, args


def _filters(
    graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None, auth: Filter | None
) -> tuple[str, list[Any]]:
    where = ["graph_id = ANY(%s::text[])"]
    args: list[Any] = [list(graph_ids)]
    if graph_id is not None:
        where.append("graph_id = %s")
        args.append(graph_id)
    if name:
        where.append("strpos(lower(name), lower(%s)) > 0")
        args.append(name)
    meta_where, meta_args = _metadata_has(metadata)
    auth_where, auth_args = auth_sql("metadata", auth)
    return " AND ".join(where + meta_where + auth_where), args + meta_args + auth_args


class PostgresAssistants:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, assistant_id: str) -> Assistant | None:
        row = await self._db.fetchone("SELECT body::text FROM assistants WHERE assistant_id = %s", (assistant_id,))
        return msgspec.json.decode(row[0], type=Assistant) if row else None

    async def create(self, assistant: Assistant) -> bool:
        a = assistant

        async def work(conn: Conn) -> bool:
            cur = await conn.execute(
                "INSERT INTO assistants (assistant_id, graph_id, created_at, updated_at, name, metadata, body) "
                "VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s::json) ON CONFLICT (assistant_id) DO NOTHING",
                (a.assistant_id, a.graph_id, a.created_at, a.updated_at, a.name, to_json(a.metadata), to_json(a)),
            )
            if cur.rowcount != 1:
                return False
            await _write_version(conn, a)
            return True

        return await self._db.retrying(work)

    async def reset(self, assistant: Assistant) -> None:
        async def work(conn: Conn) -> None:
            # the current row first: its lock makes a concurrent reset (another process
            # starting) wait, then find and replace this one's version
            await _write_current(conn, assistant)
            await conn.execute("DELETE FROM assistant_versions WHERE assistant_id = %s", (assistant.assistant_id,))
            await _write_version(conn, assistant)

        await self._db.retrying(work)

    async def add_version(self, assistant_id: str, change: Callable[[Assistant], Assistant]) -> Assistant | None:
        async def work(conn: Conn) -> Assistant | None:
            current = await _current(conn, assistant_id, lock=True)
            if current is None:
                return None
            cur = await conn.execute(
                "SELECT coalesce(max(version), 0) FROM assistant_versions WHERE assistant_id = %s", (assistant_id,)
            )
            row = await cur.fetchone()
            highest = int(row[0]) if row else 0
            changed = msgspec.structs.replace(change(current), version=max(highest, current.version) + 1)
            await _write_current(conn, changed)
            await _write_version(conn, changed)
            return changed

        return await self._db.retrying(work)

    async def set_latest(self, assistant_id: str, version: int) -> Assistant | None:
        async def work(conn: Conn) -> Assistant | None:
            current = await _current(conn, assistant_id, lock=True)
            cur = await conn.execute(
                "SELECT body::text FROM assistant_versions WHERE assistant_id = %s AND version = %s", (assistant_id, version)
            )
            row = await cur.fetchone()
            if current is None or row is None:
                return None
            saved = msgspec.json.decode(row[0], type=AssistantVersion)
            restored = msgspec.structs.replace(
                current, graph_id=saved.graph_id, config=saved.config, context=saved.context,
                metadata=saved.metadata, name=saved.name, description=saved.description,
                version=saved.version, updated_at=now_iso(),
            )
            await _write_current(conn, restored)
            return restored

        return await self._db.retrying(work)

    async def versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[AssistantVersion]:
        meta_where, meta_args = _metadata_has(metadata)
        where = " AND ".join(["assistant_id = %s", *meta_where])
        rows = await self._db.fetchall(
            f"SELECT body::text FROM assistant_versions WHERE {where} ORDER BY version DESC LIMIT %s OFFSET %s",
            (assistant_id, *meta_args, limit, offset),
        )
        return [msgspec.json.decode(r[0], type=AssistantVersion) for r in rows]

    async def delete(self, assistant_id: str) -> bool:
        async def work(conn: Conn) -> bool:
            await conn.execute("DELETE FROM crons WHERE assistant_id = %s", (assistant_id,))
            # the versions go with it (ON DELETE CASCADE)
            cur = await conn.execute("DELETE FROM assistants WHERE assistant_id = %s", (assistant_id,))
            return cur.rowcount == 1

        return await self._db.retrying(work)

    async def search(
        self, *, graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        limit: int, offset: int, sort_by: str, sort_order: str, auth: Filter | None = None,
    ) -> list[Assistant]:
        where, args = _filters(graph_ids, graph_id, name, metadata, auth)
        order = "DESC" if sort_order == "desc" else "ASC"
        rows = await self._db.fetchall(
            f"SELECT body::text FROM assistants WHERE {where} "
            f"ORDER BY {_SORT_KEYS[sort_by]} {order}, assistant_id {order} LIMIT %s OFFSET %s",
            (*args, limit, offset),
        )
        return [msgspec.json.decode(r[0], type=Assistant) for r in rows]

    async def count(
        self, *, graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        auth: Filter | None = None,
    ) -> int:
        where, args = _filters(graph_ids, graph_id, name, metadata, auth)
        row = await self._db.fetchone(f"SELECT count(*) FROM assistants WHERE {where}", args)
        return int(row[0]) if row else 0
