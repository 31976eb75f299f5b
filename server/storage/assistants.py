"""Assistants (and, with issue 3, their versions) in SQLite."""

from __future__ import annotations

from typing import Any

import msgspec

from protocol.resources import Assistant

from .db import Database, to_json


class SqliteAssistants:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, assistant_id: str) -> Assistant | None:
        row = self._db.conn.execute("SELECT body FROM assistants WHERE assistant_id = ?", (assistant_id,)).fetchone()
        return msgspec.json.decode(row[0], type=Assistant) if row else None

    async def put(self, assistant: Assistant) -> None:
        a = assistant
        sql = "INSERT OR REPLACE INTO assistants (assistant_id, graph_id, created_at, updated_at, name, body) VALUES (?,?,?,?,?,?)"
        args = (a.assistant_id, a.graph_id, a.created_at, a.updated_at, a.name, to_json(a))
        await self._db.write(lambda conn: conn.execute(sql, args))

    async def search(
        self, *, graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        limit: int, offset: int, sort_by: str, sort_order: str,
    ) -> list[Assistant]:
        where, args = ["1"], []
        if graph_id is not None:
            where.append("graph_id = ?")
            args.append(graph_id)
        if name is not None:
            where.append("instr(lower(name), lower(?)) > 0")
            args.append(name)
        for key, value in (metadata or {}).items():
            where.append("EXISTS (SELECT 1 FROM json_each(body, '$.metadata') WHERE key = ? AND value IS json_extract(?, '$'))")
            args.extend([key, to_json(value)])
        order = "DESC" if sort_order == "desc" else "ASC"
        rows = self._db.conn.execute(
            f"SELECT body FROM assistants WHERE {' AND '.join(where)} ORDER BY {sort_by} {order} LIMIT ? OFFSET ?",
            (*args, limit, offset),
        ).fetchall()
        return [msgspec.json.decode(r[0], type=Assistant) for r in rows]
