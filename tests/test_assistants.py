"""The assistants API (reference §2.1, §1.3) through the real Python SDK, raw aiohttp for
wire details, against a real server: records, versions, search, deletion and what it
cascades to, graph drawings and schemas, and assistants taking effect in runs."""

from __future__ import annotations

import asyncio
import textwrap
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
)

SYSTEM_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
ASSISTANT_KEYS = ["assistant_id", "graph_id", "config", "context", "metadata", "name", "created_at", "updated_at",
                  "version", "description"]
VERSION_KEYS = ["assistant_id", "version", "graph_id", "config", "context", "metadata", "created_at", "name",
                "description"]
SCHEMA_KEYS = ["input_schema", "output_schema", "state_schema", "config_schema", "context_schema"]
TIMEOUT = 20


def system_id(graph_id: str) -> str:
    return str(uuid.uuid5(SYSTEM_NAMESPACE, graph_id))


async def raw(url: str, method: str, path: str, body: Any = None) -> tuple[int, Any, dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.request(method, url + path, json=body) as resp:
        data = await resp.json() if resp.content_type == "application/json" else await resp.text()
        return resp.status, data, dict(resp.headers)


async def until(check: Callable[[], Awaitable[Any]]) -> Any:
    async def loop() -> Any:
        while not (value := await check()):
            await asyncio.sleep(0.01)
        return value

    return await asyncio.wait_for(loop(), TIMEOUT)


async def snapshot(client: LangGraphClient) -> list[dict[str, Any]]:
    """Every assistant with its versions: what "bad input changes nothing" compares."""
    found = await client.assistants.search(limit=1000, sort_by="assistant_id")
    return [(a, await client.assistants.get_versions(a["assistant_id"], limit=1000)) for a in found]


# create and get ------------------------------------------------------------------------------


async def test_create_with_defaults(client: LangGraphClient) -> None:
    created = await client.assistants.create("counter")
    assert list(created) == ASSISTANT_KEYS
    assert uuid.UUID(created["assistant_id"]).version == 4
    assert created["graph_id"] == "counter"
    assert (created["config"], created["context"], created["metadata"]) == ({}, {}, {})
    assert (created["name"], created["description"], created["version"]) == ("Untitled", None, 1)
    assert created["created_at"] == created["updated_at"]
    assert await client.assistants.get(created["assistant_id"]) == created


async def test_create_with_everything_and_mirroring(client: LangGraphClient) -> None:
    aid = str(uuid.uuid4())
    created = await client.assistants.create(
        "counter", assistant_id=aid, name="Counter", description="counts",
        config={"configurable": {"tag": "blue", "langgraph_request_id": "x"}, "tags": ["t"], "recursion_limit": 5,
                "metadata": {"run_id": "dropped", "kept": 1}},
        metadata={"team": "a", "thread_id": "dropped"},
    )
    assert created["assistant_id"] == aid
    assert (created["name"], created["description"]) == ("Counter", "counts")
    # reserved keys are stripped silently; a non-empty configurable is mirrored into context
    assert created["config"] == {"configurable": {"tag": "blue"}, "tags": ["t"], "recursion_limit": 5,
                                 "metadata": {"kept": 1}}
    assert created["context"] == {"tag": "blue"}
    assert created["metadata"] == {"team": "a"}

    # a context alone is mirrored into config.configurable
    from_context = await client.assistants.create("counter", context={"tag": "red"}, config={"tags": ["u"]})
    assert from_context["config"] == {"tags": ["u"], "configurable": {"tag": "red"}}
    assert from_context["context"] == {"tag": "red"}


async def test_if_exists(client: LangGraphClient) -> None:
    first = await client.assistants.create("counter", name="first")
    aid = first["assistant_id"]
    before = await snapshot(client)
    with pytest.raises(ConflictError):
        await client.assistants.create("chat", assistant_id=aid, name="second")
    with pytest.raises(ConflictError):
        await client.assistants.create("chat", assistant_id=aid, if_exists="raise")
    assert await client.assistants.create("chat", assistant_id=aid, name="second", if_exists="do_nothing") == first
    with pytest.raises(ConflictError):  # system assistants are assistants too
        await client.assistants.create("chat", assistant_id=system_id("chat"))
    assert await snapshot(client) == before


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"graph_id": "nope"}, 404, "Graph 'nope' not found"),
        ({}, 422, "graph_id"),
        ({"graph_id": "counter", "assistant_id": "not-a-uuid"}, 422, "Invalid assistant ID: must be a UUID"),
        ({"graph_id": "counter", "config": {"configurable": {"a": 1}}, "context": {"b": 2}}, 400,
         "Cannot specify both configurable and context"),
        ({"graph_id": "counter", "config": "x"}, 422, "config"),
        ({"graph_id": "counter", "config": {"tags": "x"}}, 422, "config.tags"),
        ({"graph_id": "counter", "config": {"configurable": []}}, 422, "config.configurable"),
        ({"graph_id": "counter", "config": {"recursion_limit": "many"}}, 422, "config.recursion_limit"),
        ({"graph_id": "counter", "context": "x"}, 422, "context"),
        ({"graph_id": "counter", "metadata": [1]}, 422, "metadata"),
        ({"graph_id": "counter", "if_exists": "overwrite"}, 422, "if_exists"),
        ({"graph_id": "counter", "name": 5}, 422, "name"),
    ],
)
async def test_create_rejects_bad_input(
    url: str, client: LangGraphClient, body: dict[str, Any], status: int, detail: str
) -> None:
    before = await snapshot(client)
    got, data, _ = await raw(url, "POST", "/assistants", body)
    assert got == status and detail in data["detail"], data
    assert await snapshot(client) == before


