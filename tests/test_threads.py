"""Threads and assistants basics through the real Python SDK (reference §1.3, §2.1–2.3),
and every payload the SDK sends by default is accepted with the reference shapes."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from langgraph_sdk.errors import ConflictError, NotFoundError, UnprocessableEntityError

SYSTEM_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
GRAPHS = ["chat", "counter", "slow", "asker", "failing", "custom", "nested", "factory"]

THREAD_KEYS_IN_ORDER = ("thread_id", "created_at", "updated_at", "state_updated_at", "metadata", "status", "config", "values")
THREAD_KEYS = set(THREAD_KEYS_IN_ORDER)
THREAD_KEYS_AFTER_RUN = {"error", "interrupts"}
RUN_KEYS = {"run_id", "thread_id", "assistant_id", "metadata", "status", "kwargs", "multitask_strategy",
            "created_at", "updated_at", "langsmith_session_name"}
RUN_KWARGS_KEYS = {"input", "command", "config", "context", "stream_mode", "interrupt_before", "interrupt_after",
                   "webhook", "feedback_keys", "temporary", "subgraphs", "resumable", "checkpoint_during", "durability"}
ASSISTANT_KEYS = {"assistant_id", "graph_id", "config", "context", "metadata", "name", "created_at", "updated_at",
                  "version", "description"}
STATE_KEYS = {"values", "next", "tasks", "metadata", "created_at", "checkpoint", "parent_checkpoint", "interrupts",
              "checkpoint_id", "parent_checkpoint_id"}
TASK_KEYS = {"id", "name", "path", "error", "interrupts", "checkpoint", "state", "result"}
EMPTY_STATE = {"values": {}, "next": [], "tasks": [], "metadata": None, "created_at": None, "checkpoint": None,
               "parent_checkpoint": None, "interrupts": [], "checkpoint_id": None, "parent_checkpoint_id": None}


def system_id(graph_id: str) -> str:
    return str(uuid.uuid5(SYSTEM_NAMESPACE, graph_id))


def timestamp(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0, value
    return moment


def assert_thread(thread: dict[str, Any]) -> None:
    assert THREAD_KEYS <= set(thread) <= THREAD_KEYS | THREAD_KEYS_AFTER_RUN, set(thread) ^ THREAD_KEYS
    assert str(uuid.UUID(thread["thread_id"])) == thread["thread_id"]
    assert timestamp(thread["created_at"]) <= timestamp(thread["updated_at"])
    timestamp(thread["state_updated_at"])
    assert thread["status"] in ("idle", "busy", "interrupted", "error")
    assert isinstance(thread["metadata"], dict) and isinstance(thread["config"], dict)


def assert_new_thread(thread: dict[str, Any]) -> None:
    assert_thread(thread)
    assert set(thread) == THREAD_KEYS  # no `error`, no `interrupts` yet (as the official server)
    assert thread["status"] == "idle" and thread["values"] is None and thread["config"] == {}
    assert thread["created_at"] == thread["updated_at"]
    assert uuid.UUID(thread["thread_id"]).version == 7


def assert_run(run: dict[str, Any], *, thread_id: str | None, graph_id: str) -> None:
    assert set(run) == RUN_KEYS, set(run) ^ RUN_KEYS
    assert set(run["kwargs"]) == RUN_KWARGS_KEYS, set(run["kwargs"]) ^ RUN_KWARGS_KEYS
    assert uuid.UUID(run["run_id"]).version == 7
    if thread_id is not None:
        assert run["thread_id"] == thread_id
    assert run["assistant_id"] == system_id(graph_id)
    assert run["metadata"]["assistant_id"] == system_id(graph_id)
    assert run["status"] in ("pending", "running", "success")
    assert run["multitask_strategy"] == "enqueue"
    assert run["kwargs"]["stream_mode"] == ["values"]
    assert run["kwargs"]["durability"] == "async"
    configurable = run["kwargs"]["config"]["configurable"]
    assert configurable["run_id"] == run["run_id"] and configurable["graph_id"] == graph_id
    timestamp(run["created_at"])


def assert_state(state: dict[str, Any], thread_id: str) -> None:
    assert set(state) == STATE_KEYS, set(state) ^ STATE_KEYS
    assert state["checkpoint"] == {"checkpoint_id": state["checkpoint_id"], "thread_id": thread_id, "checkpoint_ns": ""}
    if state["parent_checkpoint_id"] is None:
        assert state["parent_checkpoint"] is None
    else:
        assert state["parent_checkpoint"] == {
            "checkpoint_id": state["parent_checkpoint_id"], "thread_id": thread_id, "checkpoint_ns": ""}
    for task in state["tasks"]:
        assert set(task) == TASK_KEYS, set(task) ^ TASK_KEYS
    assert {"source", "step", "parents"} <= set(state["metadata"])
    timestamp(state["created_at"])


# SDK default payloads ---------------------------------------------------------------------------


async def test_sdk_threads_create_with_its_default_payloads(client) -> None:
    plain = await client.threads.create()
    assert_new_thread(plain)
    assert plain["metadata"] == {}

    with_meta = await client.threads.create(metadata={"user": "ann", "n": 1, "nested": {"a": [1, 2]}})
    assert_new_thread(with_meta)
    assert with_meta["metadata"] == {"user": "ann", "n": 1, "nested": {"a": [1, 2]}}

    with_graph = await client.threads.create(graph_id="counter")  # the SDK puts it in metadata
    assert with_graph["metadata"] == {"graph_id": "counter"}

    given = "0196b0d2-0000-7000-8000-0000000000a1"
    raised = await client.threads.create(thread_id=given, if_exists="raise", metadata={"k": "v"}, graph_id="chat")
    assert raised["thread_id"] == given
    assert raised["metadata"] == {"k": "v", "graph_id": "chat"}

    for thread in (plain, with_meta, with_graph, raised):
        assert await client.threads.get(thread["thread_id"]) == thread


async def test_sdk_runs_with_their_default_payloads(client) -> None:
    thread = await client.threads.create()
    tid = thread["thread_id"]

    run = await client.runs.create(tid, "counter", input={"log": []})
    assert_run(run, thread_id=tid, graph_id="counter")
    assert run["kwargs"]["input"] == {"log": []}
    assert run["kwargs"]["temporary"] is False
    await client.runs.join(tid, run["run_id"])
    done = await client.runs.get(tid, run["run_id"])
    assert_run(done, thread_id=tid, graph_id="counter")
    assert done["status"] == "success"

    parts = [part async for part in client.runs.stream(tid, "counter", input={"log": []})]
    assert [p.event for p in parts][0] == "metadata"
    assert {p.event for p in parts[1:]} == {"values"}
    assert parts[-1].data == {"log": ["first", "second", "first", "second"], "count": 4}

    assert await client.runs.wait(tid, "counter", input={}) == {"log": ["first", "second"] * 3, "count": 6}

    # stateless: the SDK sends no thread, and the same defaults
    stateless = await client.runs.create(None, "counter", input={"log": []})
    assert_run(stateless, thread_id=None, graph_id="counter")
    assert stateless["kwargs"]["temporary"] is True
    parts = [part async for part in client.runs.stream(None, "counter", input={"log": ["s"]})]
    assert parts[-1].data == {"log": ["s", "first", "second"], "count": 2}
    assert await client.runs.wait(None, "counter", input={"log": ["w"]}) == {"log": ["w", "first", "second"], "count": 2}

    runs = await client.runs.list(tid)
    assert len(runs) == 3
    for listed in runs:
        assert_run(listed, thread_id=tid, graph_id="counter")


# what a run body may send as null (null: left out), as on the official server; any other
# field refuses it (its API description says no null), and `strict_resume` is unknown to both
RUN_NULLABLE = ["input", "command", "checkpoint_id", "langsmith_tracer", "strict_resume"]
RUN_NOT_NULLABLE = ["metadata", "config", "context", "checkpoint", "checkpoint_during", "durability",
                    "interrupt_before", "interrupt_after", "webhook", "feedback_keys", "stream_mode",
                    "stream_subgraphs", "stream_resumable", "multitask_strategy", "if_not_exists", "after_seconds"]


async def test_run_payloads_with_null_fields_as_on_the_official_server(url: str) -> None:
    """Null means "left out" where the official server takes it (its API description says
    so); elsewhere it is a 422 with the official text, before anything is created."""
    nulls: dict[str, Any] = dict.fromkeys(RUN_NULLABLE)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/threads", json={}) as resp:
            assert resp.status == 200
            thread = await resp.json()
        assert_new_thread(thread)
        tid = thread["thread_id"]
        async with http.post(f"{url}/threads/{tid}/runs", json={**nulls, "assistant_id": "counter"}) as resp:
            assert resp.status == 200, await resp.text()
            run = await resp.json()
        assert_run(run, thread_id=tid, graph_id="counter")
        async with http.post(f"{url}/threads/{tid}/runs/wait", json={**nulls, "assistant_id": "counter", "input": {"log": []}}) as resp:
            assert resp.status == 200
            assert json.loads(await resp.read()) == {"log": ["first", "second"], "count": 2}
        async with http.post(f"{url}/runs/wait", json={**nulls, "assistant_id": "counter", "input": {"log": ["x"]}}) as resp:
            assert resp.status == 200
            assert json.loads(await resp.read()) == {"log": ["x", "first", "second"], "count": 2}
        for path in (f"/threads/{tid}/runs/stream", "/runs/stream"):
            async with http.post(url + path, json={**nulls, "assistant_id": "counter", "input": {"log": []}}) as resp:
                assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
                body = (await resp.read()).decode()
            assert body.startswith("event: metadata\r\n") and "event: values\r\n" in body
        for field in RUN_NOT_NULLABLE:
            async with http.post(f"{url}/threads/{tid}/runs", json={"assistant_id": "counter", field: None}) as resp:
                assert resp.status == 422, field
                detail = (await resp.json())["detail"]
            assert detail.startswith("null is not ") and f'in schema["properties"]["{field}"]' in detail, detail
        async with http.post(f"{url}/threads/{tid}/runs", json={"assistant_id": "counter", "metadata": None}) as resp:
            assert (await resp.json())["detail"] == (
                'null is not of type "object"\n\nFailed validating "type" in schema["properties"]["metadata"]'
                '\n\nOn instance["metadata"]:\n    null'
            )
        async with http.post(f"{url}/threads", json={"metadata": None}) as resp:
            assert resp.status == 422
        async with http.patch(f"{url}/threads/{tid}", json={"metadata": {"k": 1}}) as resp:
            assert resp.status == 200
            assert (await resp.json())["metadata"] == {"graph_id": "counter", "assistant_id": system_id("counter"), "k": 1}
        runs = await (await http.get(f"{url}/threads/{tid}/runs")).json()
        assert len(runs) == 3  # the refused ones made none


# assistants ------------------------------------------------------------------------------------


async def test_system_assistants(client) -> None:
    found = await client.assistants.search(limit=100)
    by_graph = {a["graph_id"]: a for a in found}
    assert set(GRAPHS) <= set(by_graph)
    assert len(found) == len(by_graph)  # one per graph
    for graph_id in GRAPHS:
        assistant = by_graph[graph_id]
        assert set(assistant) == ASSISTANT_KEYS, set(assistant) ^ ASSISTANT_KEYS
        assert assistant["assistant_id"] == system_id(graph_id)
        assert assistant["metadata"] == {"created_by": "system"}
        assert assistant["name"] == graph_id  # compiled graphs keep the default name "LangGraph"
        assert assistant["version"] == 1
        assert assistant["config"] == {} and assistant["context"] == {}
        timestamp(assistant["created_at"])
        assert await client.assistants.get(system_id(graph_id)) == assistant

    [counter] = await client.assistants.search(graph_id="counter")
    assert counter == by_graph["counter"]
    assert await client.assistants.search(metadata={"created_by": "nobody"}) == []
    assert len(await client.assistants.search(metadata={"created_by": "system"}, limit=100)) == len(found)
    page = await client.assistants.search(limit=2, offset=1)
    assert page == found[1:3]

    with pytest.raises(NotFoundError):
        await client.assistants.get(str(uuid.uuid4()))
    with pytest.raises(UnprocessableEntityError):
        await client.assistants.get("counter")


async def test_assistants_search_pagination_headers(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/assistants/search", json={"limit": 3, "offset": 1}) as resp:
            assert resp.status == 200
            assert len(await resp.json()) == 3
            assert resp.headers["X-Pagination-Next"] == "4"
        async with http.post(f"{url}/assistants/search", json={"graph_id": "counter"}) as resp:
            assert resp.headers["X-Pagination-Total"] == "1"
            assert "X-Pagination-Next" not in resp.headers
        async with http.post(f"{url}/assistants/search", json={"select": ["assistant_id", "graph_id"], "graph_id": "chat"}) as resp:
            assert await resp.json() == [{"assistant_id": system_id("chat"), "graph_id": "chat"}]


# create, get, patch, delete --------------------------------------------------------------------


async def test_create_with_a_given_id_conflicts_or_does_nothing(client) -> None:
    given = "0196b0d2-0000-7000-8000-0000000000b2"
    first = await client.threads.create(thread_id=given, metadata={"v": 1})
    assert first["thread_id"] == given

    with pytest.raises(ConflictError) as info:
        await client.threads.create(thread_id=given, metadata={"v": 2})
    assert given in str(info.value)
    with pytest.raises(ConflictError):  # the same UUID spelled differently is the same thread
        await client.threads.create(thread_id=given.upper())

    same = await client.threads.create(thread_id=given, metadata={"v": 3}, if_exists="do_nothing")
    assert same == first
    assert await client.threads.get(given) == first
    assert [t["thread_id"] for t in await client.threads.search(limit=100)] == [given]

    fresh = await client.threads.create(thread_id="0196b0d2-0000-7000-8000-0000000000b3", if_exists="do_nothing")
    assert fresh["thread_id"] == "0196b0d2-0000-7000-8000-0000000000b3"


async def test_get_and_patch_merge_metadata(client, url: str) -> None:
    thread = await client.threads.create(metadata={"a": 1, "b": {"x": 1}})
    tid = thread["thread_id"]
    assert await client.threads.get(tid) == thread
    assert await client.threads.get(tid.upper()) == thread

    patched = await client.threads.update(tid, metadata={"b": {"y": 2}, "c": 3})
    assert_thread(patched)
    assert patched["metadata"] == {"a": 1, "b": {"y": 2}, "c": 3}  # shallow merge
    assert timestamp(patched["updated_at"]) >= timestamp(thread["updated_at"])
    assert patched["created_at"] == thread["created_at"]

    # reserved keys are stripped, not rejected (§1.1)
    patched = await client.threads.update(tid, metadata={"thread_id": "x", "run_id": "y", "d": 4})
    assert patched["metadata"] == {"a": 1, "b": {"y": 2}, "c": 3, "d": 4}
    assert await client.threads.get(tid) == patched

    async with aiohttp.ClientSession() as http:
        async with http.patch(f"{url}/threads/{tid}", json={"metadata": {"e": 5}}, headers={"Prefer": "return=minimal"}) as resp:
            assert resp.status == 204
            assert await resp.read() == b""
        async with http.patch(f"{url}/threads/{tid}", json={}) as resp:
            assert resp.status == 200
            assert (await resp.json())["metadata"] == {"a": 1, "b": {"y": 2}, "c": 3, "d": 4, "e": 5}

    with pytest.raises(NotFoundError):
        await client.threads.update(str(uuid.uuid4()), metadata={"a": 1})


async def test_error_and_interrupts_come_with_the_first_state_as_on_the_official_server(client, url: str) -> None:
    """A thread's body has `error` and `interrupts` (after `values`, in this order) once a
    run has ended or its state was set, never before: not on create, get, search, patch,
    nor while its first run waits. A state update clears a failed run's error."""
    tid = (await client.threads.create(metadata={"k": 1}))["thread_id"]
    pending = await client.runs.create(tid, "counter", input={}, after_seconds=3600)

    async def bodies() -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as http:  # raw: the keys and their order as sent
            async with http.get(f"{url}/threads/{tid}") as resp:
                got = json.loads(await resp.read())
            async with http.post(f"{url}/threads/search", json={"ids": [tid]}) as resp:
                [found] = json.loads(await resp.read())
            async with http.patch(f"{url}/threads/{tid}", json={"metadata": {"k": 2}}) as resp:
                patched = json.loads(await resp.read())
        return [got, found, patched]

    assert [list(b) for b in await bodies()] == [list(THREAD_KEYS_IN_ORDER)] * 3
    assert (await client.threads.get(tid))["status"] == "busy"
    await client.runs.cancel(tid, pending["run_id"])  # cancelled before it started: still no state
    assert [list(b) for b in await bodies()] == [list(THREAD_KEYS_IN_ORDER)] * 3

    await client.runs.wait(tid, "failing", input={}, raise_error=False)
    for body in await bodies():
        assert list(body) == [*THREAD_KEYS_IN_ORDER, "error", "interrupts"]
        assert (body["error"], body["interrupts"]) == ({"error": "ValueError", "message": "kaboom"}, {})
    await client.threads.update_state(tid, {"delay": 0})
    for body in await bodies():
        assert (body["status"], body["error"], body["interrupts"]) == ("interrupted", None, {})


