"""The PostgreSQL backend itself, on a real server (`pgtest`): migrations under concurrent
starts, the start-up errors, authorization filters compiled to SQL, and bad conditions
while serving (backends terminated, the database refusing connections, the pool
exhausted)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from langgraph_sdk import get_client
from psycopg_pool import AsyncConnectionPool

from pgtest import PostgresForTests, rows, with_dbname
from support import slow, until
from threadloom.protocol.filters import matches
from threadloom.protocol.resources import Thread
from threadloom.server.storage.postgres import PostgresStorage
from threadloom.server.storage.postgres.db import Database
from threadloom.server.storage.postgres.records import PostgresThreads
from threadloom.server.storage.postgres.schema import MIGRATIONS
from threadloom.server.storage.unavailable import StorageUnavailable

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = Path(__file__).parent / "graphs" / "langgraph.json"
START_LIMIT = 60.0


@pytest.fixture
def pg(postgres_for_tests: PostgresForTests) -> PostgresForTests:
    return postgres_for_tests


@pytest.fixture
def empty_database(pg: PostgresForTests) -> AsyncIterator[str]:
    """A database without any schema (not cloned from the migrated template)."""
    name = f"{pg.name}_empty_{os.urandom(3).hex()}"
    with psycopg.connect(pg.admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_dbname(pg.admin, name)
    yield url  # type: ignore[misc]
    pg.drop(url)


@pytest.fixture
def migrated_database(pg: PostgresForTests) -> AsyncIterator[str]:
    url = pg.new_database()
    yield url  # type: ignore[misc]
    pg.drop(url)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADLOOM_") and k != "DATABASE_URI"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


async def _start(*args: str, env: dict[str, str] | None = None) -> tuple[asyncio.subprocess.Process, str]:
    """A server process and its first line (the banner, or the error that stopped it)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--config", str(GRAPHS), "--port", "0", *args, cwd=ROOT,
        env=env or _env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), START_LIMIT)).decode()
    return proc, line


async def _exit(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--config", str(GRAPHS), "--port", "0", *args, cwd=ROOT,
        env=env or _env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), START_LIMIT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


# migrations ------------------------------------------------------------------------------------


async def test_several_servers_starting_at_once_on_an_empty_database_migrate_it_once(empty_database: str) -> None:
    starts = await asyncio.gather(*[_start("--db", empty_database) for _ in range(4)])
    try:
        for proc, line in starts:
            if "serving on" not in line:
                assert proc.stderr is not None
                pytest.fail(f"{line!r} {(await proc.stderr.read()).decode()[-3000:]}")
        assert rows(empty_database, "SELECT version FROM threadloom_schema ORDER BY version") == [
            (v,) for v in range(1, len(MIGRATIONS) + 1)
        ]
        # LangGraph's own setup ran once too: each of its versions recorded once
        for table in ("checkpoint_migrations", "store_migrations"):
            versions = [r[0] for r in rows(empty_database, f"SELECT v FROM {table} ORDER BY v")]
            assert versions == sorted(set(versions)) and versions, table
        # and they all serve the same data
        urls = [line.split("serving on ")[1].strip() for _, line in starts]
        created = await get_client(url=urls[0], api_key=None).threads.create(metadata={"by": "first"})
        for url in urls[1:]:
            assert (await get_client(url=url, api_key=None).threads.get(created["thread_id"]))["metadata"] == {"by": "first"}
    finally:
        for proc, _ in starts:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def test_a_schema_newer_than_the_code_refuses_to_start(migrated_database: str) -> None:
    with psycopg.connect(migrated_database, autocommit=True) as conn:
        conn.execute("INSERT INTO threadloom_schema (version) VALUES (%s)", (len(MIGRATIONS) + 1,))
    code, out, err = await _exit("--db", migrated_database)
    assert code != 0 and out == ""
    assert "Traceback" not in err
    [line] = err.strip().splitlines()
    assert line.startswith("threadloom: error: ") and "newer" in line and f"version {len(MIGRATIONS) + 1}" in line, line


async def test_a_database_server_that_is_down_at_start_up_is_one_line_and_a_non_zero_exit() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    url = f"postgresql://someone:secret@127.0.0.1:{port}/threadloom"
    for args, env in ((["--db", url], None), ([], _env(DATABASE_URI=url))):
        code, out, err = await _exit(*args, env=env)
        assert code != 0 and out == ""
        assert "Traceback" not in err and "secret" not in err
        [line] = err.strip().splitlines()
        assert line.startswith(f"threadloom: error: could not start: cannot connect to postgresql://127.0.0.1:{port}/threadloom"), line


