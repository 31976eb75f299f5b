"""Stream modes (reference §5.2–5.5, §3.8, §4) through the real langgraph-sdk client:
the exact sequence of SSE event names per mode and combination, and their payloads."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest
from langgraph_sdk.errors import UnprocessableEntityError

CHAT_INPUT = {"messages": [{"role": "user", "content": "hi there"}]}
# The fake model streams "You said: hi there" word by word, spaces as their own chunks.
TOKENS = ["You", " ", "said:", " ", "hi", " ", "there"]


async def run_stream(client: Any, graph: str, thread_id: str | None = None, **kwargs: Any) -> tuple[str, list[tuple[str, Any]]]:
    """Stream a run on a new thread (or `thread_id`); returns (run_id, [(event, data)])."""
    if thread_id is None:
        thread_id = (await client.threads.create())["thread_id"]
    created: list[str] = []
    parts: list[tuple[str, Any]] = []

    async def consume() -> None:
        async for part in client.runs.stream(thread_id, graph, on_run_created=lambda m: created.append(m["run_id"]), **kwargs):
            parts.append((part.event, part.data))

    await asyncio.wait_for(consume(), timeout=30)
    assert len(created) == 1
    return created[0], parts


def names(parts: list[tuple[str, Any]]) -> list[str]:
    return [event for event, _ in parts]


def of(parts: list[tuple[str, Any]], event: str) -> list[Any]:
    return [data for name, data in parts if name == event]


def assert_metadata_first(run_id: str, parts: list[tuple[str, Any]]) -> None:
    assert parts[0] == ("metadata", {"run_id": run_id, "attempt": 1})
    assert names(parts).count("metadata") == 1


# values / updates / stream_mode forms ------------------------------------------------------------


async def test_default_mode_is_values(client):
    run_id, parts = await run_stream(client, "counter", input={"log": ["a"]})
    assert_metadata_first(run_id, parts)
    assert parts[1:] == [
        ("values", {"log": ["a"]}),
        ("values", {"log": ["a", "first"], "count": 1}),
        ("values", {"log": ["a", "first", "second"], "count": 2}),
    ]


async def test_updates_mode_given_as_a_single_string(client):
    run_id, parts = await run_stream(client, "counter", input={"log": ["a"]}, stream_mode="updates")
    assert_metadata_first(run_id, parts)
    assert parts[1:] == [
        ("updates", {"first": {"log": ["first"], "count": 1}}),
        ("updates", {"second": {"log": ["second"], "count": 2}}),
    ]


async def test_values_and_updates_interleave_in_production_order(client):
    _, parts = await run_stream(client, "counter", input={"log": ["a"]}, stream_mode=["updates", "values"])
    assert names(parts) == ["metadata", "values", "updates", "values", "updates", "values"]
    assert parts[2] == ("updates", {"first": {"log": ["first"], "count": 1}})
    assert parts[5] == ("values", {"log": ["a", "first", "second"], "count": 2})


@pytest.mark.parametrize("mode", ["nonsense", "tools", "lifecycle"])
async def test_invalid_stream_mode_is_422(client, url, mode):
    thread = await client.threads.create()
    with pytest.raises(UnprocessableEntityError):
        async for _ in client.runs.stream(thread["thread_id"], "counter", input={}, stream_mode=["values", mode]):
            pass
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{url}/threads/{thread['thread_id']}/runs/stream",
            json={"assistant_id": "counter", "input": {}, "stream_mode": mode},
        )
        assert resp.status == 422
        assert resp.content_type == "application/json"
        assert "stream_mode" in (await resp.json())["detail"]
    # nothing was created
    assert await client.runs.list(thread["thread_id"]) == []


# messages-tuple ----------------------------------------------------------------------------------


async def test_values_messages_tuple_updates_combination(client):
    """Reference §5.2's observed example: metadata → values → messages… → updates → values."""
    thread = await client.threads.create()
    tid = thread["thread_id"]
    run_id, parts = await run_stream(client, "chat", tid, input=CHAT_INPUT, stream_mode=["values", "messages-tuple", "updates"])
    assert_metadata_first(run_id, parts)
    assert names(parts) == ["metadata", "values"] + ["messages"] * len(TOKENS) + ["updates", "values"]

    [human] = parts[1][1]["messages"]
    assert human["type"] == "human" and human["content"] == "hi there"

    chunks = of(parts, "messages")
    assert all(isinstance(pair, list) and len(pair) == 2 for pair in chunks)
    assert [msg["content"] for msg, _ in chunks] == TOKENS
    assert {msg["type"] for msg, _ in chunks} == {"AIMessageChunk"}
    [ai_id] = {msg["id"] for msg, _ in chunks}
    assert ai_id
    assert chunks[-1][0]["chunk_position"] == "last"
    assert all(msg["tool_call_chunks"] == [] for msg, _ in chunks)

    meta = chunks[0][1]
    assert meta["langgraph_node"] == "model"
    assert meta["langgraph_step"] == 1
    assert meta["checkpoint_ns"].startswith("model:")
    assert meta["langgraph_checkpoint_ns"] == meta["checkpoint_ns"]
    assert meta["run_id"] == run_id
    assert meta["thread_id"] == tid
    assert meta["graph_id"] == "chat"
    assert meta["run_attempt"] == 1
    assert meta["assistant_id"] == (await client.assistants.search(graph_id="chat"))[0]["assistant_id"]

    [update] = of(parts, "updates")
    [ai] = update["model"]["messages"]
    assert ai["type"] == "ai" and ai["id"] == ai_id and ai["content"] == "You said: hi there"
    final = parts[-1][1]["messages"]
    assert [m["type"] for m in final] == ["human", "ai"]
    assert final[1] == ai
    state = await client.threads.get_state(tid)
    assert state["values"]["messages"] == final