async def test_delete_removes_the_thread_its_runs_and_its_checkpoints(client, url: str) -> None:
    tid = "0196b0d2-0000-7000-8000-0000000000c4"
    await client.threads.create(thread_id=tid, graph_id="counter")
    await client.runs.wait(tid, "counter", input={"log": []})
    [run] = await client.runs.list(tid)
    other = await client.threads.create()
    await client.runs.wait(other["thread_id"], "counter", input={"log": []})

    async with aiohttp.ClientSession() as http:
        async with http.delete(f"{url}/threads/{tid}") as resp:
            assert resp.status == 204 and await resp.read() == b""
    with pytest.raises(NotFoundError):
        await client.threads.get(tid)
    with pytest.raises(NotFoundError):
        await client.threads.delete(tid)
    with pytest.raises(NotFoundError):
        await client.runs.list(tid)
    with pytest.raises(NotFoundError):
        await client.runs.get(tid, run["run_id"])
    with pytest.raises(NotFoundError):
        await client.threads.get_state(tid)
    assert tid not in [t["thread_id"] for t in await client.threads.search(limit=100)]

    # the same id again is a brand-new thread: no runs, no state left over
    again = await client.threads.create(thread_id=tid, graph_id="counter")
    assert_new_thread(again)
    assert await client.runs.list(tid) == []
    assert await client.threads.get_state(tid) == EMPTY_STATE
    assert await client.threads.get_history(tid) == []
    assert await client.runs.wait(tid, "counter", input={}) == {"log": ["first", "second"], "count": 2}

    # the other thread is untouched
    assert len(await client.runs.list(other["thread_id"])) == 1
    assert (await client.threads.get_state(other["thread_id"]))["values"]["count"] == 2


