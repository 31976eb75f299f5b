"""Thread-centric streaming (v3): `client.threads.stream` of the real SDK over both of
its transports, and the raw protocol for what the SDK hides (seq, event ids, resume)."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError

from support import slow, tagged, until
from v3support import READERS, count_terminals, command, read_sse, root_terminal, summary

TRANSPORTS = ["sse", "websocket"]


@pytest.fixture
async def sdk(url: str) -> Any:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.http.client.aclose()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_first_run_start_creates_the_thread_and_streams_values_and_tokens(sdk: Any, transport: str) -> None:
    async with sdk.threads.stream(assistant_id="chat", transport=transport) as thread:
        with pytest.raises(NotFoundError):
            await sdk.threads.get(thread.thread_id)
        result = await thread.run.start(input={"messages": [{"role": "user", "content": "hello world"}]})
        assert set(result) == {"run_id"}
        streams = [message async for message in thread.messages]  # the loop feeds them: read them after
        texts = [await message.text for message in streams]
        output = await thread.output
    assert texts == ["You said: hello world"]
    assert [m["type"] for m in output["messages"]] == ["human", "ai"]
    created = await sdk.threads.get(thread.thread_id)
    assert created["metadata"]["graph_id"] == "chat"
    run = await sdk.runs.get(thread.thread_id, result["run_id"])
    assert run["status"] == "success"
    assert run["kwargs"]["stream_mode"] == ["values", "updates", "messages", "tools", "lifecycle", "custom", "tasks", "checkpoints"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_values_stream_each_step(sdk: Any, transport: str) -> None:
    async with sdk.threads.stream(assistant_id="slow", transport=transport) as thread:
        await thread.run.start(input=slow("v", 3, 0.0))
        seen = [v.get("items", []) async for v in thread.values]
        output = await thread.output
    assert output["items"] == ["v:0", "v:1", "v:2"]
    assert seen[-1] == ["v:0", "v:1", "v:2"]
    assert ["v:0"] in seen and ["v:0", "v:1"] in seen


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_interrupt_is_answered_with_input_respond(sdk: Any, transport: str) -> None:
    async with sdk.threads.stream(assistant_id="asker", transport=transport) as thread:
        await thread.run.start(input={"question": "name?"})
        async for _ in thread.values:
            pass  # ends at the interrupt
        await until(lambda: _true(thread.interrupted))
        [pending] = thread.interrupts
        assert pending["value"] == "name?" and pending["namespace"] == []
        assert await thread.run.respond("Ada") == {}
        output = await thread.output
    assert output["answers"] == ["Ada", "thanks"]


async def _true(value: Any) -> Any:
    return value


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_second_client_joins_mid_run(sdk: Any, url: str, transport: str) -> None:
    async with sdk.threads.stream(assistant_id="slow", transport=transport) as first:
        await first.run.start(input=slow("j", 30, 0.02))
        await tagged(sdk, first.thread_id, "j", 2)  # running, some steps done
        async with sdk.threads.stream(first.thread_id, assistant_id="slow", transport=transport) as second:
            joined = await second.output
        assert await first.output == joined
    assert len(joined["items"]) == 30


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_cancelled_run_ends_the_wait_for_its_output(sdk: Any, transport: str) -> None:
    """Deliberately unlike the official server (whose `lifecycle interrupted` the SDK does
    not take for an end, so `thread.output` waits for ever): a run cancelled outright
    ends with `lifecycle failed`."""
    async with sdk.threads.stream(assistant_id="slow", transport=transport) as thread:
        started = await thread.run.start(input=slow("c", 500, 0.02))
        await tagged(sdk, thread.thread_id, "c", 1)
        await sdk.runs.cancel(thread.thread_id, started["run_id"])
        with pytest.raises(RuntimeError, match="Run was cancelled"):
            await thread.output
    assert (await sdk.runs.get(thread.thread_id, started["run_id"]))["status"] == "interrupted"


# the raw protocol ------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_seq_and_event_ids_are_the_same_on_every_connection_and_since_resumes(
    url: str, session: aiohttp.ClientSession, transport: str,
) -> None:
    read = READERS[transport]
    tid = str(uuid.uuid4())
    reply = await command(session, url, tid, "run.start", {"assistant_id": "talker", "input": {"messages": [{"role": "user", "content": "hi"}]}})
    assert reply["type"] == "success" and reply["meta"] == {"applied_through_seq": 0}
    live = await read(session, url, tid, count_terminals(1))
    again = await read(session, url, tid, count_terminals(1))
    assert live == again
    assert [e["seq"] for e in live] == list(range(1, len(live) + 1))
    assert len({e["event_id"] for e in live}) == len(live)
    got = summary(live)
    inner = got[2][2]
    assert got[0] == (1, "lifecycle", [], "running")
    assert (4, "lifecycle", inner, "started") in got
    assert [s[3] for s in got if s[1] == "messages"] == [
        "message-start", "content-block-start", "content-block-delta", "content-block-delta", "content-block-delta",
        "content-block-finish", "message-finish",
    ]
    assert (got[-2][1], got[-2][2], got[-2][3]) == ("lifecycle", inner, "completed") or any(
        s[1] == "lifecycle" and s[2] == inner and s[3] == "completed" for s in got)
    assert got[-1][1:] == ("lifecycle", [], "completed")
    human = live[1]["params"]["data"]["messages"][0]
    assert human["type"] == "human" and human["content"] == "hi" and set(human) <= {"type", "content", "id"}
    # resume: from `since` on, the same events, nothing twice, nothing lost
    cut = len(live) // 2
    rest = await read(session, url, tid, count_terminals(1), since=cut)
    assert live[:cut] + rest == live
    # a filtered stream numbers as every other
    lifecycle = await read(session, url, tid, count_terminals(1), channels=["lifecycle"])
    assert lifecycle == [e for e in live if e["method"] == "lifecycle"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_reader_resumes_mid_run_without_loss_or_repeats(url: str, session: aiohttp.ClientSession, transport: str) -> None:
    read = READERS[transport]
    tid = str(uuid.uuid4())
    await command(session, url, tid, "run.start", {"assistant_id": "slow", "input": slow("r", 20, 0.02)})
    first = await read(session, url, tid, lambda events: len(events) >= 4)  # mid-run, then dropped
    rest = await read(session, url, tid, count_terminals(1), since=first[-1]["seq"])
    whole = await read(session, url, tid, count_terminals(1))
    assert first + rest == whole
    assert whole[-1]["params"]["data"]["event"] == "completed"


async def test_the_tape_is_the_same_after_a_restart(make_server: Any, tmp_path: Any) -> None:
    """The thread's v3 runs are read from their persisted logs: a connection after a
    restart numbers the same events alike, so a client's `since` still holds."""
    db = str(tmp_path / "v3.sqlite")
    tid = str(uuid.uuid4())
    async with aiohttp.ClientSession() as session:
        url = await make_server(db=db)
        await command(session, url, tid, "run.start", {"assistant_id": "asker", "input": {"question": "q?"}})
        before = await read_sse(session, url, tid, lambda ev: any(e["method"] == "input.requested" for e in ev))
        before = await read_sse(session, url, tid, lambda ev: len(ev) >= len(before) + 2)  # through `values` after it
        url = await make_server(db=db)
        after = await read_sse(session, url, tid, lambda ev: len(ev) >= len(before))
    assert [(e["seq"], e["event_id"], e["params"]["data"]) for e in after] == [
        (e["seq"], e["event_id"], e["params"]["data"]) for e in before]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_interrupt_is_an_input_requested_and_an_interrupted_lifecycle(
    url: str, session: aiohttp.ClientSession, transport: str,
) -> None:
    read = READERS[transport]
    tid = str(uuid.uuid4())
    await command(session, url, tid, "run.start", {"assistant_id": "asker", "input": {"question": "name?"}})
    events = await read(session, url, tid, lambda ev: any(e["method"] == "lifecycle" and e["params"]["data"]["event"] == "interrupted" for e in ev))
    asked = next(e for e in events if e["method"] == "input.requested")
    iid = asked["params"]["data"]["interrupt_id"]
    assert asked["params"]["data"] == {"interrupt_id": iid, "payload": "name?", "value": "name?"}
    assert asked["event_id"].endswith(f":input||{iid}")
    unknown = await command(session, url, tid, "input.respond", {"interrupt_id": "nope", "response": 1})
    assert unknown["error"] == "no_such_interrupt"
    ok = await command(session, url, tid, "input.respond", {"interrupt_id": iid, "namespace": [], "response": "Ada"})
    assert ok == {"type": "success", "id": 1, "result": {}, "meta": {"applied_through_seq": 0}}
    after = await read(session, url, tid, count_terminals(1))
    assert after[-1]["params"]["data"] == {"event": "completed", "graph_name": "asker"}
    assert after[-2]["params"]["data"]["answers"] == ["Ada", "thanks"]
