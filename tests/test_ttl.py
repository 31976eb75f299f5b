"""Threads' time-to-live (`checkpointer.ttl` in langgraph.json, the API's `ttl`): counted
from a thread's last update, applied by the sweep through the thread's supervisor. The
clock is driven (the sweep is told what time it is, updates are made under time-machine):
nothing here waits on the wall clock."""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from conftest import make_app
from pgtest import rows
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import NotFoundError

from threadloom.protocol import clock
from threadloom.server.config import ConfigError, load_project
from threadloom.server.context import TTL_SWEEPER

GUARD_SECONDS = 30.0  # how long to wait for a condition: not a timing assertion

GRAPH = """
    import asyncio
    from pathlib import Path
    from typing import Annotated, TypedDict
    import operator

    from langgraph.graph import START, StateGraph


    class State(TypedDict, total=False):
        log: Annotated[list[str], operator.add]
        hold: str


    async def work(state: State) -> State:
        if state.get("hold"):  # busy until the test lets go
            while not Path(state["hold"]).exists():
                await asyncio.sleep(0.01)
        return {"log": ["step"]}


    graph = StateGraph(State).add_node("work", work).add_edge(START, "work").compile()
"""


def project(folder: Path, ttl: dict[str, Any] | None = None) -> Path:
    (folder / "graph.py").write_text(textwrap.dedent(GRAPH))
    config = folder / "langgraph.json"
    raw: dict[str, Any] = {"graphs": {"work": "./graph.py:graph"}}
    if ttl is not None:
        raw["checkpointer"] = {"ttl": ttl}
    config.write_text(json.dumps(raw))
    return config


class Server:
    """A real server on a database file, the SDK client on it, and its sweep."""

    def __init__(self, url: str, sweep: Callable[[datetime], Awaitable[list[str]]], db: str) -> None:
        self.client: LangGraphClient = get_client(url=url)
        self.db = db
        self._sweep = sweep

    async def sweep(self, minutes_from_now: float) -> list[str]:
        return await self._sweep(clock.now() + timedelta(minutes=minutes_from_now))

    def rows(self, thread_id: str) -> dict[str, int]:
        """The thread's rows in the database, by table (LangGraph's Postgres saver calls
        its pending writes `checkpoint_writes`)."""
        writes = "checkpoint_writes" if self.db.startswith("postgresql://") else "writes"
        tables = {"threads": "threads", "runs": "runs", "checkpoints": "checkpoints", "writes": writes}
        return {
            name: int(rows(self.db, f"SELECT count(*) FROM {table} WHERE thread_id = ?", (thread_id,))[0][0])
            for name, table in tables.items()
        }


Serve = Callable[..., Awaitable[Server]]


@pytest.fixture
async def serve(aiohttp_server: Any, tmp_path: Path, database: Any) -> Serve:
    """On each backend (`database`: the test's SQLite file or Postgres database)."""
    running: list[Any] = []

    async def start(ttl: dict[str, Any] | None = None) -> Server:
        if running:  # one server per database file: a restart
            await running.pop().close()
        db = str(database(tmp_path / "db.sqlite"))
        server = await aiohttp_server(make_app(config=project(tmp_path, ttl), db=db))
        running.append(server)
        return Server(str(server.make_url("")).rstrip("/"), server.app[TTL_SWEEPER].sweep, db)

    return start


async def test_a_thread_past_its_ttl_is_deleted_with_its_runs_and_checkpoints(serve: Serve) -> None:
    server = await serve()
    client = server.client
    thread = (await client.threads.create(ttl={"strategy": "delete", "ttl": 10}))["thread_id"]
    other = (await client.threads.create())["thread_id"]  # no TTL: never swept
    for _ in range(2):
        await client.runs.wait(thread, "work", input={})
    await client.runs.wait(other, "work", input={})
    rows = server.rows(thread)
    assert rows["threads"] == 1 and rows["runs"] == 2 and rows["checkpoints"] > 0 and rows["writes"] > 0

    assert await server.sweep(9) == []
    assert await server.sweep(11) == [thread]
    with pytest.raises(NotFoundError):
        await client.threads.get(thread)
    assert server.rows(thread) == {"threads": 0, "runs": 0, "checkpoints": 0, "writes": 0}
    assert await server.sweep(10_000) == []
    assert server.rows(other)["checkpoints"] > 0 and len(await client.runs.list(other)) == 1


async def test_keep_latest_leaves_the_thread_its_latest_checkpoint_until_it_is_updated_again(serve: Serve) -> None:
    server = await serve()
    client = server.client
    thread = (await client.threads.create(ttl={"strategy": "keep_latest", "ttl": 10}))["thread_id"]
    for _ in range(3):
        await client.runs.wait(thread, "work", input={})
    assert len(await client.threads.get_history(thread, limit=100)) > 1

    assert await server.sweep(11) == [thread]
    assert len(await client.threads.get_history(thread, limit=100)) == 1
    assert server.rows(thread)["checkpoints"] == 1
    assert (await client.threads.get_state(thread))["values"]["log"] == ["step"] * 3
    assert (await client.threads.get(thread))["values"]["log"] == ["step"] * 3
    assert await server.sweep(10_000) == []  # pruned: left alone until its next update

    await client.runs.wait(thread, "work", input={})
    assert server.rows(thread)["checkpoints"] > 1
    assert await server.sweep(11) == [thread]
    assert server.rows(thread)["checkpoints"] == 1
    assert (await client.threads.get_state(thread))["values"]["log"] == ["step"] * 4