async def test_get_errors(client: LangGraphClient) -> None:
    with pytest.raises(NotFoundError):
        await client.assistants.get(str(uuid.uuid4()))
    with pytest.raises(UnprocessableEntityError):
        await client.assistants.get("not-a-uuid")
    with pytest.raises(UnprocessableEntityError):  # a graph id is not accepted here (§1.3)
        await client.assistants.get("counter")


# update, versions, latest --------------------------------------------------------------------


async def test_patch_saves_a_new_version_each_time(client: LangGraphClient) -> None:
    created = await client.assistants.create(
        "counter", config={"configurable": {"a": 1}, "tags": ["x"]}, metadata={"m": 1, "keep": True}
    )
    aid = created["assistant_id"]

    v2 = await client.assistants.update(aid, metadata={"m": 2, "n": 3, "assistant_id": "dropped"})
    assert v2["version"] == 2
    assert v2["metadata"] == {"m": 2, "keep": True, "n": 3}  # merged key by key
    assert (v2["config"], v2["context"]) == (created["config"], created["context"])
    assert v2["created_at"] == created["created_at"] and v2["updated_at"] > created["updated_at"]

    # a context alone replaces config.configurable, and only that (the official server drops
    # the rest of the config here)
    v3 = await client.assistants.update(aid, context={"c": 3})
    assert (v3["version"], v3["config"], v3["context"]) == (3, {"configurable": {"c": 3}, "tags": ["x"]}, {"c": 3})

    # a config with a configurable replaces the config, mirrored into context
    v4 = await client.assistants.update(aid, config={"configurable": {"d": 4}})
    assert (v4["config"], v4["context"]) == ({"configurable": {"d": 4}}, {"d": 4})

    v5 = await client.assistants.update(aid, name="renamed", description="described", graph_id="chat")
    assert (v5["version"], v5["name"], v5["description"], v5["graph_id"]) == (5, "renamed", "described", "chat")
    assert v5["metadata"] == v2["metadata"] and v5["config"] == v4["config"]
    assert await client.assistants.get(aid) == v5


async def test_patch_rejects_bad_input(url: str, client: LangGraphClient) -> None:
    aid = (await client.assistants.create("counter", context={"a": 1}))["assistant_id"]
    before = await snapshot(client)
    with pytest.raises(NotFoundError):
        await client.assistants.update(str(uuid.uuid4()), name="x")
    with pytest.raises(NotFoundError):
        await client.assistants.update(aid, graph_id="nope")
    with pytest.raises(BadRequestError):
        await client.assistants.update(aid, config={"configurable": {"a": 2}}, context={"b": 2})
    with pytest.raises(UnprocessableEntityError):
        await client.assistants.update("counter", name="x")
    for body in ({"name": 5}, {"config": {"tags": "x"}}, {"metadata": "x"}, {"context": []}):
        status, data, _ = await raw(url, "PATCH", f"/assistants/{aid}", body)
        assert status == 422 and data["detail"], body
    assert await snapshot(client) == before