async def test_semantic_store_search_without_pgvector_names_the_missing_extension(
    migrated_database: str, tmp_path: Path
) -> None:
    if rows(migrated_database, "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"):
        pytest.skip("this PostgreSQL has pgvector")
    (tmp_path / "embed.py").write_text("def embed(texts):\n    return [[1.0, 0.0] for _ in texts]\n")
    graph = str(Path(__file__).parent / "graphs" / "counter.py") + ":graph"
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"counter": graph}, "store": {"index": {"dims": 2, "embed": "./embed.py:embed"}}}))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--config", str(config), "--port", "0", "--db", migrated_database, cwd=ROOT,
        env=_env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), START_LIMIT)
    assert proc.returncode != 0 and out == b""
    [line] = err.decode().strip().splitlines()
    assert "`vector`" in line and "pgvector" in line and "store.index" in line, line


# queries ---------------------------------------------------------------------------------------

_METADATA = [
    {"owner": "alice", "n": 1, "tags": ["a", "b"], "flag": True},
    {"owner": "bob", "n": 1.0, "tags": ["b"], "flag": 1},
    {"owner": "carol", "n": 2, "tags": "a", "nested": {"x": [1, 2]}},
    {"owner": ["alice"], "n": "1", "tags": ["a", "b", "c"]},
    {"n": None, "nested": {"x": [1, 2], "y": 3}},
    {},
]
_FILTERS: list[dict[str, Any]] = [
    {"owner": "alice"},
    {"owner": {"$eq": "alice"}},
    {"n": 1},
    {"n": "1"},
    {"n": None},
    {"flag": True},
    {"flag": 1},
    {"tags": {"$contains": "a"}},
    {"tags": {"$contains": ["a", "b"]}},
    {"tags": ["b"]},
    {"nested": {"x": [1, 2]}},
    {"owner": "alice", "n": 1},
    {"$or": [{"owner": "bob"}, {"tags": {"$contains": "c"}}]},
    {"$and": [{"n": 1}, {"$or": [{"flag": True}, {"flag": 1}]}]},
    {"missing": "x"},
]


async def test_authorization_filters_compiled_to_sql_keep_what_the_python_filter_keeps(migrated_database: str) -> None:
    async with AsyncConnectionPool(migrated_database, min_size=1, max_size=2, kwargs={"autocommit": True}) as pool:
        threads = PostgresThreads(Database(pool))
        for i, metadata in enumerate(_METADATA):
            now = f"2026-01-01T00:00:0{i}+00:00"
            await threads.insert(Thread(
                thread_id=f"t{i}", created_at=now, updated_at=now, state_updated_at=now, metadata=metadata,
                status="idle", config={},
            ))
        for f in _FILTERS:
            found = await threads.search(ids=None, metadata=None, values=None, status=None, limit=100, offset=0, auth=f)
            expected = {f"t{i}" for i, m in enumerate(_METADATA) if matches(m, f)}
            assert {t.thread_id for t in found} == expected, f
            assert await threads.count(auth=f) == len(expected), f


async def test_a_page_of_a_metadata_search_is_served_by_the_indexes(migrated_database: str) -> None:
    with psycopg.connect(migrated_database, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO threads SELECT 't' || i, '2026-01-01T00:00:00+00:00', "
            # updated_at as threadloom writes it (ISO with an offset: the TTL column parses it)
            "to_char(timestamp '2026-01-01' + i * interval '1 second', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+00:00', '', "
            "json_build_object('owner', 'u' || (i % 1000)), 'idle', '{}', NULL, '{}', NULL FROM generate_series(1, 20000) i"
        )
        conn.execute("ANALYZE threads")
        for sql in (
            "SELECT thread_id FROM threads WHERE metadata_index @> '{\"owner\": \"u7\"}' ORDER BY updated_at DESC, thread_id DESC LIMIT 10",
            "SELECT thread_id FROM threads WHERE TRUE ORDER BY updated_at DESC, thread_id DESC LIMIT 10 OFFSET 0",
            "SELECT thread_id FROM threads WHERE status = 'busy' ORDER BY updated_at DESC, thread_id DESC LIMIT 10",
        ):
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql).fetchall())
            assert "Seq Scan" not in plan, plan


# bad conditions while serving ------------------------------------------------------------------


def _terminate(url: str) -> int:
    """Terminate every backend connected to the database of `url` but this one."""
    dbname = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    found = rows(
        url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()",
        (dbname,),
    )
    return int(found[0][0])  # type: ignore[call-overload]


