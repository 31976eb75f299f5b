"""Threads and runs in PostgreSQL: the same records and behaviour as the SQLite backend
(`..sqlite`), metadata and values as JSONB for the searches."""

from __future__ import annotations

import builtins
from typing import Any

import msgspec

from threadloom.protocol.clock import now_iso
from threadloom.protocol.filters import Filter
from threadloom.protocol.priority import ThreadPriority
from threadloom.protocol.resources import Run, RunKwargs, RunStatus, Thread
from threadloom.protocol.ttl import Expired, ThreadTtl
from threadloom.protocol.serde import loads

from .db import Database, Statement, to_json
from .filters import auth_sql


_THREAD_COLUMNS = 'thread_id, created_at, updated_at, state_updated_at, metadata, status, config, "values", interrupts, error'
_THREAD_SELECT = (
    'thread_id, created_at, updated_at, state_updated_at, metadata::text, status, config::text, "values"::text, '
    "interrupts::text, error::text"
)
_THREAD_VALUES = "%s, %s, %s, %s, %s::json, %s, %s::json, %s::json, %s::json, %s::json"
_UPSERT_THREAD = (
    f"INSERT INTO threads ({_THREAD_COLUMNS}) VALUES ({_THREAD_VALUES}) ON CONFLICT (thread_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _THREAD_COLUMNS.split(", ")[1:])
)
_RUN_COLUMNS = "run_id, thread_id, assistant_id, metadata, status, kwargs, multitask_strategy, created_at, updated_at"
_RUN_SELECT = "run_id, thread_id, assistant_id, metadata::text, status, kwargs::text, multitask_strategy, created_at, updated_at"
_ACTIVE = "('pending', 'running')"


def _thread_row(t: Thread) -> tuple[Any, ...]:
    # An UNSET value or error is SQL NULL; UNSET interrupts (a NOT NULL column) JSON null,
    # which a thread's interrupts (a map) never are.
    interrupts = None if t.interrupts is msgspec.UNSET else t.interrupts
    return (
        t.thread_id, t.created_at, t.updated_at, t.state_updated_at, to_json(t.metadata), t.status,
        to_json(t.config), _json_or_null(t.values), to_json(interrupts), _json_or_null(t.error),
    )


def _thread(row: tuple[Any, ...]) -> Thread:
    interrupts = loads(row[8])
    return Thread(
        thread_id=row[0], created_at=row[1], updated_at=row[2], state_updated_at=row[3],
        metadata=loads(row[4]), status=row[5], config=loads(row[6]), values=_loads_or_unset(row[7]),
        interrupts=msgspec.UNSET if interrupts is None else interrupts, error=_loads_or_unset(row[9]),
    )


def _json_or_null(value: Any) -> str | None:
    return None if value is msgspec.UNSET else to_json(value)


def _loads_or_unset(text: str | None) -> Any:
    return msgspec.UNSET if text is None else loads(text)


def _run(row: tuple[Any, ...]) -> Run:
    return Run(
        run_id=row[0], thread_id=row[1], assistant_id=row[2], metadata=loads(row[3]), status=row[4],
        kwargs=msgspec.json.decode(row[5], type=RunKwargs), multitask_strategy=row[6],
        created_at=row[7], updated_at=row[8],
    )


_THREAD_SORTS = frozenset({"thread_id", "status", "created_at", "updated_at", "state_updated_at"})


def write_thread(thread: Thread) -> Statement:
    return _UPSERT_THREAD, _thread_row(thread)