async def test_versions(url: str, client: LangGraphClient) -> None:
    aid = (await client.assistants.create("counter", metadata={"step": 1}))["assistant_id"]
    await client.assistants.update(aid, metadata={"step": 2, "odd": False})
    await client.assistants.update(aid, metadata={"step": 3, "odd": True})

    versions = await client.assistants.get_versions(aid)
    assert [v["version"] for v in versions] == [3, 2, 1]  # newest first
    assert all(list(v) == VERSION_KEYS for v in versions)
    assert [v["metadata"]["step"] for v in versions] == [3, 2, 1]
    assert versions[0]["created_at"] == (await client.assistants.get(aid))["updated_at"]
    assert [v["version"] for v in await client.assistants.get_versions(aid, limit=1, offset=1)] == [2]
    assert [v["version"] for v in await client.assistants.get_versions(aid, metadata={"odd": True})] == [3]
    # no matching version: an empty list (the official server answers 404, as if the assistant were missing)
    assert await client.assistants.get_versions(aid, metadata={"step": 9}) == []

    with pytest.raises(NotFoundError):
        await client.assistants.get_versions(str(uuid.uuid4()))
    with pytest.raises(UnprocessableEntityError):
        await client.assistants.get_versions("not-a-uuid")
    for body in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"metadata": 1}):
        status, _, _ = await raw(url, "POST", f"/assistants/{aid}/versions", body)
        assert status == 422, body


async def test_set_latest_restores_a_version(url: str, client: LangGraphClient) -> None:
    v1 = await client.assistants.create("counter", context={"tag": "one"}, metadata={"v": 1}, name="first")
    aid = v1["assistant_id"]
    await client.assistants.update(aid, context={"tag": "two"}, metadata={"v": 2}, name="second", graph_id="chat")

    restored = await client.assistants.set_latest(aid, 1)
    assert restored["version"] == 1
    assert (restored["name"], restored["metadata"], restored["config"]) == ("first", {"v": 1}, v1["config"])
    # the context and graph come back too (the official server keeps the current ones: a quirk)
    assert (restored["context"], restored["graph_id"]) == ({"tag": "one"}, "counter")
    assert restored["created_at"] == v1["created_at"] and restored["updated_at"] > v1["updated_at"]
    assert await client.assistants.get(aid) == restored

    # the next PATCH is numbered after the highest version, not after the current one
    assert (await client.assistants.update(aid, name="third"))["version"] == 3

    before = await snapshot(client)
    with pytest.raises(NotFoundError):
        await client.assistants.set_latest(aid, 9)
    with pytest.raises(NotFoundError):
        await client.assistants.set_latest(str(uuid.uuid4()), 1)
    status, _, _ = await raw(url, "POST", f"/assistants/{aid}/latest", {"version": "1"})
    assert status == 422
    # no version names none: a 404, with the official server's words
    status, answer, _ = await raw(url, "POST", f"/assistants/{aid}/latest", {})
    assert (status, answer) == (404, {"detail": f"Version None not found for assistant {aid}"})
    assert await snapshot(client) == before


# search and count ----------------------------------------------------------------------------


async def test_search_filters_sorts_and_selects(client: LangGraphClient) -> None:
    made = [
        await client.assistants.create("counter", name="Alpha Bot", metadata={"team": "x", "n": 1}),
        await client.assistants.create("counter", name="beta bot", metadata={"team": "y"}),
        await client.assistants.create("chat", name="Gamma", metadata={"team": "x", "n": 2}),
    ]
    ids = {a["assistant_id"] for a in made}

    assert {a["name"] for a in await client.assistants.search(name="BOT")} == {"Alpha Bot", "beta bot"}
    assert {a["name"] for a in await client.assistants.search(metadata={"team": "x"})} == {"Alpha Bot", "Gamma"}
    assert [a["name"] for a in await client.assistants.search(metadata={"team": "x", "n": 2})] == ["Gamma"]
    counters = await client.assistants.search(graph_id="counter", limit=100)
    assert {a["name"] for a in counters} == {"Alpha Bot", "beta bot", "counter"}

    by_name = await client.assistants.search(name="a", sort_by="name", sort_order="asc", limit=100)
    names = [a["name"] for a in by_name if a["assistant_id"] in ids]
    assert names == ["Alpha Bot", "beta bot", "Gamma"]  # case-insensitive order
    newest_first = [a["assistant_id"] for a in await client.assistants.search(limit=3)]
    assert newest_first == [a["assistant_id"] for a in reversed(made)]

    selected = await client.assistants.search(name="gamma", select=["name", "assistant_id"])
    assert selected == [{"assistant_id": made[2]["assistant_id"], "name": "Gamma"}]


