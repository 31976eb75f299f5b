"""LangGraph's SQLite store as `langgraph.json`'s `store` section configures it: semantic
search with the project's embedding function (`index`, from `storage/index.py`), expiry of items (`ttl`).

LangGraph's store ranks items with sqlite-vec's distance functions, loaded as an SQLite
extension. A Python whose `sqlite3` cannot load extensions (pyenv builds, some distro
builds) gets the same three functions written in Python instead: the vectors are plain
BLOBs in an ordinary table, so nothing else depends on the extension.
"""

from __future__ import annotations

import math
import sqlite3
import struct
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import aiosqlite
from langgraph.store.base import Op, PutOp, Result, SearchOp
from langgraph.store.sqlite.aio import AsyncSqliteStore

from .storefields import index_fields, search_by_fields


def _floats(blob: bytes) -> tuple[float, ...]:
    return struct.unpack(f"<{len(blob) // 4}f", blob)


def _cosine(a: bytes | None, b: bytes | None) -> float | None:
    if a is None or b is None:
        return None
    x, y = _floats(a), _floats(b)
    norms = math.sqrt(sum(v * v for v in x)) * math.sqrt(sum(v * v for v in y))
    return 1.0 - sum(p * q for p, q in zip(x, y, strict=True)) / norms if norms else 1.0


def _l2(a: bytes | None, b: bytes | None) -> float | None:
    return None if a is None or b is None else math.dist(_floats(a), _floats(b))


def _l1(a: bytes | None, b: bytes | None) -> float | None:
    return None if a is None or b is None else sum(abs(p - q) for p, q in zip(_floats(a), _floats(b), strict=True))


_DISTANCES = {"vec_distance_cosine": _cosine, "vec_distance_L2": _l2, "vec_distance_L1": _l1}


async def _skip(*_: Any) -> None:
    return None


async def _python_distances(conn: aiosqlite.Connection) -> None:
    conn.enable_load_extension = _skip  # type: ignore[method-assign, assignment]
    conn.load_extension = _skip  # type: ignore[method-assign, assignment]
    for name, function in _DISTANCES.items():
        await conn.create_function(name, 2, function, deterministic=True)


class _Clock:
    """UTC now to the microsecond, in the form SQLite writes times, never the same twice."""

    def __init__(self) -> None:
        self._last = datetime.min.replace(tzinfo=timezone.utc)

    def __call__(self) -> str:
        self._last = max(datetime.now(timezone.utc), self._last + timedelta(microseconds=1))
        return self._last.strftime("%Y-%m-%d %H:%M:%S.%f")


_CLOCK_FUNCTION = "threadloom_now"
_SQLITE_STAMPS = "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"  # an item's created_at, updated_at


class MicrosecondStore(AsyncSqliteStore):
    """LangGraph's SQLite store stamps the items it writes with SQLite's CURRENT_TIMESTAMP,
    to the second: a write and its update in the same second tie, and a search (newest
    first) cannot say which is newer. This one stamps them to the microsecond, strictly
    increasing, as the official server's store does (its in-memory store keeps Python
    datetimes). `open_store` gives its connection the clock.

    A search whose filter is plain values of top-level fields (the common case) is served
    by `storefields.py`'s index; any other by LangGraph's query."""

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        if len(ops) == 1 and isinstance(ops[0], SearchOp) and not (ops[0].query and self.index_config):
            refresh = bool(ops[0].refresh_ttl and self.ttl_config and self.ttl_config.get("refresh_on_read"))
            async with self.lock:
                found = await search_by_fields(self.conn, ops[0], refresh=refresh)
            if found is not None:
                return [found]
        return await super().abatch(ops)

    def _prepare_batch_PUT_queries(
        self, put_ops: Sequence[tuple[int, PutOp]]
    ) -> tuple[list[tuple[str, Sequence[Any]]], tuple[str, Sequence[tuple[str, str, str, str]]] | None]:
        queries, embedding_request = super()._prepare_batch_PUT_queries(put_ops)
        stamped = [(query.replace(_SQLITE_STAMPS, f"{_CLOCK_FUNCTION}(), {_CLOCK_FUNCTION}()"), params) for query, params in queries]
        return stamped, embedding_request


async def open_store(
    conn: aiosqlite.Connection, *, index: dict[str, Any] | None = None, ttl: dict[str, Any] | None = None
) -> AsyncSqliteStore:
    await conn.create_function(_CLOCK_FUNCTION, 0, _Clock(), deterministic=False)
    store = MicrosecondStore(conn, index=index, ttl=ttl)  # type: ignore[arg-type]
    if index is not None and not hasattr(sqlite3.Connection, "enable_load_extension"):
        await _python_distances(conn)
    await store.setup()
    await index_fields(conn)
    if ttl and ttl.get("sweep_interval_minutes"):
        await store.start_ttl_sweeper()  # stopped by `SqliteStorage.close`
    return store