# search ----------------------------------------------------------------------------------------


async def test_search_by_metadata_status_and_ids(client) -> None:
    team = [await client.threads.create(metadata={"team": "a", "n": i}) for i in range(3)]
    loner = await client.threads.create(metadata={"team": "b", "n": 0})
    interrupted = await client.threads.create(metadata={"team": "c"})
    await client.runs.wait(interrupted["thread_id"], "asker", input={})
    failed = await client.threads.create(metadata={"team": "c"})
    await client.runs.wait(failed["thread_id"], "failing", input={}, raise_error=False)

    def ids(threads: list[dict[str, Any]]) -> set[str]:
        return {t["thread_id"] for t in threads}

    assert ids(await client.threads.search(metadata={"team": "a"})) == ids(team)
    assert ids(await client.threads.search(metadata={"team": "a", "n": 1})) == {team[1]["thread_id"]}
    assert ids(await client.threads.search(metadata={"n": 0})) == {team[0]["thread_id"], loner["thread_id"]}
    assert await client.threads.search(metadata={"team": "z"}) == []
    assert ids(await client.threads.search(status="interrupted")) == {interrupted["thread_id"]}
    assert ids(await client.threads.search(status="error")) == {failed["thread_id"]}
    assert ids(await client.threads.search(status="idle", limit=100)) == ids(team) | {loner["thread_id"]}
    assert await client.threads.search(status="busy") == []
    assert ids(await client.threads.search(metadata={"team": "c"}, status="error")) == {failed["thread_id"]}
    assert ids(await client.threads.search(metadata={"graph_id": "asker"})) == {interrupted["thread_id"]}
    chosen = [team[0]["thread_id"], loner["thread_id"], str(uuid.uuid4())]
    assert ids(await client.threads.search(ids=chosen)) == set(chosen[:2])
    assert ids(await client.threads.search(ids=chosen, metadata={"team": "b"})) == {loner["thread_id"]}

    everything = await client.threads.search(limit=100)
    assert len(everything) == 6
    for thread in everything:
        assert_thread(thread)
    pages = [await client.threads.search(limit=2, offset=o) for o in (0, 2, 4, 6)]
    assert [len(p) for p in pages] == [2, 2, 2, 0]
    assert [t["thread_id"] for p in pages for t in p] == [t["thread_id"] for t in everything]
    # newest activity first (the official in-memory order: updated_at desc)
    stamps = [timestamp(t["updated_at"]) for t in everything]
    assert stamps == sorted(stamps, reverse=True)


