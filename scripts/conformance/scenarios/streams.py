"""Run streams: every stream mode with and without subgraphs, several modes at once, the
default mode, interrupts and errors on the stream."""

from __future__ import annotations

import uuid
from typing import Any

from ..normalize import SYSTEM_ASSISTANT_NAMESPACE
from ..recording import Target
from .base import new_thread, scenario, stream

HELLO = {"messages": [{"role": "user", "content": "hi"}]}

# mode → (graph, input): a graph on which the mode has something to say, with a subgraph
# where one of the test graphs has one (nested: plain nodes; talker: a streaming model).
MODE_GRAPHS: dict[str, tuple[str, dict[str, Any]]] = {
    "values": ("nested", {"trail": ["start"]}),
    "updates": ("nested", {"trail": ["start"]}),
    "debug": ("nested", {"trail": ["start"]}),
    "tasks": ("nested", {"trail": ["start"]}),
    "checkpoints": ("nested", {"trail": ["start"]}),
    "messages-tuple": ("talker", HELLO),
    "messages": ("talker", HELLO),
    "events": ("talker", HELLO),
    "custom": ("custom", {"count": 2}),
}


def _mode_scenario(mode: str, subgraphs: bool) -> None:
    graph, graph_input = MODE_GRAPHS[mode]
    name = f"stream {mode}{' with subgraphs' if subgraphs else ''} ({graph})"

    async def play(t: Target) -> None:
        tid = await new_thread(t)
        body = {"assistant_id": graph, "input": graph_input, "stream_mode": [mode], "stream_subgraphs": subgraphs}
        reply = await stream(t, f"stream {mode}", tid, body)
        await t.wait_thread(tid)
        await t.http("thread after", "GET", f"/threads/{tid}")
        if reply.frames and reply.frames[0]["event"] == "metadata":
            await t.http("run after", "GET", f"/threads/{tid}/runs/{reply.frames[0]['data']['run_id']}")

    scenario(name)(play)


for _mode in MODE_GRAPHS:
    for _subgraphs in (False, True):
        _mode_scenario(_mode, _subgraphs)


@scenario("stream several modes at once (chat)")
async def several_modes(t: Target) -> None:
    tid = await new_thread(t)
    modes = ["values", "updates", "messages-tuple", "custom", "tasks"]
    await stream(t, "stream 5 modes", tid, {"assistant_id": "chat", "input": HELLO, "stream_mode": modes})
    await t.wait_thread(tid)
    await stream(t, "stream again, mode as a string", tid, {"assistant_id": "chat", "input": HELLO, "stream_mode": "updates"})


@scenario("stream default mode (counter)")
async def default_mode(t: Target) -> None:
    tid = await new_thread(t)
    await stream(t, "stream, no stream_mode", tid, {"assistant_id": "counter", "input": {"log": ["a"]}})
    await t.wait_thread(tid)
    await stream(t, "stream, input null", tid, {"assistant_id": "counter", "input": None})
    await t.wait_thread(tid)
    counter = str(uuid.uuid5(SYSTEM_ASSISTANT_NAMESPACE, "counter"))
    await stream(t, "stream, by assistant uuid, metadata", tid, {"assistant_id": counter, "input": {}, "metadata": {"m": 1}})


@scenario("stream an interrupt and its resume (asker)")
async def interrupt_and_resume(t: Target) -> None:
    tid = await new_thread(t)
    modes = ["values", "updates"]
    await stream(t, "stream to the interrupt", tid, {"assistant_id": "asker", "input": {"question": "name?"}, "stream_mode": modes})
    await t.wait_thread(tid)
    await t.http("interrupted thread", "GET", f"/threads/{tid}")
    await t.http("interrupted state", "GET", f"/threads/{tid}/state")
    resume = {"assistant_id": "asker", "command": {"resume": "Ada"}, "stream_mode": modes}
    await stream(t, "stream the resume", tid, resume)
    await t.wait_thread(tid)
    await t.http("thread after resume", "GET", f"/threads/{tid}")


@scenario("stream interrupt_before and continue (counter)")
async def interrupt_before(t: Target) -> None:
    tid = await new_thread(t)
    body = {"assistant_id": "counter", "input": {"log": []}, "stream_mode": ["values", "updates"], "interrupt_before": ["second"]}
    await stream(t, "stream to the breakpoint", tid, body)
    await t.wait_thread(tid)
    await t.http("thread at the breakpoint", "GET", f"/threads/{tid}")
    await t.http("wait, continue (input null)", "POST", f"/threads/{tid}/runs/wait", json={"assistant_id": "counter", "input": None})


@scenario("stream a failing run (failing)")
async def failing_stream(t: Target) -> None:
    tid = await new_thread(t)
    await stream(t, "stream ValueError", tid, {"assistant_id": "failing", "input": {}, "stream_mode": ["values", "updates"]})
    await t.wait_thread(tid)
    await t.http("thread after error", "GET", f"/threads/{tid}")
    await t.http("state after error", "GET", f"/threads/{tid}/state")
    await stream(t, "stream masked error", tid, {"assistant_id": "failing", "input": {"secret": True}})
    await t.wait_thread(tid)
    await t.http("thread after masked error", "GET", f"/threads/{tid}")
    await t.http("wait on a failing run", "POST", f"/threads/{tid}/runs/wait", json={"assistant_id": "failing", "input": {}})
