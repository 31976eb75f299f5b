"""langgraph's own `RemoteGraph` pointed at threadloom, used as a node of a local graph
(compiled with an `InMemorySaver`): invoke/ainvoke, streaming with `subgraphs=True` so the
remote node's events reach the local stream, and the remote thread's state read and
written through `RemoteGraph.aget_state` / `aupdate_state`.

RemoteGraph forwards the local `thread_id` to the server (`if_not_exists="create"`), so
the local thread ids are UUIDs, as on LangGraph Platform, and the remote thread with the
same id is the one the node ran on.

The invoke tests use the bundled example graph `agent` (examples/langgraph.json): its echo
model answers both streamed and plain calls. The test graph `chat` only implements
`_astream`, so a run of it that does not stream `messages` fails (RemoteGraph.invoke asks
for `values`/`updates` only); it is used where the local stream asks for `messages`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.pregel.remote import RemoteGraph
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "langgraph.json"


@pytest.fixture
async def agent_url(make_server: Any) -> str:
    return await make_server(config=EXAMPLE)


@pytest.fixture
async def sdk(agent_url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=agent_url, api_key=None)
    yield lg
    await lg.http.client.aclose()


def local_graph(remote: RemoteGraph) -> Any:
    """before (local) -> <remote node> -> after (local), checkpointed in memory."""

    def before(state: MessagesState) -> dict[str, Any]:
        return {}

    def after(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage(content=f"seen {len(state['messages'])}")]}

    builder = StateGraph(MessagesState).add_node("before", before).add_node(remote.name, remote).add_node("after", after)
    builder.add_edge(START, "before").add_edge("before", remote.name).add_edge(remote.name, "after")
    return builder.compile(checkpointer=InMemorySaver())


def thread() -> dict[str, Any]:
    return {"configurable": {"thread_id": str(uuid.uuid4())}}


def contents(messages: list[Any]) -> list[tuple[str, str]]:
    """(type, content) of messages or message dicts."""
    out = []
    for m in messages:
        if isinstance(m, dict):
            out.append((m["type"], m["content"]))
        else:
            out.append((m.type, m.content))
    return out


async def test_ainvoke_runs_the_remote_node_and_checkpoints_locally(agent_url: str, sdk: LangGraphClient) -> None:
    remote = RemoteGraph("agent", url=agent_url)
    graph = local_graph(remote)
    config = thread()

    out = await graph.ainvoke({"messages": [HumanMessage(content="hi", id="h1")]}, config)
    assert contents(out["messages"]) == [("human", "hi"), ("ai", "You said: hi"), ("ai", "seen 2")]
    assert isinstance(out["messages"][1], AIMessage)  # the remote dicts come back as messages

    # the local checkpointer holds the result; a second turn carries the history to the server
    local = await graph.aget_state(config)
    assert contents(local.values["messages"]) == contents(out["messages"])
    assert local.next == ()
    out = await graph.ainvoke({"messages": [HumanMessage(content="again", id="h2")]}, config)
    assert contents(out["messages"]) == [
        ("human", "hi"), ("ai", "You said: hi"), ("ai", "seen 2"),
        ("human", "again"), ("ai", "You said: again"), ("ai", "seen 5"),
    ]

    # the remote node ran on a server thread of the same id, created on the first call
    tid = config["configurable"]["thread_id"]
    server_thread = await sdk.threads.get(tid)
    assert server_thread["status"] == "idle"
    runs = await sdk.runs.list(tid)
    assert sorted(r["status"] for r in runs) == ["success", "success"]
    remote_state = await remote.aget_state({"configurable": {"thread_id": tid}})
    assert contents(remote_state.values["messages"]) == contents(out["messages"])[:-1]
    assert remote_state.config["configurable"]["thread_id"] == tid


async def test_sync_invoke(agent_url: str) -> None:
    remote = RemoteGraph("agent", url=agent_url)
    graph = local_graph(remote)
    config = thread()
    # the sync client blocks: run it off the loop that serves the test server
    out = await asyncio.to_thread(graph.invoke, {"messages": [HumanMessage(content="sync call")]}, config)
    assert contents(out["messages"]) == [("human", "sync call"), ("ai", "You said: sync call"), ("ai", "seen 2")]
    snapshot = await asyncio.to_thread(remote.get_state, {"configurable": {"thread_id": config["configurable"]["thread_id"]}})
    assert contents(snapshot.values["messages"]) == [("human", "sync call"), ("ai", "You said: sync call")]


async def test_astream_values_and_messages_with_subgraphs(url: str) -> None:
    remote = RemoteGraph("chat", url=url)
    graph = local_graph(remote)
    config = thread()
    parts = [
        part
        async for part in graph.astream(
            {"messages": [HumanMessage(content="stream me", id="h1")]}, config,
            stream_mode=["values", "messages"], subgraphs=True,
        )
    ]
    root = [(mode, data) for ns, mode, data in parts if ns == ()]
    nested = [(ns, mode, data) for ns, mode, data in parts if ns != ()]

    # the remote node's events carry the caller's namespace: ("chat:<task id>",)
    namespaces = {ns for ns, _, _ in nested}
    assert len(namespaces) == 1
    (ns,) = namespaces
    assert len(ns) == 1 and ns[0].startswith("chat:")

    # remote values: the input, then input + answer (plain dicts, as the server sent them)
    remote_values = [data for _, mode, data in nested if mode == "values"]
    assert [contents(v["messages"]) for v in remote_values] == [
        [("human", "stream me")],
        [("human", "stream me"), ("ai", "You said: stream me")],
    ]

    # remote messages: the fake model's tokens, as (chunk, metadata) from the remote node
    remote_messages = [data for _, mode, data in nested if mode == "messages"]
    tokens = [chunk["content"] for chunk, _ in remote_messages]
    assert "".join(tokens) == "You said: stream me"
    assert [t for t in tokens if t] == ["You", " ", "said:", " ", "stream", " ", "me"]
    assert {chunk["type"] for chunk, _ in remote_messages} == {"AIMessageChunk"}
    assert len({chunk["id"] for chunk, _ in remote_messages}) == 1
    for _, meta in remote_messages:
        assert meta["langgraph_node"] == "model"
        assert meta["graph_id"] == "chat"
        assert meta["thread_id"] == config["configurable"]["thread_id"]
    ai_id = remote_messages[0][0]["id"]
    assert remote_values[-1]["messages"][1]["id"] == ai_id

    # local values: the input, after the remote node, after `after` (`before` writes nothing)
    local_values = [data for mode, data in root if mode == "values"]
    assert [contents(v["messages"]) for v in local_values] == [
        [("human", "stream me")],
        [("human", "stream me"), ("ai", "You said: stream me")],
        [("human", "stream me"), ("ai", "You said: stream me"), ("ai", "seen 2")],
    ]
    assert local_values[-1]["messages"][1].id == ai_id
    # the local `after` node returns a finished message, streamed once at the root
    root_messages = [data for mode, data in root if mode == "messages"]
    assert [(m.content, meta["langgraph_node"]) for m, meta in root_messages] == [("seen 2", "after")]


async def test_astream_updates_with_and_without_subgraphs(agent_url: str) -> None:
    remote = RemoteGraph("agent", url=agent_url)
    graph = local_graph(remote)

    parts = [
        part
        async for part in graph.astream(
            {"messages": [HumanMessage(content="up", id="h1")]}, thread(), stream_mode="updates", subgraphs=True
        )
    ]
    assert [(ns[:1] and ns[0].split(":")[0], list(data)) for ns, data in parts] == [
        ((), ["before"]),
        ("agent", ["model"]),  # the remote graph's own node, under the caller's namespace
        ((), ["agent"]),
        ((), ["after"]),
    ]
    (remote_update,) = [data for ns, data in parts if ns]
    assert contents(remote_update["model"]["messages"]) == [("ai", "You said: up")]
    (node_update,) = [data for ns, data in parts if not ns and "agent" in data]
    assert contents(node_update["agent"]["messages"]) == [("human", "up"), ("ai", "You said: up")]

    # without subgraphs only the local nodes' updates come through
    flat = [
        list(part)
        async for part in graph.astream({"messages": [HumanMessage(content="up")]}, thread(), stream_mode="updates")
    ]
    assert flat == [["before"], ["agent"], ["after"]]


async def test_remote_state_of_a_server_thread(agent_url: str, sdk: LangGraphClient) -> None:
    remote = RemoteGraph("agent", url=agent_url)
    created = await sdk.threads.create(metadata={"origin": "remote-graph-test"})
    tid = created["thread_id"]
    config = {"configurable": {"thread_id": tid}}

    # a fresh thread has `"checkpoint": null` (as on LangGraph Platform), which
    # RemoteGraph cannot turn into a StateSnapshot: read it through the SDK instead
    empty = await sdk.threads.get_state(tid)
    assert (empty["values"], empty["next"], empty["checkpoint"]) == ({}, [], None)

    out = await remote.ainvoke({"messages": [{"role": "user", "content": "remember"}]}, config)
    assert contents(out["messages"]) == [("human", "remember"), ("ai", "You said: remember")]

    before = await remote.aget_state(config)
    assert contents(before.values["messages"]) == [("human", "remember"), ("ai", "You said: remember")]
    assert before.next == ()
    assert before.config["configurable"]["thread_id"] == tid
    assert before.config["configurable"]["checkpoint_ns"] == ""
    assert before.metadata["source"] == "loop"
    assert before.metadata["graph_id"] == "agent"
    assert before.parent_config is not None

    # write as the model node: a new checkpoint whose parent is the one just read
    new_config = await remote.aupdate_state(
        config, {"messages": [{"type": "ai", "content": "edited", "id": "edit-1"}]}, as_node="model"
    )
    assert new_config["configurable"]["thread_id"] == tid
    new_id = new_config["configurable"]["checkpoint_id"]
    assert new_id != before.config["configurable"]["checkpoint_id"]

    after = await remote.aget_state(config)
    assert contents(after.values["messages"]) == [
        ("human", "remember"), ("ai", "You said: remember"), ("ai", "edited")
    ]
    assert after.config["configurable"]["checkpoint_id"] == new_id
    assert after.parent_config["configurable"]["checkpoint_id"] == before.config["configurable"]["checkpoint_id"]
    assert after.metadata["source"] == "update"
    assert after.next == ()

    # the earlier checkpoint is still readable by its id
    old = await remote.aget_state(before.config)
    assert contents(old.values["messages"]) == contents(before.values["messages"])

    history = [s async for s in remote.aget_state_history(config)]
    assert [s.config["configurable"]["checkpoint_id"] for s in history][:2] == [
        new_id, before.config["configurable"]["checkpoint_id"]
    ]

    # the same state through the server's own API, and the thread kept its metadata
    state = await sdk.threads.get_state(tid)
    assert contents(state["values"]["messages"]) == contents(after.values["messages"])
    assert (await sdk.threads.get(tid))["metadata"]["origin"] == "remote-graph-test"