# state and history ------------------------------------------------------------------------------


async def test_state_of_an_empty_thread_is_the_exact_empty_shape(client, url: str) -> None:
    for thread in (await client.threads.create(), await client.threads.create(graph_id="counter")):
        assert await client.threads.get_state(thread["thread_id"]) == EMPTY_STATE
        assert await client.threads.get_history(thread["thread_id"]) == []
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/threads/{thread['thread_id']}/state") as resp:
            assert resp.status == 200
            raw = await resp.read()
    assert raw == (b'{"values":{},"next":[],"tasks":[],"metadata":null,"created_at":null,"checkpoint":null,'
                   b'"parent_checkpoint":null,"interrupts":[],"checkpoint_id":null,"parent_checkpoint_id":null}')


async def test_state_after_runs(client) -> None:
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "counter", input={"log": ["in"]})
    state = await client.threads.get_state(tid)
    assert_state(state, tid)
    assert state["values"] == {"log": ["in", "first", "second"], "count": 2}
    assert state["next"] == [] and state["tasks"] == [] and state["interrupts"] == []
    assert state["metadata"]["step"] == 2 and state["metadata"]["source"] == "loop"
    assert state["metadata"]["graph_id"] == "counter"
    thread = await client.threads.get(tid)
    assert thread["values"] == state["values"] and thread["status"] == "idle"

    asked = (await client.threads.create())["thread_id"]
    await client.runs.wait(asked, "asker", input={"question": "who?"})
    state = await client.threads.get_state(asked)
    assert_state(state, asked)
    assert state["next"] == ["ask"]
    [task] = state["tasks"]
    assert task["name"] == "ask" and task["error"] is None
    assert [i["value"] for i in task["interrupts"]] == ["who?"]
    assert state["interrupts"] == task["interrupts"]
    assert set(state["interrupts"][0]) == {"value", "id"}  # REST shapes omit a null response_schema (§3.8)

    failed = (await client.threads.create())["thread_id"]
    await client.runs.wait(failed, "failing", input={}, raise_error=False)
    state = await client.threads.get_state(failed)
    [task] = state["tasks"]
    assert task["name"] == "explode" and task["error"] == "ValueError('kaboom')"