class PostgresThreads:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, thread_id: str) -> Thread | None:
        row = await self._db.fetchone(f"SELECT {_THREAD_SELECT} FROM threads WHERE thread_id = %s", (thread_id,))
        return _thread(row) if row else None

    async def insert(self, thread: Thread) -> bool:
        sql = f"INSERT INTO threads ({_THREAD_COLUMNS}) VALUES ({_THREAD_VALUES}) ON CONFLICT (thread_id) DO NOTHING"
        return await self._db.rowcount(sql, _thread_row(thread)) == 1

    async def update(self, thread: Thread) -> None:
        await self._db.write(write_thread(thread))

    async def delete(self, thread_id: str) -> bool:
        return await self._db.rowcount("DELETE FROM threads WHERE thread_id = %s", (thread_id,)) == 1

    async def priority(self, thread_id: str) -> ThreadPriority | None:
        row = await self._db.fetchone("SELECT priority FROM threads WHERE thread_id = %s", (thread_id,))
        return None if row is None or row[0] is None else msgspec.json.decode(row[0], type=ThreadPriority)

    async def set_priority(self, thread_id: str, settings: ThreadPriority) -> None:
        encoded = msgspec.json.encode(settings).decode()
        await self._db.rowcount("UPDATE threads SET priority = %s WHERE thread_id = %s", (encoded, thread_id))

    async def search(
        self, *, ids: list[str] | None, metadata: dict[str, Any] | None, values: dict[str, Any] | None,
        status: str | None, limit: int, offset: int, sort_by: str = "updated_at", sort_order: str = "desc",
        auth: Filter | None = None,
    ) -> list[Thread]:
        if sort_by not in _THREAD_SORTS or sort_order not in ("asc", "desc"):
            raise ValueError(f"cannot sort threads by {sort_by} {sort_order}")
        where, args = self._where(ids, metadata, values, status, auth)
        # thread_id breaks ties, so that pages never overlap
        rows = await self._db.fetchall(
            f"SELECT {_THREAD_SELECT} FROM threads WHERE {where} "
            f"ORDER BY {sort_by} {sort_order}, thread_id {sort_order} LIMIT %s OFFSET %s",
            (*args, limit, offset),
        )
        return [_thread(r) for r in rows]

    async def count(
        self, *, ids: list[str] | None = None, metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None, status: str | None = None, auth: Filter | None = None,
    ) -> int:
        where, args = self._where(ids, metadata, values, status, auth)
        row = await self._db.fetchone(f"SELECT count(*) FROM threads WHERE {where}", args)
        return int(row[0]) if row else 0

    @staticmethod
    def _where(
        ids: list[str] | None, metadata: dict[str, Any] | None, values: dict[str, Any] | None, status: str | None,
        auth: Filter | None,
    ) -> tuple[str, list[Any]]:
        where, args = auth_sql("metadata_index", auth)
        where.insert(0, "TRUE")
        if ids is not None:
            where.append("thread_id = ANY(%s::text[])")
            args.append(list(ids))
        if status is not None:
            where.append("status = %s")
            args.append(status)
        for column, wanted in (("metadata_index", metadata), ("values_index", values)):
            if wanted:
                where.append(f"{column} @> %s::jsonb")
                args.append(to_json(wanted))
        return " AND ".join(where), args

    async def set_ttl(self, thread_id: str, ttl: ThreadTtl) -> None:
        sql = "UPDATE threads SET ttl_strategy = %s, ttl_minutes = %s, ttl_pruned_at = NULL WHERE thread_id = %s"
        await self._db.rowcount(sql, (ttl.strategy, ttl.minutes, thread_id))

    async def expired(self, now: str, limit: int, *, thread_id: str | None = None) -> list[Expired]:
        one = "" if thread_id is None else " AND thread_id = %s"
        rows = await self._db.fetchall(
            "SELECT thread_id, ttl_strategy FROM threads WHERE ttl_due IS NOT NULL AND ttl_due <= %s::timestamptz "
            f"AND status <> 'busy'{one} ORDER BY ttl_due LIMIT %s",
            (now, *([] if thread_id is None else [thread_id]), limit),
        )
        return [Expired(r[0], r[1]) for r in rows]

    async def pruned(self, thread_id: str) -> None:
        await self._db.rowcount("UPDATE threads SET ttl_pruned_at = updated_at WHERE thread_id = %s", (thread_id,))

    async def needing_recovery(self) -> list[str]:
        rows = await self._db.fetchall(
            f"SELECT DISTINCT thread_id FROM runs WHERE status IN {_ACTIVE} "
            "UNION ALL SELECT thread_id FROM threads WHERE status = 'busy' AND NOT EXISTS "
            f"(SELECT 1 FROM runs WHERE runs.thread_id = threads.thread_id AND status IN {_ACTIVE})"
        )
        return [r[0] for r in rows]


