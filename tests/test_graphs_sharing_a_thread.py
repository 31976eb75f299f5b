"""Runs of different graphs on one thread (server/storage/sqlite/saver.py): what one graph's
checkpoints do not hold, because the graph does not know it, is still there for the next
run of a graph that does, as on the official server (observed on `langgraph dev` 0.16.7
with the same calls), and what a step consumed does not come back."""

from __future__ import annotations

from typing import Any

from langgraph_sdk.client import LangGraphClient

COUNTER = {"log": ["go"]}


def _values(history: list[dict[str, Any]]) -> list[tuple[Any, list[str], str | None]]:
    """(values, next, graph) of each checkpoint, oldest first."""
    return [(s["values"], s["next"], s["metadata"].get("graph_id")) for s in reversed(history)]


async def test_a_value_survives_a_run_of_a_graph_that_does_not_know_it(client: LangGraphClient) -> None:
    tid = (await client.threads.create())["thread_id"]
    assert await client.runs.wait(tid, "counter", input=COUNTER) == {"log": ["go", "first", "second"], "count": 2}
    await client.runs.wait(tid, "failing", input={}, raise_error=False)
    assert await client.runs.wait(tid, "counter", input=COUNTER) == {
        "log": ["go", "first", "second", "go", "first", "second"], "count": 4}  # each node once: no trigger revived

    # the failing graph's checkpoints, read with the counter's graph, still hold the count
    history = await client.threads.get_history(tid, limit=20)
    failing = [values for values, _, graph in _values(history) if graph == "failing"]
    assert failing == [{"log": ["go", "first", "second"], "count": 2}] * 2


async def test_a_pending_node_waits_through_another_graphs_run(client: LangGraphClient) -> None:
    """Interrupted before `second`: its trigger, unconsumed, is carried through a failing
    run of another graph, so the counter's state still has `second` next (as there)."""
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "counter", input=COUNTER, interrupt_before=["second"])
    await client.runs.wait(tid, "failing", input={}, raise_error=False)
    assert await client.runs.wait(tid, "counter", input=None) == {"log": ["go", "first"], "count": 1}
    state = await client.threads.get_state(tid)
    assert (state["values"], state["next"]) == ({"log": ["go", "first"], "count": 1}, ["second"])
    assert await client.runs.wait(tid, "counter", input={"log": ["x"]}) == {
        "log": ["go", "first", "x", "first", "second"], "count": 3}
