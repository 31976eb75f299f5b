"""The rest of the threads API (reference §2.2, §5 ThreadState): search with containment
filters, sorting, select/extract and pagination headers; count; copy; prune; state at a
checkpoint and of subgraphs; GET history; thread `interrupts`/`error`. Through the real
Python SDK, and raw aiohttp for wire details and the JS SDK's conventions."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import (
    BadRequestError,
    NotFoundError,
    UnprocessableEntityError,
)

STATE_KEYS = {"values", "next", "tasks", "metadata", "created_at", "checkpoint", "parent_checkpoint", "interrupts",
              "checkpoint_id", "parent_checkpoint_id"}
EMPTY_STATE = {"values": {}, "next": [], "tasks": [], "metadata": None, "created_at": None, "checkpoint": None,
               "parent_checkpoint": None, "interrupts": [], "checkpoint_id": None, "parent_checkpoint_id": None}


async def call(url: str, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
    """Status, decoded JSON body and headers of one raw request."""
    async with aiohttp.ClientSession() as http, http.request(method, url + path, json=body, **kwargs) as resp:
        return resp.status, await resp.json(content_type=None), dict(resp.headers)


def ids(threads: list[dict[str, Any]]) -> list[str]:
    return [t["thread_id"] for t in threads]


# search ----------------------------------------------------------------------------------------


async def test_search_and_count_match_metadata_and_values_by_containment(client, url: str) -> None:
    ann = await client.threads.create(metadata={"owner": {"name": "ann", "team": "x"}, "tags": ["a", "b"], "flag": True})
    bob = await client.threads.create(metadata={"owner": {"name": "bob", "team": "x"}, "tags": ["b"], "flag": 1})
    bare = await client.threads.create()
    for thread in (ann, bob):
        await client.runs.wait(thread["thread_id"], "counter", input={"log": [thread["metadata"]["owner"]["name"]]})

    async def both(**filters: Any) -> set[str]:
        found = set(ids(await client.threads.search(limit=100, **filters)))
        assert await client.threads.count(**filters) == len(found)
        return found

    a, b = ann["thread_id"], bob["thread_id"]
    assert await both(metadata={"owner": {"name": "ann"}}) == {a}  # nested objects: containment
    assert await both(metadata={"owner": {"team": "x"}}) == {a, b}
    assert await both(metadata={"owner": {"name": "ann", "team": "y"}}) == set()
    assert await both(metadata={"owner": "ann"}) == set()
    assert await both(metadata={"tags": ["b"]}) == {a, b}  # arrays: every wanted element is in it
    assert await both(metadata={"tags": ["b", "a"]}) == {a}
    assert await both(metadata={"tags": ["c"]}) == set()
    assert await both(metadata={"flag": True}) == {a}  # JSON true is not 1
    assert await both(metadata={"flag": 1}) == {b}
    assert await both(metadata={"graph_id": "counter"}) == {a, b}

    assert await both(values={"count": 2}) == {a, b}
    assert await both(values={"log": ["ann"]}) == {a}
    assert await both(values={"log": ["first", "second"]}) == {a, b}
    assert await both(values={"log": ["third"]}) == set()
    assert await both(values={"count": 2}, metadata={"owner": {"name": "bob"}}) == {b}
    assert await both(values={}) == {a, b, bare["thread_id"]}  # an empty filter filters nothing
    assert await both(status="idle", metadata={"tags": ["a"]}) == {a}
    assert await client.threads.count() == 3

    # the wire: a bare JSON number; a filter left out filters nothing, a null one is refused (as there)
    status, body, _ = await call(url, "POST", "/threads/count", {})
    assert (status, body) == (200, 3)
    status, body, _ = await call(url, "POST", "/threads/count", {"status": None})
    assert (status, body["detail"]) == (422, (
        'null is not of type "string"\n\nFailed validating "type" in schema["properties"]["status"]\n\n'
        'On instance["status"]:\n    null'
    ))
    status, body, _ = await call(url, "POST", "/threads/count", {"status": "busy"})
    assert (status, body) == (200, 0)
    for bad in ({"status": "sleeping"}, {"metadata": [1]}, {"values": "x"}):
        status, body, _ = await call(url, "POST", "/threads/count", bad)
        assert status == 422 and "detail" in body, bad


async def test_search_sorts_and_pages_with_the_real_total(client, url: str) -> None:
    made = [await client.threads.create(metadata={"n": i}) for i in range(5)]
    # activity reorders updated_at (the default order, newest first)
    await client.runs.wait(made[1]["thread_id"], "counter", input={})
    await client.runs.wait(made[3]["thread_id"], "asker", input={})
    by_creation = ids(made)

    assert ids(await client.threads.search()) == [by_creation[3], by_creation[1], by_creation[4], by_creation[2], by_creation[0]]
    assert ids(await client.threads.search(sort_by="created_at", sort_order="asc")) == by_creation
    assert ids(await client.threads.search(sort_by="created_at")) == by_creation[::-1]  # desc by default
    assert ids(await client.threads.search(sort_by="thread_id", sort_order="asc")) == sorted(by_creation)
    assert ids(await client.threads.search(sort_by="thread_id", sort_order="desc")) == sorted(by_creation, reverse=True)
    newest_state = ids(await client.threads.search(sort_by="state_updated_at", limit=2))
    assert newest_state == [by_creation[3], by_creation[1]]
    statuses = [t["status"] for t in await client.threads.search(sort_by="status", sort_order="asc")]
    assert statuses == ["idle"] * 4 + ["interrupted"]

    pages = [await call(url, "POST", "/threads/search", {"limit": 2, "offset": o, "sort_by": "created_at",
                                                          "sort_order": "asc"}) for o in (0, 2, 4, 6)]
    assert [ids(body) for _, body, _ in pages] == [by_creation[0:2], by_creation[2:4], by_creation[4:], []]
    assert [h["X-Pagination-Total"] for _, _, h in pages] == ["5"] * 4  # the real total, unlike the official server
    assert [h.get("X-Pagination-Next") for _, _, h in pages] == ["2", "4", None, None]
    _, body, headers = await call(url, "POST", "/threads/search", {"metadata": {"n": 1}})
    assert ids(body) == [by_creation[1]] and headers["X-Pagination-Total"] == "1" and "X-Pagination-Next" not in headers


async def test_search_select_and_extract(client, url: str) -> None:
    thread = await client.threads.create(metadata={"owner": {"name": "ann"}, "tags": ["a", "b"]})
    tid = thread["thread_id"]
    await client.runs.wait(tid, "counter", input={"log": ["hi"]})
    other = await client.threads.create(metadata={"owner": {"name": "bob"}})

    assert await client.threads.search(ids=[tid], select=["thread_id", "status"]) == [{"thread_id": tid, "status": "idle"}]
    [found] = await client.threads.search(ids=[tid], select=["metadata", "values"], extract={
        "last": "values.log[-1]", "first": "values.log[0]", "who": "metadata.owner.name", "tag": "metadata.tags[1]",
        "missing": "values.nope.deeper", "out_of_range": "values.log[9]", "not_a_list": "metadata.owner[0]",
        "pending": "interrupts",
    })
    assert found == {
        "metadata": thread["metadata"] | {"graph_id": "counter", "assistant_id": found["metadata"]["assistant_id"]},
        "values": {"log": ["hi", "first", "second"], "count": 2},
        "extracted": {"last": "second", "first": "hi", "who": "ann", "tag": "b", "missing": None,
                      "out_of_range": None, "not_a_list": None, "pending": {}},
    }
    # extract alone keeps every field; every thread gets `extracted`
    listed = await client.threads.search(extract={"who": "metadata.owner.name"}, sort_by="created_at", sort_order="asc")
    assert [t["extracted"] for t in listed] == [{"who": "ann"}, {"who": "bob"}]
    assert {k: v for k, v in listed[1].items() if k != "extracted"} == other

    bad_requests = [
        {"select": ["thread_id", "context"]},  # not a thread field here
        {"select": "thread_id"},
        {"extract": {"thread_id": "values.a"}},  # an alias may not shadow a field
        {"extract": {"1st": "values.a"}},
        {"extract": {"a": "run.values"}},  # only values, metadata, config, interrupts
        {"extract": {"a": "values..a"}},
        {"extract": {"a": "values[x]"}},
        {"extract": {f"a{i}": "values.a" for i in range(11)}},
        {"extract": {"a": 1}},
    ]
    for bad in bad_requests:
        status, body, _ = await call(url, "POST", "/threads/search", bad)
        assert status == 422 and isinstance(body["detail"], str), (bad, body)


async def test_search_rejects_bad_input(client, url: str) -> None:
    await client.threads.create()
    with pytest.raises(BadRequestError) as info:  # a bad id in `ids` is a 400 (reference §2.2)
        await client.threads.search(ids=["not-a-uuid"])
    assert "not-a-uuid" in str(info.value)
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"sort_by": "values"}, {"sort_order": "up"},
                {"status": "sleeping"}, {"ids": [1]}, {"metadata": "x"}):
        status, body, _ = await call(url, "POST", "/threads/search", bad)
        assert status == 422 and "detail" in body, bad
    assert await client.threads.count() == 1


# copy ------------------------------------------------------------------------------------------


async def test_copy_has_the_same_metadata_and_state_but_no_runs(client) -> None:
    source = await client.threads.create(metadata={"owner": "ann"})
    sid = source["thread_id"]
    await client.runs.wait(sid, "counter", input={"log": ["one"]})
    await client.runs.wait(sid, "counter", input={"log": ["two"]})
    source = await client.threads.get(sid)

    copy = await client.threads.copy(sid)
    cid = copy["thread_id"]
    assert uuid.UUID(cid).version == 4 and cid != sid
    assert copy["metadata"] == source["metadata"]
    # the official server's body: a new record, `idle`, without `values`, `error` or
    # `interrupts` until a run or a state update sets them (the state is copied all the same)
    assert set(copy) == {"thread_id", "created_at", "updated_at", "state_updated_at", "metadata", "status", "config"}
    assert copy["status"] == "idle" and copy["config"] == {}
    assert (await client.threads.get_state(cid))["values"] == source["values"]
    assert copy["created_at"] > source["created_at"]
    assert await client.threads.get(cid) == copy
    assert (await client.threads.search(ids=[cid])) == [copy]
    assert await client.runs.list(cid) == []

    def without_thread(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**{k: v for k, v in s.items() if k not in ("checkpoint", "parent_checkpoint")},
             "metadata": {k: v for k, v in s["metadata"].items() if k != "thread_id"}}
            for s in states
        ]

    source_history = await client.threads.get_history(sid, limit=100)
    copy_history = await client.threads.get_history(cid, limit=100)
    assert len(copy_history) == 8
    assert without_thread(copy_history) == without_thread(source_history)  # same checkpoint ids too
    # each checkpoint names its thread, in its metadata too, as on the official server
    assert all(s["checkpoint"]["thread_id"] == s["metadata"]["thread_id"] == cid for s in copy_history)
    assert all(s["metadata"]["thread_id"] == sid for s in source_history)

    # the two threads go their own ways
    assert await client.runs.wait(cid, "counter", input={"log": ["copy"]}) == {
        "log": ["one", "first", "second", "two", "first", "second", "copy", "first", "second"], "count": 6}
    assert (await client.threads.get_state(sid))["values"]["count"] == 4
    assert len(await client.runs.list(sid)) == 2
    await client.threads.delete(sid)
    assert len(await client.threads.get_history(cid, limit=100)) == 12


async def test_a_copy_keeps_its_task_results_as_written(client) -> None:
    """Deliberate difference (deliberate.py): the official server rewrites the source's
    thread id, as text, inside the copied task results (not inside the values)."""
    sid = (await client.threads.create())["thread_id"]
    await client.runs.wait(sid, "probe", input={})
    cid = (await client.threads.copy(sid))["thread_id"]
    [latest, start] = await client.threads.get_history(cid, limit=2)
    assert start["tasks"][0]["result"]["seen_configurable"]["thread_id"] == sid
    assert latest["values"]["seen_configurable"]["thread_id"] == sid


async def test_copy_carries_pending_interrupts_and_subgraph_checkpoints(client) -> None:
    asked = (await client.threads.create())["thread_id"]
    await client.runs.wait(asked, "asker", input={"question": "name?"})

    copy = await client.threads.copy(asked)
    assert copy["status"] == "idle" and "interrupts" not in copy  # as the official server, whatever the state
    state = await client.threads.get_state(copy["thread_id"])
    assert state["next"] == ["ask"] and state["interrupts"] == (await client.threads.get_state(asked))["interrupts"]
    # the pending writes were copied: the copy resumes where the original waits
    assert await client.runs.wait(copy["thread_id"], "asker", command={"resume": "ann"}) == {
        "question": "name?", "answers": ["ann", "thanks"]}
    resumed = await client.threads.get(copy["thread_id"])  # the run's end set its state
    assert (resumed["values"]["answers"], resumed["error"], resumed["interrupts"]) == (["ann", "thanks"], None, {})
    assert (await client.threads.get(asked))["status"] == "interrupted"

    nested = (await client.threads.create())["thread_id"]
    await client.runs.wait(nested, "nested", input={"trail": []})
    copied = (await client.threads.copy(nested))["thread_id"]
    [step0] = [s for s in await client.threads.get_history(copied, limit=10) if s["next"] == ["child"]]
    namespace = step0["tasks"][0]["checkpoint"]["checkpoint_ns"]
    child = await client.threads.get_state(copied, checkpoint={"checkpoint_ns": namespace})
    assert child["values"] == {"trail": ["inner"]} and child["checkpoint"]["thread_id"] == copied


async def test_copy_errors_and_a_thread_without_state(client, url: str) -> None:
    empty = await client.threads.create(metadata={"k": 1})
    copy = await client.threads.copy(empty["thread_id"])
    assert copy["metadata"] == {"k": 1} and "values" not in copy and copy["status"] == "idle"
    assert await client.threads.get_state(copy["thread_id"]) == await client.threads.get_state(empty["thread_id"])

    missing = str(uuid.uuid4())
    with pytest.raises(NotFoundError):  # the official server answers 409 here (a quirk)
        await client.threads.copy(missing)
    status, body, _ = await call(url, "POST", f"/threads/{missing}/copy")  # the JS SDK sends no body
    assert status == 404 and missing in body["detail"]
    status, body, _ = await call(url, "POST", "/threads/nope/copy")
    assert status == 422
    assert await client.threads.count() == 2


# prune -----------------------------------------------------------------------------------------


async def test_prune_deletes_threads_and_skips_unknown_ids(client, url: str) -> None:
    kept = (await client.threads.create())["thread_id"]
    doomed = [(await client.threads.create())["thread_id"] for _ in range(2)]
    await client.runs.wait(doomed[0], "counter", input={})

    result = await client.threads.prune([doomed[0], doomed[1].upper(), doomed[1], str(uuid.uuid4())])
    assert result == {"pruned_count": 2}
    for tid in doomed:
        with pytest.raises(NotFoundError):
            await client.threads.get(tid)
    assert ids(await client.threads.search()) == [kept]
    assert await client.threads.prune(doomed) == {"pruned_count": 0}
    assert await client.threads.prune([]) == {"pruned_count": 0}

    for bad in ({}, {"thread_ids": None}, {"thread_ids": ["nope"]}, {"thread_ids": [kept], "strategy": "all"},
                {"thread_ids": kept}):
        status, body, _ = await call(url, "POST", "/threads/prune", bad)
        assert status == 422 and "detail" in body, bad
    assert ids(await client.threads.search()) == [kept]


async def test_prune_cancels_the_runs_of_a_deleted_thread(make_server) -> None:
    client = get_client(url=await make_server(jobs=1), api_key=None)
    try:
        busy = (await client.threads.create())["thread_id"]
        forever = await client.runs.create(busy, "slow", input={"steps": 100_000, "delay": 0.01, "tag": "a"})

        async def started() -> None:
            while (await client.runs.get(busy, forever["run_id"]))["status"] != "running":
                await asyncio.sleep(0.01)

        await asyncio.wait_for(started(), 20)
        waiting = (await client.threads.create())["thread_id"]
        queued = await client.runs.create(waiting, "counter", input={})  # needs the only run slot

        assert await client.threads.prune([busy]) == {"pruned_count": 1}
        # the slot comes free only if the pruned thread's run was stopped
        assert await asyncio.wait_for(client.runs.join(waiting, queued["run_id"]), 20) == {
            "log": ["first", "second"], "count": 2}
        with pytest.raises(NotFoundError):
            await client.runs.get(busy, forever["run_id"])
    finally:
        await client.http.client.aclose()


async def test_prune_keep_latest_keeps_the_state_and_drops_the_history(client) -> None:
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "counter", input={"log": ["one"]})
    await client.runs.wait(tid, "counter", input={"log": ["two"]})
    before = await client.threads.get_state(tid)
    thread = await client.threads.get(tid)
    other = (await client.threads.create())["thread_id"]
    await client.runs.wait(other, "counter", input={})

    assert await client.threads.prune([tid, str(uuid.uuid4())], strategy="keep_latest") == {"pruned_count": 1}
    after = await client.threads.get_state(tid)
    assert after == {**before, "parent_checkpoint": None, "parent_checkpoint_id": None}
    assert await client.threads.get_history(tid, limit=100) == [after]
    assert await client.threads.get(tid) == thread
    assert len(await client.threads.get_history(other, limit=100)) == 4  # untouched
    # the thread carries on from its kept state
    assert (await client.runs.wait(tid, "counter", input={}))["count"] == 6
    assert len(await client.threads.get_history(tid, limit=100)) == 1 + 4


async def test_prune_keep_latest_keeps_what_an_interrupted_thread_resumes_from(client) -> None:
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "asker", input={"question": "name?"})
    state = await client.threads.get_state(tid)
    await client.threads.prune([tid], strategy="keep_latest")
    assert (await client.threads.get_state(tid))["interrupts"] == state["interrupts"] != []
    assert await client.runs.wait(tid, "asker", command={"resume": "ann"}) == {"question": "name?", "answers": ["ann", "thanks"]}

    nested = (await client.threads.create())["thread_id"]
    await client.runs.wait(nested, "nested", input={"trail": []})
    [step0] = [s for s in await client.threads.get_history(nested, limit=10) if s["next"] == ["child"]]
    namespace = step0["tasks"][0]["checkpoint"]["checkpoint_ns"]
    await client.threads.prune([nested], strategy="keep_latest")
    assert len(await client.threads.get_history(nested, limit=10)) == 1
    # each namespace keeps its latest checkpoint (a subgraph may resume from it)
    child = await client.threads.get_history(nested, limit=10, checkpoint={"checkpoint_ns": namespace})
    assert [s["values"] for s in child] == [{"trail": ["inner"]}]


# state at a checkpoint, subgraphs --------------------------------------------------------------


async def test_state_at_a_checkpoint(client, url: str) -> None:
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "counter", input={"log": ["in"]})
    history = await client.threads.get_history(tid, limit=10)
    middle = history[1]
    assert middle["next"] == ["second"]

    # as on the official server, the checkpoint comes back as it was named: without its
    # namespace when named without one
    unnamed_ns = {**middle, "checkpoint": {k: v for k, v in middle["checkpoint"].items() if k != "checkpoint_ns"}}
    assert await client.threads.get_state(tid, checkpoint_id=middle["checkpoint_id"]) == unnamed_ns  # GET state/{id}
    assert await client.threads.get_state(tid, checkpoint=middle["checkpoint"]) == middle  # POST state/checkpoint
    assert await client.threads.get_state(tid, checkpoint={"checkpoint_id": middle["checkpoint_id"]}) == unnamed_ns
    # the path's thread wins over one named in the body
    elsewhere = {**middle["checkpoint"], "thread_id": str(uuid.uuid4())}
    assert await client.threads.get_state(tid, checkpoint=elsewhere) == middle
    # no checkpoint id: the latest of the namespace
    assert await client.threads.get_state(tid, checkpoint={"checkpoint_ns": ""}) == history[0]
    # the JS SDK's spellings
    status, body, _ = await call(url, "GET", f"/threads/{tid}/state/{middle['checkpoint_id']}?subgraphs=true")
    assert (status, body) == (200, unnamed_ns)
    status, body, _ = await call(url, "POST", f"/threads/{tid}/state/checkpoint", {"checkpoint": middle["checkpoint"]})
    assert (status, body) == (200, middle)

    # A checkpoint that does not exist is a 404, a deliberate difference (deliberate.py):
    # the official server answers an empty state that claims to be that checkpoint.
    unknown = "1f000000-0000-6000-8000-000000000000"
    for thread_id, checkpoint_id in ((tid, unknown), (str(uuid.uuid4()), middle["checkpoint_id"])):
        with pytest.raises(NotFoundError):
            await client.threads.get_state(thread_id, checkpoint_id=checkpoint_id)
    for thread_id, checkpoint in ((tid, {"checkpoint_id": unknown}),
                                  (tid, {"checkpoint_id": middle["checkpoint_id"], "checkpoint_ns": "child:1"}),
                                  (str(uuid.uuid4()), middle["checkpoint"])):
        with pytest.raises(NotFoundError):
            await client.threads.get_state(thread_id, checkpoint=checkpoint)
    # a namespace without checkpoints has the empty state, as a thread without any does
    assert await client.threads.get_state(tid, checkpoint={"checkpoint_ns": "nope:1"}) == EMPTY_STATE
    for bad in ({}, {"checkpoint": None}, {"checkpoint": "x"}, {"checkpoint": {"checkpoint_id": 1}},
                {"checkpoint": {"checkpoint_map": []}}, {"checkpoint": {}, "subgraphs": "yes"}):
        status, body, _ = await call(url, "POST", f"/threads/{tid}/state/checkpoint", bad)
        assert status == 422 and "detail" in body, bad
    status, _, _ = await call(url, "GET", f"/threads/nope/state/{middle['checkpoint_id']}")
    assert status == 422

    # a thread that has no graph (never ran) has no checkpoints
    fresh = (await client.threads.create())["thread_id"]
    with pytest.raises(NotFoundError):
        await client.threads.get_state(fresh, checkpoint_id=middle["checkpoint_id"])


async def test_subgraph_states(client, url: str) -> None:
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "nested", input={"trail": []})
    [step0] = [s for s in await client.threads.get_history(tid, limit=10) if s["next"] == ["child"]]
    [task] = step0["tasks"]
    namespace = f"child:{task['id']}"
    # without subgraphs a subgraph task points at its checkpoints
    assert task["checkpoint"] == {"thread_id": tid, "checkpoint_ns": namespace} and task["state"] is None

    for nested_state in (await client.threads.get_state(tid, checkpoint_id=step0["checkpoint_id"], subgraphs=True),
                         await client.threads.get_state(tid, checkpoint=step0["checkpoint"], subgraphs=True)):
        [task] = nested_state["tasks"]
        assert task["checkpoint"] is None
        child = task["state"]
        assert set(child) == STATE_KEYS
        assert child["values"] == {"trail": ["inner"]} and child["next"] == []
        assert child["metadata"]["parents"] == {"": step0["checkpoint_id"]}
        assert child["checkpoint"] == {
            "checkpoint_id": child["checkpoint_id"], "thread_id": tid, "checkpoint_ns": namespace,
            "checkpoint_map": {"": step0["checkpoint_id"], namespace: child["checkpoint_id"]}}
        assert child["parent_checkpoint"]["checkpoint_ns"] == namespace

    # the subgraph's own state and history, by namespace
    child_state = await client.threads.get_state(tid, checkpoint={"checkpoint_ns": namespace})
    assert child_state == child
    child_history = await client.threads.get_history(tid, limit=10, checkpoint={"checkpoint_ns": namespace})
    assert child_history[0] == child and len(child_history) == 3
    assert all(s["checkpoint"]["checkpoint_ns"] == namespace for s in child_history)
    assert await client.threads.get_history(tid, checkpoint={"checkpoint_ns": "nope:1"}) == []

    # the latest state with subgraphs=true: a subgraph that has not started yet has an empty state
    waiting = (await client.threads.create())["thread_id"]
    await client.runs.wait(waiting, "nested", input={"trail": []}, interrupt_before=["child"])
    for state in (await client.threads.get_state(waiting, subgraphs=True),
                  (await call(url, "GET", f"/threads/{waiting}/state?subgraphs=true"))[1]):
        [task] = state["tasks"]
        assert task["name"] == "child" and task["checkpoint"] is None
        assert task["state"] == EMPTY_STATE
    [task] = (await client.threads.get_state(waiting, subgraphs=False))["tasks"]
    assert task["state"] is None and task["checkpoint"]["checkpoint_ns"].startswith("child:")


# history ---------------------------------------------------------------------------------------


async def test_get_history_with_query_parameters(client, url: str) -> None:
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "counter", input={"log": []})
    history = await client.threads.get_history(tid, limit=10)
    assert len(history) == 4

    async def get(query: str = "") -> Any:
        status, body, _ = await call(url, "GET", f"/threads/{tid}/history{query}")
        assert status == 200, body
        return body

    assert await get() == history[:1]  # limit defaults to 1
    assert await get("?limit=3") == history[:3]
    assert await get("?limit=100") == history
    assert await get(f"?limit=2&before={history[1]['checkpoint_id']}") == history[2:4]
    assert await get(f"?before={history[-1]['checkpoint_id']}") == []
    for query in ("?limit=abc", "?limit=0", "?limit=1001"):
        status, body, _ = await call(url, "GET", f"/threads/{tid}/history{query}")
        assert status == 422 and "limit" in body["detail"], query
    status, _, _ = await call(url, "GET", f"/threads/{uuid.uuid4()}/history")
    assert status == 404
    fresh = (await client.threads.create())["thread_id"]
    status, body, _ = await call(url, "GET", f"/threads/{fresh}/history")
    assert (status, body) == (200, [])


async def test_post_history_rejects_bad_input(client, url: str) -> None:
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "counter", input={"log": []})
    for bad in ({"limit": 0}, {"limit": "1"}, {"before": {}}, {"before": {"configurable": {}}}, {"before": 5},
                {"before": {"checkpoint_id": 5}}, {"checkpoint": "x"}, {"checkpoint": {"checkpoint_ns": 1}},
                {"metadata": {"a b": 1}}, {"metadata": {"x')--": 1}}, {"metadata": []}):
        status, body, _ = await call(url, "POST", f"/threads/{tid}/history", bad)
        assert status == 422 and "detail" in body, bad
    # dotted keys reach into nested metadata, as LangGraph's saver does
    status, body, _ = await call(url, "POST", f"/threads/{tid}/history", {"limit": 10, "metadata": {"parents.x": None}})
    assert status == 200 and len(body) == 4
    with pytest.raises(UnprocessableEntityError):
        await client.threads.get_history(tid, metadata={"bad key": 1})


# thread records --------------------------------------------------------------------------------


async def test_thread_records_show_interrupts_and_error(client, url: str) -> None:
    asked = (await client.threads.create())["thread_id"]
    await client.runs.wait(asked, "asker", input={"question": "name?"})
    thread = await client.threads.get(asked)
    [task] = (await client.threads.get_state(asked))["tasks"]
    assert thread["status"] == "interrupted" and thread["error"] is None
    assert thread["interrupts"] == {task["id"]: task["interrupts"]}
    assert [i["value"] for i in task["interrupts"]] == ["name?"]
    await client.runs.wait(asked, "asker", command={"resume": "ann"})
    thread = await client.threads.get(asked)
    assert thread["status"] == "idle" and thread["interrupts"] == {} and thread["error"] is None

    failed = (await client.threads.create())["thread_id"]
    await client.runs.wait(failed, "failing", input={}, raise_error=False)
    thread = await client.threads.get(failed)
    assert thread["status"] == "error" and thread["error"] == {"error": "ValueError", "message": "kaboom"}
    await client.runs.wait(failed, "failing", input={"secret": True}, raise_error=False)
    assert (await client.threads.get(failed))["error"] == {"error": "Boom", "message": "An internal error occurred"}
    [found] = await client.threads.search(status="error")
    assert found == await client.threads.get(failed)

    # include=ttl is accepted (the Python SDK joins with commas, the JS SDK sends JSON)
    assert await client.threads.get(failed, include=["ttl"]) == found
    for query in ("?include=ttl", '?include=["ttl"]', "?include=ttl,other"):
        status, body, _ = await call(url, "GET", f"/threads/{failed}{query}")
        assert (status, body) == (200, found), query