class PostgresRuns:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, run_id: str) -> Run | None:
        row = await self._db.fetchone(f"SELECT {_RUN_SELECT} FROM runs WHERE run_id = %s", (run_id,))
        return _run(row) if row else None

    async def list(self, thread_id: str, *, limit: int, offset: int, status: str | None) -> list[Run]:
        where, args = "thread_id = %s", [thread_id]
        if status is not None:
            where += " AND status = %s"
            args.append(status)
        rows = await self._db.fetchall(
            f"SELECT {_RUN_SELECT} FROM runs WHERE {where} ORDER BY seq DESC LIMIT %s OFFSET %s", (*args, limit, offset)
        )
        return [_run(r) for r in rows]

    async def active(self, thread_id: str) -> builtins.list[tuple[Run, int]]:
        rows = await self._db.fetchall(
            f"SELECT {_RUN_SELECT}, attempt FROM runs WHERE thread_id = %s AND status IN {_ACTIVE} "
            "ORDER BY status = 'running' DESC, seq",
            (thread_id,),
        )
        return [(_run(r), r[9]) for r in rows]

    async def find_active(self, *, status: str | None = None, assistant_id: str | None = None) -> builtins.list[Run]:
        statuses = ["pending", "running"] if status is None else [status]
        where = "status = ANY(%s::text[]) AND status IN ('pending', 'running')"
        args: builtins.list[Any] = [statuses]
        if assistant_id is not None:
            where += " AND assistant_id = %s"
            args.append(assistant_id)
        rows = await self._db.fetchall(f"SELECT {_RUN_SELECT} FROM runs WHERE {where} ORDER BY seq", args)
        return [_run(r) for r in rows]

    async def begin(self, thread: Thread, run: Run, *, create_thread: bool) -> None:
        row = (
            run.run_id, run.thread_id, run.assistant_id, to_json(run.metadata), run.status,
            to_json(run.kwargs), run.multitask_strategy, run.created_at, run.updated_at,
        )
        insert = f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (%s, %s, %s, %s::json, %s, %s::json, %s, %s, %s)"
        await self._db.write(write_thread(thread), (insert, row))

    async def set_status(self, run_id: str, status: RunStatus, *, attempt: int | None = None) -> None:
        if attempt is None:
            sql, args = "UPDATE runs SET status = %s, updated_at = %s WHERE run_id = %s", (status, now_iso(), run_id)
        else:
            sql = "UPDATE runs SET status = %s, updated_at = %s, attempt = %s WHERE run_id = %s"
            args = (status, now_iso(), attempt, run_id)  # type: ignore[assignment]
        await self._db.rowcount(sql, args)

    async def start(self, run_id: str, kwargs: RunKwargs, *, attempt: int | None) -> None:
        sql = (
            "UPDATE runs SET status = 'running', updated_at = %s, kwargs = %s::json, "
            "attempt = coalesce(%s, attempt) WHERE run_id = %s"
        )
        await self._db.rowcount(sql, (now_iso(), to_json(kwargs), attempt, run_id))

    async def finish(self, thread: Thread | None, run_id: str, status: RunStatus | None) -> None:
        run: Statement = (
            ("DELETE FROM runs WHERE run_id = %s", (run_id,)) if status is None
            else ("UPDATE runs SET status = %s, updated_at = %s WHERE run_id = %s", (status, now_iso(), run_id))
        )
        await self._db.write(run, *([] if thread is None else [write_thread(thread)]))

    async def delete(self, run_id: str) -> bool:
        return await self._db.rowcount("DELETE FROM runs WHERE run_id = %s", (run_id,)) == 1