# legacy messages -----------------------------------------------------------------------------------


async def test_legacy_messages_accumulates_partials(client):
    run_id, parts = await run_stream(client, "chat", input=CHAT_INPUT, stream_mode="messages")
    assert_metadata_first(run_id, parts)
    assert names(parts) == ["metadata", "messages/metadata"] + ["messages/partial"] * len(TOKENS)

    [meta] = of(parts, "messages/metadata")
    [(msg_id, entry)] = meta.items()
    assert entry["metadata"]["langgraph_node"] == "model"
    assert entry["metadata"]["run_id"] == run_id

    partials = of(parts, "messages/partial")
    assert all(len(p) == 1 for p in partials)
    expected = ["".join(TOKENS[: i + 1]) for i in range(len(TOKENS))]
    assert [p[0]["content"] for p in partials] == expected
    assert expected[:3] == ["You", "You ", "You said:"]
    # accumulated chunks are sent as full (non-chunk) messages, always with the same id
    assert {p[0]["type"] for p in partials} == {"ai"}
    assert {p[0]["id"] for p in partials} == {msg_id}
    assert all("tool_call_chunks" not in p[0] for p in partials)


async def test_legacy_messages_complete_and_never_namespaced(client):
    """A subgraph's streamed tokens give `messages/partial` (no `|ns` even with
    stream_subgraphs); a message a node returns directly gives metadata + complete."""
    run_id, parts = await run_stream(
        client, "talker", input={"messages": [{"role": "user", "content": "hi"}]}, stream_mode="messages", stream_subgraphs=True
    )
    assert_metadata_first(run_id, parts)
    assert names(parts) == [
        "metadata",
        "messages/metadata",
        "messages/partial",
        "messages/partial",
        "messages/partial",
        "messages/metadata",
        "messages/complete",
    ]
    assert [p[0]["content"] for p in of(parts, "messages/partial")] == ["Hello", "Hello ", "Hello there"]
    streamed_meta, returned_meta = of(parts, "messages/metadata")
    [(streamed_id, streamed)] = streamed_meta.items()
    assert streamed["metadata"]["langgraph_node"] == "speak"
    assert streamed["metadata"]["checkpoint_ns"].startswith("inner:")
    assert list(returned_meta) == ["announce-1"]
    assert returned_meta["announce-1"]["metadata"]["langgraph_node"] == "announce"
    [[complete]] = of(parts, "messages/complete")
    assert complete["id"] == "announce-1" and complete["type"] == "ai" and complete["content"] == "done"
    assert streamed_id != "announce-1"