async def test_an_update_moves_the_expiry_and_patch_sets_the_ttl(serve: Serve) -> None:
    server = await serve()
    client = server.client
    thread = (await client.threads.create(ttl={"ttl": 10}))["thread_id"]
    with time_machine.travel(clock.now() + timedelta(minutes=8), tick=True):
        await client.threads.update(thread, metadata={"touched": True})
    assert await server.sweep(12) == []
    assert await server.sweep(19) == [thread]

    untimed = (await client.threads.create())["thread_id"]
    assert await server.sweep(10_000) == []
    await client.threads.update(untimed, metadata={}, ttl={"strategy": "keep_latest", "ttl": 60})
    await client.runs.wait(untimed, "work", input={})
    await client.runs.wait(untimed, "work", input={})
    assert await server.sweep(59) == []
    assert await server.sweep(61) == [untimed]
    rows = server.rows(untimed)
    assert (rows["threads"], rows["runs"], rows["checkpoints"]) == (1, 2, 1)


async def test_a_busy_thread_is_not_swept(serve: Serve, tmp_path: Path) -> None:
    server = await serve({"default_ttl": 10})
    client = server.client
    release = tmp_path / "release"
    thread = (await client.threads.create())["thread_id"]
    run = await client.runs.create(thread, "work", input={"hold": str(release)})
    async with asyncio.timeout(GUARD_SECONDS):
        while (await client.runs.get(thread, run["run_id"]))["status"] != "running":
            await asyncio.sleep(0.01)
    assert await server.sweep(10_000) == []
    release.touch()
    await client.runs.join(thread, run["run_id"])
    assert (await client.threads.get(thread))["status"] == "idle"
    assert await server.sweep(9) == []  # the run's end was an update
    assert await server.sweep(11) == [thread]


async def test_the_default_applies_to_threads_created_after_it_only(serve: Serve) -> None:
    server = await serve()
    before = (await server.client.threads.create())["thread_id"]
    server = await serve({"strategy": "delete", "default_ttl": 30, "sweep_interval_minutes": 60})
    client = server.client
    created = (await client.threads.create())["thread_id"]
    by_run = (await client.threads.create())["thread_id"]
    await client.runs.wait(by_run, "work", input={})
    new_by_run = "0b9a5a7e-3f5e-4c5e-9a51-1f6a8f2f3a11"
    await client.runs.wait(new_by_run, "work", input={}, if_not_exists="create")
    own = (await client.threads.create(ttl={"strategy": "keep_latest", "ttl": 120}))["thread_id"]
    stateless = await client.runs.wait(None, "work", input={})  # its thread is gone already
    assert stateless["log"] == ["step"]

    assert await server.sweep(29) == []
    assert sorted(await server.sweep(31)) == sorted([created, by_run, new_by_run])
    assert await server.sweep(121) == [own]
    assert await server.sweep(100_000) == []
    assert (await client.threads.get(before))["thread_id"] == before


async def test_a_sweep_takes_at_most_sweep_limit_threads_the_longest_expired_first(serve: Serve) -> None:
    server = await serve({"sweep_limit": 2})
    client = server.client
    threads = [(await client.threads.create(ttl={"ttl": minutes}))["thread_id"] for minutes in (30, 10, 20)]
    assert await server.sweep(60) == [threads[1], threads[2]]
    assert await server.sweep(60) == [threads[0]]


async def test_the_sweep_reads_an_index_of_the_threads_that_carry_a_ttl(serve: Serve) -> None:
    server = await serve()
    await server.client.threads.create(ttl={"ttl": 10})
    if server.db.startswith("postgresql://"):  # too few rows for the planner to choose it: the index itself
        (definition,) = rows(server.db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'threads_ttl_due'")[0]
        assert "(ttl_due)" in str(definition) and "WHERE (ttl_due IS NOT NULL)" in str(definition)
        return
    plan = rows(
        server.db, "EXPLAIN QUERY PLAN SELECT thread_id, ttl_strategy FROM threads WHERE ttl_due IS NOT NULL "
        "AND ttl_due <= julianday(?) AND status <> 'busy' ORDER BY ttl_due LIMIT ?", (clock.now_iso(), 10),
    )
    assert "USING INDEX threads_ttl_due" in str(plan[0][3])


async def test_a_ttl_that_is_not_positive_is_refused(serve: Serve) -> None:
    client = (await serve()).client
    for ttl in (0, -5):
        with pytest.raises(Exception, match="positive number of minutes") as raised:
            await client.threads.create(ttl={"ttl": ttl})
        assert raised.value.response.status_code == 422  # type: ignore[attr-defined]


@pytest.mark.parametrize(("ttl", "key"), [
    ({"strategy": "archive"}, "checkpointer.ttl.strategy"),
    ({"default_ttl": 0}, "checkpointer.ttl.default_ttl"),
    ({"default_ttl": "a day"}, "checkpointer.ttl.default_ttl"),
    ({"sweep_interval_minutes": 0}, "checkpointer.ttl.sweep_interval_minutes"),
    ({"sweep_limit": 0}, "checkpointer.ttl.sweep_limit"),
    ({"sweep_limit": 1.5}, "checkpointer.ttl.sweep_limit"),
])
def test_a_bad_ttl_setting_is_one_line_naming_its_key(tmp_path: Path, ttl: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_project(project(tmp_path, ttl))
    message = str(raised.value)
    assert key in message and "\n" not in message