async def test_history_newest_first_with_limit_and_before(client, url: str) -> None:
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "counter", input={"log": ["one"]})
    await client.runs.wait(tid, "counter", input={"log": ["two"]})

    history = await client.threads.get_history(tid, limit=100)  # the SDK sends {"limit": …}
    assert len(history) == 8  # per run: input, first... : input(-1), 0, 1, 2
    for state in history:
        assert_state(state, tid)
    steps = [s["metadata"]["step"] for s in history]
    assert steps == [6, 5, 4, 3, 2, 1, 0, -1]
    assert history[0] == await client.threads.get_state(tid)
    for newer, older in zip(history, history[1:]):
        assert newer["parent_checkpoint_id"] == older["checkpoint_id"]
    assert history[-1]["parent_checkpoint"] is None

    assert await client.threads.get_history(tid) == history[:10]  # SDK default limit 10
    assert await client.threads.get_history(tid, limit=3) == history[:3]

    async with aiohttp.ClientSession() as http:
        async def post(body: dict[str, Any]) -> list[dict[str, Any]]:
            async with http.post(f"{url}/threads/{tid}/history", json=body) as resp:
                assert resp.status == 200, await resp.text()
                return await resp.json()

        assert await post({}) == history[:1]  # the server's own default is 1 (§2.2)

        pivot = history[3]
        expected = history[4:6]
        assert await post({"limit": 2, "before": {"configurable": {"checkpoint_id": pivot["checkpoint_id"]}}}) == expected
        # The flat form (what the SDK sends for `before=<Checkpoint>`) is a 500 on the official
        # in-memory server (reference §2.2, §7.1); it is accepted here.
        assert await post({"limit": 2, "before": pivot["checkpoint"]}) == expected
        assert await client.threads.get_history(tid, limit=2, before=pivot["checkpoint"]) == expected
        # a bare checkpoint id is no CheckpointConfig: a 422, as on the official server (GET takes one)
        async with http.post(f"{url}/threads/{tid}/history", json={"before": pivot["checkpoint_id"]}) as resp:
            assert resp.status == 422
            assert (await resp.json())["detail"] == (
                f'"{pivot["checkpoint_id"]}" is not of type "object"\n\nFailed validating "type" in '
                f'schema["components"]["schemas"]["CheckpointConfig"]\n\nOn instance["before"]:\n    "{pivot["checkpoint_id"]}"'
            )
        with pytest.raises(UnprocessableEntityError):
            await client.threads.get_history(tid, limit=2, before=pivot["checkpoint_id"])

        assert await post({"limit": 100, "before": {"checkpoint_id": history[-1]["checkpoint_id"]}}) == []
        # `checkpoint` narrows the listing as LangGraph's `aget_state_history(config)` does: a
        # namespace selects a subgraph's history, a checkpoint id that one checkpoint
        assert await post({"limit": 3, "checkpoint": {"checkpoint_id": pivot["checkpoint_id"]}}) == [pivot]
        assert await post({"limit": 3, "checkpoint": {"checkpoint_ns": ""}}) == history[:3]
        # metadata filters
        inputs = await post({"limit": 100, "metadata": {"source": "input"}})
        assert [s["checkpoint_id"] for s in inputs] == [s["checkpoint_id"] for s in history if s["metadata"]["source"] == "input"]
        assert len(inputs) == 2
    with pytest.raises(NotFoundError):
        await client.threads.get_history(str(uuid.uuid4()))