async def test_messages_tuple_is_namespaced_for_subgraphs(client):
    _, parts = await run_stream(
        client, "talker", input={"messages": [{"role": "user", "content": "hi"}]}, stream_mode=["messages-tuple", "tasks"], stream_subgraphs=True
    )
    [inner_task_id] = [d["id"] for n, d in parts if n == "tasks" and d["name"] == "inner" and "input" in d]
    ns = f"inner:{inner_task_id}"
    messages = [(n, d) for n, d in parts if n.startswith("messages")]
    assert [n for n, _ in messages] == [f"messages|{ns}"] * 3 + ["messages"]
    assert [d[0]["content"] for _, d in messages] == ["Hello", " ", "there", "done"]
    assert [d[0]["type"] for _, d in messages] == ["AIMessageChunk"] * 3 + ["ai"]
    assert messages[0][1][1]["checkpoint_ns"].startswith(ns)
    # tasks of the subgraph are namespaced too; the root ones are not
    assert [n for n, d in parts if n.startswith("tasks")] == ["tasks", f"tasks|{ns}", f"tasks|{ns}", "tasks", "tasks", "tasks"]


# custom / debug / tasks / checkpoints ---------------------------------------------------------------


async def test_custom_mode(client):
    run_id, parts = await run_stream(client, "custom", input={"count": 3}, stream_mode="custom")
    assert_metadata_first(run_id, parts)
    assert parts[1:] == [("custom", {"i": 0}), ("custom", {"i": 1}), ("custom", {"i": 2})]


async def test_custom_with_values(client):
    _, parts = await run_stream(client, "custom", input={"count": 2}, stream_mode=["custom", "values"])
    assert parts[1:] == [
        ("values", {"count": 2}),
        ("custom", {"i": 0}),
        ("custom", {"i": 1}),
        ("values", {"count": 2, "sent": 2}),
    ]


