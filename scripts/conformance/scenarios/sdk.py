"""The official Python SDK on both servers: what its users get back (results, stream parts,
exceptions), beyond the raw HTTP the other scenarios compare."""

from __future__ import annotations

import uuid

from ..recording import Target
from .base import scenario


@scenario("sdk: threads, runs, streams, errors")
async def sdk_basics(t: Target) -> None:
    sdk = t.sdk
    thread = await t.sdk_call("threads.create", sdk.threads.create(metadata={"scenario": t.tag}))
    tid = thread["thread_id"]
    await t.sdk_call("threads.get", sdk.threads.get(tid))
    await t.sdk_call("threads.search", sdk.threads.search(metadata={"scenario": t.tag}))
    await t.sdk_call("threads.count", sdk.threads.count(metadata={"scenario": t.tag}))
    parts = sdk.runs.stream(tid, "chat", input={"messages": [{"role": "user", "content": "hi"}]}, stream_mode=["values", "messages-tuple"])
    await t.sdk_call("runs.stream", parts)
    await t.sdk_call("runs.wait", sdk.runs.wait(tid, "counter", input={"log": []}))
    await t.sdk_call("runs.wait, failing", sdk.runs.wait(tid, "failing", input={}))
    await t.sdk_call("runs.wait, failing, raise_error", sdk.runs.wait(tid, "failing", input={}, raise_error=True))
    run = await t.sdk_call("runs.create", sdk.runs.create(tid, "counter", input={"log": []}))
    await t.sdk_call("runs.join", sdk.runs.join(tid, run["run_id"]))
    await t.sdk_call("runs.list", sdk.runs.list(tid))
    await t.sdk_call("threads.get_state", sdk.threads.get_state(tid))
    await t.sdk_call("threads.get_history", sdk.threads.get_history(tid, limit=2))
    await t.sdk_call("threads.copy", sdk.threads.copy(tid))
    await t.sdk_call("runs.stream stateless", sdk.runs.stream(None, "counter", input={"log": []}, stream_mode="updates"))
    await t.sdk_call("runs.wait stateless", sdk.runs.wait(None, "counter", input={"log": []}))
    await t.sdk_call("assistants.search", sdk.assistants.search(graph_id="counter"))
    await t.sdk_call("assistants.get_graph", sdk.assistants.get_graph("counter"))
    await t.sdk_call("threads.get missing", sdk.threads.get(str(uuid.uuid4())))
    await t.sdk_call("runs.stream, unknown assistant", sdk.runs.stream(tid, "nope", input={}))
    await t.sdk_call("threads.delete", sdk.threads.delete(tid))
