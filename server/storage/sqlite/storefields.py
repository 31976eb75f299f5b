"""Store searches with a filter, answered by an index (issue 17).

LangGraph's SQLite store filters items with `json_extract` on every item of the namespace
searched, then sorts them all by `updated_at`: a search of 10,000 items reads 10,000. Here a
side table holds each item's top-level scalar fields, kept by triggers in the writing
transaction, and indexed twice: by (field, value, updated_at), to walk the items with a
field's value newest first and stop after the page; and by (field, value, prefix), to read
only those of one namespace. Which of the two (or LangGraph's own query, for a small
namespace) answers is chosen from counts capped at `SMALL`, so a search reads at most about
`SMALL` rows plus the page, however many items there are.

Only filters of plain values (strings, numbers, booleans) on top-level fields are served;
a search with another filter (operators, nested keys, None, lists) is LangGraph's. The
results are the same: the same rows in the same order, compared as LangGraph compares them.
"""

from __future__ import annotations

import re
from typing import Any

import aiosqlite
import orjson
from langgraph.store.base import SearchItem, SearchOp

SMALL = 1000  # rows a search may read and sort without an index walk

_SCALARS = "j.type NOT IN ('object', 'array', 'null')"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS store_fields (field TEXT NOT NULL, value, updated_at, prefix TEXT NOT NULL, key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS store_fields_newest ON store_fields (field, value, updated_at);
CREATE INDEX IF NOT EXISTS store_fields_namespace ON store_fields (field, value, prefix);
CREATE INDEX IF NOT EXISTS store_fields_item ON store_fields (prefix, key);
CREATE TRIGGER IF NOT EXISTS store_fields_insert AFTER INSERT ON store BEGIN
    DELETE FROM store_fields WHERE prefix = NEW.prefix AND key = NEW.key;  -- LangGraph puts with INSERT OR REPLACE
    INSERT INTO store_fields SELECT j.key, j.value, NEW.updated_at, NEW.prefix, NEW.key FROM json_each(NEW.value) j
    WHERE {_SCALARS};
END;
CREATE TRIGGER IF NOT EXISTS store_fields_update AFTER UPDATE OF prefix, key, value, updated_at ON store BEGIN
    DELETE FROM store_fields WHERE prefix = OLD.prefix AND key = OLD.key;
    INSERT INTO store_fields SELECT j.key, j.value, NEW.updated_at, NEW.prefix, NEW.key FROM json_each(NEW.value) j
    WHERE {_SCALARS};
END;
CREATE TRIGGER IF NOT EXISTS store_fields_delete AFTER DELETE ON store BEGIN
    DELETE FROM store_fields WHERE prefix = OLD.prefix AND key = OLD.key;
END;
"""
_BACKFILL = f"""
INSERT INTO store_fields SELECT j.key, j.value, s.updated_at, s.prefix, s.key FROM store s, json_each(s.value) j
WHERE {_SCALARS};
"""
# LangGraph's refresh of a found item's expiry (`ttl.refresh_on_read`)
_REFRESH = """
UPDATE store SET expires_at = DATETIME(CURRENT_TIMESTAMP, '+' || ttl_minutes || ' minutes')
WHERE prefix = ? AND key = ? AND ttl_minutes IS NOT NULL
"""
_TOP_LEVEL_KEY = re.compile(r"^[A-Za-z0-9_-]+$")  # dots name nested fields
_NOT_HELD = object()


async def index_fields(conn: aiosqlite.Connection) -> None:
    """The side table and its triggers; filled from the items already stored when new."""
    async with conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'store_fields'") as cur:
        existed = await cur.fetchone() is not None
    try:
        await conn.executescript(f"BEGIN; {_SCHEMA} {'' if existed else _BACKFILL} COMMIT;")
    except BaseException:
        await conn.execute("ROLLBACK")
        raise


def _compared(value: Any) -> Any:
    """What a filter's value is compared with in SQL, as LangGraph's query compares it;
    `_NOT_HELD` for the values the side table does not hold."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, (int, float)):
        return float(value)
    return _NOT_HELD


async def _count(conn: aiosqlite.Connection, sql: str, args: list[Any]) -> int:
    async with conn.execute(f"SELECT count(*) FROM ({sql} LIMIT {SMALL})", args) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def search_by_fields(conn: aiosqlite.Connection, op: SearchOp, *, refresh: bool) -> list[SearchItem] | None:
    """The page `op` asks for, or None when LangGraph's query is to answer it (a filter
    this index does not serve, or a namespace small enough to read whole). The caller
    holds the store's lock."""
    fields = list((op.filter or {}).items())
    values = [_compared(value) for _, value in fields]
    if not fields or _NOT_HELD in values or not all(_TOP_LEVEL_KEY.match(key) for key, _ in fields):
        return None
    namespace: list[str] = []
    if op.namespace_prefix:
        path = ".".join(op.namespace_prefix)
        namespace = [path, f"{path}.", f"{path}/"]  # the namespace, or one under it
        if await _count(conn, "SELECT 1 FROM store WHERE prefix = ? OR (prefix >= ? AND prefix < ?)", namespace) < SMALL:
            return None
    in_namespace = " AND (f.prefix = ? OR (f.prefix >= ? AND f.prefix < ?))" if namespace else ""
    # the side table is walked for the field with the fewest matches; the others are
    # checked on the item itself, as LangGraph's query does
    matches = [
        await _count(conn, f"SELECT 1 FROM store_fields f INDEXED BY store_fields_namespace "
                           f"WHERE f.field = ? AND f.value = ?{in_namespace}", [key, value, *namespace])
        for (key, _), value in zip(fields, values)
    ]
    driver = matches.index(min(matches))
    args: list[Any] = [fields[driver][0], values[driver], *namespace]
    others = ""
    for i, ((key, _), value) in enumerate(zip(fields, values)):
        if i != driver:
            others += " AND json_extract(s.value, ?) = ?"
            args += [f"$.{key}", value]
    sql = (
        f"SELECT s.prefix, s.key, s.value, s.created_at, s.updated_at FROM store_fields f INDEXED BY "
        f"{'store_fields_namespace' if matches[driver] < SMALL else 'store_fields_newest'} CROSS JOIN store s "
        f"ON s.prefix = f.prefix AND s.key = f.key WHERE f.field = ? AND f.value = ?{in_namespace}{others} "
        "ORDER BY f.updated_at DESC LIMIT ? OFFSET ?"
    )
    async with conn.execute(sql, [*args, op.limit, op.offset]) as cur:
        rows = list(await cur.fetchall())
    if refresh and rows:
        await conn.execute("BEGIN")
        try:
            for prefix, key, *_ in rows:
                await conn.execute(_REFRESH, (prefix, key))
        finally:
            await conn.execute("COMMIT")
    return [
        SearchItem(namespace=tuple(prefix.split(".")), key=key, value=orjson.loads(value),
                   created_at=created_at, updated_at=updated_at)
        for prefix, key, value, created_at, updated_at in rows
    ]

