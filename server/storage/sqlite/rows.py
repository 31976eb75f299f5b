"""Threads and runs as SQLite rows, and back."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from threadloom.protocol.resources import Run, RunKwargs, Thread
from threadloom.protocol.serde import loads

from .db import to_json

THREAD_COLUMNS = 'thread_id, created_at, updated_at, state_updated_at, metadata, status, config, "values", interrupts, error'
UPSERT_THREAD = (
    f"INSERT INTO threads ({THREAD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(thread_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in THREAD_COLUMNS.split(", ")[1:])
)
RUN_COLUMNS = "run_id, thread_id, assistant_id, metadata, status, kwargs, multitask_strategy, created_at, updated_at"


def thread_row(t: Thread) -> tuple[Any, ...]:
    # An UNSET value or error is SQL NULL; UNSET interrupts (a NOT NULL column) JSON null,
    # which a thread's interrupts (a map) never are.
    interrupts = None if t.interrupts is msgspec.UNSET else t.interrupts
    return (
        t.thread_id, t.created_at, t.updated_at, t.state_updated_at, to_json(t.metadata), t.status,
        to_json(t.config), _json_or_null(t.values), to_json(interrupts), _json_or_null(t.error),
    )


def thread_of(row: sqlite3.Row) -> Thread:
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


def run_of(row: sqlite3.Row) -> Run:
    return Run(
        run_id=row[0], thread_id=row[1], assistant_id=row[2], metadata=loads(row[3]), status=row[4],
        kwargs=msgspec.json.decode(row[5], type=RunKwargs), multitask_strategy=row[6],
        created_at=row[7], updated_at=row[8],
    )


def write_thread(conn: sqlite3.Connection, t: Thread) -> None:
    # An upsert, not INSERT OR REPLACE: a replace deletes the row first, and that
    # cascades to the thread's runs.
    conn.execute(UPSERT_THREAD, thread_row(t))