async def test_terminated_backends_are_replaced_and_a_run_in_flight_goes_on(make_server: Any, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("a PostgreSQL condition")
    server_url = await make_server()
    client = get_client(url=server_url, api_key=None)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "slow", input=slow("t", 12, 0.1))
    await until(lambda: _has_items(client, thread["thread_id"]))
    assert _terminate(_DBS[server_url]) > 0
    # requests right after find the dead connections replaced, not a 503
    got = await asyncio.gather(*[client.threads.get(thread["thread_id"]) for _ in range(20)])
    assert {t["thread_id"] for t in got} == {thread["thread_id"]}
    await asyncio.sleep(0.3)
    assert _terminate(_DBS[server_url]) > 0  # again, with the run's next writes on fresh connections
    await asyncio.wait_for(client.runs.join(thread["thread_id"], run["run_id"]), 60)
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["items"] == [f"t:{i}" for i in range(12)]


async def _has_items(client: Any, tid: str) -> bool:
    state = await client.threads.get_state(tid)
    return bool((state["values"] or {}).get("items"))


_DBS: dict[str, str] = {}


@pytest.fixture
async def make_server(database: Any, aiohttp_server: Any) -> Any:
    """conftest's, remembering each server's database URL."""
    from conftest import make_app

    async def start(**settings: Any) -> str:
        settings["db"] = database(settings.get("db"))
        server = await aiohttp_server(make_app(**settings))
        url = str(server.make_url("")).rstrip("/")
        _DBS[url] = settings["db"]
        return url

    return start


async def test_a_database_refusing_connections_is_a_503_with_retry_after_then_runs_go_on(
    make_server: Any, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("a PostgreSQL condition")
    server_url = await make_server()
    db = _DBS[server_url]
    dbname = psycopg.conninfo.conninfo_to_dict(db)["dbname"]
    admin = with_dbname(db, "postgres")
    client = get_client(url=server_url, api_key=None)
    thread = await client.threads.create()
    tid = thread["thread_id"]
    run = await client.runs.create(tid, "slow", input=slow("o", 20, 0.1))
    await until(lambda: _has_items(client, tid))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS false')
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,)
        )
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server_url}/threads/{tid}") as resp:
                assert resp.status == 503, await resp.text()
                assert int(resp.headers["Retry-After"]) > 0
                assert "detail" in await resp.json()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS true')
    await asyncio.wait_for(client.runs.join(tid, run["run_id"]), 90)
    assert (await client.runs.get(tid, run["run_id"]))["status"] == "success"
    assert (await client.threads.get_state(tid))["values"]["items"] == [f"o:{i}" for i in range(20)]
    assert (await client.threads.get(tid))["status"] == "idle"


async def test_an_exhausted_pool_queues_requests_up_to_a_bound_then_refuses(migrated_database: str) -> None:
    async with AsyncConnectionPool(
        migrated_database, min_size=1, max_size=1, max_waiting=1, timeout=0.5, kwargs={"autocommit": True}
    ) as pool:
        threads = PostgresThreads(Database(pool))
        async with pool.connection():  # the one connection, busy
            waiting = asyncio.create_task(threads.get("x"))
            await asyncio.sleep(0.05)
            with pytest.raises(StorageUnavailable):  # beyond the queue: at once
                await asyncio.wait_for(threads.get("y"), 0.3)
            with pytest.raises(StorageUnavailable):  # queued, then out of time
                await waiting
        assert await threads.get("x") is None  # free again


async def test_storage_opened_twice_on_one_database_agrees_on_the_schema(migrated_database: str) -> None:
    first, second = await asyncio.gather(PostgresStorage.open(migrated_database), PostgresStorage.open(migrated_database))
    try:
        assert await first.threads.get("none") is None and await second.threads.get("none") is None
    finally:
        await first.close()
        await second.close()


async def test_a_unit_of_work_commits_its_writes_together_or_not_at_all(migrated_database: str) -> None:
    storage = await PostgresStorage.open(migrated_database)
    now = "2026-01-01T00:00:00+00:00"

    def thread(tid: str) -> Thread:
        return Thread(thread_id=tid, created_at=now, updated_at=now, state_updated_at=now, metadata={}, status="idle", config={})

    try:
        with pytest.raises(RuntimeError):
            async with storage.atomic():
                await storage.threads.insert(thread("a"))
                async with storage.atomic():  # joins the outer unit
                    await storage.threads.insert(thread("b"))
                assert await storage.threads.get("b") is not None  # its own writes, seen inside
                raise RuntimeError("abandon")
        assert await storage.threads.get("a") is None and await storage.threads.get("b") is None
        async with storage.atomic():
            await storage.threads.insert(thread("c"))
            # another task does not see it before the end of the unit
            assert await asyncio.create_task(storage.threads.get("c")) is None
        assert await storage.threads.get("c") is not None
    finally:
        await storage.close()