async def test_search_pagination_headers_carry_the_real_total(url: str, client: LangGraphClient) -> None:
    for i in range(5):
        await client.assistants.create("counter", name=f"paged {i}")
    body = {"name": "paged", "limit": 2}
    status, page, headers = await raw(url, "POST", "/assistants/search", body)
    assert (status, len(page)) == (200, 2)
    # the official server sends offset+limit+1 here (a quirk); this is the real total
    assert (headers["X-Pagination-Total"], headers["X-Pagination-Next"]) == ("5", "2")
    _, page, headers = await raw(url, "POST", "/assistants/search", {**body, "offset": 4})
    assert len(page) == 1 and headers["X-Pagination-Total"] == "5" and "X-Pagination-Next" not in headers

    found = await client.assistants.search(name="paged", limit=3, response_format="object")
    assert len(found["assistants"]) == 3 and found["next"] == "3"


async def test_count(url: str, client: LangGraphClient) -> None:
    before = await client.assistants.count()
    assert before == len(await client.assistants.search(limit=1000)) > 1  # the system assistants
    await client.assistants.create("counter", name="Counted", metadata={"k": 1})
    await client.assistants.create("chat", name="counted too")
    assert await client.assistants.count() == before + 2
    assert await client.assistants.count(graph_id="counter") == 2
    assert await client.assistants.count(name="COUNTED") == 2
    assert await client.assistants.count(metadata={"k": 1}) == 1
    status, data, headers = await raw(url, "POST", "/assistants/count", {"graph_id": "chat"})
    assert (status, data) == (200, 2) and headers["Content-Type"].startswith("application/json")
    with pytest.raises(NotFoundError):
        await client.assistants.count(graph_id="nope")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"graph_id": "nope"}, 404),
        ({"limit": 0}, 422),
        ({"offset": -1}, 422),
        ({"sort_by": "version"}, 422),
        ({"sort_order": "up"}, 422),
        ({"select": ["bogus"]}, 422),
        ({"metadata": "x"}, 422),
    ],
)
async def test_search_rejects_bad_input(url: str, body: dict[str, Any], status: int) -> None:
    got, data, _ = await raw(url, "POST", "/assistants/search", body)
    assert got == status and data["detail"], data


# delete --------------------------------------------------------------------------------------


async def test_delete_removes_versions_and_crons(url: str, client: LangGraphClient) -> None:
    aid = (await client.assistants.create("counter"))["assistant_id"]
    await client.assistants.update(aid, name="v2")
    other = (await client.assistants.create("counter"))["assistant_id"]
    await client.crons.create(aid, schedule="0 0 1 1 *")
    await client.crons.create(other, schedule="0 0 1 1 *")

    status, data, _ = await raw(url, "DELETE", f"/assistants/{aid}")
    assert (status, data) == (204, "")
    with pytest.raises(NotFoundError):
        await client.assistants.get(aid)
    with pytest.raises(NotFoundError):
        await client.assistants.get_versions(aid)
    assert await client.crons.search(assistant_id=aid) == []
    assert len(await client.crons.search(assistant_id=other)) == 1
    assert (await client.assistants.get(other))["assistant_id"] == other

    status, data, _ = await raw(url, "DELETE", f"/assistants/{aid}")
    assert (status, data) == (404, {"detail": f"Assistant with ID {aid} not found"})
    with pytest.raises(UnprocessableEntityError):
        await client.assistants.delete("counter")