async def test_debug_mode_checkpoints_are_enriched(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    run_id, parts = await run_stream(client, "counter", tid, input={"log": ["a"]}, stream_mode="debug")
    assert_metadata_first(run_id, parts)
    debug = of(parts, "debug")
    assert len(debug) == len(parts) - 1
    assert [(d["type"], d["step"]) for d in debug] == [
        ("checkpoint", -1),
        ("checkpoint", 0),
        ("task", 1),
        ("task_result", 1),
        ("checkpoint", 1),
        ("task", 2),
        ("task_result", 2),
        ("checkpoint", 2),
    ]
    assert all(isinstance(d["timestamp"], str) and d["timestamp"].endswith("+00:00") for d in debug)

    checkpoints = [d["payload"] for d in debug if d["type"] == "checkpoint"]
    previous = None
    for payload in checkpoints:
        conf = payload["config"]["configurable"]
        assert payload["checkpoint"] == {"checkpoint_id": conf["checkpoint_id"], "thread_id": tid, "checkpoint_ns": ""}
        assert payload["parent_checkpoint"] == previous
        previous = payload["checkpoint"]
    assert checkpoints[0]["parent_config"] is None
    assert [c["values"] for c in checkpoints] == [
        {"log": []},
        {"log": ["a"]},
        {"log": ["a", "first"], "count": 1},
        {"log": ["a", "first", "second"], "count": 2},
    ]
    assert [c["next"] for c in checkpoints] == [["__start__"], ["first"], ["second"], []]
    assert [c["metadata"]["source"] for c in checkpoints] == ["input", "loop", "loop", "loop"]
    state = await client.threads.get_state(tid)
    assert state["checkpoint"]["checkpoint_id"] == checkpoints[-1]["checkpoint"]["checkpoint_id"]

    task, result = debug[2]["payload"], debug[3]["payload"]
    assert task["name"] == "first" and task["input"] == {"log": ["a"]} and task["triggers"] == ["branch:to:first"]
    assert result == {"id": task["id"], "name": "first", "error": None, "result": {"log": ["first"], "count": 1}, "interrupts": []}
    assert checkpoints[1]["tasks"][0]["id"] == task["id"]


async def test_debug_subgraph_task_state_becomes_checkpoint(client):
    """A checkpoint's task that runs a subgraph carries the subgraph's checkpoint config
    as `checkpoint` (LangGraph's `state`), as the official server sends it."""
    thread = await client.threads.create()
    tid = thread["thread_id"]
    _, parts = await run_stream(client, "nested", tid, input={"trail": ["s"]}, stream_mode="debug", stream_subgraphs=True)
    root = [d["payload"] for n, d in parts if n == "debug" and d["type"] == "checkpoint"]
    [child_task] = root[1]["tasks"]
    assert child_task["name"] == "child"
    assert "state" not in child_task
    assert child_task["checkpoint"] == {"thread_id": tid, "checkpoint_ns": f"child:{child_task['id']}"}

    sub = [d["payload"] for n, d in parts if n == f"debug|child:{child_task['id']}" and d["type"] == "checkpoint"]
    assert len(sub) == 3
    assert all(p["checkpoint"]["checkpoint_ns"] == f"child:{child_task['id']}" for p in sub)
    assert all(p["checkpoint"]["checkpoint_map"][""] == root[1]["checkpoint"]["checkpoint_id"] for p in sub)


async def test_tasks_mode(client):
    run_id, parts = await run_stream(client, "counter", input={"log": ["a"]}, stream_mode="tasks")
    assert_metadata_first(run_id, parts)
    tasks = of(parts, "tasks")
    assert len(tasks) == len(parts) - 1 == 4
    start1, end1, start2, end2 = tasks
    assert {k: start1[k] for k in ("name", "input", "triggers")} == {"name": "first", "input": {"log": ["a"]}, "triggers": ["branch:to:first"]}
    assert start1["metadata"]["run_id"] == run_id
    assert end1 == {"id": start1["id"], "name": "first", "error": None, "result": {"log": ["first"], "count": 1}, "interrupts": []}
    assert start2["name"] == "second" and start2["input"] == {"log": ["a", "first"], "count": 1}
    assert end2 == {"id": start2["id"], "name": "second", "error": None, "result": {"log": ["second"], "count": 2}, "interrupts": []}


async def test_checkpoints_mode_is_the_native_shape(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    run_id, parts = await run_stream(client, "counter", tid, input={"log": ["a"]}, stream_mode="checkpoints")
    assert_metadata_first(run_id, parts)
    checkpoints = of(parts, "checkpoints")
    assert len(checkpoints) == len(parts) - 1 == 4
    for payload in checkpoints:
        assert set(payload) == {"config", "parent_config", "values", "metadata", "next", "tasks"}
        assert payload["config"]["configurable"]["thread_id"] == tid
    assert [c["next"] for c in checkpoints] == [["__start__"], ["first"], ["second"], []]
    assert checkpoints[-1]["values"] == {"log": ["a", "first", "second"], "count": 2}
    assert checkpoints[0]["parent_config"] is None
    for parent, child in zip(checkpoints, checkpoints[1:]):
        assert child["parent_config"]["configurable"]["checkpoint_id"] == parent["config"]["configurable"]["checkpoint_id"]
    assert checkpoints[1]["tasks"][0]["name"] == "first"
    assert set(checkpoints[1]["tasks"][0]) == {"id", "name", "interrupts", "state"}
    state = await client.threads.get_state(tid)
    assert state["checkpoint"]["checkpoint_id"] == checkpoints[-1]["config"]["configurable"]["checkpoint_id"]


# events -----------------------------------------------------------------------------------------------


async def test_events_mode_forwards_events_and_still_translates_root_chunks(client):
    run_id, parts = await run_stream(client, "counter", input={"log": ["a"]}, stream_mode=["events", "values", "updates"])
    assert_metadata_first(run_id, parts)
    # the other requested modes come out exactly as without `events`
    _, plain = await run_stream(client, "counter", input={"log": ["a"]}, stream_mode=["values", "updates"])
    assert [p for p in parts if p[0] != "events"][1:] == plain[1:]

    events = of(parts, "events")
    for event in events:
        assert {"event", "name", "run_id", "tags", "metadata", "data", "parent_ids"} <= set(event)
    assert events[0]["event"] == "on_chain_start" and events[0]["name"] == "counter"
    assert events[0]["run_id"] == run_id and events[0]["parent_ids"] == []
    assert events[0]["data"] == {"input": {"log": ["a"]}}
    assert events[-1]["event"] == "on_chain_end" and events[-1]["run_id"] == run_id
    assert events[-1]["data"]["output"] == {"log": ["a", "first", "second"], "count": 2}
    # the root graph's own stream chunks are translated, not forwarded raw
    assert not [e for e in events if e["event"] == "on_chain_stream" and e["run_id"] == run_id]
    node_ends = [(e["name"], e["data"]["output"]) for e in events if e["event"] == "on_chain_end" and e["run_id"] != run_id]
    assert ("first", {"log": ["first"], "count": 1}) in node_ends
    assert ("second", {"log": ["second"], "count": 2}) in node_ends
    assert all(e["parent_ids"] == [run_id] for e in events if e["name"] in ("first", "second"))
    # the node's `updates` comes after that node's events
    first_end = parts.index(next(p for p in parts if p[0] == "events" and p[1]["event"] == "on_chain_end" and p[1]["name"] == "first"))
    assert parts.index(("updates", {"first": {"log": ["first"], "count": 1}})) > first_end


async def test_events_mode_alone_and_with_messages_tuple(client):
    _, parts = await run_stream(client, "chat", input=CHAT_INPUT, stream_mode="events")
    assert set(names(parts)) == {"metadata", "events"}
    streamed = [e["data"]["chunk"]["content"] for e in of(parts, "events") if e["event"] == "on_chat_model_stream"]
    assert streamed == TOKENS
    [end] = [e for e in of(parts, "events") if e["event"] == "on_chat_model_end"]
    assert end["data"]["output"]["content"] == "You said: hi there"

    _, parts = await run_stream(client, "chat", input=CHAT_INPUT, stream_mode=["events", "messages-tuple"])
    assert [d[0]["content"] for d in of(parts, "messages")] == TOKENS
    model_streams = [e for e in of(parts, "events") if e["event"] == "on_chat_model_stream"]
    assert len(model_streams) == len(TOKENS)


# subgraphs ------------------------------------------------------------------------------------------


async def test_stream_subgraphs_namespaces_subgraph_events(client):
    _, parts = await run_stream(client, "nested", input={"trail": ["s"]}, stream_mode=["values", "updates", "tasks"], stream_subgraphs=True)
    [child_id] = [d["id"] for n, d in parts if n == "tasks" and d["name"] == "child" and "input" in d]
    ns = f"|child:{child_id}"
    assert names(parts) == [
        "metadata",
        "values",
        "tasks",  # child starts
        f"values{ns}",
        f"tasks{ns}",
        f"updates{ns}",
        f"tasks{ns}",
        f"values{ns}",
        "updates",
        "tasks",  # child result
        "values",
        "tasks",
        "updates",
        "tasks",
        "values",
    ]
    sub_values = [d for n, d in parts if n == f"values{ns}"]
    assert sub_values == [{"trail": ["s"]}, {"trail": ["s", "inner"]}]
    assert [d for n, d in parts if n == f"updates{ns}"] == [{"inner": {"trail": ["inner"]}}]
    assert [d for n, d in parts if n == "updates"] == [{"child": {"trail": ["s", "inner"]}}, {"outer": {"trail": ["outer"]}}]


async def test_events_mode_with_stream_subgraphs(client):
    _, parts = await run_stream(client, "nested", input={"trail": ["s"]}, stream_mode=["events", "values"], stream_subgraphs=True)
    values = [(n, d) for n, d in parts if n.startswith("values")]
    [sub] = {n for n, _ in values if n != "values"}
    assert re.fullmatch(r"values\|child:[0-9a-f-]{36}", sub)
    assert values == [
        ("values", {"trail": ["s"]}),
        (sub, {"trail": ["s"]}),
        (sub, {"trail": ["s", "inner"]}),
        ("values", {"trail": ["s", "s", "inner"]}),
        ("values", {"trail": ["s", "s", "inner", "outer"]}),
    ]
    assert {n for n, _ in parts} == {"metadata", "events", "values", sub}
    assert "inner" in {e["name"] for e in of(parts, "events")}


async def test_without_stream_subgraphs_nothing_is_namespaced(client):
    _, parts = await run_stream(client, "nested", input={"trail": ["s"]}, stream_mode=["values", "updates", "tasks", "debug"])
    assert not [n for n in names(parts) if "|" in n]
    assert [d for n, d in parts if n == "updates"] == [{"child": {"trail": ["s", "inner"]}}, {"outer": {"trail": ["outer"]}}]


# errors and interrupts -------------------------------------------------------------------------------


async def test_graph_error_is_the_last_event(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    run_id, parts = await run_stream(client, "failing", tid, input={"secret": False}, stream_mode=["values", "updates"])
    assert_metadata_first(run_id, parts)
    assert names(parts) == ["metadata", "values", "error"]
    assert parts[-1] == ("error", {"error": "ValueError", "message": "kaboom"})
    assert (await client.runs.get(tid, run_id))["status"] == "error"
    thread = await client.threads.get(tid)
    assert thread["status"] == "error"


async def test_unsafe_error_message_is_masked(client):
    run_id, parts = await run_stream(client, "failing", input={"secret": True})
    assert_metadata_first(run_id, parts)
    assert parts[1:] == [("values", {"secret": True}), ("error", {"error": "Boom", "message": "An internal error occurred"})]
    assert "hunter2" not in repr(parts)


async def test_interrupt_shows_in_values_and_updates(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    run_id, parts = await run_stream(client, "asker", tid, input={"question": "name?"}, stream_mode=["values", "updates"])
    assert_metadata_first(run_id, parts)
    assert names(parts) == ["metadata", "values", "updates", "values"]
    assert parts[1] == ("values", {"answers": [], "question": "name?"})
    [interrupt] = parts[2][1]["__interrupt__"]
    assert parts[2][1] == {"__interrupt__": [interrupt]}
    assert set(interrupt) == {"value", "id", "response_schema"}
    assert interrupt["value"] == "name?" and interrupt["response_schema"] is None
    assert parts[3] == ("values", {"answers": [], "question": "name?", "__interrupt__": [interrupt]})
    # REST shapes omit response_schema
    thread = await client.threads.get(tid)
    assert thread["status"] == "interrupted"
    assert list(thread["interrupts"].values()) == [[{"value": "name?", "id": interrupt["id"]}]]
    assert (await client.runs.get(tid, run_id))["status"] == "success"

    run_id, parts = await run_stream(client, "asker", tid, command={"resume": "Ada"}, stream_mode="values")
    assert parts[-1] == ("values", {"answers": ["Ada", "thanks"], "question": "name?"})
    assert not [d for n, d in parts if "__interrupt__" in d]


async def test_interrupt_before_gives_empty_interrupt_update_only(client):
    """§3.8: a breakpoint yields `updates {"__interrupt__": []}`; values carry no `__interrupt__`."""
    thread = await client.threads.create()
    tid = thread["thread_id"]
    _, parts = await run_stream(client, "counter", tid, input={"log": ["a"]}, stream_mode=["values", "updates"], interrupt_before=["second"])
    assert parts[1:] == [
        ("values", {"log": ["a"]}),
        ("updates", {"first": {"log": ["first"], "count": 1}}),
        ("values", {"log": ["a", "first"], "count": 1}),
        ("updates", {"__interrupt__": []}),
    ]
    assert (await client.threads.get(tid))["status"] == "interrupted"
