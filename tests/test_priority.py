"""Run priority (`priority` in langgraph.json): the project's `@priority.assign` is asked at
a thread's first run without settings, its answer is stored on the thread, and with every
run slot taken (`--jobs 1`) the waiting run of the most urgent thread starts next (-5
first), FIFO among equals; a function that fails leaves the thread to be asked again."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import make_app
from langgraph_sdk import get_client

from threadloom.server.config import ConfigError

GUARD_SECONDS = 30.0  # how long to wait for a condition: not a timing assertion

GRAPH = """
    import asyncio
    from pathlib import Path
    from typing import TypedDict

    from langgraph.graph import START, StateGraph


    class State(TypedDict, total=False):
        name: str
        log: str
        hold: str


    async def work(state: State) -> State:
        if state.get("hold"):  # keep the only run slot until the test lets go
            while not Path(state["hold"]).exists():
                await asyncio.sleep(0.01)
        with open(state["log"], "a") as f:
            f.write(state["name"] + "\\n")
        return {}


    graph = StateGraph(State).add_node("work", work).add_edge(START, "work").compile()
"""

PRIORITY = """
    from pathlib import Path

    from langgraph_sdk import Priority

    priority = Priority()


    @priority.assign
    async def assign(ctx):
        p = ctx.thread_metadata.get("p")
        with open(Path(__file__).parent / "calls", "a") as f:
            name = ctx.thread_metadata.get("name", "-")
            f.write(f"{name} {ctx.graph_id} {ctx.thread_id} {ctx.run_metadata.get('tag', '-')} {ctx.user.identity or '-'}\\n")
        if p == "boom":
            raise RuntimeError("boom")
        if p == "out of range":
            return {"priority": 9}
        return None if p is None else {"priority": p, "fairness_group": "team"}
"""


def project(folder: Path, priority: str = PRIORITY, spec: str = "./priority.py:priority") -> Path:
    (folder / "graph.py").write_text(textwrap.dedent(GRAPH))
    (folder / "priority.py").write_text(textwrap.dedent(priority))
    config = folder / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"work": "./graph.py:graph"}, "priority": {"path": spec}}))
    return config


@pytest.fixture
async def url(aiohttp_server: Any, tmp_path: Path) -> str:
    server = await aiohttp_server(make_app(config=project(tmp_path), jobs=1, db=str(tmp_path / "db.sqlite")))
    return str(server.make_url("")).rstrip("/")


async def pending(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics", params={"format": "json"}) as resp:
        return int((await resp.json())["queue"]["n_pending"])


async def test_with_every_slot_taken_the_most_urgent_thread_runs_next(url: str, tmp_path: Path) -> None:
    client = get_client(url=url)
    log, calls, release = tmp_path / "log", tmp_path / "calls", tmp_path / "release"

    async def run(name: str, p: Any = None, *, hold: bool = False) -> tuple[str, str]:
        metadata = {"name": name, **({} if p is None else {"p": p})}
        thread = (await client.threads.create(metadata=metadata))["thread_id"]
        body = {"name": name, "log": str(log), **({"hold": str(release)} if hold else {})}
        created = await client.runs.create(thread, "work", input=body)
        return thread, created["run_id"]

    holder = await run("holder", hold=True)
    async with asyncio.timeout(GUARD_SECONDS):
        while await pending(url):  # the holder has the slot
            await asyncio.sleep(0.01)
    waiting = [await run(name, p) for name, p in
               [("late", 5), ("first", -5), ("plain", None), ("zero", 0), ("second", -5), ("boom", "boom"),
                ("range", "out of range"), ("three", 3)]]
    async with asyncio.timeout(GUARD_SECONDS):
        while await pending(url) < len(waiting):
            await asyncio.sleep(0.01)
    release.touch()
    for thread, run_id in [holder, *waiting]:
        await client.runs.join(thread, run_id)
    # -5 first, then 0 (the default for no answer, a failure and a refused answer) in
    # arrival order, then 3, then 5
    assert log.read_text().split() == ["holder", "first", "second", "plain", "zero", "boom", "range", "three", "late"]

    # asked once per thread: an answer is stored, None too (every key at its default);
    # asked again where it failed
    for thread, _ in [waiting[1], waiting[5], waiting[2]]:
        await client.runs.wait(thread, "work", input={"name": "again", "log": str(log)})
    asked = [line.split()[0] for line in calls.read_text().splitlines()]
    assert asked.count("first") == 1 and asked.count("boom") == 2 and asked.count("plain") == 1
    assert asked.count("holder") == 1
    assert f"first work {waiting[1][0]} - -" in calls.read_text().splitlines()


async def test_a_stateless_run_is_asked_without_a_thread_id(url: str, tmp_path: Path) -> None:
    client = get_client(url=url)
    await client.runs.wait(None, "work", input={"name": "once", "log": str(tmp_path / "log")}, metadata={"tag": "t"})
    assert (tmp_path / "calls").read_text().split() == ["-", "work", "None", "t", "-"]
    assert (tmp_path / "log").read_text().split() == ["once"]


@pytest.mark.parametrize(("priority", "spec", "expected"), [
    (PRIORITY, "./priority.ts:priority", "only a Python"),
    (PRIORITY, "./priority.py", "expected"),
    ("priority = 3\n", "./priority.py:priority", "not a langgraph_sdk.Priority"),
    ("from langgraph_sdk import Priority\npriority = Priority()\n", "./priority.py:priority", "no @priority.assign"),
])
def test_a_bad_priority_path_stops_the_server_with_one_line(tmp_path: Path, priority: str, spec: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_app(config=project(tmp_path, priority, spec))
    assert expected in str(caught.value) and "\n" not in str(caught.value)
