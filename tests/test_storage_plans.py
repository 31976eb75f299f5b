"""Every page query of a search is served by an index: its plan (`EXPLAIN QUERY PLAN`)
never scans a table (issue 17). A scan is a cost that grows with the data; the plans,
unlike timings, are deterministic.

Each search runs through the storage layer as the routes call it; the statements it
sends are caught with the connection's trace callback and explained on the same
connection, with the values they were run with.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from threadloom.protocol.resources import Thread
from threadloom.server.storage.sqlite.assistants import SqliteAssistants
from threadloom.server.storage.sqlite.crons import SqliteCrons
from threadloom.server.storage.sqlite.db import Database
from threadloom.server.storage.sqlite.runs import SqliteRuns
from threadloom.server.storage.sqlite.threads import SqliteThreads

T0 = "2026-01-01T00:00:00+00:00"
THREAD_SORTS = ("thread_id", "status", "created_at", "updated_at", "state_updated_at")
CRON_SORTS = ("cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at")
ASSISTANT_SORTS = ("assistant_id", "graph_id", "name", "created_at", "updated_at")
# a line of a plan that reads a whole table (or one of its indexes): `SCAN threads`,
# `SCAN threads USING INDEX …` is a walk in sort order, stopped by the LIMIT; a
# json_each/json_tree is a virtual table over one row's document
SCAN = re.compile(r"\bSCAN (\w+)\b(?! USING (COVERING )?INDEX)(?! VIRTUAL TABLE)")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(str(tmp_path / "plans.sqlite"))
    try:
        yield database
    finally:
        database.close()


def plans(db: Database, search: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[list[tuple[str, list[str]]]]]:
    async def run() -> list[tuple[str, list[str]]]:
        statements: list[str] = []
        for conn in (db.conn, db.reader):
            conn.set_trace_callback(statements.append)
        try:
            await search()
        finally:
            for conn in (db.conn, db.reader):
                conn.set_trace_callback(None)
        explained = []
        for sql in statements:
            if sql.lstrip().upper().startswith("SELECT"):
                rows = db.conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
                explained.append((sql, [r[3] for r in rows]))
        assert explained, "the search sent no SELECT"
        return explained

    return run


async def assert_no_scan(db: Database, search: Callable[[], Awaitable[Any]]) -> None:
    for sql, plan in await plans(db, search)():
        scans = [line for line in plan if SCAN.search(line)]
        assert not scans, f"{sql}\nscans a table:\n" + "\n".join(plan)


async def _seed_threads(db: Database) -> None:
    threads = SqliteThreads(db)
    for i in range(30):
        await threads.insert(Thread(
            thread_id=f"00000000-0000-4000-8000-{i:012d}", created_at=T0, updated_at=T0, state_updated_at=T0,
            metadata={"user": f"u{i % 3}", "i": i, "tags": ["a"], "flag": i % 2 == 0, "none": None},
            status="idle" if i % 2 else "busy", values={"n": i, "doc": {"k": "v"}},
        ))


THREAD_FILTERS: list[dict[str, Any]] = [
    {},
    {"status": "idle"},
    {"metadata": {"user": "u1"}},
    {"metadata": {"i": 3}},
    {"metadata": {"flag": True}},
    {"metadata": {"none": None}},
    {"metadata": {"tags": ["a"]}},
    {"metadata": {"user": "u1", "i": 4}},
    {"metadata": {"user": "u1"}, "status": "busy"},
    {"values": {"n": 3}},
    {"values": {"doc": {"k": "v"}}},
    {"ids": ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"]},
]


@pytest.mark.parametrize("where", THREAD_FILTERS, ids=repr)
@pytest.mark.parametrize("sort_by", THREAD_SORTS)
@pytest.mark.parametrize("sort_order", ("asc", "desc"))
async def test_a_page_of_threads_is_found_by_index(db: Database, where: dict[str, Any], sort_by: str, sort_order: str) -> None:
    await _seed_threads(db)
    threads = SqliteThreads(db)
    query = {"ids": None, "metadata": None, "values": None, "status": None, **where}
    await assert_no_scan(db, lambda: threads.search(**query, limit=10, offset=10, sort_by=sort_by, sort_order=sort_order))


@pytest.mark.parametrize("where", [w for w in THREAD_FILTERS if w], ids=repr)
async def test_a_count_of_threads_with_a_filter_is_found_by_index(db: Database, where: dict[str, Any]) -> None:
    await _seed_threads(db)
    await assert_no_scan(db, lambda: SqliteThreads(db).count(**where))


@pytest.mark.parametrize("status", (None, "success"))
async def test_a_page_of_a_threads_runs_is_found_by_index(db: Database, status: str | None) -> None:
    await assert_no_scan(db, lambda: SqliteRuns(db).list("t", limit=10, offset=0, status=status))


@pytest.mark.parametrize("where", [{}, {"assistant_id": "a"}, {"thread_id": "t"}, {"metadata": {"k": "v"}}], ids=repr)
@pytest.mark.parametrize("sort_by", CRON_SORTS)
async def test_a_page_of_crons_is_found_by_index(db: Database, where: dict[str, Any], sort_by: str) -> None:
    query = {"assistant_id": None, "thread_id": None, "enabled": None, "metadata": None, **where}
    await assert_no_scan(db, lambda: SqliteCrons(db).search(**query, limit=10, offset=0, sort_by=sort_by, sort_order="desc"))


@pytest.mark.parametrize("metadata", [None, {"k": "v"}, {"k": 1, "o": {}}], ids=repr)
@pytest.mark.parametrize("sort_by", ASSISTANT_SORTS)
async def test_a_page_of_assistants_is_found_by_index(db: Database, sort_by: str, metadata: dict[str, Any] | None) -> None:
    await assert_no_scan(db, lambda: SqliteAssistants(db).search(
        graph_ids=["agent"], graph_id=None, name=None, metadata=metadata, limit=10, offset=0, sort_by=sort_by, sort_order="desc",
    ))


@pytest.mark.parametrize("metadata", [{"k": "v"}, {"k": [1]}], ids=repr)
async def test_a_count_of_crons_or_assistants_with_metadata_is_found_by_index(db: Database, metadata: dict[str, Any]) -> None:
    await assert_no_scan(db, lambda: SqliteCrons(db).count(
        assistant_id=None, thread_id=None, enabled=None, metadata=metadata))
    await assert_no_scan(db, lambda: SqliteAssistants(db).count(
        graph_ids=["agent"], graph_id=None, name=None, metadata=metadata))


def test_the_scan_pattern_tells_a_scan_from_an_index_walk() -> None:
    assert SCAN.search("SCAN threads")
    assert not SCAN.search("SCAN threads USING INDEX threads_by_updated")
    assert not SCAN.search("SCAN j0 VIRTUAL TABLE INDEX 1:")
    assert not SCAN.search("SEARCH threads USING INDEX sqlite_autoindex_threads_1 (thread_id=?)")
    assert sqlite3.sqlite_version_info >= (3, 35)


async def test_the_migration_indexes_the_threads_already_there(tmp_path: Path) -> None:
    from threadloom.server.storage.sqlite.schema import MIGRATIONS

    path = str(tmp_path / "old.sqlite")
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("CREATE TABLE threadloom_schema (version INTEGER NOT NULL)")
    members = next(i for i, script in enumerate(MIGRATIONS) if "thread_members" in script)
    for version, script in enumerate(MIGRATIONS[:members], start=1):
        old.executescript(f"BEGIN; {script}; INSERT INTO threadloom_schema VALUES ({version}); COMMIT;")
    old.execute(
        'INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at, metadata, status, config, "values", '
        "interrupts) VALUES ('t1', ?, ?, ?, '{\"user\": \"u1\"}', 'idle', '{}', '{\"n\": 1}', '{}')",
        (T0, T0, T0),
    )
    old.close()
    db = Database(path)
    try:
        threads = SqliteThreads(db)
        for where in ({"metadata": {"user": "u1"}}, {"values": {"n": 1}}):
            found = await threads.search(**{"ids": None, "metadata": None, "values": None, "status": None, **where}, limit=10, offset=0)
            assert [t.thread_id for t in found] == ["t1"]
        assert await threads.count(metadata={"user": "u2"}) == 0
    finally:
        db.close()


# Postgres ---------------------------------------------------------------------------------
# The same searches on the Postgres backend, explained with sequential scans disabled: a
# `Seq Scan` left in a plan then means no index can serve the query (on a small table the
# planner would rightly prefer a scan, so plain EXPLAIN would prove nothing).

PG_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


@pytest.fixture
async def pg_storage(tmp_path: Path) -> AsyncIterator[Any]:
    from storage_backends import BACKENDS

    if "postgres" not in BACKENDS:
        pytest.skip("no Postgres backend here")
    async with BACKENDS["postgres"](tmp_path) as storage:
        yield storage


async def pg_assert_no_scan(storage: Any, search: Callable[[], Awaitable[Any]]) -> None:
    db = storage._db  # the records' Database: its statements are caught where it sends them
    sent: list[tuple[str, Any]] = []
    fetchall, fetchone = db.fetchall, db.fetchone

    async def caught_all(sql: str, args: Any = ()) -> Any:
        sent.append((sql, args))
        return await fetchall(sql, args)

    async def caught_one(sql: str, args: Any = ()) -> Any:
        sent.append((sql, args))
        return await fetchone(sql, args)

    db.fetchall, db.fetchone = caught_all, caught_one
    try:
        await search()
    finally:
        db.fetchall, db.fetchone = fetchall, fetchone
    assert sent, "the search sent no statement"
    async with db.pool.connection() as conn:
        await conn.execute("SET enable_seqscan = off")
        for sql, args in sent:
            plan = "\n".join(r[0] for r in await (await conn.execute(f"EXPLAIN {sql}", args)).fetchall())
            assert not PG_SEQ_SCAN.search(plan), f"{sql}\nscans a table:\n{plan}"


@pytest.mark.parametrize("where", THREAD_FILTERS, ids=repr)
@pytest.mark.parametrize("sort_by", THREAD_SORTS)
async def test_on_postgres_a_page_of_threads_is_found_by_index(pg_storage: Any, where: dict[str, Any], sort_by: str) -> None:
    query = {"ids": None, "metadata": None, "values": None, "status": None, **where}
    await pg_assert_no_scan(pg_storage, lambda: pg_storage.threads.search(
        **query, limit=10, offset=10, sort_by=sort_by, sort_order="desc"))
    if where:
        await pg_assert_no_scan(pg_storage, lambda: pg_storage.threads.count(**where))


async def test_on_postgres_a_filtered_store_search_walks_the_items_newest_first(pg_storage: Any) -> None:
    """LangGraph's query of a store search with a filter matching many items: PostgreSQL
    reads the newest items until the page is full, not the whole namespace to sort it."""
    from langgraph.store.base import PutOp

    await pg_storage.store.abatch([PutOp(("docs", f"u{i % 10}"), f"item-{i}", {"kind": "abc"[i % 3]}) for i in range(3000)])
    async with pg_storage._db.pool.connection() as conn:
        await conn.execute("ANALYZE store")
        cur = await conn.execute(
            "EXPLAIN SELECT prefix, key, value FROM store WHERE prefix LIKE %s AND value->%s = %s::jsonb "
            "ORDER BY updated_at DESC LIMIT 10", ("docs%", "kind", '"a"'))
        plan = "\n".join(r[0] for r in await cur.fetchall())
    assert "Index Scan Backward using threadloom_store_updated_at" in plan and "Sort" not in plan, plan


async def test_on_postgres_tables_loaded_since_their_last_analyze_are_analyzed_at_a_start(pg_storage: Any) -> None:
    """Rows written just before a start (a restore, a bulk load): the planner gets their
    statistics at once, not when autovacuum comes by, and so the plans above."""
    from threadloom.server.storage.postgres.schema import analyze_stale

    async with pg_storage._db.pool.connection() as conn:
        await conn.execute("INSERT INTO store (prefix, key, value) SELECT 'docs', 'k' || i, '{}' FROM generate_series(1, 500) i")
        await conn.execute("SELECT pg_stat_force_next_flush()")  # this session's counts, flushed before it answers
        assert "store" in await analyze_stale(conn)
        assert "store" not in await analyze_stale(conn)
        cur = await conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'store' AND relnamespace = current_schema()::regnamespace")
        assert (await cur.fetchone())[0] == 500


async def test_on_postgres_threads_loaded_since_their_last_vacuum_are_vacuumed_at_a_start(pg_storage: Any) -> None:
    """Until a VACUUM marks their pages all-visible, a count of a status (a full page's
    `X-Pagination-Total`) reads the threads table whole instead of its status index."""
    from threadloom.server.storage.postgres.schema import analyze_stale

    async with pg_storage._db.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at, metadata, status, config, interrupts) "
            "SELECT 't' || i, '2030', '2030', '2030', '{}', (ARRAY['idle', 'busy', 'error'])[i % 3 + 1], '{}', '{}' "
            "FROM generate_series(1, 3000) i"
        )
        await conn.execute("SELECT pg_stat_force_next_flush()")
        assert "threads" in await analyze_stale(conn)
        await conn.execute("SELECT pg_stat_force_next_flush()")
        cur = await conn.execute("EXPLAIN (ANALYZE, FORMAT TEXT) SELECT count(*) FROM threads WHERE status = 'busy'")
        plan = "\n".join(r[0] for r in await cur.fetchall())
    assert "Index Only Scan using threads_by_status" in plan and "Heap Fetches: 0" in plan, plan