async def test_delete_threads(client: LangGraphClient) -> None:
    aid = (await client.assistants.create("counter"))["assistant_id"]
    used = [(await client.threads.create())["thread_id"] for _ in range(2)]
    for tid in used:
        await client.runs.wait(tid, aid, input={"log": ["x"]})
    untouched = (await client.threads.create(metadata={"note": "no runs"}))["thread_id"]
    elsewhere = (await client.threads.create())["thread_id"]
    await client.runs.wait(elsewhere, "counter", input={"log": ["x"]})

    await client.assistants.delete(aid)  # without delete_threads the threads stay
    for tid in used:
        assert (await client.threads.get(tid))["metadata"]["assistant_id"] == aid

    aid2 = (await client.assistants.create("counter"))["assistant_id"]
    await client.runs.wait(used[0], aid2, input={"log": ["y"]})  # now names aid2
    await client.assistants.delete(aid2, delete_threads=True)
    with pytest.raises(NotFoundError):
        await client.threads.get(used[0])
    assert (await client.threads.get(used[1]))["metadata"]["assistant_id"] == aid
    assert (await client.threads.get(untouched))["thread_id"] == untouched
    assert (await client.threads.get(elsewhere))["thread_id"] == elsewhere


async def test_delete_interrupts_pending_and_running_runs(client: LangGraphClient) -> None:
    aid = (await client.assistants.create("slow"))["assistant_id"]
    tid = (await client.threads.create())["thread_id"]
    running = await client.runs.create(tid, aid, input={"steps": 1000, "delay": 0.01, "tag": "a"})
    queued = await client.runs.create(tid, aid, input={"steps": 1, "tag": "b"}, multitask_strategy="enqueue")
    other_tid = (await client.threads.create())["thread_id"]
    bystander = await client.runs.create(other_tid, "slow", input={"steps": 1000, "delay": 0.01, "tag": "c"})

    async def is_running(thread_id: str, run_id: str) -> bool:
        return (await client.runs.get(thread_id, run_id))["status"] == "running"

    await until(lambda: is_running(tid, running["run_id"]))
    await until(lambda: is_running(other_tid, bystander["run_id"]))
    await client.assistants.delete(aid)

    async def settled(run_id: str) -> str | None:
        status = (await client.runs.get(tid, run_id))["status"]
        return None if status in ("pending", "running") else status

    assert await until(lambda: settled(running["run_id"])) == "interrupted"
    assert await until(lambda: settled(queued["run_id"])) == "interrupted"
    assert (await client.runs.get(other_tid, bystander["run_id"]))["status"] == "running"
    await client.runs.cancel(other_tid, bystander["run_id"], wait=True)


# runs use the assistant ----------------------------------------------------------------------


async def test_assistant_config_context_and_metadata_reach_runs(client: LangGraphClient) -> None:
    blue = await client.assistants.create("factory", config={"configurable": {"tag": "blue"}}, metadata={"owner": "a"})
    aid = blue["assistant_id"]
    assert await client.runs.wait(None, aid, input={}) == {"tag": "blue"}
    # a context-only assistant reaches the factory through the mirrored configurable
    red = await client.assistants.create("factory", context={"tag": "red"})
    assert await client.runs.wait(None, red["assistant_id"], input={}) == {"tag": "red"}
    # the run's own config wins over the assistant's
    assert await client.runs.wait(None, aid, input={}, config={"configurable": {"tag": "run"}}) == {"tag": "run"}

    # metadata: assistant < thread < run
    thread = await client.threads.create(metadata={"owner": "thread", "level": "thread"})
    run = await client.runs.create(thread["thread_id"], aid, input={}, metadata={"level": "run"})
    assert run["metadata"]["owner"] == "thread" and run["metadata"]["level"] == "run"
    assert run["assistant_id"] == aid
    await client.runs.join(thread["thread_id"], run["run_id"])
    run = await client.runs.create(None, aid, input={})
    assert run["metadata"]["owner"] == "a"

    # a PATCH takes effect on the next run; so does going back to an older version
    await client.assistants.update(aid, context={"tag": "green"})
    assert await client.runs.wait(None, aid, input={}) == {"tag": "green"}
    await client.assistants.set_latest(aid, 1)
    assert await client.runs.wait(None, aid, input={}) == {"tag": "blue"}


