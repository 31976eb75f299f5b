"""Run options of reference §2.4 and §3.7–3.8, end to end through the real SDK."""

from __future__ import annotations

import asyncio

import pytest
from langgraph_sdk.errors import NotFoundError


async def test_if_not_exists_create_makes_the_thread_and_reject_is_404(client):
    thread_id = "0196b0d2-0000-7000-8000-000000000001"
    with pytest.raises(NotFoundError):
        await client.runs.create(thread_id, "counter", input={})
    with pytest.raises(NotFoundError):
        await client.threads.get(thread_id)

    result = await client.runs.wait(thread_id, "counter", input={"log": ["a"]}, if_not_exists="create", metadata={"who": "me"})
    assert result["log"] == ["a", "first", "second"]
    thread = await client.threads.get(thread_id)
    assert thread["metadata"]["graph_id"] == "counter"
    assert thread["metadata"]["who"] == "me"
    assert thread["status"] == "idle"


async def test_interrupt_and_resume_with_command(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    first = await client.runs.wait(tid, "asker", input={"question": "name?"})
    assert first["__interrupt__"][0]["value"] == "name?"

    thread = await client.threads.get(tid)
    assert thread["status"] == "interrupted"
    [(task_id, interrupts)] = thread["interrupts"].items()
    assert interrupts == [{"value": "name?", "id": first["__interrupt__"][0]["id"]}]

    state = await client.threads.get_state(tid)
    assert state["next"] == ["ask"]
    assert state["tasks"][0]["id"] == task_id
    assert state["interrupts"][0]["value"] == "name?"

    final = await client.runs.wait(tid, "asker", command={"resume": "Ada"})
    assert final["answers"] == ["Ada", "thanks"]
    thread = await client.threads.get(tid)
    assert thread["status"] == "idle"
    assert thread["interrupts"] == {}


async def test_command_update_and_goto(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    await client.runs.wait(tid, "counter", input={"log": ["start"]})
    result = await client.runs.wait(tid, "counter", command={"update": {"log": ["u"], "count": 10}, "goto": "second"})
    assert result == {"log": ["start", "first", "second", "u", "second"], "count": 11}


async def test_interrupt_before_then_continue_with_null_input(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    run = await client.runs.create(tid, "counter", input={"log": ["x"]}, interrupt_before=["second"])
    await client.runs.join(tid, run["run_id"])
    assert (await client.runs.get(tid, run["run_id"]))["status"] == "success"
    thread = await client.threads.get(tid)
    assert thread["status"] == "interrupted"
    assert thread["interrupts"] == {}
    assert thread["values"]["log"] == ["x", "first"]

    result = await client.runs.wait(tid, "counter", input=None)
    assert result["log"] == ["x", "first", "second"]
    assert (await client.threads.get(tid))["status"] == "idle"


async def test_checkpoint_id_forks_from_an_earlier_checkpoint(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    await client.runs.wait(tid, "counter", input={"log": ["one"]})
    after_first = await client.threads.get_state(tid)
    await client.runs.wait(tid, "counter", input={"log": ["two"]})
    assert (await client.threads.get_state(tid))["values"]["count"] == 4

    forked = await client.runs.wait(tid, "counter", input={"log": ["fork"]}, checkpoint_id=after_first["checkpoint"]["checkpoint_id"])
    assert forked["log"] == ["one", "first", "second", "fork", "first", "second"]
    assert forked["count"] == 4


async def test_configurable_and_context_reach_the_graph_factory(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    by_config = await client.runs.wait(tid, "factory", input={}, config={"configurable": {"tag": "from-config"}})
    assert by_config == {"tag": "from-config"}
    by_context = await client.runs.wait(tid, "factory", input={}, context={"tag": "from-context"})
    assert by_context == {"tag": "from-context"}
    run = (await client.runs.list(tid))[0]
    assert run["kwargs"]["context"] == {"tag": "from-context"}
    assert run["kwargs"]["config"]["configurable"]["tag"] == "from-context"


async def test_after_seconds_delays_the_run_and_orders_by_start_time(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    delayed = await client.runs.create(tid, "slow", input={"steps": 1, "delay": 0, "tag": "late"}, after_seconds=0.6)
    assert delayed["status"] == "pending"
    assert delayed["created_at"] > (await client.threads.get(tid))["created_at"]
    prompt = await client.runs.create(tid, "slow", input={"steps": 1, "delay": 0, "tag": "early"})
    await client.runs.join(tid, prompt["run_id"])
    assert (await client.runs.get(tid, delayed["run_id"]))["status"] == "pending"
    await client.runs.join(tid, delayed["run_id"])
    state = await client.threads.get_state(tid)
    assert state["values"]["items"] == ["early:0", "late:0"]


async def test_stateless_runs_delete_their_thread_unless_kept(client):
    kept = await client.runs.create(None, "counter", input={"log": ["k"]}, on_completion="keep")
    await client.runs.join(kept["thread_id"], kept["run_id"])
    assert (await client.threads.get(kept["thread_id"]))["values"]["log"] == ["k", "first", "second"]

    result = await client.runs.wait(None, "counter", input={"log": ["d"]})
    assert result["log"] == ["d", "first", "second"]
    temporary = await client.runs.create(None, "counter", input={})
    for _ in range(100):
        try:
            await client.threads.get(temporary["thread_id"])
        except NotFoundError:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the temporary thread of a stateless run was not deleted")


async def test_run_metadata_merges_thread_and_request_metadata(client):
    thread = await client.threads.create(metadata={"owner": "ann"})
    run = await client.runs.create(thread["thread_id"], "counter", input={}, metadata={"purpose": "test", "run_id": "spoof"})
    assert run["metadata"]["owner"] == "ann"
    assert run["metadata"]["purpose"] == "test"
    assert "run_id" not in run["metadata"]
    assert run["metadata"]["assistant_id"] == run["assistant_id"]
    assert run["kwargs"]["stream_mode"] == ["values"]
    assert run["multitask_strategy"] == "enqueue"