# graph, schemas, subgraphs -------------------------------------------------------------------


async def test_graph(url: str, client: LangGraphClient) -> None:
    drawn = await client.assistants.get_graph(system_id("nested"))
    assert drawn == {
        "nodes": [
            {"id": "__start__", "type": "runnable", "data": {"name": "__start__"}},
            {"id": "child", "type": "runnable", "data": {"name": "child"}},
            {"id": "outer", "type": "runnable", "data": {"name": "outer"}},
            {"id": "__end__"},
        ],
        "edges": [
            {"source": "__start__", "target": "child"},
            {"source": "child", "target": "outer"},
            {"source": "outer", "target": "__end__"},
        ],
    }
    assert await client.assistants.get_graph("nested") == drawn  # a graph id is accepted here (§1.3)
    mine = await client.assistants.create("nested")
    assert await client.assistants.get_graph(mine["assistant_id"]) == drawn
    for xray in (True, 1):
        xrayed = await client.assistants.get_graph("nested", xray=xray)
        assert "child:inner" in {n["id"] for n in xrayed["nodes"]}
    assert await client.assistants.get_graph("nested", xray=False) == drawn

    for query in ("xray=0", "xray=-1", "xray=abc"):
        status, data, _ = await raw(url, "GET", f"/assistants/nested/graph?{query}")
        assert (status, data) == (422, {"detail": "Invalid xray value"}), query
    with pytest.raises(NotFoundError):
        await client.assistants.get_graph(str(uuid.uuid4()))
    with pytest.raises(UnprocessableEntityError):
        await client.assistants.get_graph("nope")


async def test_schemas(client: LangGraphClient) -> None:
    schemas = await client.assistants.get_schemas(system_id("chat"))
    assert list(schemas) == ["graph_id", *SCHEMA_KEYS]
    assert schemas["graph_id"] == "chat"
    assert "messages" in schemas["input_schema"]["properties"]
    assert schemas["state_schema"]["title"] == "chat_state"
    assert schemas["state_schema"]["properties"]["messages"]["type"] == "array"
    assert (schemas["config_schema"], schemas["context_schema"]) == ({}, None)  # the graph has no context schema

    mine = await client.assistants.create("chat", context={"x": 1})
    assert await client.assistants.get_schemas(mine["assistant_id"]) == {**schemas}
    # a factory graph is built with the assistant's config to be described
    factory = await client.assistants.get_schemas(system_id("factory"))
    assert factory["state_schema"]["properties"] == {"tag": {"default": None, "title": "Tag", "type": "string"}}

    with pytest.raises(NotFoundError):
        await client.assistants.get_schemas(str(uuid.uuid4()))
    with pytest.raises(UnprocessableEntityError):  # unlike /graph, no graph id here (§1.3)
        await client.assistants.get_schemas("chat")


async def test_subgraphs(client: LangGraphClient) -> None:
    nested = system_id("nested")
    found = await client.assistants.get_subgraphs(nested)
    assert list(found) == ["child"] and list(found["child"]) == SCHEMA_KEYS
    assert found["child"]["state_schema"]["properties"]["trail"]["items"] == {"type": "string"}
    assert await client.assistants.get_subgraphs(nested, namespace="child") == found
    assert await client.assistants.get_subgraphs(nested, namespace="nope") == {}
    assert await client.assistants.get_subgraphs(nested, recurse=True) == found  # `child` has no subgraphs
    assert await client.assistants.get_subgraphs(system_id("chat")) == {}
    with pytest.raises(NotFoundError):
        await client.assistants.get_subgraphs(str(uuid.uuid4()))
    with pytest.raises(UnprocessableEntityError):
        await client.assistants.get_subgraphs("nested")


CONTEXT_GRAPH = '''
    """A graph with a context schema, an output schema and a subgraph with its own subgraph."""
    from dataclasses import dataclass

    from langgraph.graph import START, StateGraph
    from langgraph.runtime import Runtime
    from typing_extensions import TypedDict


    @dataclass
    class Settings:
        model: str = "small"


    class State(TypedDict, total=False):
        text: str


    class Answer(TypedDict):
        answer: str


    def node(state: State, runtime: Runtime[Settings]) -> dict:
        return {"answer": runtime.context.model}


    leaf = StateGraph(State).add_node("leaf_node", node).add_edge(START, "leaf_node").compile()
    middle = StateGraph(State).add_node("leaf", leaf).add_edge(START, "leaf").compile()
    graph = StateGraph(State, context_schema=Settings, output_schema=Answer)
    graph = graph.add_node("middle", middle).add_edge(START, "middle").compile()
'''


@pytest.fixture
async def project(tmp_path: Path) -> Path:
    (tmp_path / "assistants_context_graph.py").write_text(textwrap.dedent(CONTEXT_GRAPH))
    (tmp_path / "langgraph.json").write_text('{"graphs": {"described": "./assistants_context_graph.py:graph"}}')
    return tmp_path / "langgraph.json"


@pytest.fixture
async def sdk() -> AsyncIterator[Callable[[str], LangGraphClient]]:
    clients: list[LangGraphClient] = []

    def make(url: str) -> LangGraphClient:
        clients.append(get_client(url=url, api_key=None))
        return clients[-1]

    yield make
    for client in clients:
        await client.http.client.aclose()


async def test_schemas_of_a_graph_with_a_context_schema(make_server, sdk, project: Path) -> None:
    client = sdk(await make_server(config=project))
    schemas = await client.assistants.get_schemas(system_id("described"))
    settings = {"properties": {"model": {"default": "small", "title": "Model", "type": "string"}},
                "title": "Settings", "type": "object"}
    assert schemas["context_schema"] == settings
    assert schemas["config_schema"] == settings  # configurable is the context since LangGraph 1.0
    assert schemas["input_schema"] == {"properties": {"text": {"title": "Text", "type": "string"}},
                                       "title": "State", "type": "object"}
    assert schemas["output_schema"]["required"] == ["answer"]
    assert set(schemas["state_schema"]["properties"]) == {"text", "answer"}

    aid = system_id("described")
    assert list(await client.assistants.get_subgraphs(aid)) == ["middle"]
    assert list(await client.assistants.get_subgraphs(aid, recurse=True)) == ["middle", "middle|leaf"]
    assert list(await client.assistants.get_subgraphs(aid, namespace="middle|leaf", recurse=True)) == ["middle|leaf"]


# system assistants and hidden assistants ------------------------------------------------------


async def test_system_assistants_are_versioned_and_recreated_at_start(make_server, sdk, tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite")
    client = sdk(await make_server(db=db))
    [version] = await client.assistants.get_versions(system_id("counter"))
    assert (version["version"], version["metadata"], version["name"]) == (1, {"created_by": "system"}, "counter")
    patched = await client.assistants.update(system_id("counter"), name="renamed", metadata={"x": 1})
    assert patched["metadata"] == {"created_by": "system", "x": 1} and patched["version"] == 2
    mine = await client.assistants.create("counter", name="mine")
    await client.assistants.update(mine["assistant_id"], name="mine too")

    client = sdk(await make_server(db=db))  # a restart on the same database
    system = await client.assistants.get(system_id("counter"))
    assert (system["name"], system["metadata"], system["version"]) == ("counter", {"created_by": "system"}, 1)
    assert [v["version"] for v in await client.assistants.get_versions(system_id("counter"))] == [1]
    assert [v["version"] for v in await client.assistants.get_versions(mine["assistant_id"])] == [2, 1]


async def test_assistants_of_graphs_not_served_are_hidden_but_deletable(make_server, sdk, project: Path) -> None:
    db = str(project.parent / "db.sqlite")
    first = sdk(await make_server(db=db))
    aid = (await first.assistants.create("counter"))["assistant_id"]

    client = sdk(await make_server(db=db, config=project))  # serves only `described`
    assert [a["graph_id"] for a in await client.assistants.search(limit=100)] == ["described"]
    assert await client.assistants.count() == 1
    with pytest.raises(NotFoundError):
        await client.assistants.get(aid)
    with pytest.raises(NotFoundError):
        await client.assistants.update(aid, name="x")
    with pytest.raises(NotFoundError):
        await client.runs.create(None, aid, input={})
    await client.assistants.delete(aid)
    again = sdk(await make_server(db=db))  # serving its graph again: it is gone
    with pytest.raises(NotFoundError):
        await again.assistants.get(aid)
